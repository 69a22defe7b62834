import Type from 'typebox'

/**
 * Coded errors, Node-RED style: services throw them with a stable `code` and an HTTP
 * `status`, and only the error handler in app.ts turns them into a reply. Clients
 * branch on `code`, never on `message`.
 */
export class AppError extends Error {
  readonly code: string
  readonly status: number
  /** Extra reply headers (`Retry-After` on 429 and 423). */
  readonly headers: Readonly<Record<string, string>>

  constructor(code: string, status: number, message: string, headers: Record<string, string> = {}) {
    super(message)
    this.name = 'AppError'
    this.code = code
    this.status = status
    this.headers = headers
  }
}

export const siteNotFound = (): AppError => new AppError('SITE_NOT_FOUND', 404, 'Site not found')
export const invalidCredentials = (): AppError =>
  new AppError('AUTH_INVALID_CREDENTIALS', 401, 'Invalid email or password')
export const unauthorized = (): AppError => new AppError('AUTH_UNAUTHORIZED', 401, 'Missing or invalid token')
export const badIngestKey = (): AppError => new AppError('INGEST_BAD_KEY', 401, 'Missing or invalid gateway key')
export const gatewayMismatch = (): AppError =>
  new AppError('INGEST_GATEWAY_MISMATCH', 401, 'gatewayId does not match the gateway key')
export const gatewayNotFound = (): AppError => new AppError('GATEWAY_NOT_FOUND', 404, 'Gateway not found')
export const badAbsentRange = (detail: string): AppError =>
  new AppError('INGEST_BAD_ABSENT_RANGE', 400, `Bad absent seq range: ${detail}`)

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError
}

/** The body of every error reply: `{ error: { code, message } }`. */
export const ErrorReply = Type.Object({
  error: Type.Object({ code: Type.String(), message: Type.String() }),
})

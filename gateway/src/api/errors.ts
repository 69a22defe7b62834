import { isGatewayError } from '../errors.js'

/**
 * Errors of the local API's services, Node-RED style: a stable code, the HTTP status it
 * means and, for bad input, the JSON path of the offending field. Services throw these;
 * only the error handler in local-api.ts turns them into replies.
 */
export type ApiErrorCode =
  | 'AUTH_ERR_MISSING_TOKEN'
  | 'AUTH_ERR_BAD_TOKEN'
  | 'AUTH_ERR_NOT_CONFIGURED'
  | 'AUTH_ERR_RATE_LIMITED'
  | 'API_ERR_VALIDATION'
  | 'API_ERR_NOT_FOUND'
  | 'DEVICE_ERR_NOT_FOUND'
  | 'RULE_ERR_NOT_FOUND'
  | 'RULE_ERR_INVALID'
  | 'RULE_ERR_EXISTS'
  | 'ALARM_ERR_NOT_FOUND'
  | 'ALARM_ERR_ALREADY_ACKNOWLEDGED'
  | 'DRYRUN_ERR_RANGE'
  | 'COMMAND_ERR_UNKNOWN_RELAY'
  | 'COMMAND_ERR_UNKNOWN_SETPOINT'

export class ApiError extends Error {
  readonly code: ApiErrorCode
  readonly status: number
  /** JSON pointer into the request part that was wrong, e.g. `/when/forSeconds`. */
  readonly path: string | undefined
  /** Every problem found, each `<path>: <why>`, when there was more than one. */
  readonly reasons: string[] | undefined

  constructor(code: ApiErrorCode, status: number, message: string, extra: { path?: string; reasons?: string[] } = {}) {
    super(message)
    this.name = 'ApiError'
    this.code = code
    this.status = status
    this.path = extra.path
    this.reasons = extra.reasons
  }
}

export interface ErrorBody {
  error: { code: string; message: string; path?: string; reasons?: string[] }
}

/** Splits a `<path>: <why>` reason (config.ts and rules/registry.ts style) into its parts. */
export function splitReason(reason: string): { path: string; message: string } {
  const m = /^(\/[^:\s]*|\/): (.*)$/s.exec(reason)
  // Nested validators report their root as `/`, so `<parent>/` means the parent itself.
  return m ? { path: m[1]!.length > 1 ? m[1]!.replace(/\/$/, '') : m[1]!, message: m[2]! } : { path: '', message: reason }
}

/** A 400 for a list of `<path>: <why>` reasons; the first one names the field. */
export function invalidInput(code: ApiErrorCode, reasons: string[]): ApiError {
  const first = splitReason(reasons[0] ?? '/: invalid')
  const message = reasons.length === 1 ? `${first.path || '/'}: ${first.message}` : `${reasons.length} problems; first: ${reasons[0]}`
  return new ApiError(code, 400, message, { path: first.path || '/', reasons })
}

// Fastify's own errors, by status, for the body `code`.
const STATUS_CODES: Record<number, string> = {
  400: 'API_ERR_BAD_REQUEST',
  401: 'AUTH_ERR_MISSING_TOKEN',
  404: 'API_ERR_NOT_FOUND',
  405: 'API_ERR_METHOD_NOT_ALLOWED',
  406: 'API_ERR_NOT_ACCEPTABLE',
  413: 'API_ERR_BODY_TOO_LARGE',
  415: 'API_ERR_UNSUPPORTED_MEDIA_TYPE',
  429: 'AUTH_ERR_RATE_LIMITED',
}

/** Status and body for anything a route or hook threw. 5xx details never leave the process. */
export function toHttp(err: unknown): { status: number; body: ErrorBody } {
  if (err instanceof ApiError) {
    const { code, message, path, reasons } = err
    return {
      status: err.status,
      body: { error: { code, message, ...(path !== undefined ? { path } : {}), ...(reasons && reasons.length > 1 ? { reasons } : {}) } },
    }
  }
  // Runtime errors from the gateway's own modules that mean "your input": the rest are ours.
  if (isGatewayError(err, 'RULES_ERR_INVALID')) {
    const reasons = (err.details.reasons as string[] | undefined) ?? [err.message]
    return toHttp(invalidInput('RULE_ERR_INVALID', reasons))
  }
  if (isGatewayError(err, 'ALARM_ERR_NOT_FOUND')) return { status: 404, body: { error: { code: err.code, message: err.message } } }
  const status = (err as { statusCode?: number }).statusCode
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const code = STATUS_CODES[status] ?? 'API_ERR_BAD_REQUEST'
    return { status, body: { error: { code, message: (err as Error).message } } }
  }
  return { status: 500, body: { error: { code: 'API_ERR_INTERNAL', message: 'internal error' } } }
}

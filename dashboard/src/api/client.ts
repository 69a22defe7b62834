// The one way the dashboard talks HTTP to the cloud. Same origin (the cloud serves the
// built dashboard; Vite proxies /api in development), Bearer token, coded errors.
import { noteApiResponse } from '../pwa/offline.js'

/** Error codes produced by the client itself, not by the cloud. */
export const CLIENT_ERROR_CODES = {
  network: 'NETWORK_ERROR',
  badResponse: 'BAD_RESPONSE',
} as const

/** A failed request. `code` is the cloud's error code (`AUTH_INVALID_CREDENTIALS`, `SITE_NOT_FOUND`…). */
export class ApiError extends Error {
  override readonly name = 'ApiError'
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** The error's `details` as the cloud sent them (RULE_INVALID: `{ fields }`). */
    readonly details?: unknown,
  ) {
    super(message)
  }
}

export interface ApiAuth {
  getToken(): string | null
  /** Called when a request that carried a token gets 401 and a refresh did not help: the session is over. */
  onUnauthorized(): void
  /** Trades the refresh token for a new access token; false when the session cannot go on. */
  refresh?(): Promise<boolean>
}

// Installed once by main.ts so this module needs no store (the session store imports us).
let auth: ApiAuth = { getToken: () => null, onUnauthorized: () => {} }

export function configureApiClient(next: ApiAuth): void {
  auth = next
}

export type QueryValue = string | number | boolean | null | undefined

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  query?: Record<string, QueryValue>
  body?: unknown
  signal?: AbortSignal
  /** Send no token (login, refresh). */
  anonymous?: boolean
  /** Extra request headers, e.g. Idempotency-Key. */
  headers?: Record<string, string>
}

function buildUrl(path: string, query: RequestOptions['query']): string {
  if (!query) return path
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null) params.set(key, String(value))
  }
  const qs = params.toString()
  return qs ? `${path}?${qs}` : path
}

function isErrorBody(body: unknown): body is { error: { code: string; message?: string } } {
  if (typeof body !== 'object' || body === null || !('error' in body)) return false
  const error = (body as { error: unknown }).error
  return typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string'
}

async function readJson(response: Response): Promise<unknown> {
  const text = await response.text()
  if (!text) return undefined
  try {
    return JSON.parse(text) as unknown
  } catch {
    return undefined
  }
}

// One refresh at a time: requests that fail together wait for the same new token.
let refreshing: Promise<boolean> | null = null

function refreshOnce(): Promise<boolean> {
  if (!auth.refresh) return Promise.resolve(false)
  refreshing ??= auth.refresh().finally(() => {
    refreshing = null
  })
  return refreshing
}

export async function apiRequest<T>(path: string, options: RequestOptions = {}, retried = false): Promise<T> {
  const token = options.anonymous ? null : auth.getToken()
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers }
  if (token) headers.authorization = `Bearer ${token}`
  if (options.body !== undefined) headers['content-type'] = 'application/json'

  let response: Response
  try {
    response = await fetch(buildUrl(path, options.query), {
      method: options.method ?? 'GET',
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal,
    })
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err
    throw new ApiError(0, CLIENT_ERROR_CODES.network, err instanceof Error ? err.message : String(err))
  }

  // A copy the service worker saved earlier (offline) turns the offline banner on.
  noteApiResponse(response.headers)
  const body = await readJson(response)
  if (!response.ok) {
    // A 401 on a request without a token (e.g. bad login) is not a lost session; an
    // expired access token is renewed once before giving up.
    if (response.status === 401 && token) {
      if (!retried && (await refreshOnce())) return apiRequest<T>(path, options, true)
      auth.onUnauthorized()
    }
    if (isErrorBody(body)) {
      throw new ApiError(response.status, body.error.code, body.error.message ?? body.error.code, (body.error as { details?: unknown }).details)
    }
    throw new ApiError(response.status, `HTTP_${response.status}`, response.statusText || `HTTP ${response.status}`)
  }
  if (body === undefined && response.status !== 204) {
    throw new ApiError(response.status, CLIENT_ERROR_CODES.badResponse, 'Response is not JSON')
  }
  return body as T
}

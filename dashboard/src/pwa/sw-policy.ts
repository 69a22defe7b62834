// What the service worker (sw.ts) caches and how, as plain functions so the rules are
// unit-tested here instead of only through a browser. Shared by the page (offline.ts,
// clearApiCache) and the worker, so both agree on names.

/** The API responses kept for offline reading. One cache for every user: cleared at logout. */
export const API_CACHE = 'tendero-api-v1'
/** Precaches of the app shell are named per build; older builds' are deleted on activation. */
export const SHELL_CACHE_PREFIX = 'tendero-shell-'
/** Set by the worker on a response served from the API cache: when it was saved, epoch ms. */
export const CACHE_HEADER = 'x-tendero-cache'
/** Posted by the page at logout: the worker drops the API cache and any save still in flight. */
export const CLEAR_API_CACHE_MESSAGE = 'tendero:clear-api-cache'
/** Enough for every view's requests; the oldest saved response goes first past this. */
export const MAX_API_ENTRIES = 200

// Sessions and tokens must never be replayed from a cache (a logged-out phone would log
// back in); Socket.IO is live by nature and has its own reconnection.
const NEVER_CACHED = /^\/(api\/auth|socket\.io)(\/|$)/

// Views ask for "the last hour" with from/to computed from the clock, so the same view
// asks for a new URL every time: kept in the key, offline would never find anything.
// Without them, the key still tells devices, states and pages apart.
const MOVING_WINDOW_PARAMS = ['from', 'to']

/** Whether a request goes network-first through the API cache (others are not touched). */
export function isCachedApiRequest(method: string, url: URL, origin: string): boolean {
  if (method !== 'GET' || url.origin !== origin) return false
  if (NEVER_CACHED.test(url.pathname)) return false
  return url.pathname.startsWith('/api/')
}

/** The cache key of an API GET: its URL without the moving time window, params sorted. */
export function apiCacheKey(url: URL): string {
  const key = new URL(url.href)
  key.hash = ''
  for (const name of MOVING_WINDOW_PARAMS) key.searchParams.delete(name)
  key.searchParams.sort()
  return key.href
}

/**
 * Only whole JSON answers are saved: errors would be replayed as if current, and the
 * exports (CSV, PDF) say `no-store` and can be megabytes.
 */
export function isCacheableApiResponse(response: Pick<Response, 'status' | 'headers'>): boolean {
  if (response.status !== 200) return false
  if (!(response.headers.get('content-type') ?? '').includes('application/json')) return false
  return !/no-store/.test(response.headers.get('cache-control') ?? '')
}

/** Answers that mean "the cloud is unreachable" although the network answered (a proxy in between). */
export function isUpstreamUnavailable(status: number): boolean {
  return status === 502 || status === 503 || status === 504
}

/** The saved copy of a response, stamped with when it was saved. */
export function stampedHeaders(headers: Headers, savedAt: number): Headers {
  const stamped = new Headers(headers)
  // The body is stored decoded: its old encoding and length no longer describe it.
  stamped.delete('content-encoding')
  stamped.delete('content-length')
  stamped.set(CACHE_HEADER, String(savedAt))
  return stamped
}

/** The moment a response was saved, or null for one that came from the network. */
export function savedAtOf(headers: Pick<Headers, 'get'>): number | null {
  const value = headers.get(CACHE_HEADER)
  if (value === null) return null
  const savedAt = Number(value)
  return Number.isSafeInteger(savedAt) && savedAt > 0 ? savedAt : null
}

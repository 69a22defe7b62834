import { vi } from 'vitest'
import { configureApiClient } from '../../api/client.js'
import type { FleetGateway } from '../../api/fleet.js'

/** A fetch stub answering by method and path; `calls` keeps what was asked, headers included. */
export function fakeApi(routes: Record<string, (body: unknown, init: RequestInit) => unknown | [number, unknown]>) {
  const calls: { method: string; path: string; body: unknown; headers: Record<string, string> }[] = []
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = new URL(String(input), 'http://localhost')
    const method = init.method ?? 'GET'
    const body = typeof init.body === 'string' ? JSON.parse(init.body) : undefined
    calls.push({ method, path: url.pathname, body, headers: { ...(init.headers as Record<string, string>) } })
    const handler = routes[`${method} ${url.pathname}`]
    if (!handler) return new Response(JSON.stringify({ error: { code: 'NOT_STUBBED', message: `${method} ${url.pathname}` } }), { status: 404 })
    const result = handler(body, init)
    const [status, payload] = Array.isArray(result) && typeof result[0] === 'number' ? (result as [number, unknown]) : [200, result]
    return new Response(payload === undefined ? null : JSON.stringify(payload), { status })
  })
  return { fetchMock, calls }
}

/** Logs a session in through storage, with these permissions. */
export function signIn(permissions: string[]): void {
  localStorage.setItem(
    'tendero.session',
    JSON.stringify({ token: 'token-1', user: { id: 'u1', email: 'demo@tendero.app', name: 'Julio', orgId: 'org-1', locale: 'es-AR' }, permissions }),
  )
  // As main.ts does: the shared client sends the session's token.
  configureApiClient({ getToken: () => 'token-1', onUnauthorized: () => {} })
}

export const SITE = { id: 'site-1', name: 'Sucursal Palermo', timezone: 'America/Argentina/Buenos_Aires' }

export const gatewayOf = (overrides: Partial<FleetGateway> = {}): FleetGateway => ({
  id: 'gw-demo-01',
  siteId: SITE.id,
  name: 'Gateway Palermo',
  online: true,
  lastSeenAt: Date.now() - 60_000,
  lastContactAt: Date.now() - 30_000,
  ackSeq: 10,
  quarantinedTotal: 0,
  sync: null,
  lagEvents: 0,
  lagSeconds: 0,
  config: { desiredVersion: null, reportedVersion: 0, reportedAt: null, upToDate: true, error: null },
  hardwareId: null,
  claimedAt: null,
  createdAt: Date.now() - 86_400_000,
  ...overrides,
})

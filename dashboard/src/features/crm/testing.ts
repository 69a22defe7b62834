// A fake cloud for the CRM's component tests: fetch answered per "METHOD /path", every call
// recorded with its body and headers.
import { vi } from 'vitest'

export type Handler = (url: string, init: RequestInit) => Response | Promise<Response>

export interface RecordedCall {
  method: string
  url: string
  body?: unknown
  headers: Record<string, string>
}

export function stubCloud(routes: Record<string, Handler>): RecordedCall[] {
  const calls: RecordedCall[] = []
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init: RequestInit = {}) => {
      const method = init.method ?? 'GET'
      calls.push({ method, url, body: init.body ? JSON.parse(String(init.body)) : undefined, headers: { ...(init.headers as Record<string, string>) } })
      const handler = routes[`${method} ${url.split('?')[0]}`]
      return handler ? handler(url, init) : Response.json({ error: { code: 'NOT_FOUND', message: url } }, { status: 404 })
    }),
  )
  return calls
}

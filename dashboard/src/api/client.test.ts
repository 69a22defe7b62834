import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { apiRequest, configureApiClient } from './client.js'
import { fetchAlarms, fetchSites, fetchState, fetchTelemetry } from './sites.js'

describe('api client', () => {
  const fetchMock = vi.fn<typeof fetch>()
  const onUnauthorized = vi.fn()

  beforeEach(() => {
    fetchMock.mockReset()
    onUnauthorized.mockReset()
    vi.stubGlobal('fetch', fetchMock)
  })
  afterEach(() => {
    vi.unstubAllGlobals()
    configureApiClient({ getToken: () => null, onUnauthorized: () => {} })
  })

  it('sends the Bearer token and the query string', async () => {
    configureApiClient({ getToken: () => 'jwt-1', onUnauthorized })
    fetchMock.mockResolvedValueOnce(new Response(JSON.stringify({ items: [] }), { status: 200 }))

    await apiRequest('/api/sites/s1/alarms', { query: { state: 'active', from: undefined } })

    const [url, init] = fetchMock.mock.calls[0]!
    expect(url).toBe('/api/sites/s1/alarms?state=active')
    expect((init?.headers as Record<string, string>).authorization).toBe('Bearer jwt-1')
  })

  it('a 401 with a token ends the session', async () => {
    configureApiClient({ getToken: () => 'expired', onUnauthorized })
    fetchMock.mockResolvedValueOnce(
      new Response(JSON.stringify({ error: { code: 'AUTH_REQUIRED', message: 'Unauthorized' } }), { status: 401 }),
    )

    await expect(apiRequest('/api/sites')).rejects.toMatchObject({ status: 401, code: 'AUTH_REQUIRED' })
    expect(onUnauthorized).toHaveBeenCalledOnce()
  })

  it('an expired access token is refreshed once and the request retried with the new one', async () => {
    let token = 'expired'
    const refresh = vi.fn(async () => {
      token = 'fresh'
      return true
    })
    configureApiClient({ getToken: () => token, onUnauthorized, refresh })
    const unauthorized = () => new Response(JSON.stringify({ error: { code: 'AUTH_UNAUTHORIZED', message: 'x' } }), { status: 401 })
    fetchMock.mockResolvedValueOnce(unauthorized()).mockResolvedValueOnce(unauthorized())
    fetchMock.mockResolvedValueOnce(new Response(JSON.stringify({ a: 1 }), { status: 200 })).mockResolvedValueOnce(new Response(JSON.stringify({ b: 2 }), { status: 200 }))

    // Two requests fail together: one refresh serves both.
    const [a, b] = await Promise.all([apiRequest('/api/sites'), apiRequest('/api/me')])
    expect([a, b]).toEqual([{ a: 1 }, { b: 2 }])
    expect(refresh).toHaveBeenCalledOnce()
    expect((fetchMock.mock.calls[2]![1]?.headers as Record<string, string>).authorization).toBe('Bearer fresh')
    expect(onUnauthorized).not.toHaveBeenCalled()
  })

  it('a refresh that fails ends the session', async () => {
    configureApiClient({ getToken: () => 'expired', onUnauthorized, refresh: async () => false })
    fetchMock.mockResolvedValueOnce(new Response(JSON.stringify({ error: { code: 'AUTH_UNAUTHORIZED', message: 'x' } }), { status: 401 }))
    await expect(apiRequest('/api/sites')).rejects.toMatchObject({ status: 401 })
    expect(onUnauthorized).toHaveBeenCalledOnce()
  })

  it('a non-JSON error gets an HTTP_<status> code', async () => {
    fetchMock.mockResolvedValueOnce(new Response('Bad Gateway', { status: 502, statusText: 'Bad Gateway' }))
    await expect(apiRequest('/api/sites')).rejects.toMatchObject({ status: 502, code: 'HTTP_502' })
  })
})

describe('paged lists', () => {
  const fetchMock = vi.fn<typeof fetch>()
  const page = (items: unknown[], nextCursor: string | null) => new Response(JSON.stringify({ items, nextCursor }), { status: 200 })
  const urls = () => fetchMock.mock.calls.map(([url]) => String(url))

  beforeEach(() => {
    fetchMock.mockReset()
    vi.stubGlobal('fetch', fetchMock)
  })
  afterEach(() => vi.unstubAllGlobals())

  it('follows nextCursor to the end of a list the dashboard needs whole', async () => {
    fetchMock.mockResolvedValueOnce(page([{ id: 'a' }, { id: 'b' }], 'c1')).mockResolvedValueOnce(page([{ id: 'c' }], null))
    expect((await fetchSites()).map((s) => s.id)).toEqual(['a', 'b', 'c'])
    expect(urls()).toEqual(['/api/sites?limit=500', '/api/sites?limit=500&cursor=c1'])

    fetchMock.mockResolvedValueOnce(page([{ deviceId: 'd', key: 'k', value: 1, updatedAt: 1 }], null))
    expect(await fetchState('s1')).toHaveLength(1)
    expect(urls()[2]).toBe('/api/sites/s1/state?limit=500')
  })

  it('stops a capped read once it has enough, and asks for one page by default', async () => {
    const point = (time: number) => ({ time, deviceId: 'd', metric: 'temperature_c', value: 4 })
    fetchMock.mockResolvedValueOnce(page([point(3), point(2)], 'p2')).mockResolvedValueOnce(page([point(1), point(0)], 'p3'))
    const newest = await fetchTelemetry('s1', { metric: 'temperature_c', limit: 2, sort: '-time' }, 3)
    expect(newest.map((p) => p.time)).toEqual([3, 2, 1])
    expect(urls()).toEqual([
      '/api/sites/s1/telemetry?metric=temperature_c&limit=2&sort=-time',
      '/api/sites/s1/telemetry?metric=temperature_c&limit=2&sort=-time&cursor=p2',
    ])

    fetchMock.mockResolvedValueOnce(page([point(5)], 'more'))
    expect(await fetchTelemetry('s1', { limit: 1 })).toHaveLength(1)
    expect(fetchMock).toHaveBeenCalledTimes(3)

    fetchMock.mockResolvedValueOnce(page([], 'ignored'))
    expect(await fetchAlarms('s1', 'all', 100)).toEqual([])
    expect(urls()[3]).toBe('/api/sites/s1/alarms?state=all&limit=100')
  })
})

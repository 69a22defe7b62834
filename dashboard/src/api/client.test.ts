import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { apiRequest, configureApiClient } from './client.js'

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

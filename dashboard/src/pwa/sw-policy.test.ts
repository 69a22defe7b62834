import { describe, expect, it } from 'vitest'
import { CACHE_HEADER, apiCacheKey, isCacheableApiResponse, isCachedApiRequest, savedAtOf, stampedHeaders } from './sw-policy.js'

const ORIGIN = 'https://tendero.example'
const url = (path: string) => new URL(path, ORIGIN)

describe('which requests go through the API cache', () => {
  it('takes GETs of the API on our origin', () => {
    expect(isCachedApiRequest('GET', url('/api/sites'), ORIGIN)).toBe(true)
    expect(isCachedApiRequest('GET', url('/api/sites/s1/alarms?state=active'), ORIGIN)).toBe(true)
    expect(isCachedApiRequest('GET', url('/api/me'), ORIGIN)).toBe(true)
  })

  it('never writes, sessions, Socket.IO, other origins or the app files', () => {
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) expect(isCachedApiRequest(method, url('/api/sites'), ORIGIN), method).toBe(false)
    expect(isCachedApiRequest('GET', url('/api/auth/login'), ORIGIN)).toBe(false)
    expect(isCachedApiRequest('GET', url('/api/auth/totp/setup'), ORIGIN)).toBe(false)
    expect(isCachedApiRequest('GET', url('/socket.io/?EIO=4&transport=polling'), ORIGIN)).toBe(false)
    expect(isCachedApiRequest('GET', new URL('/api/sites', 'https://other.example'), ORIGIN)).toBe(false)
    expect(isCachedApiRequest('GET', url('/assets/index.js'), ORIGIN)).toBe(false)
    expect(isCachedApiRequest('GET', url('/apiary'), ORIGIN)).toBe(false)
  })
})

describe('apiCacheKey', () => {
  it('drops the moving time window so "the last hour" asked again finds the saved copy', () => {
    const a = apiCacheKey(url('/api/sites/s1/telemetry?device=camara-1&from=1000&to=2000'))
    const b = apiCacheKey(url('/api/sites/s1/telemetry?to=9000&device=camara-1&from=5000'))
    expect(a).toBe(b)
    expect(a).toBe(`${ORIGIN}/api/sites/s1/telemetry?device=camara-1`)
  })

  it('keeps everything that selects different data apart', () => {
    const key = (q: string) => apiCacheKey(url(`/api/sites/s1/telemetry?${q}`))
    expect(key('device=camara-1')).not.toBe(key('device=camara-2'))
    expect(key('device=camara-1&cursor=abc')).not.toBe(key('device=camara-1'))
    expect(apiCacheKey(url('/api/sites/s1/alarms?state=active'))).not.toBe(apiCacheKey(url('/api/sites/s1/alarms?state=acknowledged')))
  })
})

describe('isCacheableApiResponse', () => {
  const response = (status: number, headers: Record<string, string>) => ({ status, headers: new Headers(headers) })

  it('saves whole JSON answers only', () => {
    expect(isCacheableApiResponse(response(200, { 'content-type': 'application/json; charset=utf-8' }))).toBe(true)
    expect(isCacheableApiResponse(response(404, { 'content-type': 'application/json' }))).toBe(false)
    expect(isCacheableApiResponse(response(500, { 'content-type': 'application/json' }))).toBe(false)
    expect(isCacheableApiResponse(response(206, { 'content-type': 'application/json' }))).toBe(false)
  })

  it('leaves the exports (CSV, PDF, no-store) alone', () => {
    expect(isCacheableApiResponse(response(200, { 'content-type': 'application/pdf' }))).toBe(false)
    expect(isCacheableApiResponse(response(200, { 'content-type': 'text/csv' }))).toBe(false)
    expect(isCacheableApiResponse(response(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }))).toBe(false)
  })
})

describe('the saved-at stamp', () => {
  it('is added to a saved copy, without the network encoding, and read back', () => {
    const headers = stampedHeaders(new Headers({ 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': '12' }), 1_700_000_000_000)
    expect(headers.get(CACHE_HEADER)).toBe('1700000000000')
    expect(headers.get('content-encoding')).toBeNull()
    expect(headers.get('content-length')).toBeNull()
    expect(headers.get('content-type')).toBe('application/json')
    expect(savedAtOf(headers)).toBe(1_700_000_000_000)
  })

  it('is absent from a live response, and ignored when garbled', () => {
    expect(savedAtOf(new Headers())).toBeNull()
    expect(savedAtOf(new Headers({ [CACHE_HEADER]: 'yesterday' }))).toBeNull()
    expect(savedAtOf(new Headers({ [CACHE_HEADER]: '-5' }))).toBeNull()
  })
})

import type { LightMyRequestResponse } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_RATE_LIMITS, MemoryBuckets } from '../src/plugins/rate-limit.js'
import type { RateLimits } from '../src/plugins/rate-limit.js'
import { DEMO } from '../src/seed.js'
import { addDemoGateway, buildTestApp, DEMO_KEY, ingest, loginDemo, telemetryEvent, type TestApp } from './support/app.js'

const SMALL: RateLimits = { readPerMin: 5, writePerMin: 3, publicPerMin: 4, gatewayPerMin: 3 }

function expectLimited(res: LightMyRequestResponse, limit: number): void {
  expect(res.statusCode, res.body).toBe(429)
  expect(res.json()).toEqual({ error: { code: 'RATE_LIMITED', message: expect.any(String) } })
  expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1)
  expect(res.headers['x-ratelimit-limit']).toBe(String(limit))
  expect(res.headers['x-ratelimit-remaining']).toBe('0')
  expect(Number(res.headers['x-ratelimit-reset'])).toBeGreaterThan(0)
}

describe('rate limits, in memory', () => {
  let t: TestApp
  let token: string
  const auth = () => ({ authorization: `Bearer ${token}` })

  beforeAll(async () => {
    t = await buildTestApp('pglite', { rateLimits: SMALL })
    token = await loginDemo(t.app)
  }, 60_000)
  afterAll(async () => {
    await t?.close()
  })

  it('gives each user a read budget, with its headers, and answers 429 RATE_LIMITED past it', async () => {
    const remaining: string[] = []
    for (let i = 0; i < 5; i++) {
      // /api/v1 is the same route, so the same budget.
      const res = await t.app.inject({ url: i % 2 ? '/api/v1/sites' : '/api/sites', headers: auth() })
      expect(res.statusCode).toBe(200)
      expect(res.headers['x-ratelimit-limit']).toBe('5')
      remaining.push(String(res.headers['x-ratelimit-remaining']))
    }
    expect(remaining).toEqual(['4', '3', '2', '1', '0'])
    expectLimited(await t.app.inject({ url: '/api/sites', headers: auth() }), 5)

    // Writes are a budget of their own: the exhausted reads do not stop them.
    const write = await t.app.inject({ method: 'POST', url: '/api/api-keys', headers: auth(), payload: { name: 'ERP', role: 'viewer' } })
    expect(write.statusCode).toBe(201)
    expect(write.headers['x-ratelimit-limit']).toBe('3')
    // An API key is a principal of its own, with a full budget.
    const key: string = write.json().key
    for (let i = 0; i < 5; i++) expect((await t.app.inject({ url: '/api/sites', headers: { 'x-api-key': key } })).statusCode).toBe(200)
    expectLimited(await t.app.inject({ url: '/api/sites', headers: { 'x-api-key': key } }), 5)
  })

  it('spends the write budget even on a request its schema refuses, before its body is parsed', async () => {
    const put = () => t.app.inject({ method: 'PUT', url: '/api/me/notification-preferences', headers: auth(), payload: { nonsense: true } })
    // One write was spent by the API key above.
    expect((await put()).statusCode).toBe(400)
    expect((await put()).statusCode).toBe(400)
    expectLimited(await put(), 3)
  })

  it('limits public routes per client address', async () => {
    const time = (ip: string) => t.app.inject({ url: '/api/time', remoteAddress: ip })
    for (let i = 0; i < 4; i++) expect((await time('198.51.100.7')).statusCode).toBe(200)
    expectLimited(await time('198.51.100.7'), 4)
    expect((await time('198.51.100.8')).statusCode).toBe(200)
  })

  it('limits the uplink per gateway, not per key or address', async () => {
    const other = await addDemoGateway(t.app)
    for (let seq = 1; seq <= 3; seq++) expect((await ingest(t.app, DEMO_KEY, DEMO.gateway.id, [telemetryEvent(seq, { temp: 3 })])).statusCode).toBe(200)
    const refused = await ingest(t.app, DEMO_KEY, DEMO.gateway.id, [telemetryEvent(4, { temp: 3 })])
    expectLimited(refused, 3)
    expect((await ingest(t.app, other.gatewayKey, other.gatewayId, [telemetryEvent(1, { temp: 3 })])).statusCode).toBe(200)
  })

  it('charges failed authentications to the address, and then refuses it before checking its token', async () => {
    const ip = '203.0.113.50'
    const bad = () => t.app.inject({ url: '/api/sites', headers: { authorization: 'Bearer nope' }, remoteAddress: ip })
    for (let i = 0; i < 5; i++) expect((await bad()).statusCode).toBe(401)
    const res = await t.app.inject({ url: '/api/alarms', headers: auth(), remoteAddress: ip })
    expect(res.statusCode).toBe(429)
    expect(res.json().error.code).toBe('RATE_LIMITED')
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1)
    // Other addresses, and the public routes of that one, are not affected.
    expect((await t.app.inject({ url: '/api/health', remoteAddress: ip })).statusCode).not.toBe(429)
  })

  it('takes the client address from X-Forwarded-For only behind a trusted proxy (TRUST_PROXY)', async () => {
    const time = (app: TestApp, forwarded: string) => app.app.inject({ url: '/api/time', headers: { 'x-forwarded-for': forwarded } })
    const trusting = await buildTestApp('pglite', { rateLimits: SMALL, trustProxy: true, seedDemo: false })
    const direct = await buildTestApp('pglite', { rateLimits: SMALL, seedDemo: false })
    try {
      for (let i = 0; i < 4; i++) expect((await time(trusting, '192.0.2.1')).statusCode).toBe(200)
      expectLimited(await time(trusting, '192.0.2.1'), 4)
      expect((await time(trusting, '192.0.2.2')).statusCode).toBe(200)
      // Not trusted: the header is the client's say-so, and every request is the proxy's address.
      for (let i = 0; i < 4; i++) expect((await time(direct, `192.0.2.${10 + i}`)).statusCode).toBe(200)
      expectLimited(await time(direct, '192.0.2.99'), 4)
    } finally {
      await trusting.close()
      await direct.close()
    }
  }, 60_000)
})

describe('rate limit defaults', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await buildTestApp('pglite')
  }, 60_000)
  afterAll(async () => {
    await t?.close()
  })

  it('never throttle a gateway draining a backlog as fast as the cloud acknowledges', async () => {
    // The uplink posts the next batch the moment the previous is acknowledged (no pause
    // while a backlog drains): 600 back-to-back batches is minutes of catch-up at full speed.
    const gw = await addDemoGateway(t.app)
    const statuses = new Set<number>()
    for (let seq = 1; seq <= 600; seq++) statuses.add((await ingest(t.app, gw.gatewayKey, gw.gatewayId, [telemetryEvent(seq, { temp: 3 })])).statusCode)
    expect([...statuses]).toEqual([200])
  }, 120_000)

  it('are per minute with a burst of a full minute, and 0 turns a budget off', async () => {
    expect(DEFAULT_RATE_LIMITS.gatewayPerMin).toBeGreaterThanOrEqual(6000)
    const off = await buildTestApp('pglite', { rateLimits: { ...SMALL, publicPerMin: 0 }, seedDemo: false })
    try {
      for (let i = 0; i < 20; i++) {
        const res = await off.app.inject({ url: '/api/time' })
        expect(res.statusCode).toBe(200)
        expect(res.headers['x-ratelimit-limit']).toBeUndefined()
      }
    } finally {
      await off.close()
    }
  })
})

describe('MemoryBuckets', () => {
  it('refills at limit per window and says when to retry', async () => {
    let now = 1_000_000
    const buckets = new MemoryBuckets(100, () => now)
    for (let i = 0; i < 60; i++) expect((await buckets.take('k', 60, 60_000)).allowed).toBe(true)
    const refused = await buckets.take('k', 60, 60_000)
    expect(refused).toMatchObject({ allowed: false, remaining: 0, retryAfterMs: 1000, resetMs: 60_000 })
    now += 999
    expect((await buckets.take('k', 60, 60_000)).allowed).toBe(false)
    now += 1
    expect(await buckets.take('k', 60, 60_000)).toMatchObject({ allowed: true, remaining: 0 })
    now += 30_000
    expect(await buckets.take('k', 60, 60_000)).toMatchObject({ allowed: true, remaining: 29 })
  })

  it('stays bounded: the least recently used key is forgotten, idle (full) buckets are swept', async () => {
    let now = 0
    const buckets = new MemoryBuckets(3, () => now)
    for (const key of ['a', 'b', 'c', 'd', 'e']) await buckets.take(key, 10, 60_000)
    expect(buckets.size).toBe(3)
    now += 60_000
    buckets.sweep()
    expect(buckets.size).toBe(0)
    // A sweep also happens by itself, a minute after the last.
    await buckets.take('x', 10, 60_000)
    await buckets.take('y', 10, 60_000)
    now += 120_000
    await buckets.take('z', 10, 60_000)
    expect(buckets.size).toBe(1)
  })
})

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEMO } from '../src/seed.js'
import { buildTestApp, DEMO_KEY, loginDemo, telemetryEvent, type TestApp } from './support/app.js'

/** Hostile or broken input gets a coded 4xx, and the process keeps serving. */
describe('bad input', () => {
  let t: TestApp
  let token: string

  beforeAll(async () => {
    t = await buildTestApp('pglite')
    token = await loginDemo(t.app)
    // PGlite's start and the demo password hash take seconds on a busy machine.
  }, 60_000)
  afterAll(async () => {
    await t?.close()
  })

  const stillServing = async () => {
    const res = await t.app.inject({ url: '/api/health' })
    expect(res.statusCode).toBe(200)
  }

  it('answers 413 to a body over the limit', async () => {
    const huge = JSON.stringify({ email: 'x'.repeat(2 * 1024 * 1024), password: 'p' })
    const res = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: huge,
      headers: { 'content-type': 'application/json' } })
    expect(res.statusCode).toBe(413)
    expect(res.json().error.code).toBe('PAYLOAD_TOO_LARGE')

    const events = Array.from({ length: 1000 }, (_, i) =>
      ({ ...telemetryEvent(i + 1, { temperature_c: 1 }), pad: 'x'.repeat(6000) }))
    const ingest = await t.app.inject({ method: 'POST', url: '/api/ingest', headers: { authorization: `Bearer ${DEMO_KEY}` },
      payload: { gatewayId: DEMO.gateway.id, sentAt: 1, events } })
    expect(ingest.statusCode).toBe(413)
    await stillServing()
  })

  it('accepts an ingest batch above the general 1 MB limit', async () => {
    const readings = Object.fromEntries(Array.from({ length: 40 }, (_, m) => [`metric_${m}_with_a_long_descriptive_name_c`, m]))
    const events = Array.from({ length: 1000 }, (_, i) => telemetryEvent(i + 1, readings))
    const payload = JSON.stringify({ gatewayId: DEMO.gateway.id, sentAt: 1, events })
    expect(payload.length).toBeGreaterThan(1024 * 1024)
    const res = await t.app.inject({ method: 'POST', url: '/api/ingest', payload,
      headers: { authorization: `Bearer ${DEMO_KEY}`, 'content-type': 'application/json' } })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({ ackSeq: 1000, stored: 1000 })
  })

  it('answers 400 to malformed JSON', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: '{"email": ',
      headers: { 'content-type': 'application/json' } })
    expect(res.statusCode).toBe(400)
    expect(res.json().error.code).toBe('BAD_REQUEST')
    await stillServing()
  })

  it('answers 400 VALIDATION to a body that breaks the schema', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'a@b.c' } })
    expect(res.statusCode).toBe(400)
    expect(res.json().error.code).toBe('VALIDATION')
  })

  it('answers 404 to an unknown site id and an unknown API route', async () => {
    const site = await t.app.inject({ url: '/api/sites/00000000-0000-4000-8000-0000000000aa/alarms',
      headers: { authorization: `Bearer ${token}` } })
    expect(site.statusCode).toBe(404)
    expect(site.json().error.code).toBe('SITE_NOT_FOUND')
    const route = await t.app.inject({ url: '/api/nope' })
    expect(route.statusCode).toBe(404)
    expect(route.json().error.code).toBe('NOT_FOUND')
    await stillServing()
  })

  it('serves the OpenAPI document', async () => {
    const res = await t.app.inject({ url: '/docs/json' })
    expect(res.statusCode).toBe(200)
    expect(Object.keys(res.json().paths)).toEqual(expect.arrayContaining(['/api/ingest', '/api/sites/{siteId}/telemetry']))
  })
})

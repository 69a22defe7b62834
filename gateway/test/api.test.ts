import { afterEach, describe, expect, it } from 'vitest'
import { deviceTopic } from '@tendero/protocol'
import { DEMO_DEVICE, OTHER_DEVICE, startTestGateway, waitFor } from './harness.js'
import { ENV_TOKEN, SITE_TOKEN, startApiGateway, type ApiTestGateway } from './api-harness.js'

let t: ApiTestGateway | undefined
afterEach(async () => {
  await t?.close()
  t = undefined
})

describe('local API authentication', () => {
  it('serves /health without a token and refuses /api without a valid one', async () => {
    t = await startApiGateway()
    expect((await t.api('GET', '/health', undefined, null)).status).toBe(200)
    expect(await t.api('GET', '/api/devices', undefined, null)).toMatchObject({ status: 401, body: { error: { code: 'AUTH_ERR_MISSING_TOKEN' } } })
    expect(await t.api('GET', '/api/devices', undefined, 'wrong-token-0123456789')).toMatchObject({
      status: 401,
      body: { error: { code: 'AUTH_ERR_BAD_TOKEN' } },
    })
    // Unknown routes do not reveal themselves to a caller without a token.
    expect((await t.api('GET', '/api/nope', undefined, null)).status).toBe(401)
    expect((await t.api('GET', '/api/devices')).status).toBe(200)
    expect((await t.api('GET', '/api/devices', undefined, ENV_TOKEN)).status).toBe(200)
    // The auth scheme is case-insensitive (RFC 9110, 11.1).
    const lower = await t.gw.api.inject({ method: 'GET', url: '/api/devices', headers: { authorization: `bearer ${ENV_TOKEN}` } })
    expect(lower.statusCode).toBe(200)
  })

  it('refuses everything but /health when no token is configured', async () => {
    const plain = await startTestGateway()
    try {
      const health = await fetch(`http://127.0.0.1:${plain.apiPort}/health`)
      expect(health.status).toBe(200)
      const res = await fetch(`http://127.0.0.1:${plain.apiPort}/api/devices`, { headers: { authorization: 'Bearer anything-at-all-123' } })
      expect(res.status).toBe(401)
      expect(await res.json()).toMatchObject({ error: { code: 'AUTH_ERR_NOT_CONFIGURED' } })
    } finally {
      await plain.close()
    }
  })

  it('locks an address out after repeated bad tokens, other addresses unaffected', async () => {
    t = await startApiGateway({ envToken: false })
    const from = (remoteAddress: string, token: string) =>
      t!.gw.api.inject({ method: 'GET', url: '/api/devices', remoteAddress, headers: { authorization: `Bearer ${token}` } })
    for (let i = 0; i < 10; i++) expect((await from('10.0.0.7', `guess-${i}-0123456789abcdef`)).statusCode).toBe(401)
    const locked = await from('10.0.0.7', SITE_TOKEN.token)
    expect(locked.statusCode).toBe(429)
    expect(locked.json()).toMatchObject({ error: { code: 'AUTH_ERR_RATE_LIMITED' } })
    expect((await from('10.0.0.8', SITE_TOKEN.token)).statusCode).toBe(200)
  })
})

describe('local API devices, state and log', () => {
  it('lists the registry without password hashes, with presence, readings and rejections', async () => {
    t = await startApiGateway()
    const before = await t.api('GET', '/api/devices')
    expect(before.status).toBe(200)
    expect(JSON.stringify(before.body)).not.toContain('scrypt')
    expect(before.body.devices.map((d: { id: string }) => d.id)).toEqual([DEMO_DEVICE.id, OTHER_DEVICE.id])
    expect(before.body.devices[0]).toMatchObject({ id: 'camara-1', kind: 'cold_room', online: false, lastSeenAt: null, readings: {} })
    expect(before.body.devices[0].relays[0]).toMatchObject({ name: 'compressor', failsafe: { mode: 'duty' } })

    const device = await t.connect(DEMO_DEVICE.id, DEMO_DEVICE.password)
    const ts = Date.now() - 500
    await device.publishAsync(deviceTopic(DEMO_DEVICE.id, 'telemetry'), JSON.stringify({ ts, readings: { temperature_c: 4.2 } }), { qos: 1 })
    await device.publishAsync(deviceTopic(DEMO_DEVICE.id, 'state'), JSON.stringify({ state: { compressor: true } }), { qos: 1 })
    await device.publishAsync(deviceTopic(DEMO_DEVICE.id, 'telemetry'), '{ not json', { qos: 1 })

    const one = await t.api('GET', '/api/devices/camara-1')
    expect(one.status).toBe(200)
    expect(one.body).toMatchObject({
      online: true,
      readings: { temperature_c: { value: 4.2, time: ts, seq: 1 } },
      state: { compressor: { value: true, seq: 2 } },
      rejected: { total: 1, byReason: { bad_json: 1 } },
    })
    expect(one.body.lastSeenAt).toBeGreaterThanOrEqual(ts)

    const state = await t.api('GET', '/api/state')
    expect(state.body.devices['camara-1'].readings.temperature_c.value).toBe(4.2)
    expect(state.body.devices['camara-2']).toMatchObject({ online: false, readings: {} })
    expect(state.body.namedStates).toEqual({})

    await device.endAsync()
    await waitFor(() => t!.gw.broker.clientCount() === 0)
    expect((await t.api('GET', '/api/devices/camara-1')).body.online).toBe(false)
    expect(await t.api('GET', '/api/devices/nadie')).toMatchObject({ status: 404, body: { error: { code: 'DEVICE_ERR_NOT_FOUND' } } })
  })

  it('reports log size, oldest event and how far the uplink is behind', async () => {
    t = await startApiGateway()
    const device = await t.connect(DEMO_DEVICE.id, DEMO_DEVICE.password)
    const ts = Date.now() - 2000
    for (const v of [3, 3.5, 4])
      await device.publishAsync(deviceTopic(DEMO_DEVICE.id, 'telemetry'), JSON.stringify({ ts, readings: { temperature_c: v } }), { qos: 1 })
    // The test cloud URL answers nothing: everything stays unsent.
    const { status, body } = await t.api('GET', '/api/log/stats')
    expect(status).toBe(200)
    expect(body).toMatchObject({ eventCount: 3, lastSeq: 3, oldest: { seq: 1, time: ts }, sync: { ackedSeq: 0, lagEvents: 3, lastContactAt: null } })
    expect(body.sizeBytes.file).toBeGreaterThan(0)
    expect(body.sizeBytes.used).toBeGreaterThan(0)
    expect(body.sync.oldestUnsentAt).toBeGreaterThan(0)
    expect(body.sync.lagSeconds).toBeGreaterThanOrEqual(0)
    expect(body.budget).toEqual({ downsampled: 0, rollups: 0, dropped: 0, droppedTotal: 0, gaps: 0, lastAt: null, active: false })
  })
})

describe('local API bad input', () => {
  it('answers malformed JSON, huge bodies, wrong types and unknown routes with coded errors and keeps running', async () => {
    t = await startApiGateway()
    expect(await t.api('POST', '/api/rules', '{ "id": ')).toMatchObject({ status: 400, body: { error: { code: 'API_ERR_BAD_REQUEST' } } })
    const huge = JSON.stringify({ id: 'x', description: 'a'.repeat(200_000) })
    expect(await t.api('POST', '/api/rules', huge)).toMatchObject({ status: 413, body: { error: { code: 'API_ERR_BODY_TOO_LARGE' } } })
    expect(await t.api('GET', '/api/alarms?state=bogus')).toMatchObject({ status: 400, body: { error: { path: '/state' } } })
    expect(await t.api('POST', '/api/alarms/x/ack', { by: 7 })).toMatchObject({ status: 400, body: { error: { path: '/by' } } })
    expect(await t.api('POST', '/api/alarms/x/ack', { by: 'ana', extra: true })).toMatchObject({ status: 400, body: { error: { path: '/extra' } } })
    expect(await t.api('GET', '/api/nothing-here')).toMatchObject({ status: 404, body: { error: { code: 'API_ERR_NOT_FOUND' } } })
    const proto = '{ "id": "x", "__proto__": { "admin": true } }'
    expect((await t.api('POST', '/api/rules', proto)).status).toBe(400)
    const health = await t.api('GET', '/health', undefined, null)
    expect(health).toMatchObject({ status: 200, body: { status: 'ok' } })
  })
})

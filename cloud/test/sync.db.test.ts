import type { AddressInfo } from 'node:net'
import type { SyncStatus } from '@tendero/protocol'
import { io as connectSocketIo, type Socket } from 'socket.io-client'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { WebSocket } from 'ws'
import { onGatewayMessage } from '../src/modules/fleet/service.js'
import { DEMO } from '../src/seed.js'
import { addDemoGateway, addOrganization, buildTestApp, ingest, loginDemo, telemetryEvent, type TestApp } from './support/app.js'
import { testDrivers } from './support/drivers.js'

const status = (overrides: Partial<SyncStatus> = {}): SyncStatus => ({
  at: Date.now() - 1500,
  lastSeq: 120,
  lagEvents: 20,
  lagSeconds: 42.5,
  oldestUnsentAt: Date.now() - 42_500,
  eventsPerDay: 86_400,
  bufferDaysLeft: 12.5,
  usedBytes: 1_000_000,
  maxBytes: 50_000_000,
  quarantinedTotal: 1,
  droppedTotal: 300,
  clockSynced: false,
  ...overrides,
})

describe.each(testDrivers())('sync visibility on %s', (driver) => {
  let t: TestApp
  let token: string
  let baseUrl: string
  const closers: (() => void)[] = []
  const get = (url: string) => t.app.inject({ url, headers: { authorization: `Bearer ${token}` } })
  const siteGateway = async (gatewayId: string) =>
    (await get(`/api/sites/${DEMO.site.id}`)).json().gateways.find((g: { id: string }) => g.id === gatewayId)

  beforeAll(async () => {
    t = await buildTestApp(driver)
    await t.app.listen({ port: 0, host: '127.0.0.1' })
    baseUrl = `127.0.0.1:${(t.app.server.address() as AddressInfo).port}`
    token = await loginDemo(t.app)
  })
  afterAll(async () => {
    for (const close of closers) close()
    await t?.close()
  })

  it('answers GET /api/time without auth, and puts serverTime in every ingest ack', async () => {
    const before = Date.now()
    const res = await t.app.inject({ url: '/api/time' })
    expect(res.statusCode).toBe(200)
    expect(Object.keys(res.json())).toEqual(['serverTime'])
    expect(res.json().serverTime).toBeGreaterThanOrEqual(before)
    expect(res.json().serverTime).toBeLessThanOrEqual(Date.now())

    const { gatewayId, gatewayKey } = await addDemoGateway(t.app)
    const ack = (await ingest(t.app, gatewayKey, gatewayId, [telemetryEvent(1, { temperature_c: 4 })])).json()
    expect(ack.serverTime).toBeGreaterThanOrEqual(before)
    expect(ack.serverTime).toBeLessThanOrEqual(Date.now())
  })

  it('shows nothing reported and no contact for a gateway that never spoke', async () => {
    const { gatewayId } = await addDemoGateway(t.app)
    const expected = { id: gatewayId, siteId: DEMO.site.id, name: gatewayId, online: false, lastSeenAt: null,
      lastContactAt: null, ackSeq: 0, quarantinedTotal: 0, sync: null }
    expect(await siteGateway(gatewayId)).toEqual(expected)
    expect((await get(`/api/gateways/${gatewayId}/sync`)).json()).toEqual(expected)
  })

  it('stores the latest sync.status and shows it with what the cloud knows itself', async () => {
    const { gatewayId, gatewayKey } = await addDemoGateway(t.app)
    const poison = { ...telemetryEvent(2, {}), body: { readings: { temperature_c: 'hot' } } }
    await ingest(t.app, gatewayKey, gatewayId, [telemetryEvent(1, { temperature_c: 4 }), poison, telemetryEvent(3, { t: 1 })])

    const first = status({ lagEvents: 99 })
    const latest = status({ influxLagEvents: 7 })
    const before = Date.now()
    await onGatewayMessage(t.app.db, gatewayId, { type: 'sync.status', status: first })
    await onGatewayMessage(t.app.db, gatewayId, { type: 'sync.status', status: latest })

    const view = (await get(`/api/gateways/${gatewayId}/sync`)).json()
    expect(view).toEqual({
      id: gatewayId, siteId: DEMO.site.id, name: gatewayId, online: false, lastSeenAt: expect.any(Number),
      lastContactAt: expect.any(Number), ackSeq: 3, quarantinedTotal: 1,
      sync: {
        reportedAt: expect.any(Number), gatewayTime: latest.at, lastSeq: 120, lagEvents: 20, lagSeconds: 42.5,
        oldestUnsentAt: latest.oldestUnsentAt, eventsPerDay: 86_400, bufferDaysLeft: 12.5, usedBytes: 1_000_000,
        maxBytes: 50_000_000, quarantinedTotal: 1, droppedTotal: 300, clockSynced: false, influxLagEvents: 7,
      },
    })
    // Timestamps are the cloud's (database) clock; allow for a little skew against this process.
    expect(view.sync.reportedAt).toBeGreaterThanOrEqual(before - 1000)
    expect(view.lastContactAt).toBeGreaterThanOrEqual(view.lastSeenAt)
    expect(await siteGateway(gatewayId)).toEqual(view)

    // Without an InfluxDB sink the gateway leaves the field out: null, not missing.
    await onGatewayMessage(t.app.db, gatewayId, { type: 'sync.status', status: status() })
    expect((await get(`/api/gateways/${gatewayId}/sync`)).json().sync.influxLagEvents).toBeNull()
  })

  it('counts any channel message as contact', async () => {
    const { gatewayId } = await addDemoGateway(t.app)
    await onGatewayMessage(t.app.db, gatewayId, { type: 'config.status', version: 1, ok: true, running: 1 })
    const view = (await get(`/api/gateways/${gatewayId}/sync`)).json()
    expect(view).toMatchObject({ lastSeenAt: null, lastContactAt: expect.any(Number), sync: null })
  })

  it("answers 404 GATEWAY_NOT_FOUND for another organization's gateway or an unknown one, 401 without a token", async () => {
    const other = await addOrganization(t.app)
    await onGatewayMessage(t.app.db, other.gatewayId, { type: 'sync.status', status: status() })
    for (const id of [other.gatewayId, 'gw-nobody']) {
      const res = await get(`/api/gateways/${id}/sync`)
      expect(res.statusCode).toBe(404)
      expect(res.json().error.code).toBe('GATEWAY_NOT_FOUND')
    }
    expect((await t.app.inject({ url: `/api/gateways/${DEMO.gateway.id}/sync` })).statusCode).toBe(401)
  })

  it('tracks the open channel as online and pushes gateway.sync to the site room', async () => {
    const { gatewayId, gatewayKey } = await addDemoGateway(t.app)
    const socket: Socket = connectSocketIo(`http://${baseUrl}`, { auth: { token }, transports: ['websocket'],
      reconnection: false, forceNew: true })
    closers.push(() => socket.disconnect())
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve)
      socket.once('connect_error', reject)
    })
    expect(await socket.timeout(5000).emitWithAck('site:join', DEMO.site.id)).toEqual({ ok: true })
    const pushes: { gatewayId: string; online: boolean; sync: { lagEvents: number } | null }[] = []
    socket.on('gateway.sync', (payload) => {
      if (payload.gatewayId === gatewayId) pushes.push(payload)
    })

    const ws = new WebSocket(`ws://${baseUrl}/api/gateway/channel`, { headers: { authorization: `Bearer ${gatewayKey}` } })
    closers.push(() => ws.terminate())
    await new Promise((resolve, reject) => {
      ws.once('open', resolve)
      ws.once('error', reject)
    })
    await vi.waitFor(async () => expect(await siteGateway(gatewayId)).toMatchObject({ online: true, lastContactAt: expect.any(Number) }))

    // A malformed status is ignored; the good one after it is stored and pushed.
    ws.send(JSON.stringify({ type: 'sync.status', status: { ...status(), lagEvents: -1 } }))
    ws.send(JSON.stringify({ type: 'sync.status', status: status({ lagEvents: 5 }) }))
    await vi.waitFor(() => expect(pushes.at(-1)).toMatchObject({ siteId: DEMO.site.id, gatewayId, id: gatewayId,
      online: true, sync: { lagEvents: 5 } }))
    expect(pushes.filter((p) => p.sync?.lagEvents === -1)).toEqual([])
    expect((await get(`/api/gateways/${gatewayId}/sync`)).json()).toMatchObject({ online: true, sync: { lagEvents: 5 } })

    ws.close()
    await vi.waitFor(async () => expect((await get(`/api/gateways/${gatewayId}/sync`)).json().online).toBe(false))
    await vi.waitFor(() => expect(pushes.at(-1)).toMatchObject({ gatewayId, online: false, sync: { lagEvents: 5 } }))
  })

  it('keeps a gateway online when a stale channel of it closes after a reconnect replaced it', async () => {
    const { gatewayId, gatewayKey } = await addDemoGateway(t.app)
    const open = async () => {
      const ws = new WebSocket(`ws://${baseUrl}/api/gateway/channel`, { headers: { authorization: `Bearer ${gatewayKey}` } })
      closers.push(() => ws.terminate())
      await new Promise((resolve, reject) => {
        ws.once('open', resolve)
        ws.once('error', reject)
      })
      return ws
    }
    const stale = await open()
    const closed = new Promise((resolve) => stale.once('close', resolve))
    await open()
    await closed
    // Give the server's close handler for the stale socket time to run.
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect((await get(`/api/gateways/${gatewayId}/sync`)).json().online).toBe(true)
  })
})

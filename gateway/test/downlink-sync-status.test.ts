import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocketServer, type WebSocket } from 'ws'
import { deviceTopic, downlinkValidators, type SyncStatus } from '@tendero/protocol'
import { CHANNEL_PATH } from '../src/downlink/downlink.js'
import { DEMO_DEVICE, startTestGateway, testSite, type TestGateway } from './harness.js'
import { eventually, startCloud, startCloudGateway, type CloudGateway, type TestCloud } from './downlink-harness.js'

/**
 * The shape and pacing of `sync.status` on the channel, against a stand-in channel
 * endpoint that records frames; its ingest answers 503, so the uplink falls behind as
 * devices report. Then once end to end: the real cloud stores it and its API shows it.
 */
interface Frame {
  connection: number
  message: { type: string; status?: SyncStatus }
}

async function fakeChannel() {
  const frames: Frame[] = []
  const sockets: WebSocket[] = []
  const wss = new WebSocketServer({ noServer: true })
  const server: Server = createServer((_req, res) => res.writeHead(503).end())
  server.on('upgrade', (req, socket, head) => {
    if (req.url !== CHANNEL_PATH || req.headers.authorization !== 'Bearer sync-key') return socket.destroy()
    wss.handleUpgrade(req, socket, head, (ws) => {
      const connection = sockets.push(ws)
      ws.on('message', (data) => frames.push({ connection, message: JSON.parse(String(data)) }))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    frames,
    sockets,
    async close() {
      for (const ws of sockets) ws.terminate()
      wss.close()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

let g: TestGateway | undefined
let channel: Awaited<ReturnType<typeof fakeChannel>> | undefined
afterEach(async () => {
  await g?.close()
  await channel?.close()
  g = channel = undefined
})

describe('downlink: sync status on the channel', () => {
  it('sends sync.status on connect and on every interval, with the uplink lag growing while the cloud refuses', async () => {
    channel = await fakeChannel()
    const every = 150
    g = await startTestGateway({
      config: { cloud: { url: channel.url, gatewayKey: 'sync-key' } },
      gateway: { downlink: { syncStatusEveryMs: every, backoffBaseMs: 20, backoffCapMs: 100 } },
    })
    const first = await eventually(() => channel!.frames[0], 'the first frame')
    expect(first).toMatchObject({ connection: 1, message: { type: 'sync.status' } })
    expect(downlinkValidators.upstream.explain(first.message)).toEqual([])
    expect(first.message.status).toMatchObject({ clockSynced: true, quarantinedTotal: 0, droppedTotal: 0, maxBytes: expect.any(Number) })
    expect(first.message.status!.usedBytes).toBeGreaterThan(0)

    const device = await g.connect(DEMO_DEVICE.id, DEMO_DEVICE.password)
    for (let i = 0; i < 5; i++)
      await device.publishAsync(deviceTopic(DEMO_DEVICE.id, 'telemetry'), JSON.stringify({ readings: { temperature_c: 4 + i / 10 } }), { qos: 1 })
    const behind = await eventually(
      () => channel!.frames.map((f) => f.message.status!).find((s) => s.lagEvents >= 5),
      'a status showing the unsent readings',
    )
    expect(behind.lastSeq).toBeGreaterThanOrEqual(5)
    expect(behind.oldestUnsentAt).toEqual(expect.any(Number))
    expect(behind.lagSeconds).toBeGreaterThanOrEqual(0)
    expect(behind.at - behind.oldestUnsentAt!).toBeLessThan(10_000)
    for (const f of channel.frames) expect(downlinkValidators.upstream.explain(f.message)).toEqual([])

    // Paced by the interval: a few frames per period of time, not one per event.
    const count = channel.frames.length
    await new Promise((r) => setTimeout(r, every * 4))
    const added = channel.frames.length - count
    expect(added).toBeGreaterThanOrEqual(2)
    expect(added).toBeLessThanOrEqual(6)

    // A new connection gets one right away.
    channel.sockets[0]!.terminate()
    const reopened = await eventually(() => channel!.frames.find((f) => f.connection === 2), 'a status on the second connection')
    expect(reopened.message.type).toBe('sync.status')
    expect(reopened.message.status!.lastSeq).toBeGreaterThanOrEqual(behind.lastSeq)

    // Nothing after the gateway stops.
    await g.gw.stop()
    const final = channel.frames.length
    await new Promise((r) => setTimeout(r, every * 3))
    expect(channel.frames.length).toBe(final)
  })
})

describe('downlink: sync status in the real cloud', () => {
  let cloud: TestCloud | undefined
  let gateway: CloudGateway | undefined
  let dataDir: string | undefined
  afterEach(async () => {
    await gateway?.stop()
    await cloud?.close()
    if (dataDir) rmSync(dataDir, { recursive: true, force: true })
    gateway = cloud = dataDir = undefined
  })

  it("shows the gateway's report in GET /api/gateways/:id/sync, caught up once the uplink has delivered", async () => {
    cloud = await startCloud()
    const { gatewayId, gatewayKey } = await cloud.registerGateway()
    const site = await testSite((s) => {
      s.gatewayId = gatewayId
    })
    dataDir = mkdtempSync(join(tmpdir(), 'tendero-sync-status-'))
    gateway = await startCloudGateway(site, { dataDir, cloudUrl: cloud.url, gatewayKey, gateway: { downlink: { syncStatusEveryMs: 200 } } })
    const device = await gateway.device(DEMO_DEVICE)
    for (let i = 0; i < 5; i++)
      await device.client.publishAsync(deviceTopic(DEMO_DEVICE.id, 'telemetry'), JSON.stringify({ readings: { temperature_c: 4 } }), { qos: 1 })
    const gw = gateway.gw
    const view = await eventually(async () => {
      const res = await cloud!.api('GET', `/api/gateways/${gatewayId}/sync`)
      const body = res.json()
      return body.sync && body.sync.lastSeq >= 5 && body.sync.lagEvents === 0 ? body : undefined
    }, 'a caught-up report in the cloud')
    const local = gw.log.status()
    expect(view).toMatchObject({ id: gatewayId, online: true, lastContactAt: expect.any(Number) })
    expect(view.sync).toMatchObject({
      lagSeconds: 0, oldestUnsentAt: null, quarantinedTotal: 0, droppedTotal: 0, clockSynced: true, influxLagEvents: null, maxBytes: local.maxBytes,
    })
    expect(view.sync.lastSeq).toBeLessThanOrEqual(gw.log.lastSeq())
    expect(view.sync.usedBytes).toBeGreaterThan(0)
    expect(Math.abs(view.sync.reportedAt - view.sync.gatewayTime)).toBeLessThan(5_000)
  }, 60_000)
})

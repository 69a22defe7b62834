import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { connect, createServer, type AddressInfo, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import mqtt from 'mqtt'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deviceTopic } from '@tendero/protocol'
import { buildApp } from '../../cloud/src/app.js'
import { DEMO } from '../../cloud/src/seed.js'
import { buildGateway, type Gateway, type GatewayOptions } from '../src/gateway.js'
import { UPLINK_CURSOR } from '../src/uplink/uploader.js'
import { DEMO_DEVICE, testConfig, testSite } from './harness.js'

// A gateway whose system clock is 3 hours slow records events while the cloud is down,
// over two boots; then the real cloud (Fastify + PGlite, in process) comes up on the
// port the gateway was trying. Events of the current boot must arrive re-stamped with
// true time and clockSynced; the earlier boot's cannot be, and arrive flagged.
const KEY = 'clock-cloud-test-key-0123456789ab'
const TOKEN = 'clock-cloud-technician-token'
const SKEW = -3 * 3600_000
const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' })
let dir: string
let cloud: FastifyInstance
let cloudPort: number | undefined
/**
 * The gateway's way to the cloud: a TCP gate on a port held for the whole test, that
 * refuses connections until the cloud listens and then forwards to it. (Reserving a
 * port and binding the cloud to it later could race with other suites' servers.)
 */
let gate: Server
let gatePort: number
const gateways: Gateway[] = []

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tendero-clock-cloud-'))
  gate = createServer((socket) => {
    if (cloudPort === undefined) return socket.destroy()
    const upstream = connect(cloudPort, '127.0.0.1')
    socket.pipe(upstream).pipe(socket)
    socket.on('error', () => upstream.destroy())
    upstream.on('error', () => socket.destroy())
  })
  await new Promise<void>((r) => gate.listen(0, '127.0.0.1', r))
  gatePort = (gate.address() as AddressInfo).port
  cloud = await buildApp({
    port: 0, host: '127.0.0.1', database: { driver: 'pglite', dataDir: join(dir, 'pglite') }, dataDir: join(dir, 'cloud'),
    jwtSecret: randomBytes(32).toString('hex'), dashboardDir: join(dir, 'none'), demoGatewayKey: KEY, seedDemo: true, logLevel: 'silent',
  })
  // PGlite's migrations take seconds on a busy machine.
}, 60_000)
afterAll(async () => {
  for (const gw of gateways) await gw.stop()
  await cloud?.close()
  await new Promise((r) => gate?.close(r))
  rmSync(dir, { recursive: true, force: true })
})

async function waitFor(probe: () => unknown, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error('waitFor: timed out')
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe('clock trust against the cloud', () => {
  it('re-stamps events recorded before the clock synced; an earlier boot stays flagged', async () => {
    const site = await testSite()
    const config = testConfig(site, join(dir, 'gateway'), {
      api: { host: '127.0.0.1', port: 0, token: TOKEN },
      cloud: { url: `http://127.0.0.1:${gatePort}`, gatewayKey: KEY },
      clockSynced: false,
      clock: { mode: 'auto' },
    })
    const options: GatewayOptions = {
      logger,
      now: () => Date.now() + SKEW,
      uplink: { idleMs: 20, backoffBaseMs: 20, backoffCapMs: 100 },
      // NTP is out of the picture whatever the machine running the test says. A sample's
      // error is at most half its round trip: 2 s at most here, even on a loaded machine.
      clock: { ntpStatus: async () => 'unavailable', cloudRetryBaseMs: 50, cloudRetryCapMs: 200, maxRttMs: 4000 },
    }
    /** Publishes readings (QoS 1: resolved once logged) and returns the true time around each. */
    const record = async (mqttPort: number, count: number, ts?: number) => {
      const device = await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, {
        clientId: DEMO_DEVICE.id, username: DEMO_DEVICE.id, password: DEMO_DEVICE.password, reconnectPeriod: 0,
      })
      const times: { before: number; after: number }[] = []
      for (let i = 0; i < count; i++) {
        const before = Date.now()
        await device.publishAsync(deviceTopic(DEMO_DEVICE.id, 'telemetry'), JSON.stringify({ readings: { temperature_c: 4 }, ...(ts ? { ts } : {}) }), { qos: 1 })
        times.push({ before, after: Date.now() })
        await new Promise((r) => setTimeout(r, 50))
      }
      await device.endAsync()
      return times
    }

    // Boot 1: cloud down, clock unsynced; then the gateway restarts.
    const first = buildGateway(config, options)
    gateways.push(first)
    const bootOne = await record((await first.start()).mqttPort, 3)
    await first.stop()

    // Boot 2: still down. Events, one of them with the device's own (true) timestamp.
    const gw = buildGateway(config, options)
    gateways.push(gw)
    const { mqttPort, apiPort } = await gw.start()
    const bootTwo = await record(mqttPort, 3)
    const deviceTs = Date.now() - 1234
    await record(mqttPort, 1, deviceTs)
    await new Promise((r) => setTimeout(r, 300))
    expect(gw.clock.synced()).toBe(false)
    expect(gw.log.read(0, 100).filter((e) => e.clockSynced)).toEqual([])
    expect(gw.log.getCursor(UPLINK_CURSOR)).toBe(0)

    // The cloud comes up.
    await cloud.listen({ port: 0, host: '127.0.0.1' })
    cloudPort = (cloud.server.address() as AddressInfo).port
    await waitFor(() => gw.log.lastSeq() > 0 && gw.log.getCursor(UPLINK_CURSOR) === gw.log.lastSeq())

    const rows = (await cloud.db.selectFrom('events').selectAll().where('gateway_id', '=', DEMO.gateway.id).orderBy('seq').execute()).map((r) => ({
      seq: Number(r.seq), bootId: r.boot_id, time: new Date(r.time).getTime(), receivedAt: new Date(r.received_at).getTime(), clockSynced: r.clock_synced, kind: r.kind,
    }))
    expect(rows).toHaveLength(gw.log.lastSeq())
    const telemetry = (bootId: string) => rows.filter((r) => r.bootId === bootId && r.kind === 'telemetry')
    const [one, two] = [telemetry(first.bootId), telemetry(gw.bootId)]
    expect([one.length, two.length]).toEqual([3, 4])

    // The earlier boot has no monotonic link to this boot's sync: flagged, at the slow clock's time.
    for (const [i, r] of one.entries()) {
      expect(r.clockSynced).toBe(false)
      expect(r.time).toBeGreaterThanOrEqual(bootOne[i]!.before + SKEW)
      expect(r.time).toBeLessThanOrEqual(bootOne[i]!.after + SKEW)
    }
    // This boot's events arrive re-stamped (the very first batch: the cloud keeps the first copy
    // it gets of a seq) with true time, within the sample's error.
    expect(rows.filter((r) => r.bootId === gw.bootId && !r.clockSynced)).toEqual([])
    for (const [i, r] of two.slice(0, 3).entries()) {
      expect(r.time).toBe(r.receivedAt)
      expect(r.receivedAt).toBeGreaterThanOrEqual(bootTwo[i]!.before - 2000)
      expect(r.receivedAt).toBeLessThanOrEqual(bootTwo[i]!.after + 2000)
    }
    expect(two[3]!.time).toBe(deviceTs)
    expect(Math.abs(two[3]!.receivedAt - deviceTs)).toBeLessThan(3000)

    // The technician sees the clock synced by the cloud, 3 hours ahead of the system clock.
    const health = (await (await fetch(`http://127.0.0.1:${apiPort}/health`)).json()) as { clock: Record<string, unknown> }
    expect(health.clock).toMatchObject({ mode: 'auto', synced: true, source: 'cloud', restamped: rows.filter((r) => r.bootId === gw.bootId).length })
    expect(Math.abs((health.clock.offsetMs as number) + SKEW)).toBeLessThanOrEqual(2000)
    const stats = (await (await fetch(`http://127.0.0.1:${apiPort}/api/log/stats`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as {
      clock: Record<string, unknown>
    }
    expect(stats.clock).toMatchObject({ synced: true, source: 'cloud', lastSampleAt: expect.any(Number) })
    // And new events are stamped with true time.
    const [live] = await record(mqttPort, 1)
    const latest = gw.log.read(gw.log.lastSeq() - 1, 1)[0]!
    expect(latest.clockSynced).toBe(true)
    expect(latest.receivedAt).toBeGreaterThanOrEqual(live!.before - 2000)
    expect(latest.receivedAt).toBeLessThanOrEqual(live!.after + 2000)
  })
})

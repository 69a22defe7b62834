/**
 * Issue 4, required test 4 (disk budget): a real gateway with a small log budget and no
 * cloud, devices publishing over real MQTT, readings that raise alarms. Reaching the
 * budget downsamples the oldest readings and writes gap events, and every alarm stays.
 * Then the real cloud (Fastify + PGlite) comes up on the address the gateway was given,
 * and every alarm, gap event and rollup arrives exactly once, the absent seqs are
 * stepped over, and the uplink cursor reaches the last seq.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { connect, createServer, type AddressInfo, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import type { MqttClient } from 'mqtt'
import { afterAll, describe, expect, it } from 'vitest'
import { deviceTopic, type LogEvent } from '@tendero/protocol'
import { buildApp } from '../../cloud/src/app.js'
import { DEMO } from '../../cloud/src/seed.js'
import { UPLINK_CURSOR } from '../src/uplink/uploader.js'
import { DEMO_DEVICE, OTHER_DEVICE, startTestGateway, testSite, waitFor, type TestGateway } from './harness.js'

const KEY = 'budget-cloud-test-key-0123456789'
const BUDGET = 1024 * 1024
/** Device seconds per device: 2 × 6000 readings of ~100-byte bodies, close to three budgets raw. */
const SECONDS = 6000
/** camara-1 spikes above 8 °C for one reading every this many seconds: one raise, one clear. */
const SPIKE_EVERY = 90

let t: TestGateway | undefined
let cloud: FastifyInstance | undefined
let gate: Server | undefined
const dir = mkdtempSync(join(tmpdir(), 'tendero-budget-cloud-'))

afterAll(async () => {
  await t?.close()
  await cloud?.close()
  await new Promise((r) => (gate ? gate.close(r) : r(undefined)))
  rmSync(dir, { recursive: true, force: true })
})

/**
 * The gateway's way to the cloud: a port held for the whole test that drops every
 * connection until the cloud listens, then forwards to it. (A port reserved for the
 * cloud to bind later could be taken meanwhile by another suite's server.)
 */
async function cloudGate(): Promise<{ port: number; open(cloudPort: number): void }> {
  let upstreamPort: number | undefined
  gate = createServer((socket) => {
    if (upstreamPort === undefined) return socket.destroy()
    const upstream = connect(upstreamPort, '127.0.0.1')
    socket.pipe(upstream).pipe(socket)
    socket.on('error', () => upstream.destroy())
    upstream.on('error', () => socket.destroy())
  })
  await new Promise<void>((r) => gate!.listen(0, '127.0.0.1', r))
  return { port: (gate.address() as AddressInfo).port, open: (port) => (upstreamPort = port) }
}

/** QoS 1 in a window, so the log (not the test) sets the pace; each resolves once on disk. */
async function publishAll(client: MqttClient, payloads: string[], topic: string): Promise<void> {
  let next = 0
  const worker = async () => {
    while (next < payloads.length) await client.publishAsync(topic, payloads[next++]!, { qos: 1 })
  }
  await Promise.all(Array.from({ length: 128 }, worker))
}

const rows = (events: LogEvent[], kind: LogEvent['kind']) => events.filter((e) => e.kind === kind)

describe('disk budget with the cloud unreachable, then back', () => {
  it('downsamples and marks gaps at the budget, keeps every alarm, and delivers it all once the cloud is up', { timeout: 120_000 }, async () => {
    const link = await cloudGate()
    // Built now (PGlite and migrations take a while) but listening only once the budget has acted.
    const building = buildApp({
      port: 0, host: '127.0.0.1', database: { driver: 'pglite', dataDir: join(dir, 'pglite') }, dataDir: join(dir, 'cloud'),
      jwtSecret: randomBytes(32).toString('hex'), dashboardDir: join(dir, 'none'), demoGatewayKey: KEY, seedDemo: true, logLevel: 'silent',
    })
    building.catch(() => {}) // awaited below; a failure must not go unhandled meanwhile
    const site = await testSite((s) => {
      s.rules = [{
        id: 'camara-alta',
        when: { kind: 'threshold', deviceId: 'camara-1', metric: 'temperature_c', above: 8, forSeconds: 0 },
        alarm: { severity: 'critical', message: 'Cámara sobre 8 °C / Cold room above 8 °C' },
        actions: [],
      }]
    })
    t = await startTestGateway({
      site,
      config: {
        // Every connection is dropped until the cloud is started below.
        cloud: { url: `http://127.0.0.1:${link.port}`, gatewayKey: KEY },
        log: { retention: { maxBytes: BUDGET, maxAgeMs: 0 } },
        // A backlog replay at full speed, as a node's ring buffer would send it.
        security: { messagesPerSecond: 0 },
      },
      gateway: { uplink: { backoffBaseMs: 100, backoffCapMs: 400, idleMs: 50 } },
    })
    const { log } = t.gw

    // Device time starts three hours ago, one reading a second per device.
    const start = Math.floor((Date.now() - 3 * 3600_000) / 60_000) * 60_000
    const cold: string[] = []
    const other: string[] = []
    for (let s = 0; s < SECONDS; s++) {
      const ts = start + s * 1000
      const spike = s % SPIKE_EVERY === SPIKE_EVERY / 2
      cold.push(JSON.stringify({ ts, seq: s, readings: { temperature_c: spike ? 10 : 3 + (s % 7) / 10, humidity_pct: 80 + (s % 5), door_open: s % 600 < 20 ? 1 : 0 } }))
      other.push(JSON.stringify({ ts, seq: s, readings: { temperature_c: -18 + (s % 9) / 10, power_w: 400 + (s % 50), door_open: 0 } }))
    }
    const [a, b] = await Promise.all([t.connect(DEMO_DEVICE.id, DEMO_DEVICE.password), t.connect(OTHER_DEVICE.id, OTHER_DEVICE.password)])
    await Promise.all([
      publishAll(a, cold, deviceTopic(DEMO_DEVICE.id, 'telemetry')),
      publishAll(b, other, deviceTopic(OTHER_DEVICE.id, 'telemetry')),
    ])
    const spikes = Math.ceil((SECONDS - SPIKE_EVERY / 2) / SPIKE_EVERY)
    // The rules log an alarm change just after the reading that caused it commits.
    await waitFor(() => rows(log.read(0, 1_000_000), 'alarm').length >= 2 * spikes, 20_000)
    await waitFor(() => log.status().usedBytes <= BUDGET && log.status().budget.downsampled > 0, 20_000)

    // At the budget, with the cloud unreachable: history thinned, gaps marked, alarms whole.
    const offline = log.read(0, 1_000_000)
    const status = log.status()
    expect(t.gw.uplink.status()).toMatchObject({ ackedSeq: 0, lastSuccessAt: null })
    expect(t.gw.uplink.status().lastError).not.toBeNull()
    expect(status.budget.gaps).toBeGreaterThan(0)
    expect(rows(offline, 'gap').length).toBe(status.budget.gaps)
    expect(rows(offline, 'gap').every((g) => g.kind === 'gap' && g.deviceId === site.gatewayId)).toBe(true)
    expect(rows(offline, 'rollup').length).toBeGreaterThan(100)
    // Far fewer rows than readings: most of the history is per-minute rollups now.
    expect(rows(offline, 'telemetry').length).toBeLessThan(SECONDS)
    const alarms = rows(offline, 'alarm')
    expect(alarms.map((e) => (e.kind === 'alarm' ? e.body.state : ''))).toEqual(Array.from({ length: 2 * spikes }, (_, i) => (i % 2 ? 'cleared' : 'raised')))
    // Every seq up to lastSeq is a row or an absent range reported for it.
    const absent = log.absentRanges(0, log.lastSeq(), 100_000)
    const absentSeqs = absent.reduce((n, [from, to]) => n + to - from + 1, 0)
    expect(offline.length + absentSeqs).toBe(log.lastSeq())
    expect(absentSeqs).toBe(status.budget.droppedTotal)

    // The cloud comes up where the gateway has been knocking.
    cloud = await building
    await cloud.listen({ port: 0, host: '127.0.0.1' })
    link.open((cloud.server.address() as AddressInfo).port)
    await waitFor(() => log.getCursor(UPLINK_CURSOR) === log.lastSeq(), 60_000)

    const kept = log.read(0, 1_000_000)
    const stored = await cloud.db
      .selectFrom('events')
      .select(['seq', 'kind', 'device_id', 'body'])
      .where('gateway_id', '=', DEMO.gateway.id)
      .orderBy('seq')
      .execute()
    const inCloud = new Map(stored.map((r) => [Number(r.seq), { kind: r.kind, deviceId: r.device_id, body: typeof r.body === 'string' ? JSON.parse(r.body) : r.body }]))
    // Exactly what the log holds, once each: no absent seq was invented, none is missing.
    expect([...inCloud.keys()]).toEqual(kept.map((e) => e.seq))
    for (const e of kept) expect(inCloud.get(e.seq), `seq ${e.seq} (${e.kind})`).toEqual({ kind: e.kind, deviceId: e.deviceId, body: e.body })
    // Every alarm the gateway raised and cleared offline is there, body for body.
    for (const e of alarms) expect(inCloud.get(e.seq)).toEqual({ kind: 'alarm', deviceId: e.deviceId, body: e.body })
    expect([...inCloud.values()].filter((e) => e.kind === 'gap').length).toBe(log.status().budget.gaps)
    expect([...inCloud.values()].filter((e) => e.kind === 'rollup').length).toBe(rows(kept, 'rollup').length)
    const gatewayRow = await cloud.db.selectFrom('gateways').select('ack_seq').where('id', '=', DEMO.gateway.id).executeTakeFirstOrThrow()
    expect(Number(gatewayRow.ack_seq)).toBe(log.lastSeq())
    expect(t.gw.uplink.status()).toMatchObject({ lag: 0, lastError: null })
  })
})

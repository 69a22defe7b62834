import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { pino } from 'pino'
import { buildApp } from '../../cloud/src/app.js'
import { DEMO } from '../../cloud/src/seed.js'
import { EventLog } from '../src/log/event-log.js'
import { Uploader, UPLINK_CURSOR } from '../src/uplink/uploader.js'

// The uplink against the real cloud (Fastify + PGlite) over real HTTP on an ephemeral port.
const KEY = 'uplink-cloud-test-key-0123456789'
let dir: string
let cloud: FastifyInstance
let cloudUrl: string
let log: EventLog
let uploader: Uploader | undefined
let n = 0

async function waitFor(probe: () => unknown, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error('waitFor: timed out')
    await new Promise((r) => setTimeout(r, 10))
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tendero-uplink-cloud-'))
  cloud = await buildApp({
    port: 0, host: '127.0.0.1', database: { driver: 'pglite', dataDir: join(dir, 'pglite') }, dataDir: join(dir, 'cloud'),
    jwtSecret: randomBytes(32).toString('hex'), dashboardDir: join(dir, 'none'), demoGatewayKey: KEY, seedDemo: true, logLevel: 'silent',
  })
  await cloud.listen({ port: 0, host: '127.0.0.1' })
  const address = cloud.server.address()
  if (!address || typeof address === 'string') throw new Error('no port')
  cloudUrl = `http://127.0.0.1:${address.port}`
  // PGlite and the cloud's migrations take well over the default 10 s on a busy 2-core box.
}, 60_000)
afterAll(async () => {
  await cloud?.close()
  rmSync(dir, { recursive: true, force: true })
})

beforeEach(async () => {
  // Each test is a fresh gateway identity so the cloud's watermark starts at 0.
  await cloud.db.deleteFrom('events').where('gateway_id', '=', DEMO.gateway.id).execute()
  await cloud.db.deleteFrom('quarantined_events').where('gateway_id', '=', DEMO.gateway.id).execute()
  await cloud.db.updateTable('gateways').set({ ack_seq: 0 }).where('id', '=', DEMO.gateway.id).execute()
  log = new EventLog({ path: join(dir, `log-${++n}.db`), bootId: 'boot', clockSynced: () => true })
})
afterEach(async () => {
  await uploader?.stop()
  uploader = undefined
  log.close()
})

function start(batchSize: number) {
  uploader = new Uploader({
    log, logger: pino({ level: 'silent' }), gatewayId: DEMO.gateway.id, cloudUrl, gatewayKey: KEY,
    batchSize, minBatchSize: batchSize, idleMs: 20, backoffBaseMs: 10, backoffCapMs: 50,
  })
  uploader.start()
  return uploader
}
const telemetry = (count: number) =>
  log.append(Array.from({ length: count }, (_, i) => ({ kind: 'telemetry' as const, deviceId: 'camara-1', body: { readings: { temperature_c: i % 10 } } })))
const cloudSeqs = async (kind?: string) => {
  let q = cloud.db.selectFrom('events').select(['seq', 'kind']).where('gateway_id', '=', DEMO.gateway.id)
  if (kind) q = q.where('kind', '=', kind)
  return (await q.execute()).map((r) => Number(r.seq))
}

describe('uplink against the cloud', () => {
  it('sends alarms and state ahead of a telemetry backlog, then everything exactly once', async () => {
    await telemetry(600)
    const [alarm] = await log.append([{ kind: 'alarm', deviceId: 'camara-1', body: {
      alarmId: 'camara-alta:camara-1', ruleId: 'camara-alta', deviceId: 'camara-1', severity: 'critical', state: 'raised', message: 'alta' } }])
    await telemetry(600)
    const [state] = await log.append([{ kind: 'state', deviceId: 'camara-1', body: { state: { compressor: true } } }])
    start(50)
    // Both priority events are in the cloud while most of the history is still waiting.
    await waitFor(async () => (await cloudSeqs('alarm')).length + (await cloudSeqs('state')).length === 2)
    expect(log.getCursor(UPLINK_CURSOR)).toBeLessThan(alarm!.seq)
    expect((await cloudSeqs()).length).toBeLessThan(300)
    expect([await cloudSeqs('alarm'), await cloudSeqs('state')]).toEqual([[alarm!.seq], [state!.seq]])
    await waitFor(() => log.getCursor(UPLINK_CURSOR) === log.lastSeq(), 15_000)
    expect((await cloudSeqs()).length).toBe(log.lastSeq())
    expect(uploader!.status()).toMatchObject({ lag: 0, heldAhead: 0 })
  })

  it('counts an event the cloud quarantines and still delivers the events behind it', async () => {
    await telemetry(3)
    const [bad] = await log.append([{ kind: 'telemetry', deviceId: 'camara-1', body: { readings: { temperature_c: 'hot' } } }])
    await telemetry(3)
    const up = start(50)
    await waitFor(() => log.getCursor(UPLINK_CURSOR) === 7)
    expect((await cloudSeqs()).sort((a, b) => a - b)).toEqual([1, 2, 3, 5, 6, 7])
    const { quarantined } = up.status()
    expect(quarantined.total).toBe(1)
    expect(quarantined.recent[0]).toMatchObject({ seq: bad!.seq, reason: expect.stringContaining('/body/readings/temperature_c') })
  })
})

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { UplinkBatch } from '@tendero/protocol'
import { EventLog, type EventInput } from '../src/log/event-log.js'
import type { PlannerLimits } from '../src/uplink/planner.js'
import { Uploader, UPLINK_CURSOR } from '../src/uplink/uploader.js'

// Live priority events during a catch-up: the cloud keeps an alarm's newest state by event
// time and pushes only transitions that move it forward, so a transition that reaches it
// after a newer one is stored but never pushed. Each must go in the batch planned right
// after its commit, and none after a newer one, however long the backlog in front.
let dir: string
let log: EventLog
let uploader: Uploader | undefined

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tendero-uplink-live-'))
  log = new EventLog({ path: join(dir, 'log.db'), bootId: 'boot', clockSynced: () => true, maxBatch: 100_000 })
})
afterEach(async () => {
  await uploader?.stop()
  uploader = undefined
  log.close()
  rmSync(dir, { recursive: true, force: true })
})

/** The ingest contract in a few lines, answering each batch after `delayMs`, or 503 while `down` or when `refuse` says so. */
function slowCloud(delayMs: number) {
  const stored = new Set<number>()
  const batches: number[][] = []
  /** The batches it answered 200 to, in the order it stored them. */
  const storedBatches: number[][] = []
  let ack = 0
  const cloud = {
    stored, batches, storedBatches, down: false,
    refuse: (_n: number) => false,
    ackSeq: () => ack,
    fetch: (async (_url: string, init: RequestInit) => {
      const batch = JSON.parse(init.body as string) as UplinkBatch
      const seqs = batch.events.map((e) => e.seq)
      batches.push(seqs)
      await new Promise((r) => setTimeout(r, delayMs))
      if (cloud.down || cloud.refuse(batches.length)) return new Response('{"error":{"code":"DOWN","message":"down"}}', { status: 503 })
      storedBatches.push(seqs)
      for (const e of batch.events) stored.add(e.seq)
      while (stored.has(ack + 1)) ack++
      return new Response(JSON.stringify({ ackSeq: ack, stored: batch.events.length, duplicates: 0, quarantined: [] }), { status: 200 })
    }) as typeof fetch,
  }
  return cloud
}

function startUploader(cloud: ReturnType<typeof slowCloud>, batchSize: number, planner: Partial<PlannerLimits> = {}) {
  uploader = new Uploader({
    log, logger: pino({ level: 'silent' }), gatewayId: 'gw-test', cloudUrl: 'http://cloud.invalid', gatewayKey: 'k',
    fetch: cloud.fetch, batchSize, minBatchSize: batchSize, idleMs: 10, backoffBaseMs: 5, backoffCapMs: 10, planner,
  })
  uploader.start()
  return uploader
}

const telemetry = (n: number, from = 0): EventInput[] =>
  Array.from({ length: n }, (_, i) => ({ kind: 'telemetry', deviceId: `camara-${i % 7}`, body: { readings: { temperature_c: (from + i) % 9 } } }))
const transition = (k: number): EventInput => ({
  kind: 'alarm', deviceId: 'camara-1',
  body: { alarmId: 'alta:camara-1', ruleId: 'alta', deviceId: 'camara-1', severity: 'critical', state: k % 2 === 0 ? 'raised' : 'cleared', message: `n${k}` },
})
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
async function waitFor(probe: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!probe()) {
    if (Date.now() > deadline) throw new Error('waitFor: timed out')
    await sleep(5)
  }
}
/** Seqs in the order the cloud first saw them. */
const firstSeen = (batches: number[][], of: Set<number>) => {
  const seen: number[] = []
  for (const b of batches) for (const seq of b) if (of.has(seq) && !seen.includes(seq)) seen.push(seq)
  return seen
}

describe('live priority events during a backlog', () => {
  it('sends every alarm transition committed during a catch-up in the batch planned right after its commit, in seq order', async () => {
    const BACKLOG = 20_000
    await log.append(telemetry(BACKLOG))
    const cloud = slowCloud(4)
    // The pre-boot scan covers 200 seqs a batch here, 1/100 of the backlog, as 5,000 a batch
    // would of a backlog of 500,000: it cannot be what finds the live events.
    startUploader(cloud, 100, { scanPerBatch: 200 })
    await waitFor(() => cloud.batches.length >= 3)
    const committed: { seq: number; nextBatch: number }[] = []
    log.onCommit((events) => {
      for (const e of events) if (e.kind === 'alarm') committed.push({ seq: e.seq, nextBatch: cloud.batches.length })
    })
    for (let k = 0; k < 30; k++) {
      // One group commit: the transition, then a burst of live telemetry that buries it below the newest rows.
      void log.append([transition(k)])
      await log.append(telemetry(150, k))
      await sleep(3 + (k % 4) * 4)
    }
    const cursorAfterLive = log.getCursor(UPLINK_CURSOR)
    await waitFor(() => cloud.batches.length > committed.at(-1)!.nextBatch)
    expect(cursorAfterLive).toBeLessThan(BACKLOG / 2)
    expect(committed).toHaveLength(30)
    for (const { seq, nextBatch } of committed) expect({ seq, batch: cloud.batches[nextBatch]!.includes(seq) }).toEqual({ seq, batch: true })
    const alarms = committed.map((c) => c.seq)
    await waitFor(() => alarms.every((seq) => cloud.stored.has(seq)))
    expect(firstSeen(cloud.storedBatches, new Set(alarms))).toEqual(alarms)
    await waitFor(() => log.getCursor(UPLINK_CURSOR) === log.lastSeq(), 60_000)
    expect(cloud.stored.size).toBe(log.lastSeq())
  }, 90_000)

  it('keeps live transitions in seq order when batches fail while the next one is being prepared', async () => {
    await log.append(telemetry(8000))
    const cloud = slowCloud(3)
    // Every third batch fails: neither the batch prepared meanwhile nor a later one may carry a newer transition ahead of it.
    cloud.refuse = (n) => n % 3 === 0
    startUploader(cloud, 100, { scanPerBatch: 200 })
    await waitFor(() => cloud.batches.length >= 2)
    const alarms: number[] = []
    for (let k = 0; k < 30; k++) {
      const [alarm] = await log.append([transition(k), ...telemetry(60, k)])
      alarms.push(alarm!.seq)
      await sleep(2 + (k % 3) * 3)
    }
    await waitFor(() => alarms.every((seq) => cloud.stored.has(seq)))
    expect(firstSeen(cloud.storedBatches, new Set(alarms))).toEqual(alarms)
    await waitFor(() => log.getCursor(UPLINK_CURSOR) === log.lastSeq(), 60_000)
    expect(cloud.stored.size).toBe(log.lastSeq())
  }, 90_000)

  it('keeps live transitions in seq order when more pile up than it keeps in memory (cloud down), and sends them ahead of the backlog', async () => {
    await log.append(telemetry(3000))
    const cloud = slowCloud(1)
    cloud.down = true
    startUploader(cloud, 50, { maxQueued: 4 })
    await waitFor(() => cloud.batches.length >= 2)
    const alarms: number[] = []
    for (let k = 0; k < 25; k++) {
      const [alarm] = await log.append([transition(k), ...telemetry(40, k)])
      alarms.push(alarm!.seq)
    }
    cloud.down = false
    // Four at a time from memory, the rest read back from the log as the lane drains.
    await waitFor(() => alarms.every((seq) => cloud.stored.has(seq)))
    expect(cloud.ackSeq()).toBeLessThan(alarms[0]!)
    expect(firstSeen(cloud.storedBatches, new Set(alarms))).toEqual(alarms)
    await waitFor(() => log.getCursor(UPLINK_CURSOR) === log.lastSeq(), 30_000)
  }, 60_000)

  it('after a restart with a backlog, sends the priority events from before the boot too, and live ones never wait for them', async () => {
    const preBoot: number[] = []
    for (let k = 0; k < 40; k++) {
      const [alarm] = await log.append([transition(k), ...telemetry(300, k)])
      preBoot.push(alarm!.seq)
    }
    const cloud = slowCloud(2)
    // 40 old transitions at 10 per batch (half of 20): four batches to send them all.
    startUploader(cloud, 20, { scanPerBatch: 100_000 })
    await waitFor(() => cloud.batches.length >= 1)
    const [live] = await log.append([transition(41)])
    const next = cloud.batches.length
    await waitFor(() => cloud.batches.length > next)
    expect(cloud.batches[next]).toContain(live!.seq)
    await waitFor(() => preBoot.every((seq) => cloud.stored.has(seq)))
    expect(firstSeen(cloud.storedBatches, new Set(preBoot))).toEqual(preBoot)
    expect(cloud.ackSeq()).toBeLessThan(preBoot.at(-1)!)
  }, 60_000)
})

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { MAX_BATCH_EVENTS, type AbsentRange, type LogEvent, type UplinkBatch } from '@tendero/protocol'
import { EventLog, type EventInput } from '../src/log/event-log.js'
import { BatchPlanner } from '../src/uplink/planner.js'
import { Uploader, UPLINK_CURSOR } from '../src/uplink/uploader.js'

// How the uplink carries the disk budget's absent seq ranges and pins what it has out.
// The cloud here is the ingest contract in a few lines (stored seqs plus the absent ranges
// a batch listed make the watermark), so each rule is checked on its own;
// budget-cloud.test.ts runs the same against the real cloud.
const T0 = Date.UTC(2026, 0, 5, 10, 0)
let dir: string
let log: EventLog
let uploader: Uploader | undefined
let releaseCloud: (() => void) | undefined

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tendero-budget-uplink-'))
  log = openLog(64 * 1024)
})
function openLog(maxBytes: number): EventLog {
  return new EventLog({
    path: join(dir, 'log.db'), bootId: 'boot-1', clockSynced: () => true, gatewayId: 'gw-test', maxBatch: 100_000,
    guardCursors: [UPLINK_CURSOR], retention: { maxAgeMs: 0, maxBytes, intervalMs: 3_600_000, compactTailRows: 0, compactChunkRows: 200 },
  })
}
afterEach(async () => {
  releaseCloud?.()
  await uploader?.stop()
  uploader = undefined
  log.close()
  rmSync(dir, { recursive: true, force: true })
})

/** Two devices at 1 Hz with an alarm every 45 s, then the budget (stage 1 gets it under). */
async function compactedHistory(seconds: number): Promise<LogEvent[]> {
  const inputs: EventInput[] = []
  for (let s = 0; s < seconds; s++) {
    for (const d of ['camara-1', 'camara-2']) inputs.push({ kind: 'telemetry', deviceId: d, time: T0 + s * 1000, body: { readings: { temperature_c: s % 9 } } })
    if (s % 45 === 44)
      inputs.push({ kind: 'alarm', deviceId: 'camara-1', time: T0 + s * 1000,
        body: { alarmId: 'a:camara-1', ruleId: 'a', deviceId: 'camara-1', severity: 'critical', state: 'raised', message: `n${s}` } })
  }
  await log.append(inputs)
  while (log.prune().more);
  expect(log.status().budget).toMatchObject({ dropped: 0 })
  expect(log.absentRanges(0, log.lastSeq(), 10_000).length).toBeGreaterThan(1)
  return log.read(0, 1_000_000)
}

function contractCloud(o: { honoursAbsent: boolean }) {
  const stored = new Map<number, LogEvent>()
  const told: AbsentRange[] = []
  const batches: { batch: UplinkBatch; cursor: number }[] = []
  let ack = 0
  let gate: Promise<void> | undefined
  const cloud = {
    stored, told, batches,
    ackSeq: () => ack,
    /** Holds the next answers until `release()`. */
    hold() {
      let release!: () => void
      gate = new Promise<void>((r) => (release = r))
      releaseCloud = () => {
        gate = undefined
        release()
      }
      return releaseCloud
    },
    fetch: (async (_url: string, init: RequestInit) => {
      const batch = JSON.parse(init.body as string) as UplinkBatch
      batches.push({ batch, cursor: log.getCursor(UPLINK_CURSOR) })
      if (gate) await gate
      let fresh = 0
      for (const e of batch.events) if (!stored.has(e.seq)) fresh += stored.set(e.seq, e) && 1
      if (o.honoursAbsent) told.push(...(batch.absent ?? []))
      const accounted = (s: number) => stored.has(s) || told.some(([a, b]) => s >= a && s <= b)
      while (accounted(ack + 1)) ack++
      return new Response(JSON.stringify({ ackSeq: ack, stored: fresh, duplicates: batch.events.length - fresh, quarantined: [] }), { status: 200 })
    }) as typeof fetch,
  }
  return cloud
}

function startUploader(cloud: ReturnType<typeof contractCloud>, batchSize: number) {
  uploader = new Uploader({
    log, logger: pino({ level: 'silent' }), gatewayId: 'gw-test', cloudUrl: 'http://cloud.invalid', gatewayKey: 'k',
    fetch: cloud.fetch, batchSize, minBatchSize: batchSize, idleMs: 10, backoffBaseMs: 10, backoffCapMs: 20,
  })
  uploader.start()
  return uploader
}

async function waitFor(probe: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!probe()) {
    if (Date.now() > deadline) throw new Error('waitFor: timed out')
    await new Promise((r) => setTimeout(r, 5))
  }
}

describe('uplink over a log the disk budget has thinned', () => {
  it('lists the absent ranges below each batch top, and the cursor reaches lastSeq with every row delivered once', async () => {
    const rows = await compactedHistory(600)
    const cloud = contractCloud({ honoursAbsent: true })
    const up = startUploader(cloud, 40)
    await waitFor(() => log.getCursor(UPLINK_CURSOR) === log.lastSeq())
    expect([...cloud.stored.keys()].sort((a, b) => a - b)).toEqual(rows.map((e) => e.seq))
    for (const { batch, cursor } of cloud.batches) {
      const top = batch.events.at(-1)!.seq
      expect(batch.absent ?? []).toEqual(log.absentRanges(cursor, top, 2 * MAX_BATCH_EVENTS))
      for (const [from, to] of batch.absent ?? []) expect(from > cursor && to <= top && from <= to).toBe(true)
    }
    // Gap events are priority: they went in the first batches, ahead of the history.
    const gaps = rows.filter((e) => e.kind === 'gap').map((e) => e.seq)
    expect(gaps.length).toBeGreaterThan(0)
    expect(cloud.batches.slice(0, 2).flatMap((b) => b.batch.events.map((e) => e.seq))).toEqual(expect.arrayContaining(gaps))
    expect(up.status()).toMatchObject({ lag: 0, heldAhead: 0 })
  })

  it('never moves the cursor past an absent seq the cloud has not acknowledged', async () => {
    const rows = await compactedHistory(300)
    const cloud = contractCloud({ honoursAbsent: false })
    const up = startUploader(cloud, 40)
    const firstAbsent = log.absentRanges(0, log.lastSeq(), 1)[0]![0]
    // Everything is sent, but a cloud that ignores `absent` cannot vouch for the gap.
    await waitFor(() => rows.every((e) => cloud.stored.has(e.seq)))
    await new Promise((r) => setTimeout(r, 100))
    expect(cloud.ackSeq()).toBe(firstAbsent - 1)
    expect(log.getCursor(UPLINK_CURSOR)).toBe(firstAbsent - 1)
    // Lag counts events the cloud lacks, not the seqs that no longer exist.
    expect(up.status().lag).toBe(rows.filter((e) => e.seq >= firstAbsent).length)
  })

  it('resends one held event to carry ranges the cloud was never told about', async () => {
    const rows = await compactedHistory(300)
    const planner = new BatchPlanner(log)
    // The cloud holds every row, but no batch has listed the absent seqs between them.
    planner.stored(rows)
    const ranges = log.absentRanges(0, log.lastSeq(), 10_000)
    expect(planner.contiguousHeld(0)).toBe(log.lastSeq())
    const carrier = planner.plan(0, 100).events
    expect(carrier).toHaveLength(1)
    expect(carrier[0]!.seq).toBeGreaterThan(ranges.at(-1)![1])
    // With the cursor past the ranges there is nothing to carry any more.
    expect(planner.plan(log.lastSeq(), 100).events).toEqual([])
  })

  it('treats absent seqs as held only between held ones: a missing row that is not absent stops the run', async () => {
    await compactedHistory(300)
    const planner = new BatchPlanner(log)
    const [first] = log.absentRanges(0, log.lastSeq(), 1)
    const rows = log.read(0, 1_000_000)
    // Held: everything except the first row after the first absent range.
    const hole = rows.find((e) => e.seq > first![1])!
    planner.stored(rows.filter((e) => e.seq !== hole.seq))
    expect(planner.contiguousHeld(0)).toBe(hole.seq - 1)
    planner.stored([hole])
    expect(planner.contiguousHeld(0)).toBe(log.lastSeq())
  })

  it('leaves the batch in flight alone while the budget compacts, and takes it once answered', async () => {
    log.close()
    rmSync(join(dir, 'log.db'))
    log = openLog(1024 * 1024)
    const inputs: EventInput[] = []
    for (let s = 0; s < 240; s++) inputs.push({ kind: 'telemetry', deviceId: 'camara-1', time: T0 + s * 1000, body: { readings: { temperature_c: s } } })
    await log.append(inputs)
    // Reopened at a budget it is over, with no commit to come: only the prune below compacts
    // (a commit over budget starts background prunes that would race it).
    log.close()
    log = openLog(4096)
    const cloud = contractCloud({ honoursAbsent: true })
    const release = cloud.hold()
    startUploader(cloud, 50)
    await waitFor(() => cloud.batches.length === 1)
    // The oldest seqs and the live tail.
    const inFlight = cloud.batches[0]!.batch.events
    expect(inFlight).toHaveLength(50)
    expect(inFlight[0]!.seq).toBe(1)
    log.prune() // one stage 1 step over (0, 200]
    const now = new Map(log.read(0, 1000).map((e) => [e.seq, e]))
    for (const e of inFlight) expect(now.get(e.seq)).toEqual(e)
    // The minutes' rows that were not out were folded (the next batch, planned while the first was out, is out too).
    const rollups = [...now.values()].filter((e) => e.kind === 'rollup')
    expect(rollups.length).toBeGreaterThan(0)
    release()
    await waitFor(() => log.getCursor(UPLINK_CURSOR) === log.lastSeq())
    // The cloud holds each seq as the log holds it now: no row was folded while a batch had it out.
    expect([...cloud.stored.keys()].sort((a, b) => a - b)).toEqual([...now.keys()])
    for (const [seq, e] of now) expect(cloud.stored.get(seq)).toEqual(e)
  })
})

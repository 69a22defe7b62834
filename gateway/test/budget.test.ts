import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { validators, type LogEvent } from '@tendero/protocol'
import { EventLog, type EventInput, type EventLogOptions } from '../src/log/event-log.js'

// The disk budget over unsynced history (log/budget.ts), on real SQLite files.
const T0 = Date.UTC(2026, 0, 5, 10, 0) // on a minute boundary
const NOW = T0 + 3600_000
let dir: string

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tendero-budget-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

function open(retention: Partial<NonNullable<EventLogOptions['retention']>>, over: Partial<EventLogOptions> = {}): EventLog {
  return new EventLog({
    path: join(dir, 'log.db'),
    bootId: 'boot-1',
    clockSynced: () => true,
    gatewayId: 'gw-test',
    now: () => NOW,
    guardCursors: ['uplink'],
    maxBatch: 100_000,
    retention: { maxAgeMs: 0, intervalMs: 3_600_000, compactTailRows: 0, ...retention },
    ...over,
  })
}

const reading = (deviceId: string, second: number, readings: Record<string, number>): EventInput => ({
  kind: 'telemetry', deviceId, time: T0 + second * 1000, body: { ts: T0 + second * 1000, readings },
})
const alarm = (n: number): EventInput => ({
  kind: 'alarm', deviceId: 'camara-1', time: T0 + n * 1000,
  body: { alarmId: `camara-alta:camara-1`, ruleId: 'camara-alta', deviceId: 'camara-1', severity: 'critical', state: n % 2 ? 'cleared' : 'raised', message: `alarma ${n}`, value: 8 + n },
})
const access = (n: number): EventInput => ({
  kind: 'access', deviceId: 'puerta-1', time: T0 + n * 1000, body: { cardId: 'ABCD1234', doorId: 'front', allow: true, reason: 'allowed' },
})
const payment = (n: number): EventInput => ({
  kind: 'payment', deviceId: 'barra-1', time: T0 + n * 1000,
  body: { txId: `t${n}`, cardId: 'ABCD1234', terminalId: 'barra-1', kind: 'charge', amountMinor: 1500, currency: 'ARS', approved: true, reason: 'approved', balanceAfterMinor: 8500, entries: [] },
})
const state = (n: number): EventInput => ({ kind: 'state', deviceId: 'camara-1', time: T0 + n * 1000, body: { state: { compressor: n % 2 === 0 } } })

/** Two devices at 1 Hz for `seconds`, with an alarm, access, payment or state event every `every` seconds. */
function history(seconds: number, every = 30, from = 0): EventInput[] {
  const out: EventInput[] = []
  const kept = [alarm, access, payment, state]
  for (let s = from; s < from + seconds; s++) {
    out.push(reading('camara-1', s, { temperature_c: (s * 7) % 11, humidity_pct: 50 + (s % 5) }))
    out.push(reading('camara-2', s, { temperature_c: 20 + ((s * 3) % 5) }))
    if (s % every === every - 1) out.push(kept[Math.floor(s / every) % kept.length]!(s))
  }
  return out
}

const all = (log: EventLog): LogEvent[] => log.read(0, 10_000_000)
const removable = (e: LogEvent) => e.kind === 'telemetry' || e.kind === 'rollup'

/** Every seq up to lastSeq is a row or inside an absent range, never both, never neither. */
function expectEverySeqAccounted(log: EventLog, afterSeq = 0): void {
  const present = new Set(log.read(afterSeq, 10_000_000).map((e) => e.seq))
  const absent = new Set<number>()
  for (const [from, to] of log.absentRanges(afterSeq, log.lastSeq(), 100_000)) for (let s = from; s <= to; s++) absent.add(s)
  for (let seq = afterSeq + 1; seq <= log.lastSeq(); seq++) {
    if (present.has(seq) === absent.has(seq)) throw new Error(`seq ${seq}: present=${present.has(seq)} absent=${absent.has(seq)}`)
  }
}

describe('disk budget, stage 1: downsampling', () => {
  it('folds each device-minute of raw telemetry into one rollup under its first seq, with a gap event, in one step', async () => {
    const log = open({ maxBytes: 4096, compactChunkRows: 100_000 })
    const before = await log.append(history(180))
    const lastSeq = log.lastSeq()
    const result = log.prune()
    expect(result.compacted?.gap.body.reason).toBe('downsampled')
    const after = all(log)

    // Every event that is not telemetry is exactly as it was.
    const kept = before.filter((e) => !removable(e))
    expect(kept.length).toBe(6)
    expect(after.filter((e) => !removable(e) && e.kind !== 'gap')).toEqual(kept)

    // One rollup per device and minute, under the seq of that minute's first raw reading.
    const raw = before.filter((e) => e.kind === 'telemetry')
    const groups = new Map<string, LogEvent[]>()
    for (const e of raw) {
      const key = `${e.deviceId}/${Math.floor((e.time - T0) / 60_000)}`
      groups.set(key, [...(groups.get(key) ?? []), e])
    }
    const rollups = after.filter((e) => e.kind === 'rollup')
    expect(rollups.map((e) => e.seq)).toEqual([...groups.values()].map((g) => g[0]!.seq).sort((a, b) => a - b))
    for (const group of groups.values()) {
      const rollup = rollups.find((r) => r.seq === group[0]!.seq)!
      const first = group[0]!
      expect(rollup).toMatchObject({ deviceId: first.deviceId, time: first.time, receivedAt: first.receivedAt, bootId: 'boot-1' })
      const values = (metric: string) => group.map((e) => (e.body as { readings: Record<string, number> }).readings[metric]!)
      const metrics = Object.keys((first.body as { readings: object }).readings)
      const expected = (f: (v: number[]) => number) => Object.fromEntries(metrics.map((m) => [m, f(values(m))]))
      const { avg, ...rest } = rollup.body as { avg: Record<string, number> }
      expect(rest).toEqual({
        periodMs: 60_000,
        from: group[0]!.time,
        to: group.at(-1)!.time,
        count: 60,
        min: expected((v) => Math.min(...v)),
        max: expected((v) => Math.max(...v)),
      })
      const mean = expected((v) => v.reduce((a, b) => a + b, 0) / v.length)
      expect(Object.keys(avg)).toEqual(Object.keys(mean))
      for (const m of metrics) expect(avg[m]).toBeCloseTo(mean[m]!, 9)
    }
    expect(raw.length).toBe(360)

    // The gap event says what happened and takes the next seq, as an append would.
    const gap = after.at(-1)!
    expect(gap).toMatchObject({
      seq: lastSeq + 1, kind: 'gap', deviceId: 'gw-test', time: NOW, receivedAt: NOW, bootId: 'boot-1',
      body: {
        reason: 'downsampled', fromSeq: raw[0]!.seq, toSeq: raw.at(-1)!.seq, fromTime: T0, toTime: T0 + 179_000,
        removed: 360 - 6, written: 6, devices: ['camara-1', 'camara-2'],
      },
    })
    expect(log.lastSeq()).toBe(lastSeq + 1)
    for (const e of after) expect(validators.logEvent.explain(e)).toEqual([])

    // The removed seqs are absent ranges, and every seq is either a row or absent.
    expectEverySeqAccounted(log)
    const absentCount = log.absentRanges(0, log.lastSeq(), 1000).reduce((n, [a, b]) => n + b - a + 1, 0)
    expect(absentCount).toBe(354)
    expect(log.status()).toMatchObject({
      eventCount: after.length,
      budget: { downsampled: 360, rollups: 6, dropped: 0, droppedTotal: 354, gaps: 1, lastAt: NOW },
    })
    // The next seq continues after the gap event, across a reopen too.
    log.close()
    const again = open({ maxBytes: 0 })
    const [next] = await again.append([state(999)])
    expect(next!.seq).toBe(lastSeq + 2)
    expect(again.status().budget).toMatchObject({ downsampled: 360, droppedTotal: 354, gaps: 1 })
    again.close()
  })

  it('works one bounded seq range per transaction, oldest first, and stays away from the newest rows', async () => {
    const log = open({ maxBytes: 4096, compactChunkRows: 125, compactTailRows: 200 })
    await log.append(history(300)) // 600 readings + 40 others = 640 seqs
    const lastSeq = log.lastSeq()
    const steps: { fromSeq: number; toSeq: number }[] = []
    for (let i = 0; i < 4; i++) {
      const r = log.prune()
      expect(r.more).toBe(true)
      if (r.compacted) steps.push(r.compacted.gap.body)
    }
    expect(steps).toHaveLength(4)
    for (const [i, s] of steps.entries()) {
      expect(s.fromSeq).toBeGreaterThan(i * 125)
      expect(s.toSeq).toBeLessThanOrEqual((i + 1) * 125)
    }
    // To the end: stage 1 over everything but the tail, then stage 2.
    for (let i = 0; i < 100 && log.prune().more; i++);
    const end = log.lastSeq()
    expect(end).toBeGreaterThan(lastSeq)
    // The 200 newest seqs (gap events count: the tail is the newest rows) are untouched.
    const tail = all(log).filter((e) => e.seq > end - 200)
    expect(tail).toHaveLength(200)
    expect(tail.filter((e) => e.kind === 'telemetry').length).toBeGreaterThan(100)
    expect(tail.some((e) => e.kind === 'rollup')).toBe(false)
    expect(all(log).filter((e) => e.kind === 'telemetry' && e.seq <= end - 200)).toHaveLength(0)
    expectEverySeqAccounted(log)
    log.close()
  })

  it('downsamples only as much as it takes to get back under 90% of the budget', async () => {
    const log = open({ maxBytes: 0, compactChunkRows: 500 })
    await log.append(history(3600))
    const used = log.status().usedBytes
    log.close()
    const budgeted = open({ maxBytes: Math.round(used / 0.8), compactChunkRows: 500 })
    // 80% of the budget: nothing to do.
    expect(budgeted.prune()).toMatchObject({ deleted: 0, more: false })
    await budgeted.append(history(1800, 30, 3600))
    while (budgeted.prune().more);
    const { usedBytes, maxBytes, budget } = budgeted.status()
    expect(usedBytes).toBeLessThanOrEqual(maxBytes * 0.9)
    expect(budget.downsampled).toBeGreaterThan(0)
    expect(budget.dropped).toBe(0)
    // Oldest first: the newest hour is still raw.
    const rows = all(budgeted)
    const lastRollup = rows.filter((e) => e.kind === 'rollup').at(-1)!.seq
    expect(rows.filter((e) => e.kind === 'telemetry' && e.seq < lastRollup).length).toBeLessThan(10)
    expect(rows.filter((e) => e.kind === 'telemetry').length).toBeGreaterThan(3600)
    expectEverySeqAccounted(budgeted)
    budgeted.close()
  })

  it('compacts above the lowest guard cursor, so a dead InfluxDB keeps the budget in force', async () => {
    const log = open({ maxBytes: 4096, compactChunkRows: 100_000 }, { guardCursors: ['uplink', 'influx'] })
    await log.append(history(120))
    log.setCursor('uplink', log.lastSeq()) // the cloud has everything, InfluxDB nothing
    expect(log.prune()).toMatchObject({ deleted: 0, compacted: { gap: { body: { reason: 'downsampled' } } } })
    log.setCursor('influx', 100)
    // Once both have passed rows, those are pruned outright, not compacted, and their absent ranges go.
    log.prune()
    expect(all(log)[0]!.seq).toBeGreaterThan(100)
    expect(log.absentRanges(0, 100, 1000)).toEqual([])
    log.close()
  })

  it('leaves rows a sender has out (pinned) alone', async () => {
    const log = open({ maxBytes: 4096, compactChunkRows: 100_000 })
    const before = await log.append(history(120))
    // camara-2's first reading is in flight to the cloud.
    const pinned = before.find((e) => e.deviceId === 'camara-2')!
    const unpin = log.protectFromCompaction((seq) => seq === pinned.seq)
    log.prune()
    const after = all(log)
    const minute0 = (id: string) => after.filter((e) => removable(e) && e.deviceId === id && e.time < T0 + 60_000)
    // It stays as it is; the rest of its minute is folded without it, under the next seq.
    expect(minute0('camara-2')).toHaveLength(2)
    expect(minute0('camara-2')[0]).toEqual(pinned)
    expect(minute0('camara-2')[1]).toMatchObject({ kind: 'rollup', body: { count: 59 } })
    expect(minute0('camara-1').map((e) => e.kind)).toEqual(['rollup'])
    unpin()
    // Unpinned, it is an ordinary raw reading again (alone in its minute: nothing to fold).
    while (log.prune().more);
    expect(all(log).find((e) => e.seq === pinned.seq)).toBeUndefined()
    log.close()
  })

  it('commits the removal and its gap event together or not at all', async () => {
    const log = open({ maxBytes: 4096, compactChunkRows: 100_000 })
    await log.append(history(120))
    const before = all(log)
    const db = new Database(join(dir, 'log.db'))
    db.exec(`CREATE TRIGGER no_gap BEFORE INSERT ON events WHEN NEW.kind = 'gap' BEGIN SELECT RAISE(ABORT, 'disk full'); END`)
    expect(() => log.prune()).toThrow(/disk full/)
    expect(all(log)).toEqual(before)
    expect(log.absentRanges(0, log.lastSeq(), 10)).toEqual([])
    expect(log.status()).toMatchObject({ lastSeq: before.length, eventCount: before.length, budget: { downsampled: 0, gaps: 0 } })
    db.exec(`DROP TRIGGER no_gap`)
    db.close()
    expect(log.prune().compacted).toBeDefined()
    expectEverySeqAccounted(log)
    log.close()
  })

  it('reports a failed background prune instead of throwing', async () => {
    const errors: Error[] = []
    const log = open({ maxBytes: 4096, compactChunkRows: 100_000 }, { onRetention: (r) => r.error && errors.push(r.error) })
    await log.append(history(60))
    const db = new Database(join(dir, 'log.db'))
    db.exec(`CREATE TRIGGER no_gap BEFORE INSERT ON events WHEN NEW.kind = 'gap' BEGIN SELECT RAISE(ABORT, 'disk full'); END`)
    db.close()
    log.startRetention()
    await waitUntil(() => errors.length > 0)
    expect(errors[0]!.message).toMatch(/disk full/)
    log.close()
  })
})

describe('disk budget, stage 2: dropping', () => {
  it('drops the oldest telemetry and rollups once nothing is left to downsample, never anything else', async () => {
    const sparse: EventInput[] = []
    // One reading per device per minute: nothing to fold.
    for (let m = 0; m < 600; m++) {
      sparse.push(reading('camara-1', m * 60, { temperature_c: m % 9 }), reading('camara-2', m * 60 + 1, { temperature_c: m % 4 }))
      if (m % 10 === 0) sparse.push(alarm(m), access(m), payment(m), state(m))
    }
    const probe = open({ maxBytes: 0 })
    const before = await probe.append(sparse)
    const used = probe.status().usedBytes
    probe.close()
    const log = open({ maxBytes: Math.round(used / 2), compactChunkRows: 300 })
    const gaps: LogEvent[] = []
    for (let r = log.prune(); r.more || r.compacted; r = log.prune()) if (r.compacted) gaps.push(r.compacted.gap)
    expect(gaps.length).toBeGreaterThan(0)
    expect(gaps.every((g) => g.kind === 'gap' && g.body.reason === 'dropped' && g.body.written === 0)).toBe(true)
    const after = all(log)
    expect(log.status().usedBytes).toBeLessThanOrEqual(log.status().maxBytes)
    // Everything that is not telemetry survives, unchanged.
    expect(after.filter((e) => !removable(e) && e.kind !== 'gap')).toEqual(before.filter((e) => !removable(e)))
    // Dropped oldest first: every surviving reading is newer than every dropped one.
    const survivors = after.filter(removable).map((e) => e.seq)
    const maxDropped = Math.max(...gaps.map((g) => (g.kind === 'gap' ? g.body.toSeq : 0)))
    expect(Math.min(...survivors)).toBeGreaterThan(maxDropped)
    const dropped = gaps.reduce((n, g) => n + (g.kind === 'gap' ? g.body.removed : 0), 0)
    expect(log.status().budget).toMatchObject({ dropped, droppedTotal: dropped, downsampled: 0, gaps: gaps.length })
    expectEverySeqAccounted(log)
    log.close()
  })

  it('grows past the budget rather than drop alarms, access, payments or state, and says so', async () => {
    const reports: { overBudgetUnsynced: boolean }[] = []
    const kept: EventInput[] = []
    for (let i = 0; i < 2000; i++) kept.push([alarm, access, payment, state][i % 4]!(i))
    const log = open({ maxBytes: 64 * 1024 }, { onRetention: (r) => reports.push(r) })
    const before = await log.append(kept)
    let r = log.prune()
    while (r.more) r = log.prune()
    expect(r).toMatchObject({ overBudgetUnsynced: true, more: false, deleted: 0 })
    expect(all(log)).toEqual(before)
    expect(reports.at(-1)).toMatchObject({ overBudgetUnsynced: true })
    expect(log.status().budget).toMatchObject({ gaps: 0, active: true })
    log.close()
  })
})

describe('disk budget under a live stream', () => {
  it('holds the budget within a small overshoot while readings and alarms keep arriving, and keeps every alarm', async () => {
    const maxBytes = 384 * 1024
    const log = open({ maxBytes, compactChunkRows: 2000, compactTailRows: 300 })
    log.startRetention()
    let peak = 0
    const appended: LogEvent[] = []
    // 5 devices at 1 Hz for 2 hours of device time, in commits of one device-second each.
    const devices = ['camara-1', 'camara-2', 'camara-3', 'heladera-1', 'heladera-2']
    for (let s = 0; s < 7200; s += 10) {
      const batch: EventInput[] = []
      for (let k = s; k < s + 10; k++) {
        for (const [i, d] of devices.entries()) batch.push(reading(d, k, { temperature_c: ((k + i) * 13) % 17, power_w: 100 + (k % 50) }))
        if (k % 97 === 0) batch.push(alarm(k))
        if (k % 251 === 0) batch.push(payment(k))
      }
      appended.push(...(await log.append(batch)))
      await new Promise((r) => setImmediate(r))
      peak = Math.max(peak, log.status().usedBytes)
    }
    await waitUntil(() => !log.status().budget.active || log.status().usedBytes <= maxBytes)
    const status = log.status()
    expect(peak).toBeLessThan(maxBytes * 1.15)
    expect(status.usedBytes).toBeLessThanOrEqual(maxBytes)
    expect(status.budget.downsampled).toBeGreaterThan(0)
    // Raw readings were folded before any were dropped, and every alarm and payment is intact.
    const rows = all(log)
    const byseq = new Map(rows.map((e) => [e.seq, e]))
    for (const e of appended.filter((x) => x.kind === 'alarm' || x.kind === 'payment')) expect(byseq.get(e.seq)).toEqual(e)
    const gaps = rows.filter((e) => e.kind === 'gap')
    expect(gaps.length).toBe(status.budget.gaps)
    const removed = gaps.reduce((n, g) => n + (g.kind === 'gap' ? g.body.removed : 0), 0)
    expect(removed).toBe(status.budget.droppedTotal)
    expect(status.eventCount).toBe(rows.length)
    expect(status.bufferDaysLeft === null || status.budget.active ? true : status.bufferDaysLeft >= 0).toBe(true)
    expectEverySeqAccounted(log)
    log.close()
  })
})

describe('absent ranges', () => {
  it('are clipped to the interval asked for, merged when adjacent, and forgotten once every guard passed them', async () => {
    const log = open({ maxBytes: 4096, compactChunkRows: 100_000 })
    // camara-1 alone: seqs 1-60 are minute 0, 61-120 minute 1, so the removed seqs are 2-60 and 62-120.
    const inputs: EventInput[] = []
    for (let s = 0; s < 120; s++) inputs.push(reading('camara-1', s, { temperature_c: s }))
    await log.append(inputs)
    log.prune()
    expect(log.absentRanges(0, 200, 10)).toEqual([
      [2, 60],
      [62, 120],
    ])
    expect(log.absentRanges(30, 100, 10)).toEqual([
      [31, 60],
      [62, 100],
    ])
    expect(log.absentRanges(0, 200, 1)).toEqual([[2, 60]])
    expect(log.absentRanges(60, 61, 10)).toEqual([])
    // Dropping the rollup at 61 joins the two ranges into one.
    while (log.prune().more);
    expect(log.absentRanges(0, 200, 10)[0]).toEqual([1, 120])
    log.setCursor('uplink', log.lastSeq())
    log.prune()
    expect(log.absentRanges(0, log.lastSeq(), 10)).toEqual([])
    log.close()
  })
})

describe('status while the budget is in force', () => {
  it('shows buffer days left as 0 while unsynced history is being thinned', async () => {
    let clock = NOW
    const log = open({ maxBytes: 0 }, { now: () => clock })
    await log.append(history(600))
    const used = log.status().usedBytes
    log.close()
    const budgeted = open({ maxBytes: Math.round(used * 1.05), compactChunkRows: 20 }, { now: () => clock })
    for (let i = 1; i <= 3; i++) {
      clock += 60_000
      await budgeted.append(history(60, 30, 600 + i * 60))
    }
    expect(budgeted.status().bufferDaysLeft).toBeGreaterThanOrEqual(0)
    budgeted.prune()
    expect(budgeted.status()).toMatchObject({ bufferDaysLeft: 0, budget: { active: true } })
    budgeted.close()
  })
})

async function waitUntil(probe: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!probe()) {
    if (Date.now() > deadline) throw new Error('waitUntil: timed out')
    await new Promise((r) => setTimeout(r, 5))
  }
}

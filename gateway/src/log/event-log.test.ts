import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { validators, type LogEvent } from '@tendero/protocol'
import { EventLog, type EventLogOptions } from './event-log.js'

let dir: string
const open = (over: Partial<EventLogOptions> = {}) =>
  new EventLog({ path: join(dir, 'log.db'), bootId: 'boot-a', clockSynced: () => true, ...over })
const reading = (t: number) => ({ kind: 'telemetry' as const, deviceId: 'camara-1', body: { readings: { temperature_c: t } } })

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tendero-log-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

describe('event log', () => {
  it('assigns gap-free monotonic seq, across a reopen', async () => {
    const log = open()
    const a = await Promise.all([log.append([reading(1), reading(2)]), log.append([reading(3)])])
    expect(a.flat().map((e) => e.seq)).toEqual([1, 2, 3])
    log.close()
    const again = open({ bootId: 'boot-b' })
    expect(again.lastSeq()).toBe(3)
    const [e4] = await again.append([reading(4)])
    expect(e4!.seq).toBe(4)
    expect(again.read(0, 10).map((e) => [e.seq, e.bootId])).toEqual([
      [1, 'boot-a'],
      [2, 'boot-a'],
      [3, 'boot-a'],
      [4, 'boot-b'],
    ])
    again.close()
  })

  it('group-commits concurrent appends in one transaction and resolves after commit', async () => {
    const log = open({ flushIntervalMs: 20 })
    const pending = [log.append([reading(1)]), log.append([reading(2)]), log.append([reading(3)])]
    // Nothing is readable before the window closes: the promise is the commit.
    expect(log.read(0, 10)).toEqual([])
    expect(log.stats().pending).toBe(3)
    await Promise.all(pending)
    expect(log.read(0, 10)).toHaveLength(3)
    expect(log.stats().commits).toBe(1)
    log.close()
  })

  it('by default commits everything appended in one event-loop turn together, with no timer wait', async () => {
    const log = open()
    const pending = [log.append([reading(1)]), log.append([reading(2)])]
    expect(log.read(0, 10)).toEqual([])
    await Promise.all(pending)
    expect(log.stats().commits).toBe(1)
    // A later turn is a new group: the log does not hold events back for a window.
    await log.append([reading(3)])
    expect(log.stats().commits).toBe(2)
    expect(log.read(0, 10).map((e) => e.seq)).toEqual([1, 2, 3])
    log.close()
  })

  it('flushes at maxBatch without waiting for the window', async () => {
    const log = open({ flushIntervalMs: 10_000, maxBatch: 2 })
    const started = Date.now()
    await log.append([reading(1), reading(2)])
    expect(Date.now() - started).toBeLessThan(1000)
    log.close()
  })

  it('a failed transaction leaves no gap', async () => {
    const log = open()
    await log.append([reading(1)])
    // BigInt cannot be serialised, so the insert throws inside the transaction.
    await expect(log.append([{ kind: 'telemetry', deviceId: 'camara-1', body: { n: 1n } }])).rejects.toThrow()
    const [next] = await log.append([reading(2)])
    expect(next!.seq).toBe(2)
    log.close()
  })

  it('stamps the envelope per the protocol LogEvent schema', async () => {
    let clockSynced = false
    const log = open({ now: () => 1_763_719_200_012, monoNow: () => 42.5, clockSynced: () => clockSynced })
    const [withTs] = await log.append([{ ...reading(4.6), time: 1_763_719_200_000 }])
    clockSynced = true
    const [withoutTs] = await log.append([reading(4.7)])
    expect(withTs).toMatchObject({ time: 1_763_719_200_000, receivedAt: 1_763_719_200_012, monoMs: 42.5, clockSynced: false })
    expect(withoutTs).toMatchObject({ time: 1_763_719_200_012, clockSynced: true })
    for (const e of log.read(0, 10)) expect(validators.logEvent.check(e)).toBe(true)
    log.close()
  })

  it('reads after a cursor and keeps named cursors', async () => {
    const log = open()
    await log.append([1, 2, 3, 4, 5].map(reading))
    expect(log.getCursor('uplink')).toBe(0)
    log.setCursor('uplink', 2)
    expect(log.read(log.getCursor('uplink'), 2).map((e) => e.seq)).toEqual([3, 4])
    log.close()
    const again = open()
    expect(again.getCursor('uplink')).toBe(2)
    again.close()
  })

  it('serializes rows as the JSON of what read() returns, with the bodies as stored', async () => {
    let synced = false
    const log = open({ clockSynced: () => synced, monoNow: () => 1234.5678901 })
    await log.append([reading(-0.1), { kind: 'telemetry', deviceId: 'dev "quoted" \\ ñ', body: { readings: { t: 1e21, u: 5e-7 }, note: 'línea\n"dos"' } }])
    synced = true
    await log.append([
      { kind: 'alarm', deviceId: 'camara-1', time: 17, body: { alarmId: 'a:camara-1', ruleId: 'a', deviceId: 'camara-1', severity: 'critical', state: 'raised', message: 'alta ☃' } },
    ])
    const rows = log.read(0, 10)
    const serialized = log.readSerialized(0, 10)
    expect(serialized.map((e) => [e.seq, e.kind, e.clockSynced])).toEqual(rows.map((e) => [e.seq, e.kind, e.clockSynced]))
    for (const [i, e] of serialized.entries()) {
      expect(JSON.parse(e.json)).toEqual(rows[i])
      expect(e.json).toBe(JSON.stringify(rows[i]))
    }
    expect(log.readSerialized(0, 10, (seq) => seq === 2).map((e) => e.seq)).toEqual([1, 3])
    log.close()
  })

  it('reads the events of some kinds in a seq range, oldest first', async () => {
    const log = open()
    const state = { kind: 'state' as const, deviceId: 'camara-1', body: { state: { compressor: true } } }
    await log.append([reading(1), state, reading(2), state, reading(3), state, state])
    expect(log.readKinds(0, 7, ['state'], 10).map((e) => e.seq)).toEqual([2, 4, 6, 7])
    expect(log.readKinds(2, 6, ['state', 'alarm'], 10).map((e) => e.seq)).toEqual([4, 6])
    expect(log.readKinds(0, 7, ['state'], 2).map((e) => e.seq)).toEqual([2, 4])
    expect(JSON.parse(log.readKinds(3, 4, ['state'], 1)[0]!.json)).toEqual(log.read(3, 1)[0])
    log.close()
  })

  it('tells commit listeners about each group commit, in seq order, once it has committed', async () => {
    const log = open()
    const heard: number[][] = []
    const off = log.onCommit((events) => heard.push(events.map((e) => e.seq)))
    log.onCommit((events) => expect(log.read(events[0]!.seq - 1, 1)).toHaveLength(1))
    await Promise.all([log.append([reading(1), reading(2)]), log.append([reading(3)])])
    await log.append([reading(4)])
    off()
    await log.append([reading(5)])
    expect(heard).toEqual([[1, 2, 3], [4]])
    log.close()
  })

  it('tells commit listeners about the gap event a disk budget step writes', async () => {
    const T0 = Date.UTC(2026, 0, 5, 10, 0)
    const log = open({
      gatewayId: 'gw-test', guardCursors: ['uplink'], maxBatch: 100_000,
      retention: { maxAgeMs: 0, maxBytes: 4096, intervalMs: 3_600_000, compactTailRows: 0 },
    })
    await log.append(Array.from({ length: 360 }, (_, s) => ({ ...reading(s % 9), time: T0 + s * 1000 })))
    const heard: LogEvent[] = []
    log.onCommit((events) => heard.push(...events))
    const step = log.prune()
    expect(step.compacted).toBeDefined()
    expect(heard[0]).toEqual(step.compacted!.gap)
    expect(heard[0]!.seq).toBe(361)
    log.close()
  })

  it('flushes queued events on close and refuses appends after', async () => {
    const log = open({ flushIntervalMs: 10_000 })
    const pending = log.append([reading(1)])
    log.close()
    await expect(pending).resolves.toHaveLength(1)
    await expect(log.append([reading(2)])).rejects.toMatchObject({ code: 'LOG_ERR_CLOSED' })
  })
})

describe('event log durability settings', () => {
  it('runs SQLite in WAL mode with synchronous=FULL', () => {
    const log = open()
    log.close()
    const db = new Database(join(dir, 'log.db'), { readonly: true })
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    db.close()
    // synchronous is per connection: check the one the log uses.
    const again = open()
    expect((again as unknown as { db: Database.Database }).db.pragma('synchronous', { simple: true })).toBe(2)
    again.close()
  })

  it('writes cursors on a second connection with synchronous=NORMAL, read at once by the first', () => {
    const log = open()
    const { db, cursorDb } = log as unknown as { db: Database.Database; cursorDb: Database.Database }
    expect([db.pragma('synchronous', { simple: true }), cursorDb.pragma('synchronous', { simple: true })]).toEqual([2, 1])
    expect(cursorDb.pragma('journal_mode', { simple: true })).toBe('wal')
    log.setCursor('uplink', 7)
    expect(log.getCursor('uplink')).toBe(7)
    expect(log.status().cursors.uplink?.seq).toBe(7)
    log.close()
    const again = open()
    expect(again.getCursor('uplink')).toBe(7)
    again.close()
  })
})

describe('event log retention', () => {
  const DAY = 24 * 3600_000
  let clock = 0
  const aged = (over: Partial<EventLogOptions> = {}) =>
    open({ now: () => clock, guardCursors: ['uplink'], retention: { maxAgeMs: 30 * DAY, maxBytes: 0 }, ...over })

  it('deletes events past their age only once every guard cursor has passed them', async () => {
    clock = 1_000 * DAY
    const log = aged({ guardCursors: ['uplink', 'influx'] })
    await log.append([1, 2, 3, 4].map(reading))
    clock += 10 * DAY
    await log.append([5, 6].map(reading))
    clock += 25 * DAY // seqs 1-4 are 35 days old, 5-6 are 25 days old
    expect(log.prune().deleted).toBe(0) // no cursor has moved
    log.setCursor('uplink', 6)
    log.setCursor('influx', 2)
    expect(log.prune()).toMatchObject({ deleted: 2 })
    expect(log.read(0, 10).map((e) => e.seq)).toEqual([3, 4, 5, 6])
    log.setCursor('influx', 6)
    expect(log.prune()).toMatchObject({ deleted: 2 })
    expect(log.read(0, 10).map((e) => e.seq)).toEqual([5, 6])
    expect(log.status()).toMatchObject({ eventCount: 2, lastSeq: 6, oldest: { seq: 5 }, pruned: { events: 4, lastAt: clock } })
    log.close()
  })

  it('never prunes while no cursor guards the log', async () => {
    clock = 1_000 * DAY
    const log = aged({ guardCursors: [] })
    await log.append([reading(1)])
    clock += 365 * DAY
    expect(log.prune().deleted).toBe(0)
    log.registerCursor('uplink')
    log.setCursor('uplink', 1)
    expect(log.prune().deleted).toBe(1)
    log.close()
  })

  it('keeps seq going after the oldest events are pruned and the log is reopened', async () => {
    clock = 1_000 * DAY
    const log = aged()
    await log.append([1, 2, 3].map(reading))
    log.setCursor('uplink', 3)
    clock += 31 * DAY
    expect(log.prune().deleted).toBe(3)
    log.close()
    const again = aged()
    expect(again.status()).toMatchObject({ eventCount: 0, lastSeq: 3, oldest: null })
    const [next] = await again.append([reading(4)])
    expect(next!.seq).toBe(4)
    again.close()
  })

  it('prunes synced events to get under the size budget, on append, and reports unsynced overflow', async () => {
    const reports: { deleted: number; overBudgetUnsynced: boolean }[] = []
    const log = open({
      guardCursors: ['uplink'],
      retention: { maxAgeMs: 0, maxBytes: 256 * 1024 },
      maxBatch: 100,
      onRetention: (r) => reports.push(r),
    })
    const big = (i: number) => ({ kind: 'event' as const, deviceId: 'camara-1', body: { kind: 'blob', data: { s: 'x'.repeat(1000), i } } })
    for (let i = 0; i < 6; i++) await log.append(Array.from({ length: 100 }, (_, j) => big(i * 100 + j)))
    await new Promise((r) => setImmediate(r))
    // Over budget, but nothing is synced: every event stays.
    expect(log.status().eventCount).toBe(600)
    expect(log.status().usedBytes).toBeGreaterThan(256 * 1024)
    expect(reports.at(-1)).toMatchObject({ deleted: 0, overBudgetUnsynced: true })
    log.setCursor('uplink', 300)
    // The next append triggers the size check.
    await log.append(Array.from({ length: 100 }, (_, j) => big(600 + j)))
    await waitUntil(() => log.status().pruned.events > 0)
    const status = log.status()
    expect(status.oldest!.seq).toBe(301) // stopped at the cursor
    expect(status.eventCount).toBe(400)
    log.setCursor('uplink', 700)
    log.prune()
    expect(log.status().usedBytes).toBeLessThanOrEqual(256 * 1024)
    expect(log.status().lastSeq).toBe(700)
    log.close()
  })

  it('deletes at most chunkRows per prune and finishes over later turns', async () => {
    clock = 1_000 * DAY
    const log = aged({ retention: { maxAgeMs: DAY, maxBytes: 0, chunkRows: 40 } })
    await log.append(Array.from({ length: 100 }, (_, i) => reading(i)))
    log.setCursor('uplink', 100)
    clock += 2 * DAY
    expect(log.prune()).toMatchObject({ deleted: 40, more: true })
    log.startRetention()
    await waitUntil(() => log.status().eventCount === 0)
    expect(log.status().pruned.events).toBe(100)
    log.close()
  })

  it('reports size, count, oldest event and per-cursor lag', async () => {
    clock = 5_000
    const log = aged()
    expect(log.status()).toMatchObject({ eventCount: 0, lastSeq: 0, oldest: null, cursors: { uplink: { seq: 0, lag: 0, oldestPendingAt: null } } })
    await log.append([{ ...reading(1), time: 4_000 }, reading(2), reading(3)])
    clock = 6_000
    await log.append([reading(4)])
    log.setCursor('uplink', 3)
    const status = log.status()
    expect(status).toMatchObject({
      maxAgeMs: 30 * DAY,
      eventCount: 4,
      lastSeq: 4,
      oldest: { seq: 1, time: 4_000, receivedAt: 5_000 },
      cursors: { uplink: { seq: 3, lag: 1, updatedAt: 6_000, oldestPendingAt: 6_000 } },
    })
    expect(status.fileBytes).toBeGreaterThan(0)
    expect(status.usedBytes).toBeGreaterThan(0)
    log.close()
  })
})

async function waitUntil(probe: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!probe()) {
    if (Date.now() > deadline) throw new Error('waitUntil: timed out')
    await new Promise((r) => setTimeout(r, 5))
  }
}

describe('ingest rate and buffer days left', () => {
  it('estimates the ingest rate and how many days the budget lasts at it', async () => {
    let clock = Date.UTC(2026, 10, 21, 12, 0)
    const log = open({ now: () => clock, retention: { maxAgeMs: 0, maxBytes: 64 * 1024 * 1024, intervalMs: 3_600_000 } })
    await log.append([reading(1)])
    expect(log.status()).toMatchObject({ eventsPerDay: null, bufferDaysLeft: null })
    // 600 events over 10 minutes: 86,400 events a day.
    for (let minute = 1; minute <= 10; minute++) {
      clock += 60_000
      await log.append(Array.from({ length: 60 }, (_, i) => reading(i)))
    }
    const status = log.status()
    expect(status.eventsPerDay).toBe(86_400)
    const bytesPerDay = (status.usedBytes / status.eventCount) * 86_400
    expect(status.bufferDaysLeft).toBeCloseTo((status.maxBytes - status.usedBytes) / bytesPerDay, 0)
    expect(status.bufferDaysLeft).toBeGreaterThan(0)
    log.close()
  })

  it('has no estimate without a budget', async () => {
    let clock = 0
    const log = open({ now: () => clock, retention: { maxAgeMs: 0, maxBytes: 0, intervalMs: 3_600_000 } })
    await log.append([reading(1)])
    clock += 120_000
    await log.append([reading(2)])
    expect(log.status()).toMatchObject({ bufferDaysLeft: null })
    expect(log.status().eventsPerDay).toBeGreaterThan(0)
    log.close()
  })
})

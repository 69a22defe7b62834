import type Database from 'better-sqlite3'
import type { AbsentRange, DataGap, LogEvent } from '@tendero/protocol'
import { foldableReadings, groupForRollup, ROLLUP_PERIOD_MS, type RawReading } from './rollup.js'

/** The only kinds the budget may ever remove; everything else is kept whatever it costs. */
export const REMOVABLE_KINDS = ['telemetry', 'rollup'] as const

/** What the disk budget has done since the log was created (kept in log_meta). */
export interface BudgetCounters {
  /** Raw telemetry rows folded into rollups. */
  downsampled: number
  /** Rollups written in their place. */
  rollups: number
  /** Telemetry and rollup rows deleted outright (stage 2). */
  dropped: number
  /**
   * Seqs removed for good and reported as absent (folded rows beyond each rollup's own
   * seq, plus dropped rows): the `droppedTotal` of the protocol's SyncStatus.
   */
  droppedTotal: number
  /** `gap` events written, one per downsample or drop transaction. */
  gaps: number
}

export interface BudgetOptions {
  /** Rows (a seq range in stage 1) handled per transaction, so PUBACKs never wait long. */
  chunkRows: number
  /** The newest rows are never compacted: the live tail the uplink sends ahead, and minutes still filling. */
  tailRows: number
}

export const DEFAULT_BUDGET: BudgetOptions = { chunkRows: 2000, tailRows: 1000 }

/** One downsample or drop, committed with its gap event. */
export interface CompactionStep {
  gap: LogEvent & { kind: 'gap' }
  removedSeqs: number
}

type GapEnvelope = Pick<LogEvent, 'time' | 'receivedAt' | 'bootId' | 'monoMs' | 'clockSynced'>

interface CandidateRow {
  seq: number
  kind: string
  device_id: string
  time: number
  boot_id: string
  clock_synced: number
  body: string
}

const COUNTER_KEYS: Record<keyof BudgetCounters, string> = {
  downsampled: 'budget_downsampled',
  rollups: 'budget_rollups',
  dropped: 'budget_dropped',
  droppedTotal: 'budget_dropped_total',
  gaps: 'budget_gaps',
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS absent_ranges (from_seq INTEGER PRIMARY KEY, to_seq INTEGER NOT NULL);
  CREATE UNIQUE INDEX IF NOT EXISTS absent_ranges_to ON absent_ranges (to_seq);
  ${Object.values(COUNTER_KEYS)
    .map((key) => `INSERT OR IGNORE INTO log_meta (key, value) VALUES ('${key}', 0);`)
    .join('\n')}
`

/**
 * The disk budget over unsynced history (ARCHITECTURE.md, sync contract 6). EventLog.prune
 * calls `step()` once it has deleted everything the guard cursors passed and the log is
 * still over budget. Stage 1 folds the oldest raw telemetry into per-minute rollups, one
 * seq range per call, oldest first; only when nothing outside the live tail is left to
 * fold does stage 2 drop the oldest telemetry and rollups.
 *
 * Each step is one transaction that also appends its `gap` event (seq taken from
 * log_meta.last_seq exactly as a group commit does) and records the seqs it removed as
 * absent ranges, so a crash leaves either all of it or none. A rollup reuses the seq of
 * the first raw row it replaces; the others are absent for good and the uplink tells the
 * cloud so (UplinkBatch.absent), letting its contiguous watermark step over them.
 *
 * Rows a sender has out (`isPinned`: in flight to the cloud or InfluxDB, or held by the
 * cloud ahead of the cursor) are left alone: rewriting a seq the cloud already stores
 * would lose the rollup to its dedup.
 */
export class BudgetCompactor {
  /** Stage 1 has looked at every seq up to here; in memory, a restart rescans (cheaply) from the floor. */
  private scanned = 0
  private lastAt: number | null = null
  private readonly stmt

  constructor(
    private readonly db: Database.Database,
    private readonly o: BudgetOptions & {
      gatewayId: string
      envelope: () => GapEnvelope
      isPinned: (seq: number) => boolean
    },
  ) {
    db.exec(SCHEMA)
    this.stmt = {
      telemetryIn: db.prepare<[number, number], CandidateRow>(
        `SELECT seq, kind, device_id, time, boot_id, clock_synced, body FROM events
         WHERE seq > ? AND seq <= ? AND kind = 'telemetry' ORDER BY seq`,
      ),
      removableIn: db.prepare<[number, number], Omit<CandidateRow, 'body' | 'boot_id' | 'clock_synced'>>(
        `SELECT seq, kind, device_id, time FROM events
         WHERE seq > ? AND seq <= ? AND kind IN (${REMOVABLE_KINDS.map((k) => `'${k}'`).join(', ')}) ORDER BY seq`,
      ),
      // The envelope (time, clock facts) stays the first raw row's: the rollup takes its place.
      toRollup: db.prepare<[string, number]>(`UPDATE events SET kind = 'rollup', body = ? WHERE seq = ?`),
      delete: db.prepare<[number]>(`DELETE FROM events WHERE seq = ?`),
      lastSeq: db.prepare<[], { value: number }>(`SELECT value FROM log_meta WHERE key = 'last_seq'`),
      setLastSeq: db.prepare<[number]>(`UPDATE log_meta SET value = ? WHERE key = 'last_seq'`),
      addMeta: db.prepare<[number, string]>(`UPDATE log_meta SET value = value + ? WHERE key = ?`),
      meta: db.prepare<[], { key: string; value: number }>(`SELECT key, value FROM log_meta WHERE key LIKE 'budget_%'`),
      insert: db.prepare(
        `INSERT INTO events (seq, kind, device_id, time, received_at, boot_id, mono_ms, clock_synced, body)
         VALUES (@seq, 'gap', @deviceId, @time, @receivedAt, @bootId, @monoMs, @clockSynced, @body)`,
      ),
      rangeEndingAt: db.prepare<[number], { from_seq: number }>(`SELECT from_seq FROM absent_ranges WHERE to_seq = ?`),
      rangeStartingAt: db.prepare<[number], { to_seq: number }>(`SELECT to_seq FROM absent_ranges WHERE from_seq = ?`),
      deleteRange: db.prepare<[number]>(`DELETE FROM absent_ranges WHERE from_seq = ?`),
      insertRange: db.prepare<[number, number]>(`INSERT INTO absent_ranges (from_seq, to_seq) VALUES (?, ?)`),
      absentIn: db.prepare<[number, number, number], { from_seq: number; to_seq: number }>(
        `SELECT from_seq, to_seq FROM absent_ranges WHERE to_seq > ? AND from_seq <= ? ORDER BY to_seq LIMIT ?`,
      ),
      absentCount: db.prepare<[{ after: number; upTo: number }], { n: number | null }>(
        `SELECT sum(min(to_seq, @upTo) - max(from_seq, @after + 1) + 1) AS n FROM absent_ranges WHERE to_seq > @after AND from_seq <= @upTo`,
      ),
      forgetUpTo: db.prepare<[number]>(`DELETE FROM absent_ranges WHERE to_seq <= ?`),
      trimTo: db.prepare<[{ floor: number }]>(`UPDATE absent_ranges SET from_seq = @floor + 1 WHERE from_seq <= @floor AND to_seq > @floor`),
    }
  }

  /**
   * One bounded step toward the budget over seqs after `floor`. `excessBytes` and
   * `bytesPerEvent` size a drop. Returns the step committed, `scanned` when stage 1 only
   * read a range with nothing to fold (call again), or undefined when nothing outside
   * the tail and the pinned rows can be removed.
   */
  step(floor: number, lastSeq: number, excessBytes: number, bytesPerEvent: number): CompactionStep | 'scanned' | undefined {
    const limit = lastSeq - this.o.tailRows
    this.scanned = Math.max(this.scanned, floor)
    // Ranges already folded (rollups, alarms) are read quickly: look a few chunks ahead
    // for something to fold before handing the turn back.
    for (let reads = 0; this.scanned < limit; reads++) {
      if (reads === 8) return 'scanned'
      const from = this.scanned
      const to = Math.min(from + this.o.chunkRows, limit)
      const step = this.downsample(from, to)
      this.scanned = to
      if (step) return step
    }
    const rows = Math.min(this.o.chunkRows, Math.max(100, Math.ceil(excessBytes / Math.max(bytesPerEvent, 1))))
    return this.drop(floor, limit, rows)
  }

  /** Absent ranges clipped to (afterSeq, upToSeq], oldest first. */
  absentRanges(afterSeq: number, upToSeq: number, limit: number): AbsentRange[] {
    if (upToSeq <= afterSeq || limit <= 0) return []
    return this.stmt.absentIn
      .all(afterSeq, upToSeq, limit)
      .map((r): AbsentRange => [Math.max(r.from_seq, afterSeq + 1), Math.min(r.to_seq, upToSeq)])
  }

  absentCount(afterSeq: number, upToSeq: number): number {
    if (upToSeq <= afterSeq) return 0
    return this.stmt.absentCount.get({ after: afterSeq, upTo: upToSeq })?.n ?? 0
  }

  /** What every guard cursor has passed is of no use to anyone. */
  forgetAbsentUpTo(floor: number): void {
    this.stmt.forgetUpTo.run(floor)
    this.stmt.trimTo.run({ floor })
  }

  counters(): BudgetCounters & { lastAt: number | null } {
    const byKey = new Map(this.stmt.meta.all().map((r) => [r.key, r.value]))
    const out = { lastAt: this.lastAt } as BudgetCounters & { lastAt: number | null }
    for (const [name, key] of Object.entries(COUNTER_KEYS)) out[name as keyof BudgetCounters] = byKey.get(key) ?? 0
    return out
  }

  /** Stage 1 over (from, to]: every (device, minute) group of two or more raw rows becomes one rollup. */
  private downsample(from: number, to: number): CompactionStep | undefined {
    const rows: RawReading[] = []
    for (const row of this.stmt.telemetryIn.iterate(from, to)) {
      if (this.o.isPinned(row.seq)) continue
      const readings = foldableReadings(JSON.parse(row.body))
      if (!readings) continue
      rows.push({ seq: row.seq, deviceId: row.device_id, time: row.time, bootId: row.boot_id, clockSynced: row.clock_synced === 1, readings })
    }
    const groups = groupForRollup(rows, ROLLUP_PERIOD_MS)
    if (groups.length === 0) return undefined
    return this.db.transaction(() => {
      const removed: number[] = []
      const touched: { seq: number; deviceId: string; time: number }[] = []
      for (const { rows: group, rollup } of groups) {
        // Pinned rows were skipped above, and this runs synchronously: no sender can
        // have picked a row up between that read and this write.
        this.stmt.toRollup.run(JSON.stringify(rollup), group[0]!.seq)
        for (const row of group.slice(1)) {
          this.stmt.delete.run(row.seq)
          removed.push(row.seq)
        }
        touched.push(...group)
      }
      this.count('downsampled', touched.length)
      this.count('rollups', groups.length)
      return this.commitRemoval('downsampled', removed, touched, groups.length)
    })()
  }

  /** Stage 2: the oldest telemetry and rollups after `floor`, up to `rows` of them. */
  private drop(floor: number, limit: number, rows: number): CompactionStep | undefined {
    if (limit <= floor) return undefined
    const victims: { seq: number; deviceId: string; time: number }[] = []
    for (const r of this.stmt.removableIn.iterate(floor, limit)) {
      if (this.o.isPinned(r.seq)) continue
      victims.push({ seq: r.seq, deviceId: r.device_id, time: r.time })
      if (victims.length >= rows) break
    }
    if (victims.length === 0) return undefined
    return this.db.transaction(() => {
      for (const v of victims) this.stmt.delete.run(v.seq)
      this.count('dropped', victims.length)
      return this.commitRemoval(
        'dropped',
        victims.map((v) => v.seq),
        victims,
        0,
      )
    })()
  }

  /** Inside the step's transaction: absent ranges, counters and the gap event that explains them. */
  private commitRemoval(
    reason: DataGap['reason'],
    removed: number[],
    touched: readonly { seq: number; deviceId: string; time: number }[],
    written: number,
  ): CompactionStep {
    removed.sort((a, b) => a - b)
    this.markAbsent(removed)
    this.count('droppedTotal', removed.length)
    this.count('gaps', 1)
    let fromSeq = Infinity
    let toSeq = -Infinity
    let fromTime = Infinity
    let toTime = -Infinity
    const devices = new Set<string>()
    for (const t of touched) {
      fromSeq = Math.min(fromSeq, t.seq)
      toSeq = Math.max(toSeq, t.seq)
      fromTime = Math.min(fromTime, t.time)
      toTime = Math.max(toTime, t.time)
      devices.add(t.deviceId)
    }
    const body: DataGap = {
      reason,
      fromSeq,
      toSeq,
      fromTime,
      toTime,
      removed: removed.length,
      written,
      devices: [...devices].sort().slice(0, 1000),
    }
    const seq = (this.stmt.lastSeq.get()?.value ?? 0) + 1
    const gap = { ...this.o.envelope(), seq, kind: 'gap' as const, deviceId: this.o.gatewayId, body }
    this.stmt.insert.run({
      seq,
      deviceId: gap.deviceId,
      time: gap.time,
      receivedAt: gap.receivedAt,
      bootId: gap.bootId,
      monoMs: gap.monoMs,
      clockSynced: gap.clockSynced ? 1 : 0,
      body: JSON.stringify(body),
    })
    this.stmt.setLastSeq.run(seq)
    this.stmt.addMeta.run(1 - removed.length, 'event_count')
    this.lastAt = gap.receivedAt
    return { gap, removedSeqs: removed.length }
  }

  /** Adds sorted seqs as ranges, merged with the ranges they touch so the table stays canonical. */
  private markAbsent(seqs: readonly number[]): void {
    let i = 0
    while (i < seqs.length) {
      let j = i
      while (j + 1 < seqs.length && seqs[j + 1] === seqs[j]! + 1) j++
      let from = seqs[i]!
      let to = seqs[j]!
      // The seqs were rows a moment ago, so no range overlaps them; one may end just
      // before or start just after.
      const before = this.stmt.rangeEndingAt.get(from - 1)
      if (before) {
        this.stmt.deleteRange.run(before.from_seq)
        from = before.from_seq
      }
      const after = this.stmt.rangeStartingAt.get(to + 1)
      if (after) {
        this.stmt.deleteRange.run(to + 1)
        to = after.to_seq
      }
      this.stmt.insertRange.run(from, to)
      i = j + 1
    }
  }

  private count(name: keyof BudgetCounters, n: number): void {
    if (n !== 0) this.stmt.addMeta.run(n, COUNTER_KEYS[name])
  }
}

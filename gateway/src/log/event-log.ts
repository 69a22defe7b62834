import { mkdirSync, statSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import type { AbsentRange, LogEvent, LogEventKind } from '@tendero/protocol'
import { GatewayError } from '../errors.js'
import { BudgetCompactor, DEFAULT_BUDGET, type BudgetCounters, type CompactionStep } from './budget.js'

/** What a producer hands to the log; the envelope (seq, clock facts) is added here. */
export interface EventInput {
  kind: LogEventKind
  deviceId: string
  body: unknown
  /** Device timestamp, when the device sent one. Defaults to `receivedAt`. */
  time?: number | undefined
}

export interface EventLogOptions {
  path: string
  bootId: string
  clockSynced: () => boolean
  /** Device id of the `gap` events the disk budget writes: the gateway itself. */
  gatewayId?: string
  /** Wall clock, epoch ms. */
  now?: () => number
  /** Monotonic ms since this boot began. */
  monoNow?: () => number
  /**
   * Group commit window. 0 (the default) commits on the next turn of the event loop:
   * everything that arrived while the previous commit was syncing goes in one
   * transaction, so batches grow with load and an idle gateway adds no wait. A positive
   * value waits that many ms after the first queued event instead.
   */
  flushIntervalMs?: number
  /** Flush at once when this many events are queued, without waiting for the window. */
  maxBatch?: number
  /**
   * Age and size limits. Pruning removes only events every guard cursor has passed; past
   * that, the size budget thins unsynced telemetry (log/budget.ts) and nothing else.
   */
  retention?: Partial<RetentionOptions>
  /** Cursors (e.g. `uplink`) that must have passed an event before retention may delete it; the budget compacts only above the lowest. */
  guardCursors?: string[]
  /** Told about pruning and about a budget that cannot be met yet. */
  onRetention?: (report: RetentionReport) => void
}

export interface RetentionOptions {
  /** Events received longer ago than this are deleted once synced (ms); 0 keeps them forever. */
  maxAgeMs: number
  /** Budget for the pages the log uses on disk (bytes); 0 means no budget. */
  maxBytes: number
  /** Period of the background prune (ms). */
  intervalMs: number
  /** Most rows deleted per transaction, so a big prune never stalls PUBACKs for long. */
  chunkRows: number
  /** Seq range the disk budget downsamples (or rows it drops) per transaction (log/budget.ts). */
  compactChunkRows: number
  /** The newest rows the disk budget never touches: the live tail and minutes still filling. */
  compactTailRows: number
}

export const DEFAULT_RETENTION: RetentionOptions = {
  maxAgeMs: 30 * 24 * 3600_000,
  maxBytes: 512 * 1024 * 1024,
  intervalMs: 60_000,
  chunkRows: 20_000,
  compactChunkRows: DEFAULT_BUDGET.chunkRows,
  compactTailRows: DEFAULT_BUDGET.tailRows,
}

export interface RetentionReport {
  deleted: number
  /**
   * The size budget is exceeded and nothing more may go: the guard cursors have not passed
   * enough events, and what is left unsynced is not telemetry the budget may remove.
   */
  overBudgetUnsynced: boolean
  usedBytes: number
  /** Unsynced telemetry downsampled or dropped by this prune, with the gap event that says so. */
  compacted?: CompactionStep
  /** A background prune failed (its transaction rolled back whole). */
  error?: Error
}

export interface CursorStatus {
  seq: number
  /** Events logged after the cursor (seqs the disk budget removed are not events). */
  lag: number
  updatedAt: number | null
  /** Receive time of the first event the cursor has not passed; null when it is caught up. */
  oldestPendingAt: number | null
}

/** What the local API shows a technician about the log (sync contract point 8). */
export interface EventLogStatus {
  /** Database plus its WAL, as the file system sees them. */
  fileBytes: number
  /** Pages holding data; freed pages are reused, so the file itself does not shrink. */
  usedBytes: number
  maxBytes: number
  maxAgeMs: number
  eventCount: number
  lastSeq: number
  oldest: { seq: number; time: number; receivedAt: number } | null
  cursors: Record<string, CursorStatus>
  pruned: { events: number; lastAt: number | null }
  /**
   * What the disk budget removed from unsynced history (log/budget.ts); `active` while
   * the log is at its budget and thinning history.
   */
  budget: BudgetCounters & { lastAt: number | null; active: boolean }
  /** Events per day over about the last hour of appends; null until two samples a minute apart. */
  eventsPerDay: number | null
  /**
   * How long the budget lasts at that rate, if nothing were synced and pruned (an outage):
   * free budget / (bytes per event × events per day). Null without a budget or a rate;
   * 0 while the budget is already thinning unsynced history.
   */
  bufferDaysLeft: number | null
}

/**
 * An event as the JSON the uplink sends, built from its row without parsing the body
 * (`JSON.parse(json)` equals what `read()` returns), with the envelope facts a sender
 * decides on.
 */
export interface SerializedEvent {
  seq: number
  kind: LogEventKind
  clockSynced: boolean
  json: string
}

/** Told, synchronously and in seq order, about every event once its transaction has committed. */
export type CommitListener = (events: readonly LogEvent[]) => void

export interface EventLogStats {
  lastSeq: number
  pending: number
  commits: number
  committedEvents: number
}

interface Pending {
  events: Omit<LogEvent, 'seq'>[]
  resolve: (events: LogEvent[]) => void
  reject: (err: Error) => void
}

interface EventRow {
  seq: number
  kind: LogEventKind
  device_id: string
  time: number
  received_at: number
  boot_id: string
  mono_ms: number
  clock_synced: number
  body: string
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS events (
    seq          INTEGER PRIMARY KEY,
    kind         TEXT    NOT NULL,
    device_id    TEXT    NOT NULL,
    time         INTEGER NOT NULL,
    received_at  INTEGER NOT NULL,
    boot_id      TEXT    NOT NULL,
    mono_ms      REAL    NOT NULL,
    clock_synced INTEGER NOT NULL,
    body         TEXT    NOT NULL
  );
  CREATE TABLE IF NOT EXISTS log_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
  CREATE TABLE IF NOT EXISTS cursors (name TEXT PRIMARY KEY, seq INTEGER NOT NULL, updated_at INTEGER NOT NULL);
  INSERT OR IGNORE INTO log_meta (key, value) VALUES ('last_seq', 0);
  INSERT OR IGNORE INTO log_meta (key, value) VALUES ('event_count', (SELECT count(*) FROM events));
`

/**
 * The durable log of everything the gateway accepts (ARCHITECTURE.md, sync contract 1-2).
 *
 * Appends are group-committed: producers queue events and get a promise; one
 * transaction per event-loop turn (or per `flushIntervalMs`, or at `maxBatch`) writes them all with
 * synchronous=FULL, so a promise resolves only once its events are on disk. `seq` is
 * taken from `log_meta.last_seq` inside that same transaction, so a transaction that
 * rolls back leaves no gap, and later pruning of old rows can never make seq go back.
 */
export class EventLog {
  private readonly db: Database.Database
  private readonly opts: Required<Omit<EventLogOptions, 'path' | 'retention' | 'guardCursors' | 'onRetention' | 'gatewayId'>>
  private readonly path: string
  private readonly retention: RetentionOptions
  private readonly guards: Set<string>
  private readonly onRetention: (report: RetentionReport) => void
  private pruneTimer: NodeJS.Timeout | undefined
  private pruneScheduled = false
  private bytesSinceSizeCheck = 0
  private prunedEvents = 0
  private lastPruneAt: number | null = null
  private readonly compactor: BudgetCompactor
  /** Senders' rows out on the wire or held ahead by the cloud: the budget leaves them be. */
  private readonly pins = new Set<(seq: number) => boolean>()
  /** Over budget with unsynced history: compact down to 90% of it before standing down. */
  private budgetActive = false
  private queue: Pending[] = []
  private queuedEvents = 0
  private timer: NodeJS.Timeout | NodeJS.Immediate | undefined
  private closed = false
  private commits = 0
  private committedEvents = 0
  private lastSeqCache: number
  /** (time, lastSeq) about once a minute over the last hour, for the ingest rate. */
  private rateSamples: { at: number; seq: number }[] = []
  private readonly stmt
  /**
   * Cursors are written on their own connection with synchronous=NORMAL: a cursor lost in
   * a power cut is only behind (its sender resends, the receiver dedups), so it need not
   * wait for an fsync of its own. In WAL mode its frames are made durable by the next FULL
   * commit of the log (the WAL is one file, synced up to its end) or by a checkpoint, and
   * recovery keeps a prefix of the commits, so a cursor can come back older but never
   * pointing past events that did not survive: whatever it points at was committed (FULL)
   * before any sender read it.
   */
  private readonly cursorDb: Database.Database
  private readonly setCursorStmt: Database.Statement<[string, number, number]>
  private readonly commitListeners = new Set<CommitListener>()
  private readonly kindStmts = new Map<string, Database.Statement<[number, number, number], unknown[]>>()
  private readonly commitBatch: (batch: Pending[]) => LogEvent[][]

  constructor(options: EventLogOptions) {
    this.opts = {
      now: Date.now,
      monoNow: () => performance.now(),
      flushIntervalMs: 0,
      maxBatch: 1000,
      ...options,
    }
    this.path = options.path
    this.retention = { ...DEFAULT_RETENTION, ...options.retention }
    this.guards = new Set(options.guardCursors ?? [])
    this.onRetention = options.onRetention ?? (() => {})
    mkdirSync(dirname(options.path), { recursive: true })
    this.db = new Database(options.path)
    this.db.pragma('journal_mode = WAL')
    // FULL: the WAL is fsynced on every commit, which is what makes a PUBACK a promise.
    this.db.pragma('synchronous = FULL')
    this.db.exec(SCHEMA)
    this.compactor = new BudgetCompactor(this.db, {
      chunkRows: this.retention.compactChunkRows,
      tailRows: this.retention.compactTailRows,
      gatewayId: options.gatewayId ?? 'gateway',
      envelope: () => {
        const now = this.opts.now()
        return { time: now, receivedAt: now, bootId: this.opts.bootId, monoMs: this.opts.monoNow(), clockSynced: this.opts.clockSynced() }
      },
      isPinned: (seq) => {
        for (const pinned of this.pins) if (pinned(seq)) return true
        return false
      },
    })
    this.stmt = {
      lastSeq: this.db.prepare<[], { value: number }>(`SELECT value FROM log_meta WHERE key = 'last_seq'`),
      setLastSeq: this.db.prepare<[number]>(`UPDATE log_meta SET value = ? WHERE key = 'last_seq'`),
      addCount: this.db.prepare<[number]>(`UPDATE log_meta SET value = value + ? WHERE key = 'event_count'`),
      count: this.db.prepare<[], { value: number }>(`SELECT value FROM log_meta WHERE key = 'event_count'`),
      oldest: this.db.prepare<[], { seq: number; time: number; received_at: number }>(
        `SELECT seq, time, received_at FROM events ORDER BY seq LIMIT 1`,
      ),
      // Seqs are sparse once the disk budget has removed some: sizes count rows, not seqs.
      nthRow: this.db.prepare<[number], { seq: number }>(`SELECT seq FROM events ORDER BY seq LIMIT 1 OFFSET ?`),
      receivedAtFrom: this.db.prepare<[number], { seq: number; received_at: number }>(
        `SELECT seq, received_at FROM events WHERE seq >= ? ORDER BY seq LIMIT 1`,
      ),
      deleteUpTo: this.db.prepare<[number]>(`DELETE FROM events WHERE seq <= ?`),
      cursors: this.db.prepare<[], { name: string; seq: number; updated_at: number }>(`SELECT * FROM cursors`),
      insert: this.db.prepare(
        `INSERT INTO events (seq, kind, device_id, time, received_at, boot_id, mono_ms, clock_synced, body)
         VALUES (@seq, @kind, @deviceId, @time, @receivedAt, @bootId, @monoMs, @clockSynced, @body)`,
      ),
      read: this.db.prepare<[number, number], EventRow>(`SELECT * FROM events WHERE seq > ? ORDER BY seq LIMIT ?`),
      readRaw: this.db.prepare<[number, number], unknown[]>(`SELECT ${RAW_COLUMNS} FROM events WHERE seq > ? ORDER BY seq LIMIT ?`).raw(true),
      getCursor: this.db.prepare<[string], { seq: number }>(`SELECT seq FROM cursors WHERE name = ?`),
    }
    this.cursorDb = new Database(options.path)
    this.cursorDb.pragma('synchronous = NORMAL')
    this.setCursorStmt = this.cursorDb.prepare<[string, number, number]>(
      `INSERT INTO cursors (name, seq, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET seq = excluded.seq, updated_at = excluded.updated_at`,
    )
    this.lastSeqCache = this.stmt.lastSeq.get()?.value ?? 0
    this.commitBatch = this.db.transaction((batch: Pending[]) => {
      let seq = this.stmt.lastSeq.get()?.value ?? 0
      const first = seq
      const out = batch.map((p) =>
        p.events.map((e) => {
          seq += 1
          const event = { ...e, seq } as LogEvent
          const body = JSON.stringify(e.body)
          // Row overhead beyond the body is about 100 bytes; close enough to pace size checks.
          this.bytesSinceSizeCheck += body.length + 100
          this.stmt.insert.run({
            seq,
            kind: e.kind,
            deviceId: e.deviceId,
            time: e.time,
            receivedAt: e.receivedAt,
            bootId: e.bootId,
            monoMs: e.monoMs,
            clockSynced: e.clockSynced ? 1 : 0,
            body,
          })
          return event
        }),
      )
      this.stmt.setLastSeq.run(seq)
      this.stmt.addCount.run(seq - first)
      return out
    })
  }

  /** Resolves with the stored events (seq assigned) once their transaction has committed. */
  append(inputs: EventInput[]): Promise<LogEvent[]> {
    if (this.closed) return Promise.reject(new GatewayError('LOG_ERR_CLOSED', 'event log is closed'))
    if (inputs.length === 0) return Promise.resolve([])
    const receivedAt = this.opts.now()
    const monoMs = this.opts.monoNow()
    const clockSynced = this.opts.clockSynced()
    const events = inputs.map(
      (i) =>
        ({
          kind: i.kind,
          deviceId: i.deviceId,
          time: i.time ?? receivedAt,
          receivedAt,
          bootId: this.opts.bootId,
          monoMs,
          clockSynced,
          body: i.body,
        }) as Omit<LogEvent, 'seq'>,
    )
    return new Promise((resolve, reject) => {
      this.queue.push({ events, resolve, reject })
      this.queuedEvents += events.length
      if (this.queuedEvents >= this.opts.maxBatch) this.flush()
      else if (this.opts.flushIntervalMs > 0) this.timer ??= setTimeout(() => this.flush(), this.opts.flushIntervalMs)
      else this.timer ??= setImmediate(() => this.flush())
    })
  }

  /** Commits everything queued now. A failed transaction rejects only its own producers. */
  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer as NodeJS.Timeout)
      clearImmediate(this.timer as NodeJS.Immediate)
    }
    this.timer = undefined
    const batch = this.queue
    if (batch.length === 0) return
    this.queue = []
    this.queuedEvents = 0
    let stored: LogEvent[][]
    try {
      stored = this.commitBatch(batch)
    } catch (err) {
      for (const p of batch) p.reject(err as Error)
      return
    }
    this.commits += 1
    for (const [i, p] of batch.entries()) {
      const events = stored[i]!
      this.committedEvents += events.length
      this.lastSeqCache = events.at(-1)?.seq ?? this.lastSeqCache
      p.resolve(events)
    }
    if (this.commitListeners.size > 0) {
      const events = stored.length === 1 ? stored[0]! : stored.flat()
      for (const listener of this.commitListeners) listener(events)
    }
    this.sampleRate()
    // Checking the page count on every commit would cost more than it saves; about one
    // check per 1% of the budget keeps the overshoot small.
    const { maxBytes } = this.retention
    if (maxBytes > 0 && this.bytesSinceSizeCheck >= Math.min(maxBytes / 100, 1024 * 1024)) this.schedulePrune()
  }

  read(afterSeq: number, limit: number): LogEvent[] {
    return this.stmt.read.all(afterSeq, limit).map(rowToEvent)
  }

  /**
   * Like `read`, as JSON built from the rows with their bodies left as stored. Rows for
   * which `skip(seq)` is true are not serialized (nor returned).
   */
  readSerialized(afterSeq: number, limit: number, skip?: (seq: number) => boolean): SerializedEvent[] {
    const rows = this.stmt.readRaw.all(afterSeq, limit) as RawRow[]
    const out: SerializedEvent[] = []
    for (const row of rows) if (!skip?.(row[0])) out.push(serializeRow(row))
    return out
  }

  /**
   * Events of the given kinds in seq (afterSeq, upToSeq], oldest first, at most `limit`,
   * serialized like `readSerialized`. SQLite filters on kind, so a scan over a long run of
   * other kinds costs little: their rows never reach JavaScript.
   */
  readKinds(afterSeq: number, upToSeq: number, kinds: readonly LogEventKind[], limit: number): SerializedEvent[] {
    const key = kinds.join(',')
    let stmt = this.kindStmts.get(key)
    if (!stmt) {
      const list = kinds.map((k) => `'${k.replace(/'/g, "''")}'`).join(', ')
      stmt = this.db
        .prepare<[number, number, number], unknown[]>(`SELECT ${RAW_COLUMNS} FROM events WHERE seq > ? AND seq <= ? AND kind IN (${list}) ORDER BY seq LIMIT ?`)
        .raw(true)
      this.kindStmts.set(key, stmt)
    }
    return (stmt.all(afterSeq, upToSeq, limit) as RawRow[]).map(serializeRow)
  }

  /**
   * `listener` hears of every event committed from now on, in seq order: group commits and
   * the gap events of the disk budget. It runs inside the commit's turn and must not throw.
   * Returns the unregister function.
   */
  onCommit(listener: CommitListener): () => void {
    this.commitListeners.add(listener)
    return () => this.commitListeners.delete(listener)
  }

  lastSeq(): number {
    return this.lastSeqCache
  }

  getCursor(name: string): number {
    return this.stmt.getCursor.get(name)?.seq ?? 0
  }

  /** Not fsynced on its own (see `cursorDb`): after a power cut a cursor may be back where it was, never ahead. */
  setCursor(name: string, seq: number): void {
    this.setCursorStmt.run(name, seq, this.opts.now())
  }

  /** From now on retention keeps every event this cursor has not passed. */
  registerCursor(name: string): void {
    this.guards.add(name)
  }

  /**
   * A sender (uplink, InfluxDB sink) tells the disk budget which seqs it has out: sent
   * and not answered yet, or held by the cloud ahead of the cursor. The budget never
   * rewrites or drops those. Returns the unregister function.
   */
  protectFromCompaction(isPinned: (seq: number) => boolean): () => void {
    this.pins.add(isPinned)
    return () => this.pins.delete(isPinned)
  }

  /**
   * Seq ranges in (afterSeq, upToSeq] the disk budget removed for good (clipped to that
   * interval, oldest first, at most `limit`): the uplink reports them as
   * `UplinkBatch.absent` so the cloud's watermark can pass them.
   */
  absentRanges(afterSeq: number, upToSeq: number, limit: number): AbsentRange[] {
    return this.compactor.absentRanges(afterSeq, upToSeq, limit)
  }

  /** How many seqs in (afterSeq, upToSeq] are absent: no row will ever be sent for them. */
  absentCount(afterSeq: number, upToSeq: number): number {
    return this.compactor.absentCount(afterSeq, upToSeq)
  }

  /** Starts the periodic prune (retention.intervalMs). Stopped by `close()`. */
  startRetention(): void {
    if (this.pruneTimer || this.closed) return
    this.pruneTimer = setInterval(() => this.schedulePrune(), this.retention.intervalMs)
    this.pruneTimer.unref()
    this.schedulePrune()
  }

  /**
   * Deletes the oldest events that are past their age, or that bring the log back under
   * 90% of its size budget, but never an event a guard cursor has not passed: an event
   * not yet in the cloud is the only copy there is. Deletes whole prefixes of seq, at most
   * `chunkRows` per call; `more` says another call would do more.
   *
   * When that is not enough because the cloud (or InfluxDB) is behind, the disk budget
   * takes one bounded step over unsynced history (log/budget.ts, sync contract 6):
   * downsample the oldest raw telemetry, then drop the oldest telemetry, each with a gap
   * event. Alarms, state, access, money and the rest are never removed, so a log full of
   * them grows past its budget and reports `overBudgetUnsynced`.
   */
  prune(): RetentionReport & { more: boolean } {
    if (this.closed) return { deleted: 0, overBudgetUnsynced: false, usedBytes: 0, more: false }
    this.bytesSinceSizeCheck = 0
    const oldest = this.stmt.oldest.get()
    let usedBytes = this.usedBytes()
    if (!oldest) return { deleted: 0, overBudgetUnsynced: false, usedBytes, more: false }
    const floor = this.guardFloor()
    const { maxAgeMs, maxBytes, chunkRows } = this.retention
    let upTo = oldest.seq - 1
    if (maxAgeMs > 0) upTo = Math.max(upTo, this.lastSeqReceivedBefore(this.opts.now() - maxAgeMs, oldest.seq, floor))
    if (maxBytes > 0 && usedBytes > maxBytes) {
      const count = this.stmt.count.get()?.value ?? 0
      const perEvent = usedBytes / Math.max(count, 1)
      // At most a chunk goes per call anyway, so the row count to look up is capped by it.
      upTo = Math.max(upTo, Math.min(this.seqOfRow(Math.min(chunkRows, Math.ceil((usedBytes - maxBytes * 0.9) / perEvent))), floor))
    }
    upTo = Math.min(upTo, floor)
    if (upTo >= oldest.seq) upTo = Math.min(upTo, this.seqOfRow(chunkRows))
    let deleted = 0
    if (upTo >= oldest.seq) {
      deleted = this.db.transaction(() => {
        const changes = this.stmt.deleteUpTo.run(upTo).changes
        this.stmt.addCount.run(-changes)
        this.compactor.forgetAbsentUpTo(floor)
        return changes
      })()
      this.prunedEvents += deleted
      this.lastPruneAt = this.opts.now()
      usedBytes = this.usedBytes()
    }
    let more = deleted === chunkRows
    let overBudgetUnsynced = false
    let compacted: CompactionStep | undefined
    // Synced events go first; unsynced history is touched only once none is left to prune.
    if (!more && maxBytes > 0 && (usedBytes > maxBytes || (this.budgetActive && usedBytes > maxBytes * 0.9))) {
      this.budgetActive = true
      const count = this.stmt.count.get()?.value ?? 0
      const step = this.compactor.step(floor, this.lastSeqCache, usedBytes - maxBytes * 0.9, usedBytes / Math.max(count, 1))
      if (step === undefined) {
        overBudgetUnsynced = usedBytes > maxBytes
        this.budgetActive = overBudgetUnsynced
      } else {
        more = true
        if (step !== 'scanned') {
          compacted = step
          this.lastSeqCache = step.gap.seq
          for (const listener of this.commitListeners) listener([step.gap])
          usedBytes = this.usedBytes()
          more = usedBytes > maxBytes * 0.9
          this.budgetActive = more
        }
      }
    } else if (!more) this.budgetActive = false
    const report: RetentionReport = { deleted, overBudgetUnsynced, usedBytes, ...(compacted ? { compacted } : {}) }
    if (deleted > 0 || overBudgetUnsynced || compacted) this.onRetention(report)
    return { ...report, more }
  }

  /** Size, age, count and per-cursor lag of the log, for the local API. */
  status(): EventLogStatus {
    const oldest = this.stmt.oldest.get()
    const lastSeq = this.lastSeqCache
    const cursors: Record<string, CursorStatus> = {}
    const rows = new Map(this.stmt.cursors.all().map((r) => [r.name, r]))
    for (const name of new Set([...this.guards, ...rows.keys()])) {
      const row = rows.get(name)
      const seq = row?.seq ?? 0
      const next = seq < lastSeq ? this.stmt.receivedAtFrom.get(seq + 1) : undefined
      const lag = Math.max(0, lastSeq - seq - this.compactor.absentCount(seq, lastSeq))
      cursors[name] = { seq, lag, updatedAt: row?.updated_at ?? null, oldestPendingAt: next?.received_at ?? null }
    }
    const usedBytes = this.usedBytes()
    const eventCount = this.stmt.count.get()?.value ?? 0
    const eventsPerDay = this.eventsPerDay()
    const { maxBytes } = this.retention
    const bytesPerDay = eventsPerDay && eventCount > 0 ? (usedBytes / eventCount) * eventsPerDay : 0
    return {
      fileBytes: fileSize(this.path) + fileSize(`${this.path}-wal`),
      usedBytes,
      maxBytes,
      maxAgeMs: this.retention.maxAgeMs,
      eventCount,
      eventsPerDay: eventsPerDay === null ? null : Math.round(eventsPerDay),
      bufferDaysLeft:
        maxBytes > 0 && bytesPerDay > 0
          ? this.budgetActive
            ? 0
            : Math.max(0, Math.round(((maxBytes - usedBytes) / bytesPerDay) * 10) / 10)
          : null,
      lastSeq,
      oldest: oldest ? { seq: oldest.seq, time: oldest.time, receivedAt: oldest.received_at } : null,
      cursors,
      pruned: { events: this.prunedEvents, lastAt: this.lastPruneAt },
      budget: { ...this.compactor.counters(), active: this.budgetActive },
    }
  }

  private sampleRate(): void {
    const now = this.opts.now()
    const last = this.rateSamples.at(-1)
    if (last && now - last.at < 60_000) return
    this.rateSamples.push({ at: now, seq: this.lastSeqCache })
    if (this.rateSamples.length > 61) this.rateSamples.shift()
  }

  private eventsPerDay(): number | null {
    const first = this.rateSamples[0]
    const now = this.opts.now()
    if (!first || now - first.at < 60_000) return null
    return ((this.lastSeqCache - first.seq) / (now - first.at)) * 86_400_000
  }

  /** The seq of the n-th oldest row (n >= 1), or lastSeq when there are fewer. */
  private seqOfRow(n: number): number {
    return this.stmt.nthRow.get(Math.max(0, n - 1))?.seq ?? this.lastSeqCache
  }

  /** The highest seq every guard cursor has passed; with no guard, nothing may go. */
  private guardFloor(): number {
    if (this.guards.size === 0) return 0
    let floor = this.lastSeqCache
    for (const name of this.guards) floor = Math.min(floor, this.getCursor(name))
    return floor
  }

  /**
   * Binary search for the last seq in [from, to] received before `cutoff`. Receive times
   * follow seq except when the wall clock jumps; then the answer is off by the jump,
   * which only moves an already-synced event's deletion by that much.
   */
  private lastSeqReceivedBefore(cutoff: number, from: number, to: number): number {
    let lo = from - 1
    let hi = to
    while (lo < hi) {
      const mid = Math.floor((lo + hi + 1) / 2)
      const row = this.stmt.receivedAtFrom.get(mid)
      if (row && row.seq <= hi && row.received_at < cutoff) lo = row.seq
      else hi = mid - 1
    }
    return lo
  }

  private usedBytes(): number {
    const pages = this.db.pragma('page_count', { simple: true }) as number
    const free = this.db.pragma('freelist_count', { simple: true }) as number
    const pageSize = this.db.pragma('page_size', { simple: true }) as number
    return (pages - free) * pageSize
  }

  /** Prunes off the publish path, one chunk per turn of the event loop. */
  private schedulePrune(): void {
    if (this.pruneScheduled || this.closed) return
    this.pruneScheduled = true
    setImmediate(() => {
      this.pruneScheduled = false
      let more = false
      try {
        more = this.prune().more
      } catch (err) {
        // Off the publish path nobody awaits this; the owner hears of it and the next size check tries again.
        this.onRetention({ deleted: 0, overBudgetUnsynced: false, usedBytes: 0, error: err as Error })
      }
      if (more) this.schedulePrune()
    })
  }

  stats(): EventLogStats {
    return { lastSeq: this.lastSeqCache, pending: this.queuedEvents, commits: this.commits, committedEvents: this.committedEvents }
  }

  private restampStmt: Database.Statement | undefined

  /**
   * Clock trust (src/clock/restamp.ts): events of `bootId` in seq (afterSeq, afterSeq +
   * maxRows] that were recorded before the clock synced get the wall time their monotonic
   * stamp maps to, `wallMs − (monoMs − mono_ms)`; `time` moves with `received_at` when it
   * was the gateway's own stamp, a device's timestamp stays. Rollups and gaps are left
   * flagged: their bodies hold times from the unsynced clock that this cannot fix. One
   * chunk per call, so the caller can yield between chunks and PUBACKs are not held up.
   */
  restamp(o: { bootId: string; afterSeq: number; maxRows: number; wallMs: number; monoMs: number }): { updated: number; throughSeq: number } {
    const throughSeq = Math.max(o.afterSeq, Math.min(this.lastSeqCache, o.afterSeq + o.maxRows))
    if (this.closed || throughSeq === o.afterSeq) return { updated: 0, throughSeq }
    // SET expressions all read the row as it was, so `time = received_at` compares old values.
    this.restampStmt ??= this.db.prepare(
      `UPDATE events SET
         received_at = CAST(round(@wallMs - (@monoMs - mono_ms)) AS INTEGER),
         time = CASE WHEN time = received_at THEN CAST(round(@wallMs - (@monoMs - mono_ms)) AS INTEGER) ELSE time END,
         clock_synced = 1
       WHERE seq > @afterSeq AND seq <= @throughSeq AND boot_id = @bootId AND clock_synced = 0
         AND kind NOT IN ('rollup', 'gap')`,
    )
    const { changes } = this.restampStmt.run({ bootId: o.bootId, afterSeq: o.afterSeq, throughSeq, wallMs: o.wallMs, monoMs: o.monoMs })
    return { updated: changes, throughSeq }
  }

  /** Commits what is queued, then closes the database. */
  close(): void {
    if (this.closed) return
    this.flush()
    this.closed = true
    if (this.pruneTimer) clearInterval(this.pruneTimer)
    this.cursorDb.close()
    this.db.close()
  }
}

function fileSize(path: string): number {
  try {
    return statSync(path).size
  } catch {
    return 0
  }
}

const RAW_COLUMNS = 'seq, kind, device_id, time, received_at, boot_id, mono_ms, clock_synced, body'
type RawRow = [seq: number, kind: LogEventKind, deviceId: string, time: number, receivedAt: number, bootId: string, monoMs: number, clockSynced: number, body: string]

/** What JSON.stringify writes for a number: a non-finite one is null. */
const jsonNumber = (n: number) => (Number.isFinite(n) ? String(n) : 'null')

/** The JSON of `rowToEvent(row)`, same keys in the same order, with the stored body spliced in. */
function serializeRow(r: RawRow): SerializedEvent {
  const json =
    `{"seq":${r[0]},"kind":${JSON.stringify(r[1])},"deviceId":${JSON.stringify(r[2])},"time":${jsonNumber(r[3])},` +
    `"receivedAt":${jsonNumber(r[4])},"bootId":${JSON.stringify(r[5])},"monoMs":${jsonNumber(r[6])},"clockSynced":${r[7] === 1},"body":${r[8]}}`
  return { seq: r[0], kind: r[1], clockSynced: r[7] === 1, json }
}

/** An event in memory (just committed, or re-stamped) as `readSerialized` would give it. */
export function serializeEvent(e: LogEvent): SerializedEvent {
  return serializeRow([e.seq, e.kind, e.deviceId, e.time, e.receivedAt, e.bootId, e.monoMs, e.clockSynced ? 1 : 0, JSON.stringify(e.body)])
}

function rowToEvent(row: EventRow): LogEvent {
  return {
    seq: row.seq,
    kind: row.kind,
    deviceId: row.device_id,
    time: row.time,
    receivedAt: row.received_at,
    bootId: row.boot_id,
    monoMs: row.mono_ms,
    clockSynced: row.clock_synced === 1,
    body: JSON.parse(row.body),
  } as LogEvent
}

import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import type { LogEvent, LogEventKind } from '@tendero/protocol'
import { GatewayError } from '../errors.js'

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
  /** Wall clock, epoch ms. */
  now?: () => number
  /** Monotonic ms since this boot began. */
  monoNow?: () => number
  /** Group commit window: queued events are flushed together at most this long after the first. */
  flushIntervalMs?: number
  /** Flush at once when this many events are queued, without waiting for the window. */
  maxBatch?: number
}

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
`

/**
 * The durable log of everything the gateway accepts (ARCHITECTURE.md, sync contract 1-2).
 *
 * Appends are group-committed: producers queue events and get a promise; one
 * transaction every `flushIntervalMs` (or at `maxBatch`) writes them all with
 * synchronous=FULL, so a promise resolves only once its events are on disk. `seq` is
 * taken from `log_meta.last_seq` inside that same transaction, so a transaction that
 * rolls back leaves no gap, and later pruning of old rows can never make seq go back.
 */
export class EventLog {
  private readonly db: Database.Database
  private readonly opts: Required<Omit<EventLogOptions, 'path'>>
  private queue: Pending[] = []
  private queuedEvents = 0
  private timer: NodeJS.Timeout | undefined
  private closed = false
  private commits = 0
  private committedEvents = 0
  private lastSeqCache: number
  private readonly stmt
  private readonly commitBatch: (batch: Pending[]) => LogEvent[][]

  constructor(options: EventLogOptions) {
    this.opts = {
      now: Date.now,
      monoNow: () => performance.now(),
      flushIntervalMs: 5,
      maxBatch: 1000,
      ...options,
    }
    mkdirSync(dirname(options.path), { recursive: true })
    this.db = new Database(options.path)
    this.db.pragma('journal_mode = WAL')
    // FULL: the WAL is fsynced on every commit, which is what makes a PUBACK a promise.
    this.db.pragma('synchronous = FULL')
    this.db.exec(SCHEMA)
    this.stmt = {
      lastSeq: this.db.prepare<[], { value: number }>(`SELECT value FROM log_meta WHERE key = 'last_seq'`),
      setLastSeq: this.db.prepare<[number]>(`UPDATE log_meta SET value = ? WHERE key = 'last_seq'`),
      insert: this.db.prepare(
        `INSERT INTO events (seq, kind, device_id, time, received_at, boot_id, mono_ms, clock_synced, body)
         VALUES (@seq, @kind, @deviceId, @time, @receivedAt, @bootId, @monoMs, @clockSynced, @body)`,
      ),
      read: this.db.prepare<[number, number], EventRow>(`SELECT * FROM events WHERE seq > ? ORDER BY seq LIMIT ?`),
      getCursor: this.db.prepare<[string], { seq: number }>(`SELECT seq FROM cursors WHERE name = ?`),
      setCursor: this.db.prepare<[string, number, number]>(
        `INSERT INTO cursors (name, seq, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET seq = excluded.seq, updated_at = excluded.updated_at`,
      ),
    }
    this.lastSeqCache = this.stmt.lastSeq.get()?.value ?? 0
    this.commitBatch = this.db.transaction((batch: Pending[]) => {
      let seq = this.stmt.lastSeq.get()?.value ?? 0
      const out = batch.map((p) =>
        p.events.map((e) => {
          seq += 1
          const event = { ...e, seq } as LogEvent
          this.stmt.insert.run({
            seq,
            kind: e.kind,
            deviceId: e.deviceId,
            time: e.time,
            receivedAt: e.receivedAt,
            bootId: e.bootId,
            monoMs: e.monoMs,
            clockSynced: e.clockSynced ? 1 : 0,
            body: JSON.stringify(e.body),
          })
          return event
        }),
      )
      this.stmt.setLastSeq.run(seq)
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
      else this.timer ??= setTimeout(() => this.flush(), this.opts.flushIntervalMs)
    })
  }

  /** Commits everything queued now. A failed transaction rejects only its own producers. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer)
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
  }

  read(afterSeq: number, limit: number): LogEvent[] {
    return this.stmt.read.all(afterSeq, limit).map(rowToEvent)
  }

  lastSeq(): number {
    return this.lastSeqCache
  }

  getCursor(name: string): number {
    return this.stmt.getCursor.get(name)?.seq ?? 0
  }

  setCursor(name: string, seq: number): void {
    this.stmt.setCursor.run(name, seq, this.opts.now())
  }

  stats(): EventLogStats {
    return { lastSeq: this.lastSeqCache, pending: this.queuedEvents, commits: this.commits, committedEvents: this.committedEvents }
  }

  /** Commits what is queued, then closes the database. */
  close(): void {
    if (this.closed) return
    this.flush()
    this.closed = true
    this.db.close()
  }
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

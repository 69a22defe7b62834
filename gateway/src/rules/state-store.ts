import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'

/**
 * Durable home of the gateway's working state (rule timers and counters, relay guards,
 * named states, active alarms): one JSON document per owner in `state.db`, apart from
 * the event log so neither's schema or write rate constrains the other.
 *
 * Write-through, debounced: owners call `changed()` as often as they like; within
 * `flushDelayMs` every registered snapshot is serialized and written if it differs from
 * what is on disk. `close()` writes the last state. A crash loses at most that window of
 * timer progress, never the log events the state was derived from.
 */
export class StateStore {
  private readonly db: Database.Database
  private readonly snapshots = new Map<string, () => unknown>()
  private readonly written = new Map<string, string>()
  private readonly upsert
  private timer: NodeJS.Timeout | undefined
  private closed = false

  constructor(
    path: string,
    private readonly flushDelayMs = 500,
  ) {
    mkdirSync(dirname(path), { recursive: true })
    this.db = new Database(path)
    this.db.pragma('journal_mode = WAL')
    this.db.pragma('synchronous = FULL')
    this.db.exec('CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at INTEGER NOT NULL)')
    this.upsert = this.db.prepare(
      'INSERT INTO state (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at',
    )
  }

  /** The document last written under `key`, or undefined. */
  load<T>(key: string): T | undefined {
    const row = this.db.prepare('SELECT value FROM state WHERE key = ?').get(key) as { value: string } | undefined
    if (!row) return undefined
    this.written.set(key, row.value)
    return JSON.parse(row.value) as T
  }

  /** `snapshot` is read at each flush; it returns the owner's live state object. */
  register(key: string, snapshot: () => unknown): void {
    this.snapshots.set(key, snapshot)
  }

  changed(): void {
    if (this.closed || this.timer) return
    this.timer = setTimeout(() => this.flush(), this.flushDelayMs)
    this.timer.unref()
  }

  flush(): void {
    clearTimeout(this.timer)
    this.timer = undefined
    if (this.closed) return
    const rows: [string, string][] = []
    for (const [key, snapshot] of this.snapshots) {
      const json = JSON.stringify(snapshot())
      if (this.written.get(key) !== json) rows.push([key, json])
    }
    if (rows.length === 0) return
    const at = Date.now()
    this.db.transaction(() => {
      for (const [key, json] of rows) this.upsert.run(key, json, at)
    })()
    for (const [key, json] of rows) this.written.set(key, json)
  }

  close(): void {
    if (this.closed) return
    this.flush()
    this.closed = true
    this.db.close()
  }
}

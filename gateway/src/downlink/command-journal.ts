import { mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import Database from 'better-sqlite3'
import type { CommandAckMessage } from '@tendero/protocol'

export const commandJournalPath = (dataDir: string) => join(dataDir, 'downlink.db')

/**
 * How long past its expiry a command's entry is kept. A resend after that is answered
 * `expired` by the expiry check anyway, so pruning can never make a command run twice;
 * the margin only keeps the original answer for a cloud whose clock runs behind ours.
 */
export const JOURNAL_GRACE_MS = 60 * 60_000

/** A journal entry: `ack` null means the command began and no answer was ever recorded. */
export interface JournalEntry {
  ack: CommandAckMessage | null
}

/**
 * Cloud commands this gateway has taken on, in `downlink.db`, so a command the cloud
 * resends (its ack was lost, the gateway restarted) is answered again and not run twice.
 *
 * A command is written as begun, with synchronous=FULL, *before* it runs, and its answer
 * after. A crash between the two leaves an entry with no answer, and a resend of it is
 * acked `interrupted` without running it: for a door or a relay, doing an order at most
 * once is the safe side. Running it again could open a door minutes after the person
 * who asked walked away; not running it costs the user one more click, and the cloud
 * shows why.
 */
export class CommandJournal {
  private readonly db: Database.Database
  private readonly stmt
  private closed = false

  constructor(path: string) {
    mkdirSync(dirname(path), { recursive: true })
    this.db = new Database(path)
    this.db.pragma('journal_mode = WAL')
    // FULL: a `begin` must be on disk before the device hears the command.
    this.db.pragma('synchronous = FULL')
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS cloud_commands (
        id         TEXT    PRIMARY KEY,
        expires_at INTEGER NOT NULL,
        begun_at   INTEGER NOT NULL,
        ack        TEXT
      );
      CREATE INDEX IF NOT EXISTS cloud_commands_expiry ON cloud_commands (expires_at);
    `)
    this.stmt = {
      get: this.db.prepare<[string], { ack: string | null }>('SELECT ack FROM cloud_commands WHERE id = ?'),
      begin: this.db.prepare<[string, number, number]>('INSERT INTO cloud_commands (id, expires_at, begun_at) VALUES (?, ?, ?)'),
      answer: this.db.prepare<[string, number, number, string]>(
        'INSERT INTO cloud_commands (id, expires_at, begun_at, ack) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET ack = excluded.ack',
      ),
      prune: this.db.prepare<[number]>('DELETE FROM cloud_commands WHERE expires_at < ?'),
      count: this.db.prepare<[], { n: number }>('SELECT count(*) AS n FROM cloud_commands'),
    }
  }

  get(id: string): JournalEntry | undefined {
    const row = this.stmt.get.get(id)
    if (!row) return undefined
    return { ack: row.ack === null ? null : (JSON.parse(row.ack) as CommandAckMessage) }
  }

  /** Durable when it returns; call right before running the command. */
  begin(id: string, expiresAt: number, now: number): void {
    this.stmt.begin.run(id, expiresAt, now)
  }

  /** Records the answer, whether or not the command was begun (refusals never are). */
  answer(ack: CommandAckMessage, expiresAt: number, now: number): void {
    this.stmt.answer.run(ack.id, expiresAt, now, JSON.stringify(ack))
  }

  /** Forgets commands that expired more than JOURNAL_GRACE_MS ago; returns how many. */
  prune(now: number): number {
    return this.stmt.prune.run(now - JOURNAL_GRACE_MS).changes
  }

  size(): number {
    return this.stmt.count.get()?.n ?? 0
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    this.db.close()
  }
}

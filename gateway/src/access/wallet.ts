import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import type { LedgerEntry, PaymentRecord } from '@tendero/protocol'

/** A card's money as the wallet holds it, in integer minor units. */
export interface CardWallet {
  balanceMinor: number
  /** Charged since the cloud link went down; reset when it is back. */
  offlineSpentMinor: number
}

/** A decision already taken for (terminalId, txId), so a retried request gets the same answer. */
export interface StoredTx {
  record: PaymentRecord
  logSeq: number
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS cards (
    card_id             TEXT    PRIMARY KEY,
    balance_minor       INTEGER NOT NULL CHECK (balance_minor >= 0),
    offline_spent_minor INTEGER NOT NULL DEFAULT 0
  );
  CREATE TABLE IF NOT EXISTS transactions (
    terminal_id TEXT    NOT NULL,
    tx_id       TEXT    NOT NULL,
    log_seq     INTEGER NOT NULL,
    record      TEXT    NOT NULL,
    PRIMARY KEY (terminal_id, tx_id)
  );
  CREATE TABLE IF NOT EXISTS ledger (
    id           INTEGER PRIMARY KEY,
    terminal_id  TEXT    NOT NULL,
    tx_id        TEXT    NOT NULL,
    account      TEXT    NOT NULL,
    debit_minor  INTEGER NOT NULL CHECK (debit_minor >= 0),
    credit_minor INTEGER NOT NULL CHECK (credit_minor >= 0)
  );
  CREATE INDEX IF NOT EXISTS ledger_account ON ledger (account);
  CREATE TABLE IF NOT EXISTS wallet_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
  INSERT OR IGNORE INTO wallet_meta (key, value) VALUES ('applied_seq', 0), ('link_offline', 0);
`

export const cardAccount = (cardId: string) => `card:${cardId}`

/**
 * Card balances, the double-entry ledger and the decisions taken, in `wallet.db`.
 *
 * The durable log is the source of truth: a payment is appended to the log first and
 * applied here after, with `applied_seq` advanced in the same transaction. After a crash
 * between the two, `replay` re-applies the payment events the log has beyond
 * `applied_seq`, so this file is a projection that can always be rebuilt; that is why
 * synchronous=NORMAL (consistent, may lose the last commits on power loss) is enough.
 */
export class WalletStore {
  private readonly db: Database.Database
  private readonly stmt
  private linkOffline: boolean
  readonly apply: (record: PaymentRecord, logSeq: number, offline: boolean) => boolean

  constructor(path: string) {
    mkdirSync(dirname(path), { recursive: true })
    this.db = new Database(path)
    this.db.pragma('journal_mode = WAL')
    this.db.pragma('synchronous = NORMAL')
    this.db.exec(SCHEMA)
    this.stmt = {
      card: this.db.prepare<[string], { balance_minor: number; offline_spent_minor: number }>(
        `SELECT balance_minor, offline_spent_minor FROM cards WHERE card_id = ?`,
      ),
      // Two statements: CHECK runs on the proposed row before an upsert's conflict clause.
      ensureCard: this.db.prepare<[string]>(`INSERT OR IGNORE INTO cards (card_id, balance_minor) VALUES (?, 0)`),
      addToCard: this.db.prepare<[{ card: string; delta: number; spent: number }]>(
        `UPDATE cards SET balance_minor = balance_minor + @delta, offline_spent_minor = offline_spent_minor + @spent WHERE card_id = @card`,
      ),
      findTx: this.db.prepare<[string, string], { log_seq: number; record: string }>(
        `SELECT log_seq, record FROM transactions WHERE terminal_id = ? AND tx_id = ?`,
      ),
      insertTx: this.db.prepare<[string, string, number, string]>(
        `INSERT OR IGNORE INTO transactions (terminal_id, tx_id, log_seq, record) VALUES (?, ?, ?, ?)`,
      ),
      insertEntry: this.db.prepare<[string, string, string, number, number]>(
        `INSERT INTO ledger (terminal_id, tx_id, account, debit_minor, credit_minor) VALUES (?, ?, ?, ?, ?)`,
      ),
      getMeta: this.db.prepare<[string], { value: number }>(`SELECT value FROM wallet_meta WHERE key = ?`),
      setMeta: this.db.prepare<[number, string]>(`UPDATE wallet_meta SET value = ? WHERE key = ?`),
      advanceSeq: this.db.prepare<[number]>(`UPDATE wallet_meta SET value = max(value, ?) WHERE key = 'applied_seq'`),
      resetOffline: this.db.prepare(`UPDATE cards SET offline_spent_minor = 0 WHERE offline_spent_minor <> 0`),
    }
    this.linkOffline = this.meta('link_offline') === 1

    /** Records a decision and, if approved, its entries; false if (terminal, tx) was already applied. */
    this.apply = this.db.transaction((record: PaymentRecord, logSeq: number, offline: boolean): boolean => {
      this.stmt.advanceSeq.run(logSeq)
      const inserted = this.stmt.insertTx.run(record.terminalId, record.txId, logSeq, JSON.stringify(record)).changes === 1
      if (!inserted || !record.approved) return inserted
      const account = cardAccount(record.cardId)
      let delta = 0
      for (const e of record.entries) {
        this.stmt.insertEntry.run(record.terminalId, record.txId, e.account, e.debitMinor, e.creditMinor)
        // A card is a liability of the venue: credits raise what the holder may spend.
        if (e.account === account) delta += e.creditMinor - e.debitMinor
      }
      const spent = offline && record.kind === 'charge' ? record.amountMinor : 0
      this.stmt.ensureCard.run(record.cardId)
      this.stmt.addToCard.run({ card: record.cardId, delta, spent })
      return true
    })
  }

  card(cardId: string): CardWallet {
    const row = this.stmt.card.get(cardId)
    return { balanceMinor: row?.balance_minor ?? 0, offlineSpentMinor: row?.offline_spent_minor ?? 0 }
  }

  findTx(terminalId: string, txId: string): StoredTx | undefined {
    const row = this.stmt.findTx.get(terminalId, txId)
    return row ? { logSeq: row.log_seq, record: JSON.parse(row.record) as PaymentRecord } : undefined
  }

  appliedSeq(): number {
    return this.meta('applied_seq')
  }

  /** Moves the replay start forward; only safe when no payment is between log and wallet. */
  checkpoint(seq: number): void {
    this.stmt.advanceSeq.run(seq)
  }

  /**
   * Tells the wallet whether the cloud link is up. The offline allowance counts from
   * when the link went down, so coming back online wipes every card's offline spend.
   * Persisted, so a restart while offline does not hand out a fresh allowance.
   */
  noteLink(online: boolean): void {
    if (online === !this.linkOffline) return
    this.db.transaction(() => {
      if (online) this.stmt.resetOffline.run()
      this.stmt.setMeta.run(online ? 0 : 1, 'link_offline')
    })()
    this.linkOffline = !online
  }

  /** Sum of ledger lines per account (credit − debit), for audits and tests. */
  accountTotals(): Map<string, number> {
    const rows = this.db
      .prepare<[], { account: string; net: number }>(`SELECT account, SUM(credit_minor) - SUM(debit_minor) AS net FROM ledger GROUP BY account`)
      .all()
    return new Map(rows.map((r) => [r.account, r.net]))
  }

  balances(): Map<string, number> {
    const rows = this.db.prepare<[], { card_id: string; balance_minor: number }>(`SELECT card_id, balance_minor FROM cards`).all()
    return new Map(rows.map((r) => [r.card_id, r.balance_minor]))
  }

  close(): void {
    if (this.db.open) this.db.close()
  }

  private meta(key: string): number {
    return this.stmt.getMeta.get(key)?.value ?? 0
  }
}

/** Debits equal credits, and every line is one or the other. */
export function isBalanced(entries: LedgerEntry[]): boolean {
  let debit = 0
  let credit = 0
  for (const e of entries) {
    if ((e.debitMinor > 0) === (e.creditMinor > 0)) return false
    debit += e.debitMinor
    credit += e.creditMinor
  }
  return debit === credit
}

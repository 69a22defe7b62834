import type { ColumnType, Generated, Kysely } from 'kysely'
import type { Database } from '../../plugins/db/tables.js'

/** Kysely's view of mail_outbox (migration 0016), kept in this module. */
type CreatedAt = ColumnType<Date, Date | string | undefined, never>
type Timestamp = ColumnType<Date, Date | string, Date | string>
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>
type Serial = ColumnType<number, never, never>

export type MailStatus = 'pending' | 'sent' | 'failed' | 'cancelled'

export interface MailOutboxTable {
  id: Serial
  org_id: string
  to_address: string
  subject: string
  body: string
  /** What the mail is about, for lists and reports: `dunning`, `appointment.reminder`, ... */
  kind: string
  /** Unique per organization: queueing the same key twice sends one mail. */
  dedup_key: string
  send_after: Timestamp
  status: Generated<MailStatus>
  attempts: Generated<number>
  /** When a claimed send's lease ends or the next retry is due. */
  next_attempt_at: NullableTimestamp
  last_error: ColumnType<string | null, string | null | undefined, string | null>
  sent_at: NullableTimestamp
  created_at: CreatedAt
}

export type MailTables = { mail_outbox: MailOutboxTable }
export type MailDb = Kysely<Database & MailTables>
export const mailDb = (db: Kysely<Database>): MailDb => db.withTables<MailTables>()

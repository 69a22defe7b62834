import { sql, type Kysely } from 'kysely'
import type { Database } from '../../plugins/db/tables.js'
import { mailDb, type MailStatus } from './tables.js'

/**
 * Mail to people who are not users (issue 8): dunning reminders to a tenant, appointment
 * confirmations and reminders to a patient, lease expiry notices. A module queues a mail
 * in the same transaction as the change that calls for it; the mail worker (worker.ts)
 * sends due mail over SMTP with retries. `dedupKey` makes queueing idempotent: a job that
 * runs twice, or two cloud instances, queue one mail.
 */
export interface OutgoingMail {
  orgId: string
  to: string
  subject: string
  text: string
  kind: string
  /** Unique per organization, e.g. `dunning:<invoiceId>:7d` or `appt:<id>:reminder-24h`. */
  dedupKey: string
  /** Not before this moment (default now): reminders are queued ahead. */
  sendAfter?: Date
}

/** Queues a mail; false when one with this dedup key was already queued (sent or not). */
export async function queueMail(db: Kysely<Database>, mail: OutgoingMail): Promise<boolean> {
  const row = await mailDb(db)
    .insertInto('mail_outbox')
    .values({
      org_id: mail.orgId,
      to_address: mail.to,
      subject: mail.subject,
      body: mail.text,
      kind: mail.kind,
      dedup_key: mail.dedupKey,
      send_after: mail.sendAfter ?? new Date(),
    })
    .onConflict((oc) => oc.columns(['org_id', 'dedup_key']).doNothing())
    .returning('id')
    .executeTakeFirst()
  return row !== undefined
}

/** Cancels queued mail not yet sent whose dedup key starts with `prefix` (a cancelled booking's reminders). */
export async function cancelMail(db: Kysely<Database>, orgId: string, prefix: string): Promise<number> {
  const escaped = prefix.replace(/[\\%_]/g, (c) => `\\${c}`)
  const result = await mailDb(db)
    .updateTable('mail_outbox')
    .set({ status: 'cancelled' })
    .where('org_id', '=', orgId)
    .where('status', '=', 'pending')
    .where('dedup_key', 'like', sql<string>`${escaped + '%'}`)
    .executeTakeFirst()
  return Number(result.numUpdatedRows)
}

export interface MailView {
  id: number
  to: string
  subject: string
  kind: string
  dedupKey: string
  sendAfter: string
  status: MailStatus
  attempts: number
  lastError: string | null
  sentAt: string | null
}

/** An organization's mail of one kind (or with a dedup key prefix), oldest first: for tests and the UI. */
export async function listMail(db: Kysely<Database>, orgId: string, filter: { kind?: string; dedupPrefix?: string } = {}): Promise<MailView[]> {
  let q = mailDb(db).selectFrom('mail_outbox').selectAll().where('org_id', '=', orgId)
  if (filter.kind) q = q.where('kind', '=', filter.kind)
  if (filter.dedupPrefix) q = q.where('dedup_key', 'like', `${filter.dedupPrefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`)
  const rows = await q.orderBy('id').limit(1000).execute()
  return rows.map((r) => ({
    id: r.id,
    to: r.to_address,
    subject: r.subject,
    kind: r.kind,
    dedupKey: r.dedup_key,
    sendAfter: r.send_after.toISOString(),
    status: r.status,
    attempts: r.attempts,
    lastError: r.last_error,
    sentAt: r.sent_at?.toISOString() ?? null,
  }))
}

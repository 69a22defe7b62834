import { sql, type Kysely } from 'kysely'
import type { Database } from '../../plugins/db/tables.js'
import { DeliveryError, type NotificationChannel } from '../notifications/channels.js'
import { mailDb } from './tables.js'

/** Attempts before a mail is given up as failed; retries back off 1 min doubling to 1 h. */
export const MAX_MAIL_ATTEMPTS = 10
const LEASE_MS = 60_000

export function mailBackoffMs(attempt: number): number {
  return Math.min(60_000 * 2 ** Math.max(0, attempt - 1), 3_600_000)
}

/**
 * Sends the mail that is due at `now`, up to `limit`: claims rows with FOR UPDATE SKIP
 * LOCKED (cloud instances share the work), counts the attempt and leases them before
 * sending, then records the outcome. Returns how many were sent.
 */
export async function sendDueMail(db: Kysely<Database>, sender: NotificationChannel, now = new Date(), limit = 50): Promise<number> {
  const mdb = mailDb(db)
  const claimed = await mdb.transaction().execute(async (trx) => {
    const due = await trx
      .selectFrom('mail_outbox')
      .select('id')
      .where('status', '=', 'pending')
      .where('send_after', '<=', now)
      .where((eb) => eb.or([eb('next_attempt_at', 'is', null), eb('next_attempt_at', '<=', now)]))
      .orderBy('send_after')
      .limit(limit)
      .forUpdate()
      .skipLocked()
      .execute()
    if (due.length === 0) return []
    return trx
      .updateTable('mail_outbox')
      .set({ attempts: sql`attempts + 1`, next_attempt_at: new Date(now.getTime() + LEASE_MS) })
      .where('id', 'in', due.map((d) => d.id))
      .returningAll()
      .execute()
  })
  let sent = 0
  for (const mail of claimed) {
    try {
      await sender.send(mail.to_address, { subject: mail.subject, text: mail.body })
      await mdb.updateTable('mail_outbox').set({ status: 'sent', sent_at: new Date(), last_error: null }).where('id', '=', mail.id).execute()
      sent++
    } catch (err) {
      const retryable = !(err instanceof DeliveryError) || err.retryable
      const giveUp = !retryable || mail.attempts >= MAX_MAIL_ATTEMPTS
      await mdb
        .updateTable('mail_outbox')
        .set({
          status: giveUp ? 'failed' : 'pending',
          last_error: (err as Error).message?.slice(0, 500) ?? String(err),
          next_attempt_at: giveUp ? null : new Date(now.getTime() + mailBackoffMs(mail.attempts)),
        })
        .where('id', '=', mail.id)
        .execute()
    }
  }
  return sent
}

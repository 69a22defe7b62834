import type { Severity } from '@tendero/protocol'
import type { Kysely } from 'kysely'
import type { Database } from '../../plugins/db/tables.js'
import type { Notifiable } from '../ingest/service.js'
import { alarmMessage, gatewayNoticeMessage, type AlarmNotice, type GatewayNotice, type SiteInfo } from './messages.js'
import { channelsFor, defaultPrefs, PERSON_CHANNELS, quietUntil, type NotificationPrefs, type PersonChannel } from './preferences.js'
import { withNotificationTables, type NotificationDeliveriesTable, type NotificationsDb, type OutboxRow } from './tables.js'
import { webhookBody, type WebhookEventType } from './webhooks.js'

/**
 * The transactional outbox. Ingest writes one row per alarm raised (or escalated) and per
 * gateway `notify` event in its own transaction, so a stored alarm always has its
 * notification, and nothing slower than an INSERT happens on the ingest path. The worker
 * then fans each row out to deliveries (per user and channel, per webhook), in one
 * transaction per batch of rows, and delivers those with retries (worker.ts).
 */

export type OutboxEvent = { kind: 'alarm'; notice: AlarmNotice } | { kind: 'notify'; notice: GatewayNotice }

/** What of a batch goes to the outbox: raises and escalations, and every notice. */
export function outboxEvents(found: Notifiable): OutboxEvent[] {
  const { orgId, siteId, gatewayId } = found
  const events: OutboxEvent[] = []
  for (const { item, change } of found.alarms) {
    if (change.state !== 'raised') continue
    events.push({ kind: 'alarm', notice: { orgId, siteId, gatewayId, seq: item.seq ?? 0, alarm: item, level: change.level ?? 0 } })
  }
  for (const e of found.notices) {
    events.push({ kind: 'notify', notice: { orgId, siteId, gatewayId, seq: e.seq, deviceId: e.deviceId, time: e.time, notice: e.body } })
  }
  return events
}

export async function enqueue(trx: Kysely<Database>, events: readonly OutboxEvent[]): Promise<void> {
  if (events.length === 0) return
  await withNotificationTables(trx)
    .insertInto('notification_outbox')
    .values(events.map((e) => ({ org_id: e.notice.orgId, site_id: e.notice.siteId, kind: e.kind, payload: JSON.stringify(e.notice) })))
    .execute()
}

export interface FanOutOptions {
  now: number
  /** Person channels this cloud can send on (configured providers). */
  available: ReadonlySet<PersonChannel>
  maxAttempts: number
  batch: number
}

interface Recipient {
  id: string
  email: string
  role: string
  prefs: NotificationPrefs
}

/** A delivery row to insert: the table's own columns, those fan-out decides. */
type PlannedDelivery = Pick<
  NotificationDeliveriesTable,
  'outbox_id' | 'org_id' | 'channel' | 'user_id' | 'webhook_id' | 'recipient' | 'event_type' | 'subject' | 'body' | 'max_attempts'
> & { next_attempt_at: Date }

/** Turns pending outbox rows into deliveries; returns how many rows it handled. */
export async function fanOut(db: NotificationsDb, opts: FanOutOptions): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const rows = await trx
      .selectFrom('notification_outbox')
      .selectAll()
      .where('fanned_out_at', 'is', null)
      .orderBy('id')
      .limit(opts.batch)
      .forUpdate()
      .skipLocked()
      .execute()
    if (rows.length === 0) return 0
    const planned: PlannedDelivery[] = []
    for (const row of rows) planned.push(...(await plan(trx, row, opts)))
    for (let i = 0; i < planned.length; i += 500) {
      await trx.insertInto('notification_deliveries').values(planned.slice(i, i + 500)).execute()
    }
    await trx
      .updateTable('notification_outbox')
      .set({ fanned_out_at: new Date(opts.now) })
      .where('id', 'in', rows.map((r) => r.id))
      .execute()
    return rows.length
  })
}

async function plan(trx: NotificationsDb, row: OutboxRow, opts: FanOutOptions): Promise<PlannedDelivery[]> {
  const site = row.site_id
    ? await trx.selectFrom('sites').select(['name', 'timezone']).where('id', '=', row.site_id).where('org_id', '=', row.org_id).executeTakeFirst()
    : undefined
  // A site deleted since: the org still hears about it, under its id and in UTC.
  const siteInfo: SiteInfo = site ?? { name: row.site_id ?? '—', timezone: 'UTC' }
  const users = await recipients(trx, row.org_id)
  const webhooks = await trx
    .selectFrom('webhooks')
    .select(['id', 'url', 'events'])
    .where('org_id', '=', row.org_id)
    .where('enabled', '=', true)
    .execute()
  const base = { outbox_id: row.id, org_id: row.org_id, max_attempts: opts.maxAttempts }
  const out: PlannedDelivery[] = []
  const now = new Date(opts.now)

  let eventType: WebhookEventType
  if (row.kind === 'alarm') {
    const notice = row.payload as AlarmNotice
    const severity = notice.alarm.severity as Severity
    eventType = notice.level > 0 ? 'alarm.escalated' : 'alarm.raised'
    const message = alarmMessage(notice, siteInfo)
    for (const user of users) {
      const hold = quietUntil(user.prefs, severity, user.prefs.timeZone ?? siteInfo.timezone, opts.now)
      for (const channel of channelsFor(user.prefs, severity)) {
        if (!opts.available.has(channel)) continue
        out.push({ ...base, channel, user_id: user.id, webhook_id: null, recipient: addressOf(user, channel), event_type: eventType,
          subject: message.subject, body: message.text, next_attempt_at: hold ?? now })
      }
    }
  } else {
    const notice = row.payload as GatewayNotice
    eventType = 'notify'
    const message = gatewayNoticeMessage(notice, siteInfo)
    const channel = notice.notice.channel
    // `push` has no provider in the cloud yet; webhooks still hear about it.
    if ((PERSON_CHANNELS as readonly string[]).includes(channel) && opts.available.has(channel as PersonChannel)) {
      const personChannel = channel as PersonChannel
      for (const user of audienceOf(users, notice.notice.audience)) {
        // The rule chose the channel; the user can still turn a channel off or lack a phone.
        if (!user.prefs.channels[personChannel].enabled && personChannel !== 'email') continue
        if (personChannel !== 'email' && !user.prefs.phone) continue
        const hold = quietUntil(user.prefs, null, user.prefs.timeZone ?? siteInfo.timezone, opts.now)
        out.push({ ...base, channel: personChannel, user_id: user.id, webhook_id: null, recipient: addressOf(user, personChannel),
          event_type: eventType, subject: message.subject, body: message.text, next_attempt_at: hold ?? now })
      }
    }
  }

  for (const hook of webhooks) {
    if (!hook.events.includes(eventType)) continue
    out.push({ ...base, channel: 'webhook', user_id: null, webhook_id: hook.id, recipient: hook.url, event_type: eventType,
      subject: eventType, body: webhookBody(row, eventType, siteInfo), next_attempt_at: now })
  }
  return out
}

async function recipients(trx: NotificationsDb, orgId: string): Promise<Recipient[]> {
  const rows = await trx
    .selectFrom('users')
    .leftJoin('notification_preferences', 'notification_preferences.user_id', 'users.id')
    .select(['users.id', 'users.email', 'users.role', 'notification_preferences.prefs'])
    .where('users.org_id', '=', orgId)
    .where('users.disabled_at', 'is', null)
    .orderBy('users.id')
    .execute()
  return rows.map((r) => ({ id: r.id, email: r.email, role: r.role, prefs: r.prefs ?? defaultPrefs() }))
}

/** A notify event's audience: a role (`owner`), or one user by email or id. */
export function audienceOf<U extends { id: string; email: string; role: string }>(users: readonly U[], audience: string): U[] {
  const wanted = audience.trim().toLowerCase()
  return users.filter((u) => u.role === wanted || u.email.toLowerCase() === wanted || u.id === wanted)
}

function addressOf(user: Recipient, channel: PersonChannel): string {
  return channel === 'email' ? user.email : user.prefs.phone!
}

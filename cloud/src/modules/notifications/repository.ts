import { decodeCursor, pageOf, type PageOf } from '../common/pagination.js'
import type { NotificationPrefs } from './preferences.js'
import type { Delivery, DeliveryListQuery, Webhook } from './schema.js'
import type { DeliveryRow, NotificationsDb, WebhookRow } from './tables.js'

export async function findPrefs(db: NotificationsDb, userId: string): Promise<NotificationPrefs | undefined> {
  const row = await db.selectFrom('notification_preferences').select('prefs').where('user_id', '=', userId).executeTakeFirst()
  return row?.prefs
}

export async function putPrefs(db: NotificationsDb, orgId: string, userId: string, prefs: NotificationPrefs): Promise<void> {
  const json = JSON.stringify(prefs)
  await db
    .insertInto('notification_preferences')
    .values({ user_id: userId, org_id: orgId, prefs: json })
    .onConflict((oc) => oc.column('user_id').doUpdateSet({ prefs: json, updated_at: new Date() }))
    .execute()
}

export function toWebhook(row: WebhookRow): Webhook {
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    events: row.events,
    enabled: row.enabled,
    createdAt: row.created_at.getTime(),
    updatedAt: row.updated_at.getTime(),
  }
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** Another organization's webhook, a malformed id and an unknown one all read as missing. */
export async function findWebhook(db: NotificationsDb, orgId: string, id: string, forUpdate = false): Promise<WebhookRow | undefined> {
  if (!UUID_RE.test(id)) return undefined
  let query = db.selectFrom('webhooks').selectAll().where('org_id', '=', orgId).where('id', '=', id)
  if (forUpdate) query = query.forUpdate()
  return query.executeTakeFirst()
}

type WebhookCursor = [number, string]
const isWebhookCursor = (v: unknown): v is WebhookCursor =>
  Array.isArray(v) && v.length === 2 && Number.isInteger(v[0]) && typeof v[1] === 'string' && UUID_RE.test(v[1])

/** Oldest first, by (created_at, id). */
export async function listWebhooks(db: NotificationsDb, orgId: string, limit: number, cursor?: string): Promise<PageOf<Webhook>> {
  const after = decodeCursor(cursor, isWebhookCursor)
  let query = db.selectFrom('webhooks').selectAll().where('org_id', '=', orgId)
  if (after) {
    const at = new Date(after[0])
    query = query.where((eb) => eb.or([eb('created_at', '>', at), eb.and([eb('created_at', '=', at), eb('id', '>', after[1])])]))
  }
  const rows = await query.orderBy('created_at').orderBy('id').limit(limit + 1).execute()
  return pageOf(rows, limit, toWebhook, (r) => [r.created_at.getTime(), r.id])
}

export function toDelivery(row: DeliveryRow): Delivery {
  const ms = (d: Date | null) => (d === null ? null : d.getTime())
  return {
    id: row.id,
    channel: row.channel,
    userId: row.user_id,
    webhookId: row.webhook_id,
    recipient: row.recipient,
    eventType: row.event_type,
    subject: row.subject,
    status: row.status,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    nextAttemptAt: ms(row.next_attempt_at),
    responseCode: row.last_status_code,
    error: row.last_error,
    createdAt: row.created_at.getTime(),
    updatedAt: row.updated_at.getTime(),
    deliveredAt: ms(row.delivered_at),
  }
}

const isDeliveryCursor = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) > 0

/** Newest first, by id; optionally one webhook's. */
export async function listDeliveries(
  db: NotificationsDb,
  orgId: string,
  query: DeliveryListQuery & { webhookId?: string },
  limit: number,
): Promise<PageOf<Delivery>> {
  const before = decodeCursor(query.cursor, isDeliveryCursor)
  let q = db.selectFrom('notification_deliveries').selectAll().where('org_id', '=', orgId)
  if (query.webhookId) q = q.where('webhook_id', '=', query.webhookId)
  if (query.status) q = q.where('status', '=', query.status)
  if (query.channel) q = q.where('channel', '=', query.channel)
  if (before !== undefined) q = q.where('id', '<', before)
  const rows = await q.orderBy('id', 'desc').limit(limit + 1).execute()
  return pageOf(rows, limit, toDelivery, (r) => r.id)
}

import type { FastifyRequest } from 'fastify'
import type { Db } from '../../plugins/db/database.js'
import { DEFAULT_LIMIT, type PageOf } from '../common/pagination.js'
import { auditContext, recordAudit } from '../identity/audit.js'
import { badTimeZone, badWebhookUrl, webhookNotFound, webhookUrlForbidden } from './errors.js'
import { defaultPrefs, isTimeZone, type NotificationPrefs } from './preferences.js'
import * as repo from './repository.js'
import type { Delivery, DeliveryListQuery, Webhook, WebhookCreate, WebhookUpdate } from './schema.js'
import { withNotificationTables } from './tables.js'
import { ForbiddenTarget, vetWebhookUrl } from './url-guard.js'
import { newWebhookSecret, WEBHOOK_EVENTS } from './webhooks.js'

export async function getPrefs(db: Db, userId: string): Promise<NotificationPrefs> {
  return (await repo.findPrefs(withNotificationTables(db), userId)) ?? defaultPrefs()
}

export async function putPrefs(db: Db, request: FastifyRequest, prefs: NotificationPrefs): Promise<NotificationPrefs> {
  if (prefs.timeZone !== null && !isTimeZone(prefs.timeZone)) throw badTimeZone(prefs.timeZone)
  const { id: userId, orgId } = request.user
  await db.transaction().execute(async (trx) => {
    const ndb = withNotificationTables(trx)
    const before = (await repo.findPrefs(ndb, userId)) ?? null
    await repo.putPrefs(ndb, orgId, userId, prefs)
    await recordAudit(trx, { ...auditContext(request), action: 'notification_preferences.put',
      target: { type: 'user', id: userId }, before, after: prefs })
  })
  return prefs
}

export interface WebhookPolicy {
  /** WEBHOOK_ALLOW_PRIVATE: internal targets accepted (tests, demos on 127.0.0.1). */
  allowPrivate: boolean
}

/**
 * Only http(s), no credentials in the URL (they would show in every list), and a host that
 * is, and resolves only to, public addresses (url-guard.ts; delivery checks it again). The
 * target is checked before the userinfo, so http://example.com@127.0.0.1/ is named for
 * what it is. A name that does not resolve yet is accepted: DNS may be set up after the
 * webhook, and every delivery vets it anyway.
 */
async function checkUrl(raw: string, policy: WebhookPolicy): Promise<string> {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw badWebhookUrl('not a valid URL')
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw badWebhookUrl('must be http or https')
  try {
    await vetWebhookUrl(raw, { allowPrivate: policy.allowPrivate, dnsTimeoutMs: 3000 })
  } catch (err) {
    if (err instanceof ForbiddenTarget) throw webhookUrlForbidden(err.message)
  }
  if (url.username || url.password) throw badWebhookUrl('must not carry a user or password')
  return url.toString()
}

export async function createWebhook(db: Db, request: FastifyRequest, body: WebhookCreate, policy: WebhookPolicy): Promise<Webhook & { secret: string }> {
  const secret = newWebhookSecret()
  const values = {
    org_id: request.user.orgId,
    url: await checkUrl(body.url, policy),
    description: body.description ?? '',
    secret,
    events: JSON.stringify(body.events ?? [...WEBHOOK_EVENTS]),
    enabled: body.enabled ?? true,
  }
  const row = await db.transaction().execute(async (trx) => {
    const created = await withNotificationTables(trx).insertInto('webhooks').values(values).returningAll().executeTakeFirstOrThrow()
    await recordAudit(trx, { ...auditContext(request), action: 'webhook.create', target: { type: 'webhook', id: created.id },
      after: repo.toWebhook(created) })
    return created
  })
  return { ...repo.toWebhook(row), secret }
}

export async function getWebhook(db: Db, orgId: string, id: string): Promise<Webhook> {
  const row = await repo.findWebhook(withNotificationTables(db), orgId, id)
  if (!row) throw webhookNotFound()
  return repo.toWebhook(row)
}

export function listWebhooks(db: Db, orgId: string, query: { limit?: number; cursor?: string }): Promise<PageOf<Webhook>> {
  return repo.listWebhooks(withNotificationTables(db), orgId, query.limit ?? DEFAULT_LIMIT, query.cursor)
}

export async function updateWebhook(db: Db, request: FastifyRequest, id: string, body: WebhookUpdate, policy: WebhookPolicy): Promise<Webhook> {
  // Before the transaction: DNS is no reason to hold the row locked.
  const url = body.url !== undefined ? await checkUrl(body.url, policy) : undefined
  return db.transaction().execute(async (trx) => {
    const ndb = withNotificationTables(trx)
    const before = await repo.findWebhook(ndb, request.user.orgId, id, true)
    if (!before) throw webhookNotFound()
    const after = await ndb
      .updateTable('webhooks')
      .set({
        ...(url !== undefined ? { url } : {}),
        ...(body.description !== undefined ? { description: body.description } : {}),
        ...(body.events !== undefined ? { events: JSON.stringify(body.events) } : {}),
        ...(body.enabled !== undefined ? { enabled: body.enabled } : {}),
        updated_at: new Date(),
      })
      .where('id', '=', before.id)
      .returningAll()
      .executeTakeFirstOrThrow()
    await recordAudit(trx, { ...auditContext(request), action: 'webhook.update', target: { type: 'webhook', id: before.id },
      before: repo.toWebhook(before), after: repo.toWebhook(after) })
    return repo.toWebhook(after)
  })
}

/** A new secret, shown once; the old one stops signing at once. */
export async function rotateWebhookSecret(db: Db, request: FastifyRequest, id: string): Promise<Webhook & { secret: string }> {
  const secret = newWebhookSecret()
  return db.transaction().execute(async (trx) => {
    const ndb = withNotificationTables(trx)
    const before = await repo.findWebhook(ndb, request.user.orgId, id, true)
    if (!before) throw webhookNotFound()
    const after = await ndb.updateTable('webhooks').set({ secret, updated_at: new Date() }).where('id', '=', before.id)
      .returningAll().executeTakeFirstOrThrow()
    await recordAudit(trx, { ...auditContext(request), action: 'webhook.secret.rotate', target: { type: 'webhook', id: before.id } })
    return { ...repo.toWebhook(after), secret }
  })
}

export async function deleteWebhook(db: Db, request: FastifyRequest, id: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const ndb = withNotificationTables(trx)
    const before = await repo.findWebhook(ndb, request.user.orgId, id, true)
    if (!before) throw webhookNotFound()
    // Its delivery log goes with it (on delete cascade): the audit trail keeps the webhook.
    await ndb.deleteFrom('webhooks').where('id', '=', before.id).execute()
    await recordAudit(trx, { ...auditContext(request), action: 'webhook.delete', target: { type: 'webhook', id: before.id },
      before: repo.toWebhook(before) })
  })
}

export async function webhookDeliveries(db: Db, orgId: string, id: string, query: DeliveryListQuery): Promise<PageOf<Delivery>> {
  const ndb = withNotificationTables(db)
  const hook = await repo.findWebhook(ndb, orgId, id)
  if (!hook) throw webhookNotFound()
  return repo.listDeliveries(ndb, orgId, { ...query, webhookId: hook.id }, query.limit ?? DEFAULT_LIMIT)
}

export function orgDeliveries(db: Db, orgId: string, query: DeliveryListQuery): Promise<PageOf<Delivery>> {
  return repo.listDeliveries(withNotificationTables(db), orgId, query, query.limit ?? DEFAULT_LIMIT)
}

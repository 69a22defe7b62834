import type { FastifyRequest } from 'fastify'
import { sql } from 'kysely'
import type { Db } from '../../plugins/db/database.js'
import { DEFAULT_LIMIT, pageOf, type PageOf } from '../common/pagination.js'
import { auditContext, recordAudit } from '../identity/audit.js'
import { findOrgContact } from './contacts.js'
import { findDeal } from './deals.js'
import { dealOfOtherContact } from './errors.js'
import { after, decodePosition, msOf, type Position } from './keyset.js'
import type { CreateInteractionBody, InteractionsQuery, InteractionView } from './schema.js'
import { rescoreContacts } from './scoring.js'
import { baseDb, crmDb, type CrmDb, type InteractionKind } from './tables.js'

/**
 * Interactions: a call, email, meeting or WhatsApp conversation with a contact (and
 * optionally about one of its deals), when, which way, and what was said; `web_form` ones
 * are written by lead capture. Each one moves contacts.last_interaction_at forward (never
 * back: logging last week's call does not hide today's) and rescores the contact.
 */

interface InteractionRow {
  id: string
  contact_id: string
  deal_id: string | null
  kind: InteractionKind
  direction: 'inbound' | 'outbound'
  occurred_at: Date
  summary: string
  user_id: string | null
  created_at: Date
}

export const interactionView = (r: InteractionRow): InteractionView => ({
  id: r.id,
  contactId: r.contact_id,
  dealId: r.deal_id,
  kind: r.kind,
  direction: r.direction,
  occurredAt: r.occurred_at.getTime(),
  summary: r.summary,
  userId: r.user_id,
  createdAt: r.created_at.getTime(),
})

/** Inserts the interaction, bumps the contact's last interaction and rescores it; inside the caller's transaction. */
export async function insertInteraction(
  trx: CrmDb,
  orgId: string,
  values: { contactId: string; dealId: string | null; kind: InteractionKind; direction: 'inbound' | 'outbound'; occurredAt: Date; summary: string; userId: string | null },
): Promise<InteractionRow> {
  const row = await trx.insertInto('crm_interactions').values({
    org_id: orgId,
    contact_id: values.contactId,
    deal_id: values.dealId,
    kind: values.kind,
    direction: values.direction,
    occurred_at: values.occurredAt,
    summary: values.summary,
    user_id: values.userId,
  }).returningAll().executeTakeFirstOrThrow()
  await trx.updateTable('contacts')
    .set({ last_interaction_at: sql<Date>`greatest(last_interaction_at, ${values.occurredAt}::timestamptz)`, updated_at: new Date() })
    .where('org_id', '=', orgId).where('id', '=', values.contactId).execute()
  await rescoreContacts(trx, orgId, [values.contactId])
  return row
}

export async function createInteraction(db: Db, request: FastifyRequest, body: CreateInteractionBody): Promise<InteractionView> {
  const orgId = request.user.orgId
  const crm = crmDb(db)
  const contact = await findOrgContact(crm, orgId, body.contactId)
  if (body.dealId) {
    const deal = await findDeal(crm, orgId, body.dealId)
    if (deal.contact_id !== contact.id) throw dealOfOtherContact()
  }
  return crm.transaction().execute(async (trx) => {
    const row = await insertInteraction(trx, orgId, {
      contactId: contact.id,
      dealId: body.dealId ?? null,
      kind: body.kind,
      direction: body.direction,
      occurredAt: new Date(body.occurredAt ?? Date.now()),
      summary: body.summary.trim() || body.summary,
      userId: request.user.kind === 'api_key' ? null : request.user.id,
    })
    const view = interactionView(row)
    await recordAudit(baseDb(trx), { ...auditContext(request), action: 'crm.interaction.create', target: { type: 'crm_interaction', id: row.id }, after: view })
    return view
  })
}

/** Newest first: keyset on (occurred_at, id) descending. */
export async function listInteractions(db: Db, orgId: string, q: InteractionsQuery): Promise<PageOf<InteractionView>> {
  const position = decodePosition(q.cursor, '-occurredAt', 'number')
  const limit = q.limit ?? DEFAULT_LIMIT
  // A filter naming another organization's contact or deal is answered 404, as its id anywhere else.
  if (q.contactId) await findOrgContact(crmDb(db), orgId, q.contactId)
  if (q.dealId) await findDeal(crmDb(db), orgId, q.dealId)
  let query = crmDb(db).selectFrom('crm_interactions').selectAll().where('org_id', '=', orgId)
  if (q.contactId) query = query.where('contact_id', '=', q.contactId)
  if (q.dealId) query = query.where('deal_id', '=', q.dealId)
  if (q.kind) query = query.where('kind', '=', q.kind)
  if (position) query = query.where(after(msOf('crm_interactions.occurred_at'), 'crm_interactions.id', position, true, 'timestamptz'))
  const rows = await query.orderBy(msOf('crm_interactions.occurred_at'), 'desc').orderBy('id', 'desc').limit(limit + 1).execute()
  return pageOf(rows, limit, interactionView, (r): Position => ['-occurredAt', r.occurred_at.getTime(), r.id])
}

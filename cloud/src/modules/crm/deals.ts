import type { FastifyRequest } from 'fastify'
import { sql } from 'kysely'
import type { Db } from '../../plugins/db/database.js'
import { DEFAULT_LIMIT, pageOf, type PageOf } from '../common/pagination.js'
import { auditContext, recordAudit } from '../identity/audit.js'
import { assertOrgUser, findOrgContact } from './contacts.js'
import { badDate, dealClosed, dealNotFound, dealSameStage, lostNeedsReason, stageNotFound, UUID_RE } from './errors.js'
import { after, decodePosition, msOf, type Position } from './keyset.js'
import type { CreateDealBody, DealsQuery, DealView, UpdateDealBody } from './schema.js'
import { activeStages, ensureStages, findStage } from './stages.js'
import { baseDb, crmDb, type CrmDb, type DealStatus } from './tables.js'

/**
 * Deals: a contact, a title, a value in minor units and its currency, a stage, an
 * expected close date and an owner. Every entry into a stage is a row of
 * crm_deal_stage_history (entered, left), written in the same transaction as the move;
 * the funnel report reads nothing else. Closing (won, or lost with a reason) moves the
 * deal into the closing stage when it is elsewhere and ends its stay there.
 */

interface DealRow {
  id: string
  org_id: string
  contact_id: string
  title: string
  value_minor: number
  currency: string
  stage_id: string
  expected_close_date: string | null
  owner_user_id: string | null
  status: DealStatus
  close_reason: string | null
  closed_at: Date | null
  created_at: Date
  updated_at: Date
}

const selectDeals = (db: CrmDb) =>
  db.selectFrom('crm_deals').select([
    'id', 'org_id', 'contact_id', 'title', 'value_minor', 'currency', 'stage_id', 'owner_user_id', 'status', 'close_reason', 'closed_at', 'created_at', 'updated_at',
    sql<string | null>`to_char(expected_close_date, 'YYYY-MM-DD')`.as('expected_close_date'),
  ])

export function dealView(r: DealRow): DealView {
  return {
    id: r.id,
    contactId: r.contact_id,
    title: r.title,
    valueMinor: Number(r.value_minor),
    currency: r.currency,
    stageId: r.stage_id,
    expectedCloseDate: r.expected_close_date,
    ownerUserId: r.owner_user_id,
    status: r.status,
    closeReason: r.close_reason,
    closedAt: r.closed_at?.getTime() ?? null,
    createdAt: r.created_at.getTime(),
    updatedAt: r.updated_at.getTime(),
  }
}

export async function findDeal(db: CrmDb, orgId: string, id: string): Promise<DealRow> {
  if (!UUID_RE.test(id)) throw dealNotFound()
  const row = await selectDeals(db).where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst()
  if (!row) throw dealNotFound()
  return row
}

export async function listDeals(db: Db, orgId: string, q: DealsQuery): Promise<PageOf<DealView>> {
  const position = decodePosition(q.cursor, '-createdAt', 'number')
  const limit = q.limit ?? DEFAULT_LIMIT
  const crm = crmDb(db)
  // A filter naming another organization's object is answered like any use of its id: 404.
  await assertOrgUser(crm, orgId, q.ownerUserId)
  if (q.contactId) await findOrgContact(crm, orgId, q.contactId)
  if (q.stageId) await findStage(crm, orgId, q.stageId, { deleted: true })
  let query = selectDeals(crm).where('org_id', '=', orgId)
  if (q.stageId) query = query.where('stage_id', '=', q.stageId)
  if (q.status) query = query.where('status', '=', q.status)
  if (q.contactId) query = query.where('contact_id', '=', q.contactId)
  if (q.ownerUserId) query = query.where('owner_user_id', '=', q.ownerUserId)
  if (position) query = query.where(after(msOf('crm_deals.created_at'), 'crm_deals.id', position, true, 'timestamptz'))
  const rows = await query.orderBy(msOf('crm_deals.created_at'), 'desc').orderBy('id', 'desc').limit(limit + 1).execute()
  return pageOf(rows, limit, dealView, (r): Position => ['-createdAt', r.created_at.getTime(), r.id])
}

export async function getDeal(db: Db, orgId: string, id: string) {
  const crm = crmDb(db)
  const deal = await findDeal(crm, orgId, id)
  const history = await crm.selectFrom('crm_deal_stage_history').innerJoin('crm_stages', 'crm_stages.id', 'crm_deal_stage_history.stage_id')
    .select(['crm_deal_stage_history.stage_id', 'crm_stages.name', 'crm_deal_stage_history.from_stage_id', 'crm_deal_stage_history.entered_at', 'crm_deal_stage_history.left_at'])
    .where('crm_deal_stage_history.deal_id', '=', deal.id).orderBy('crm_deal_stage_history.id').execute()
  return {
    ...dealView(deal),
    history: history.map((h) => ({ stageId: h.stage_id, stageName: h.name, fromStageId: h.from_stage_id, enteredAt: h.entered_at.getTime(), leftAt: h.left_at?.getTime() ?? null })),
  }
}

/** Ends the deal's current stay and, unless `to` is null, starts one in `to`. */
async function recordMove(trx: CrmDb, deal: DealRow, to: string | null, byUserId: string | null, at: Date): Promise<void> {
  await trx.updateTable('crm_deal_stage_history').set({ left_at: at }).where('deal_id', '=', deal.id).where('left_at', 'is', null).execute()
  if (to !== null) {
    await trx.insertInto('crm_deal_stage_history').values({ org_id: deal.org_id, deal_id: deal.id, from_stage_id: deal.stage_id, stage_id: to, entered_at: at, by_user_id: byUserId }).execute()
  }
}

/** 'YYYY-MM-DD' that names a real day (the format check lets 2026-02-30 through on some validators). */
function checkDate(date: string | null | undefined): void {
  if (!date) return
  const d = new Date(`${date}T00:00:00Z`)
  if (Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== date) throw badDate()
}

const userIdOf = (request: FastifyRequest) => (request.user.kind === 'api_key' ? null : request.user.id)

export async function createDeal(db: Db, request: FastifyRequest, body: CreateDealBody): Promise<DealView> {
  const orgId = request.user.orgId
  const crm = crmDb(db)
  checkDate(body.expectedCloseDate)
  await findOrgContact(crm, orgId, body.contactId, { active: true })
  await assertOrgUser(crm, orgId, body.ownerUserId)
  return crm.transaction().execute(async (trx) => {
    await ensureStages(trx, orgId)
    const stageId = body.stageId ? (await findStage(trx, orgId, body.stageId)).id : (await activeStages(trx, orgId))[0]?.id
    if (!stageId) throw stageNotFound()
    const now = new Date()
    const inserted = await trx.insertInto('crm_deals').values({
      org_id: orgId,
      contact_id: body.contactId,
      title: body.title.trim(),
      value_minor: body.valueMinor,
      currency: body.currency,
      stage_id: stageId,
      expected_close_date: body.expectedCloseDate ?? null,
      owner_user_id: body.ownerUserId ?? null,
      created_at: now,
      updated_at: now,
    }).returning('id').executeTakeFirstOrThrow()
    await trx.insertInto('crm_deal_stage_history').values({ org_id: orgId, deal_id: inserted.id, from_stage_id: null, stage_id: stageId, entered_at: now, by_user_id: userIdOf(request) }).execute()
    const view = dealView(await findDeal(trx, orgId, inserted.id))
    await recordAudit(baseDb(trx), { ...auditContext(request), action: 'crm.deal.create', target: { type: 'crm_deal', id: view.id }, after: view })
    return view
  })
}

export async function updateDeal(db: Db, request: FastifyRequest, id: string, body: UpdateDealBody): Promise<DealView> {
  const orgId = request.user.orgId
  const crm = crmDb(db)
  const before = await findDeal(crm, orgId, id)
  if (before.status !== 'open') throw dealClosed()
  checkDate(body.expectedCloseDate)
  await assertOrgUser(crm, orgId, body.ownerUserId)
  return crm.transaction().execute(async (trx) => {
    await trx.updateTable('crm_deals').set({
      ...(body.title !== undefined ? { title: body.title.trim() } : {}),
      ...(body.valueMinor !== undefined ? { value_minor: body.valueMinor } : {}),
      ...(body.currency !== undefined ? { currency: body.currency } : {}),
      ...(body.expectedCloseDate !== undefined ? { expected_close_date: body.expectedCloseDate } : {}),
      ...(body.ownerUserId !== undefined ? { owner_user_id: body.ownerUserId } : {}),
      updated_at: new Date(),
    }).where('id', '=', before.id).where('org_id', '=', orgId).execute()
    const view = dealView(await findDeal(trx, orgId, before.id))
    await recordAudit(baseDb(trx), { ...auditContext(request), action: 'crm.deal.update', target: { type: 'crm_deal', id: view.id }, before: dealView(before), after: view })
    return view
  })
}

export async function moveDeal(db: Db, request: FastifyRequest, id: string, stageId: string): Promise<DealView> {
  const orgId = request.user.orgId
  const crm = crmDb(db)
  const before = await findDeal(crm, orgId, id)
  const stage = await findStage(crm, orgId, stageId)
  if (before.status !== 'open') throw dealClosed()
  if (before.stage_id === stage.id) throw dealSameStage()
  return crm.transaction().execute(async (trx) => {
    const now = new Date()
    // Only an open deal still in the stage we read moves: a concurrent move or close wins once.
    const moved = await trx.updateTable('crm_deals').set({ stage_id: stage.id, updated_at: now })
      .where('id', '=', before.id).where('stage_id', '=', before.stage_id).where('status', '=', 'open').returning('id').executeTakeFirst()
    if (!moved) throw dealClosed()
    await recordMove(trx, before, stage.id, userIdOf(request), now)
    const view = dealView(await findDeal(trx, orgId, before.id))
    await recordAudit(baseDb(trx), { ...auditContext(request), action: 'crm.deal.move', target: { type: 'crm_deal', id: view.id }, before: { stageId: before.stage_id }, after: { stageId: stage.id } })
    return view
  })
}

export async function closeDeal(db: Db, request: FastifyRequest, id: string, body: { outcome: 'won' | 'lost'; reason?: string | undefined }): Promise<DealView> {
  const orgId = request.user.orgId
  const crm = crmDb(db)
  const before = await findDeal(crm, orgId, id)
  if (before.status !== 'open') throw dealClosed()
  if (body.outcome === 'lost' && !body.reason?.trim()) throw lostNeedsReason()
  return crm.transaction().execute(async (trx) => {
    const now = new Date()
    const closing = (await activeStages(trx, orgId)).find((s) => s.closing)
    const stageId = closing && closing.id !== before.stage_id ? closing.id : before.stage_id
    const closed = await trx.updateTable('crm_deals')
      .set({ status: body.outcome, close_reason: body.reason?.trim() ?? null, closed_at: now, stage_id: stageId, updated_at: now })
      .where('id', '=', before.id).where('status', '=', 'open').where('stage_id', '=', before.stage_id).returning('id').executeTakeFirst()
    if (!closed) throw dealClosed()
    if (stageId !== before.stage_id) await recordMove(trx, before, stageId, userIdOf(request), now)
    await recordMove(trx, { ...before, stage_id: stageId }, null, null, now)
    const view = dealView(await findDeal(trx, orgId, before.id))
    await recordAudit(baseDb(trx), { ...auditContext(request), action: `crm.deal.${body.outcome}`, target: { type: 'crm_deal', id: view.id }, before: dealView(before), after: view })
    return view
  })
}

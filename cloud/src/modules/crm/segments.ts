import type { FastifyRequest } from 'fastify'
import { sql, type Selectable } from 'kysely'
import type { Db } from '../../plugins/db/database.js'
import { DEFAULT_LIMIT, pageOf, type PageOf } from '../common/pagination.js'
import { auditContext, recordAudit } from '../identity/audit.js'
import { contactView } from './contacts.js'
import { badRevenueRange, segmentNotFound, UUID_RE } from './errors.js'
import { after, decodePosition, msOf, type Position } from './keyset.js'
import type { ContactView, SegmentDefinition } from './schema.js'
import { baseDb, crmDb, type CrmDb, type CrmSegmentsTable } from './tables.js'

/**
 * Segments: saved definitions over the active contacts, evaluated when read (so a segment
 * is always current). Every field given narrows (AND); a list field matches any of its
 * values (OR), case-insensitively for text. Revenue bounds compare annual_revenue_minor
 * and, when revenueCurrency is given, only contacts in that currency. Activity:
 * activeWithinDays = last interaction in the last N days; inactiveForDays = none in the
 * last N days, or never.
 */

type SegmentRow = Selectable<CrmSegmentsTable>

const segmentView = (r: SegmentRow) => ({ id: r.id, name: r.name, definition: r.definition as SegmentDefinition, createdAt: r.created_at.getTime(), updatedAt: r.updated_at.getTime() })

function checkDefinition(d: SegmentDefinition): void {
  if (d.revenueMinMinor !== undefined && d.revenueMaxMinor !== undefined && d.revenueMinMinor > d.revenueMaxMinor) throw badRevenueRange()
}

const lowerAll = (values: string[]) => values.map((v) => v.trim().toLowerCase())

/** The contacts of a definition, newest first, one keyset page. */
export async function evaluateSegment(db: CrmDb, orgId: string, d: SegmentDefinition, q: { limit?: number | undefined; cursor?: string | undefined }, now = new Date()): Promise<PageOf<ContactView>> {
  checkDefinition(d)
  const position = decodePosition(q.cursor, '-createdAt', 'number')
  const limit = q.limit ?? DEFAULT_LIMIT
  let query = db.selectFrom('contacts').selectAll().where('org_id', '=', orgId).where('archived_at', 'is', null)
  if (d.kinds) query = query.where('kind', 'in', d.kinds)
  if (d.verticals) query = query.where(sql<string>`lower(vertical)`, 'in', lowerAll(d.verticals))
  if (d.cities) query = query.where(sql<string>`lower(city)`, 'in', lowerAll(d.cities))
  if (d.countries) query = query.where('country', 'in', d.countries)
  if (d.revenueMinMinor !== undefined) query = query.where('annual_revenue_minor', '>=', d.revenueMinMinor)
  if (d.revenueMaxMinor !== undefined) query = query.where('annual_revenue_minor', '<=', d.revenueMaxMinor)
  if (d.revenueCurrency) query = query.where('revenue_currency', '=', d.revenueCurrency)
  if (d.activeWithinDays !== undefined) query = query.where('last_interaction_at', '>=', new Date(now.getTime() - d.activeWithinDays * 86_400_000))
  if (d.inactiveForDays !== undefined) {
    const since = new Date(now.getTime() - d.inactiveForDays * 86_400_000)
    query = query.where((eb) => eb.or([eb('last_interaction_at', 'is', null), eb('last_interaction_at', '<', since)]))
  }
  if (d.tags) query = query.where(sql<boolean>`tags ?| ${`{${d.tags.map((t) => `"${t.replace(/["\\]/g, '\\$&')}"`).join(',')}}`}::text[]`)
  if (d.minScore !== undefined) query = query.where('score', '>=', d.minScore)
  if (position) query = query.where(after(msOf('contacts.created_at'), 'contacts.id', position, true, 'timestamptz'))
  const rows = await query.orderBy(msOf('contacts.created_at'), 'desc').orderBy('id', 'desc').limit(limit + 1).execute()
  return pageOf(rows, limit, contactView, (r): Position => ['-createdAt', r.created_at.getTime(), r.id])
}

async function findSegment(db: CrmDb, orgId: string, id: string): Promise<SegmentRow> {
  if (!UUID_RE.test(id)) throw segmentNotFound()
  const row = await db.selectFrom('crm_segments').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst()
  if (!row) throw segmentNotFound()
  return row
}

export async function getSegment(db: Db, orgId: string, id: string) {
  return segmentView(await findSegment(crmDb(db), orgId, id))
}

export async function segmentContacts(db: Db, orgId: string, id: string, q: { limit?: number; cursor?: string }) {
  const crm = crmDb(db)
  const segment = await findSegment(crm, orgId, id)
  return evaluateSegment(crm, orgId, segment.definition as SegmentDefinition, q)
}

export async function listSegments(db: Db, orgId: string, q: { limit?: number; cursor?: string }): Promise<PageOf<ReturnType<typeof segmentView>>> {
  const position = decodePosition(q.cursor, '-createdAt', 'number')
  const limit = q.limit ?? DEFAULT_LIMIT
  let query = crmDb(db).selectFrom('crm_segments').selectAll().where('org_id', '=', orgId)
  if (position) query = query.where(after(msOf('crm_segments.created_at'), 'crm_segments.id', position, true, 'timestamptz'))
  const rows = await query.orderBy(msOf('crm_segments.created_at'), 'desc').orderBy('id', 'desc').limit(limit + 1).execute()
  return pageOf(rows, limit, segmentView, (r): Position => ['-createdAt', r.created_at.getTime(), r.id])
}

export async function createSegment(db: Db, request: FastifyRequest, body: { name: string; definition: SegmentDefinition }) {
  checkDefinition(body.definition)
  return crmDb(db).transaction().execute(async (trx) => {
    const row = await trx.insertInto('crm_segments').values({ org_id: request.user.orgId, name: body.name.trim(), definition: JSON.stringify(body.definition) }).returningAll().executeTakeFirstOrThrow()
    await recordAudit(baseDb(trx), { ...auditContext(request), action: 'crm.segment.create', target: { type: 'crm_segment', id: row.id }, after: segmentView(row) })
    return segmentView(row)
  })
}

export async function updateSegment(db: Db, request: FastifyRequest, id: string, body: { name?: string | undefined; definition?: SegmentDefinition | undefined }) {
  const crm = crmDb(db)
  const before = await findSegment(crm, request.user.orgId, id)
  if (body.definition) checkDefinition(body.definition)
  return crm.transaction().execute(async (trx) => {
    const row = await trx.updateTable('crm_segments').set({
      ...(body.name !== undefined ? { name: body.name.trim() } : {}),
      ...(body.definition !== undefined ? { definition: JSON.stringify(body.definition) } : {}),
      updated_at: new Date(),
    }).where('id', '=', before.id).returningAll().executeTakeFirstOrThrow()
    await recordAudit(baseDb(trx), { ...auditContext(request), action: 'crm.segment.update', target: { type: 'crm_segment', id: row.id }, before: segmentView(before), after: segmentView(row) })
    return segmentView(row)
  })
}

export async function deleteSegment(db: Db, request: FastifyRequest, id: string) {
  const crm = crmDb(db)
  const before = await findSegment(crm, request.user.orgId, id)
  return crm.transaction().execute(async (trx) => {
    await trx.deleteFrom('crm_segments').where('id', '=', before.id).execute()
    await recordAudit(baseDb(trx), { ...auditContext(request), action: 'crm.segment.delete', target: { type: 'crm_segment', id: before.id }, before: segmentView(before) })
    return segmentView(before)
  })
}

import type { FastifyRequest } from 'fastify'
import { sql, type Kysely } from 'kysely'
import type { Database } from '../../plugins/db/tables.js'
import { findContact } from '../common/contacts.js'
import { auditContext, recordAudit } from '../identity/audit.js'
import { findIndexTable, findMall, guarded, indexValues, isUuid, pageById } from './catalog.js'
import { badInput, leaseClosed, missingIndex, notFound, pgCode, spaceOverlap } from './errors.js'
import { addDays, addMonths, indexAt, isIsoDate, type Escalation, type RentTerms } from './rent.js'
import * as repo from './repository.js'
import type { EscalationBody, LeaseBody, LeasePatch, LeasesQuery, LeaseView, RenewBody } from './schema.js'
import { leasingDb, type LeaseRow } from './tables.js'

/**
 * Leases: a tenant (a contact of the organization), one or more spaces of one mall, dates,
 * rent and its escalation, renewal and termination.
 *
 * A space cannot be in two leases whose days overlap. The spaces' rows are locked (FOR
 * UPDATE) and checked in the transaction that writes the lease, so of two simultaneous
 * leases of one space the second waits and then sees the first; on PostgreSQL the
 * exclusion constraint on leasing_lease_spaces.period is the last word either way.
 */

export const lastDay = (l: Pick<LeaseRow, 'ends_on' | 'terminated_on'>): string => l.terminated_on ?? l.ends_on

export function leaseStatus(l: Pick<LeaseRow, 'starts_on' | 'ends_on' | 'terminated_on'>, today: string): LeaseView['status'] {
  if (l.terminated_on !== null && l.terminated_on < today) return 'terminated'
  if (today < l.starts_on) return 'upcoming'
  if (lastDay(l) < today) return l.terminated_on !== null ? 'terminated' : 'ended'
  return 'active'
}

export const todayUtc = (now = new Date()): string => now.toISOString().slice(0, 10)

export async function findLease(db: Kysely<Database>, orgId: string, id: string): Promise<LeaseRow> {
  if (!isUuid(id)) throw notFound('LEASE')
  const row = await leasingDb(db).selectFrom('leasing_leases').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst()
  if (!row) throw notFound('LEASE')
  return row
}

/** The rent terms of a lease as rent.ts computes them. */
export async function termsOf(db: Kysely<Database>, lease: LeaseRow): Promise<RentTerms> {
  const steps = await leasingDb(db).selectFrom('leasing_rent_steps').select(['effective_on', 'rent_minor']).where('lease_id', '=', lease.id).orderBy('effective_on').execute()
  const escalation = lease.escalation as Escalation
  return {
    startsOn: lease.starts_on,
    lastDay: lastDay(lease),
    steps: steps.map((s) => ({ effectiveOn: s.effective_on, rentMinor: s.rent_minor })),
    escalation,
    ...(escalation.kind === 'index' ? { index: await indexValues(db, escalation.tableId) } : {}),
  }
}

async function leaseSpaces(db: Kysely<Database>, leaseIds: string[]) {
  if (leaseIds.length === 0) return new Map<string, LeaseView['spaces']>()
  const rows = await leasingDb(db)
    .selectFrom('leasing_lease_spaces as ls')
    .innerJoin('leasing_spaces as s', 's.id', 'ls.space_id')
    .select(['ls.lease_id', 's.id', 's.code', 's.area_centi_m2', 's.type', 's.zone_id'])
    .where('ls.lease_id', 'in', leaseIds)
    .orderBy('s.code')
    .execute()
  const out = new Map<string, LeaseView['spaces']>()
  for (const r of rows) {
    const list = out.get(r.lease_id) ?? []
    list.push({ id: r.id, code: r.code, areaCentiM2: r.area_centi_m2, type: r.type, zoneId: r.zone_id })
    out.set(r.lease_id, list)
  }
  return out
}

export async function leaseViews(db: Kysely<Database>, rows: (LeaseRow & { tenant_name: string })[], today = todayUtc()): Promise<LeaseView[]> {
  const spaces = await leaseSpaces(db, rows.map((r) => r.id))
  const steps = rows.length === 0 ? [] : await leasingDb(db).selectFrom('leasing_rent_steps').selectAll().where('lease_id', 'in', rows.map((r) => r.id)).orderBy('effective_on').execute()
  return rows.map((r) => ({
    id: r.id,
    mallId: r.mall_id,
    tenantContactId: r.tenant_contact_id,
    tenantName: r.tenant_name,
    spaces: spaces.get(r.id) ?? [],
    startsOn: r.starts_on,
    endsOn: r.ends_on,
    terminatedOn: r.terminated_on,
    terminationReason: r.termination_reason,
    status: leaseStatus(r, today),
    rentMinor: r.rent_minor,
    currency: r.currency,
    depositMinor: r.deposit_minor,
    rentTaxRateBp: r.rent_tax_rate_bp,
    billingDay: r.billing_day,
    escalation: r.escalation,
    rentSteps: steps.filter((s) => s.lease_id === r.id).map((s) => ({ effectiveOn: s.effective_on, rentMinor: s.rent_minor })),
    previousLeaseId: r.previous_lease_id,
    notes: r.notes,
  }))
}

const withTenant = (db: Kysely<Database>) =>
  leasingDb(db).selectFrom('leasing_leases as l').innerJoin('contacts as c', 'c.id', 'l.tenant_contact_id').selectAll('l').select('c.name as tenant_name')

export async function getLease(db: Kysely<Database>, orgId: string, id: string): Promise<LeaseView> {
  await findLease(db, orgId, id)
  const row = await withTenant(db).where('l.id', '=', id).executeTakeFirstOrThrow()
  return (await leaseViews(db, [row]))[0]!
}

export async function listLeases(db: Kysely<Database>, orgId: string, q: LeasesQuery) {
  const today = todayUtc()
  if (q.mallId) await findMall(db, orgId, q.mallId)
  if (q.tenantContactId) await findContact(db, orgId, q.tenantContactId)
  const page = await pageById(q, async (after, limit) => {
    let query = withTenant(db).where('l.org_id', '=', orgId)
    if (q.mallId) query = query.where('l.mall_id', '=', q.mallId)
    if (q.tenantContactId) query = query.where('l.tenant_contact_id', '=', q.tenantContactId)
    if (q.status === 'upcoming') query = query.where('l.starts_on', '>', today)
    if (q.status === 'active') query = query.where('l.starts_on', '<=', today).where(sql<boolean>`coalesce(l.terminated_on, l.ends_on) >= ${today}`)
    if (q.status === 'ended') query = query.where('l.terminated_on', 'is', null).where('l.ends_on', '<', today)
    if (q.status === 'terminated') query = query.where('l.terminated_on', '<', today)
    if (after) query = query.where('l.id', '>', after)
    return query.orderBy('l.id').limit(limit).execute()
  }, (row) => row)
  return { items: await leaseViews(db, page.items, today), nextCursor: page.nextCursor }
}

/** The escalation as stored: `from` defaults to N months after the start. */
async function escalationOf(db: Kysely<Database>, orgId: string, body: EscalationBody | undefined, startsOn: string): Promise<{ escalation: Escalation; indexTableId: string | null }> {
  if (!body || body.kind === 'none') return { escalation: { kind: 'none' }, indexTableId: null }
  const from = body.from ?? addMonths(startsOn, body.everyMonths)
  if (!isIsoDate(from)) throw badInput('escalation.from: not a calendar date')
  if (body.kind === 'percent') return { escalation: { kind: 'percent', percentBp: body.percentBp, everyMonths: body.everyMonths, from }, indexTableId: null }
  await findIndexTable(db, orgId, body.tableId)
  if (indexAt(await indexValues(db, body.tableId), startsOn) === undefined) throw missingIndex(startsOn)
  return { escalation: { kind: 'index', tableId: body.tableId, everyMonths: body.everyMonths, from }, indexTableId: body.tableId }
}

/**
 * Locks the spaces and refuses one already leased on an overlapping day (another lease
 * than `exceptLeaseId`). Must run inside the transaction that then writes the lease.
 */
async function claimSpaces(trx: Kysely<Database>, orgId: string, spaceIds: string[], from: string, to: string, exceptLeaseIds: string[]): Promise<void> {
  const spaces = await leasingDb(trx).selectFrom('leasing_spaces').select(['id', 'code']).where('org_id', '=', orgId).where('id', 'in', spaceIds).orderBy('id').forUpdate().execute()
  const clash = await repo.overlappingSpace(trx, spaces.map((sp) => sp.id), from, to, exceptLeaseIds)
  if (clash !== undefined) throw spaceOverlap(clash)
}

async function writeLeaseSpaces(trx: Kysely<Database>, orgId: string, leaseId: string, spaceIds: string[], from: string, to: string) {
  await leasingDb(trx).insertInto('leasing_lease_spaces')
    .values(spaceIds.map((spaceId) => ({ lease_id: leaseId, space_id: spaceId, org_id: orgId, period: repo.dayRange(from, to) })))
    .execute()
}

/** The exclusion constraint's refusal, when two transactions raced past each other's check. */
async function overlapGuard<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    if (pgCode(err) === '23P01') throw spaceOverlap('(concurrent)')
    throw err
  }
}

export async function createLease(db: Kysely<Database>, request: FastifyRequest, body: LeaseBody, previousLeaseId: string | null = null): Promise<LeaseView> {
  const orgId = request.user.orgId
  if (!isIsoDate(body.startsOn) || !isIsoDate(body.endsOn)) throw badInput('startsOn, endsOn: not calendar dates')
  if (body.endsOn < body.startsOn) throw badInput('endsOn: before startsOn')
  const spaceIds = [...new Set(body.spaceIds)]
  await findContact(db, orgId, body.tenantContactId)
  const spaces = await leasingDb(db).selectFrom('leasing_spaces').select(['id', 'mall_id']).where('org_id', '=', orgId).where('id', 'in', spaceIds).execute()
  if (spaces.length !== spaceIds.length) throw notFound('SPACE')
  const mallIds = new Set(spaces.map((s) => s.mall_id))
  if (mallIds.size !== 1) throw badInput('spaceIds: the spaces of one lease are in one mall')
  const mallId = spaces[0]!.mall_id
  await findMall(db, orgId, mallId)
  const { escalation, indexTableId } = await escalationOf(db, orgId, body.escalation, body.startsOn)
  const id = await overlapGuard(() => db.transaction().execute(async (trx) => {
    await claimSpaces(trx, orgId, spaceIds, body.startsOn, body.endsOn, [])
    const row = await leasingDb(trx).insertInto('leasing_leases').values({
      org_id: orgId, mall_id: mallId, tenant_contact_id: body.tenantContactId, starts_on: body.startsOn, ends_on: body.endsOn,
      rent_minor: body.rentMinor, currency: body.currency, deposit_minor: body.depositMinor ?? 0, rent_tax_rate_bp: body.rentTaxRateBp ?? 0, billing_day: body.billingDay ?? 1,
      escalation: JSON.stringify(escalation), index_table_id: indexTableId, notes: body.notes ?? null, previous_lease_id: previousLeaseId,
    }).returningAll().executeTakeFirstOrThrow()
    await leasingDb(trx).insertInto('leasing_rent_steps').values({ lease_id: row.id, org_id: orgId, effective_on: body.startsOn, rent_minor: body.rentMinor }).execute()
    await writeLeaseSpaces(trx, orgId, row.id, spaceIds, body.startsOn, body.endsOn)
    await recordAudit(trx, { ...auditContext(request), action: 'leasing.lease.create', target: { type: 'leasing_lease', id: row.id }, after: { ...body, escalation, previousLeaseId } })
    return row.id
  }))
  return getLease(db, orgId, id)
}

export async function updateLease(db: Kysely<Database>, request: FastifyRequest, id: string, body: LeasePatch): Promise<LeaseView> {
  const orgId = request.user.orgId
  const before = await findLease(db, orgId, id)
  await db.transaction().execute(async (trx) => {
    await leasingDb(trx).updateTable('leasing_leases').set({
      ...(body.depositMinor !== undefined ? { deposit_minor: body.depositMinor } : {}),
      ...(body.billingDay !== undefined ? { billing_day: body.billingDay } : {}),
      ...(body.notes !== undefined ? { notes: body.notes } : {}),
      updated_at: new Date(),
    }).where('org_id', '=', orgId).where('id', '=', id).execute()
    await recordAudit(trx, { ...auditContext(request), action: 'leasing.lease.update', target: { type: 'leasing_lease', id },
      before: { depositMinor: before.deposit_minor, billingDay: before.billing_day, notes: before.notes }, after: body })
  })
  return getLease(db, orgId, id)
}

/**
 * Ends the lease early: `on` is its last day. Charges already written for later periods
 * are not rewritten here (they may be invoiced); the rent job never writes one after it,
 * and the month of `on` is prorated if it had not been charged yet.
 */
export async function terminateLease(db: Kysely<Database>, request: FastifyRequest, id: string, body: { on: string; reason: string }): Promise<LeaseView> {
  const orgId = request.user.orgId
  const lease = await findLease(db, orgId, id)
  if (!isIsoDate(body.on)) throw badInput('on: not a calendar date')
  if (lease.terminated_on !== null) throw leaseClosed('the lease is already terminated')
  if (body.on < lease.starts_on || body.on > lease.ends_on) throw badInput('on: must fall between the lease start and end')
  await db.transaction().execute(async (trx) => {
    await leasingDb(trx).updateTable('leasing_leases').set({ terminated_on: body.on, termination_reason: body.reason, updated_at: new Date() })
      .where('org_id', '=', orgId).where('id', '=', id).execute()
    await leasingDb(trx).updateTable('leasing_lease_spaces').set({ period: repo.dayRange(lease.starts_on, body.on) }).where('lease_id', '=', id).execute()
    await recordAudit(trx, { ...auditContext(request), action: 'leasing.lease.terminate', target: { type: 'leasing_lease', id }, before: { terminatedOn: null }, after: body })
  })
  return getLease(db, orgId, id)
}

/**
 * Renewal. `extend`: the same lease runs to the new end, and from the day after the old
 * end the rent is the new one (a rent step; escalation restarts from that date).
 * `new_term`: a new lease for the same tenant and spaces from the day after the end,
 * linked to this one by previousLeaseId (one renewal per term).
 */
export async function renewLease(db: Kysely<Database>, request: FastifyRequest, id: string, body: RenewBody): Promise<LeaseView> {
  const orgId = request.user.orgId
  const lease = await findLease(db, orgId, id)
  if (lease.terminated_on !== null) throw leaseClosed('a terminated lease cannot be renewed')
  if (!isIsoDate(body.endsOn) || body.endsOn <= lease.ends_on) throw badInput('endsOn: must be after the current end')
  const from = addDays(lease.ends_on, 1)
  const spaceIds = (await leasingDb(db).selectFrom('leasing_lease_spaces').select('space_id').where('lease_id', '=', id).execute()).map((r) => r.space_id)
  if (body.mode === 'new_term') {
    return guarded('renewal of this lease', () => createLease(db, request, {
      tenantContactId: lease.tenant_contact_id, spaceIds, startsOn: from, endsOn: body.endsOn, rentMinor: body.rentMinor, currency: lease.currency as LeaseBody['currency'],
      depositMinor: lease.deposit_minor, rentTaxRateBp: lease.rent_tax_rate_bp, billingDay: lease.billing_day, ...(body.escalation ? { escalation: body.escalation } : {}),
    }, id))
  }
  const { escalation, indexTableId } = body.escalation
    ? await escalationOf(db, orgId, body.escalation, from)
    : { escalation: lease.escalation as Escalation, indexTableId: lease.index_table_id }
  if (escalation.kind === 'index' && indexAt(await indexValues(db, escalation.tableId), from) === undefined) throw missingIndex(from)
  await overlapGuard(() => db.transaction().execute(async (trx) => {
    await claimSpaces(trx, orgId, spaceIds, lease.starts_on, body.endsOn, [id])
    await leasingDb(trx).updateTable('leasing_leases').set({
      ends_on: body.endsOn, rent_minor: body.rentMinor, escalation: JSON.stringify(escalation), index_table_id: indexTableId, updated_at: new Date(),
    }).where('id', '=', id).execute()
    await leasingDb(trx).insertInto('leasing_rent_steps').values({ lease_id: id, org_id: orgId, effective_on: from, rent_minor: body.rentMinor }).execute()
    await leasingDb(trx).updateTable('leasing_lease_spaces').set({ period: repo.dayRange(lease.starts_on, body.endsOn) }).where('lease_id', '=', id).execute()
    await recordAudit(trx, { ...auditContext(request), action: 'leasing.lease.extend', target: { type: 'leasing_lease', id },
      before: { endsOn: lease.ends_on, rentMinor: lease.rent_minor, escalation: lease.escalation }, after: { endsOn: body.endsOn, rentMinor: body.rentMinor, escalation, from } })
  }))
  return getLease(db, orgId, id)
}

import type { FastifyRequest } from 'fastify'
import type { Kysely } from 'kysely'
import type { Database } from '../../plugins/db/tables.js'
import { DEFAULT_LIMIT, decodeCursor, pageOf } from '../common/pagination.js'
import { auditContext, recordAudit } from '../identity/audit.js'
import { isUuid } from './catalog.js'
import { badInput, notFound } from './errors.js'
import { findLease, termsOf } from './leases.js'
import { leasePeriods, monthRent, MissingIndexError, nextPeriod, periodBounds } from './rent.js'
import * as repo from './repository.js'
import type { ChargesQuery, ChargeView } from './schema.js'
import { leasingDb, type ChargeRow, type LeaseRow } from './tables.js'

/**
 * Charges: one per lease, period (YYYY-MM) and kind, by the unique constraint
 * leasing_charges_once. The rent run computes each lease's month (rent.ts) and inserts it
 * with ON CONFLICT DO NOTHING, so a second run, a retry, or two instances at once write
 * nothing more: they count what already exists.
 */

export const chargeView = (r: ChargeRow): ChargeView => ({
  id: r.id,
  leaseId: r.lease_id,
  period: r.period,
  kind: r.kind,
  currency: r.currency,
  amountMinor: r.amount_minor,
  taxMinor: r.tax_minor,
  status: r.status,
  reviewReason: r.review_reason,
  resolutionNote: r.resolution_note,
  detail: r.detail,
})

/** Leases holding at least one day of the period, of one organization or of all. */
export async function leasesInPeriod(db: Kysely<Database>, period: string, orgId?: string): Promise<LeaseRow[]> {
  const { first, last } = periodBounds(period)
  return repo.leasesBetween(db, first, last, orgId)
}

export interface RunResult {
  period: string
  created: number
  existing: number
  needsReview?: number
}

/** Writes the period's rent charge of every lease that holds a day of it. Idempotent. */
export async function runRent(db: Kysely<Database>, period: string, opts: { orgId?: string; actor?: FastifyRequest } = {}): Promise<RunResult> {
  const result = { period, created: 0, existing: 0 }
  const created = new Map<string, string[]>()
  for (const lease of await leasesInPeriod(db, period, opts.orgId)) {
    let month
    try {
      month = monthRent(await termsOf(db, lease), period)
    } catch (err) {
      // No index value at the lease's start: lease creation refuses that, so only a
      // value deleted by hand gets here. Skipped, not charged as zero; the next run retries.
      if (err instanceof MissingIndexError) continue
      throw err
    }
    if (!month) continue
    const row = await leasingDb(db).insertInto('leasing_charges').values({
      org_id: lease.org_id, lease_id: lease.id, period, kind: 'rent', currency: lease.currency, amount_minor: month.amountMinor, status: 'ok',
      detail: JSON.stringify({ daysInMonth: month.daysInMonth, segments: month.segments }),
    }).onConflict((oc) => oc.columns(['lease_id', 'period', 'kind']).doNothing()).returning('id').executeTakeFirst()
    if (row) {
      result.created += 1
      created.set(lease.org_id, [...(created.get(lease.org_id) ?? []), row.id])
    } else result.existing += 1
  }
  for (const [orgId, ids] of created) {
    await recordAudit(db, {
      ...(opts.actor ? auditContext(opts.actor) : { actor: { type: 'system', id: null } }),
      orgId,
      action: 'leasing.rent.run',
      target: { type: 'leasing_period', id: period },
      after: { created: ids },
    })
  }
  return result
}

export async function findCharge(db: Kysely<Database>, orgId: string, id: string): Promise<ChargeRow> {
  if (!isUuid(id)) throw notFound('CHARGE')
  const row = await leasingDb(db).selectFrom('leasing_charges').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst()
  if (!row) throw notFound('CHARGE')
  return row
}

const isChargeCursor = (v: unknown): v is [string, string] => Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && isUuid(v[1])

/** Newest period first, then by id. */
export async function listCharges(db: Kysely<Database>, orgId: string, q: ChargesQuery) {
  const after = decodeCursor(q.cursor, isChargeCursor)
  const limit = q.limit ?? DEFAULT_LIMIT
  if (q.leaseId) await findLease(db, orgId, q.leaseId)
  let query = leasingDb(db).selectFrom('leasing_charges').selectAll().where('org_id', '=', orgId)
  if (q.period) query = query.where('period', '=', q.period)
  if (q.leaseId) query = query.where('lease_id', '=', q.leaseId)
  if (q.kind) query = query.where('kind', '=', q.kind)
  if (q.status) query = query.where('status', '=', q.status)
  if (after) query = query.where((eb) => eb.or([eb('period', '<', after[0]), eb.and([eb('period', '=', after[0]), eb('id', '>', after[1])])]))
  const rows = await query.orderBy('period', 'desc').orderBy('id').limit(limit + 1).execute()
  return pageOf(rows, limit, chargeView, (r) => [r.period, r.id])
}

/**
 * A lease's charges as written, and the rent of the periods not charged yet from `from`
 * (default this month) on, computed the way the rent run would, without writing them.
 */
export async function leaseSchedule(db: Kysely<Database>, orgId: string, id: string, opts: { months?: number; from?: string; today?: string }) {
  const lease = await findLease(db, orgId, id)
  return scheduleOf(db, lease, opts)
}

export async function scheduleOf(db: Kysely<Database>, lease: LeaseRow, opts: { months?: number; from?: string; today?: string }) {
  const charges = await leasingDb(db).selectFrom('leasing_charges').selectAll().where('lease_id', '=', lease.id).orderBy('period').orderBy('kind').execute()
  const charged = new Set(charges.filter((c) => c.kind === 'rent').map((c) => c.period))
  const from = opts.from ?? (opts.today ?? new Date().toISOString()).slice(0, 7)
  const terms = await termsOf(db, lease)
  const projection = []
  for (const period of leasePeriods(terms)) {
    if (projection.length >= (opts.months ?? 12)) break
    if (period < from || charged.has(period)) continue
    try {
      const month = monthRent(terms, period)
      if (month) projection.push({ period, amountMinor: month.amountMinor, currency: lease.currency, segments: month.segments })
    } catch (err) {
      if (!(err instanceof MissingIndexError)) throw err
    }
  }
  return { leaseId: lease.id, currency: lease.currency, charges: charges.map(chargeView), projection }
}

export const previousPeriod = (period: string): string => {
  const [y, m] = period.split('-').map(Number) as [number, number]
  return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`
}
export const periodAt = (now: Date): string => now.toISOString().slice(0, 7)
export { nextPeriod }

export function checkPeriod(period: string): void {
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(period)) throw badInput('period: YYYY-MM')
}

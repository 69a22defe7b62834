import { sql, type Kysely } from 'kysely'
import type { Database } from '../../plugins/db/tables.js'
import { leasingDb, type LeaseRow, type MeterRow } from './tables.js'

/**
 * The leasing module's reads of other modules' tables (telemetry, data_gaps,
 * absent_ranges, users, sites) and its queries in raw SQL (date ranges, windows, lateral
 * joins). Single-table reads and writes of the leasing tables sit with the code that owns
 * them (catalog.ts, leases.ts, charges.ts...), through `leasingDb`.
 */

/** A lease's days as a PostgreSQL daterange, both ends included. */
export const dayRange = (from: string, to: string) => sql`daterange(${from}::date, ${to}::date, '[]')`

/** The code of a space among `spaceIds` already leased on a day of [from, to] by a lease not in `exceptLeaseIds`. */
export async function overlappingSpace(db: Kysely<Database>, spaceIds: string[], from: string, to: string, exceptLeaseIds: string[]): Promise<string | undefined> {
  if (spaceIds.length === 0) return undefined
  const row = await leasingDb(db)
    .selectFrom('leasing_lease_spaces as ls')
    .innerJoin('leasing_spaces as s', 's.id', 'ls.space_id')
    .select('s.code')
    .where('ls.space_id', 'in', spaceIds)
    .where(sql<boolean>`ls.period && ${dayRange(from, to)}`)
    .$if(exceptLeaseIds.length > 0, (q) => q.where('ls.lease_id', 'not in', exceptLeaseIds))
    .executeTakeFirst()
  return row?.code
}

/** Leases holding at least one day of [first, last], of one organization or of all. */
export async function leasesBetween(db: Kysely<Database>, first: string, last: string, orgId?: string): Promise<LeaseRow[]> {
  let q = leasingDb(db).selectFrom('leasing_leases').selectAll().where('starts_on', '<=', last).where(sql<boolean>`coalesce(terminated_on, ends_on) >= ${first}`)
  if (orgId) q = q.where('org_id', '=', orgId)
  return q.orderBy('id').execute()
}

/** The organization's active admins' addresses: who hears of incidents and expiries. */
export async function adminEmails(db: Kysely<Database>, orgId: string): Promise<string[]> {
  const rows = await db.selectFrom('users').select('email').where('org_id', '=', orgId).where('role', '=', 'org_admin').where('disabled_at', 'is', null).orderBy('email').execute()
  return rows.map((r) => r.email)
}

export async function siteInOrg(db: Kysely<Database>, orgId: string, siteId: string): Promise<boolean> {
  return (await db.selectFrom('sites').select('id').where('id', '=', siteId).where('org_id', '=', orgId).executeTakeFirst()) !== undefined
}

export async function siteTimezone(db: Kysely<Database>, siteId: string): Promise<string | undefined> {
  return (await db.selectFrom('sites').select('timezone').where('id', '=', siteId).executeTakeFirst())?.timezone
}

// Telemetry, as ingest stores it.

export interface SourcedReading {
  value: number
  time: string
  gatewayId: string
  seq: number
}

/** The meter's reading closest to `at` within `toleranceMs` either side. */
export async function closestReading(db: Kysely<Database>, meter: MeterRow, at: number, toleranceMs: number): Promise<SourcedReading | null> {
  const row = await db
    .selectFrom('telemetry')
    .select(['value', 'time', 'gateway_id', 'seq'])
    .where('site_id', '=', meter.site_id)
    .where('device_id', '=', meter.device_id)
    .where('metric', '=', meter.metric)
    .where('time', '>=', new Date(at - toleranceMs))
    .where('time', '<=', new Date(at + toleranceMs))
    .orderBy(sql`abs(extract(epoch from (time - ${new Date(at)}::timestamptz)))`)
    .orderBy('time')
    .limit(1)
    .executeTakeFirst()
  return row ? { value: row.value, time: row.time.toISOString(), gatewayId: row.gateway_id, seq: row.seq } : null
}

/** Between two times: how often the counter fell, and the longest silence between readings (s). */
export async function counterSteps(db: Kysely<Database>, meter: MeterRow, from: Date, to: Date): Promise<{ drops: number; silenceS: number | null }> {
  const { rows } = await sql<{ drops: number; silence_s: number | null }>`
    select count(*) filter (where d < 0)::int as drops, max(gap_s) as silence_s from (
      select value - lag(value) over w as d, extract(epoch from time - lag(time) over w) as gap_s
      from telemetry
      where site_id = ${meter.site_id}::uuid and device_id = ${meter.device_id} and metric = ${meter.metric}
        and time >= ${from}::timestamptz and time <= ${to}::timestamptz
      window w as (order by time)
    ) x`.execute(db)
  const r = rows[0]
  return { drops: Number(r?.drops ?? 0), silenceS: r?.silence_s === null || r?.silence_s === undefined ? null : Number(r.silence_s) }
}

/** The first data gap the site's gateway recorded for the device (or for all devices) overlapping (from, to). */
export async function dataGapBetween(db: Kysely<Database>, meter: MeterRow, from: Date, to: Date) {
  return db
    .selectFrom('data_gaps')
    .select(['from_time', 'to_time', 'reason'])
    .where('site_id', '=', meter.site_id)
    .where('from_time', '<', to)
    .where('to_time', '>', from)
    .where(sql<boolean>`(devices @> ${JSON.stringify([meter.device_id])}::jsonb or jsonb_array_length(devices) = 0)`)
    .orderBy('from_time')
    .executeTakeFirst()
}

/** A seq range the gateway discarded for good that meets [fromSeq, toSeq]. */
export async function absentRangeBetween(db: Kysely<Database>, gatewayId: string, fromSeq: number, toSeq: number) {
  return db
    .selectFrom('absent_ranges')
    .select(['from_seq', 'to_seq'])
    .where('gateway_id', '=', gatewayId)
    .where('from_seq', '<=', toSeq)
    .where('to_seq', '>=', fromSeq)
    .orderBy('from_seq')
    .executeTakeFirst()
}

// Occupancy, expirations, income.

/** The organization's spaces (optionally of one mall) with whether a lease holds each on `at`. */
export async function spacesWithOccupancy(db: Kysely<Database>, orgId: string, at: string, mallId?: string) {
  let query = leasingDb(db)
    .selectFrom('leasing_spaces as s')
    .leftJoin('leasing_zones as z', 'z.id', 's.zone_id')
    .select(['s.id', 's.type', 's.area_centi_m2', 's.zone_id', 'z.name as zone_name'])
    .select(sql<boolean>`exists (select 1 from leasing_lease_spaces ls where ls.space_id = s.id and ls.period @> ${at}::date)`.as('occupied'))
    .where('s.org_id', '=', orgId)
  if (mallId) query = query.where('s.mall_id', '=', mallId)
  return query.execute()
}

/**
 * Leases (not terminated, not renewed into a new term) whose last day is in [at, until],
 * by last day then id; `after` is a keyset position.
 */
export async function expiringLeases(db: Kysely<Database>, f: { orgId?: string; at: string; until: string; after?: [string, string] | undefined; limit?: number }) {
  const lastDayExpr = sql<string>`coalesce(l.terminated_on, l.ends_on)`
  let q = leasingDb(db)
    .selectFrom('leasing_leases as l')
    .innerJoin('contacts as c', 'c.id', 'l.tenant_contact_id')
    .select(['l.id', 'l.org_id', 'l.rent_minor', 'l.currency', 'l.terminated_on', 'l.ends_on', 'c.name as tenant_name', 'c.email as tenant_email'])
    .select(lastDayExpr.as('last_day'))
    .where(lastDayExpr, '>=', f.at)
    .where(lastDayExpr, '<=', f.until)
    .where('l.terminated_on', 'is', null)
    .where(({ not, exists, selectFrom }) => not(exists(selectFrom('leasing_leases as n').select('n.id').whereRef('n.previous_lease_id', '=', 'l.id'))))
  if (f.orgId) q = q.where('l.org_id', '=', f.orgId)
  if (f.after) {
    const [d, id] = f.after
    q = q.where(sql<boolean>`(coalesce(l.terminated_on, l.ends_on), l.id) > (${d}, ${id}::uuid)`)
  }
  q = q.orderBy(lastDayExpr).orderBy('l.id')
  if (f.limit) q = q.limit(f.limit)
  return q.execute()
}

/** Each lease's space codes, sorted. */
export async function spaceCodes(db: Kysely<Database>, leaseIds: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>()
  if (leaseIds.length === 0) return out
  const rows = await leasingDb(db).selectFrom('leasing_lease_spaces as ls').innerJoin('leasing_spaces as s', 's.id', 'ls.space_id')
    .select(['ls.lease_id', 's.code']).where('ls.lease_id', 'in', leaseIds).orderBy('s.code').execute()
  for (const r of rows) out.set(r.lease_id, [...(out.get(r.lease_id) ?? []), r.code])
  return out
}

/** Charged amounts per period, currency, zone (of the lease's first space) and kind. */
export async function chargedByZone(db: Kysely<Database>, orgId: string, from: string, to: string) {
  const { rows } = await sql<{ period: string; currency: string; zone: string | null; kind: string; amount: number; n: number }>`
    select c.period, c.currency, z.name as zone, c.kind, sum(c.amount_minor)::bigint as amount, count(*)::int as n
    from leasing_charges c
    left join lateral (
      select s.zone_id from leasing_lease_spaces ls join leasing_spaces s on s.id = ls.space_id
      where ls.lease_id = c.lease_id order by s.code limit 1
    ) first_space on true
    left join leasing_zones z on z.id = first_space.zone_id
    where c.org_id = ${orgId}::uuid and c.period >= ${from} and c.period <= ${to} and c.amount_minor is not null
    group by c.period, c.currency, z.name, c.kind
    order by c.period, c.currency, z.name nulls last, c.kind`.execute(db)
  return rows.map((r) => ({ period: r.period, currency: r.currency, zone: r.zone, kind: r.kind, amountMinor: Number(r.amount), charges: Number(r.n) }))
}

/** Leases of other organizations whose tenant contact is linked to the viewer's organization (the portal). */
export const portalLeases = (db: Kysely<Database>, viewerOrgId: string) =>
  leasingDb(db)
    .selectFrom('leasing_leases as l')
    .innerJoin('contacts as c', 'c.id', 'l.tenant_contact_id')
    .innerJoin('leasing_malls as m', 'm.id', 'l.mall_id')
    .innerJoin('organizations as o', 'o.id', 'l.org_id')
    .selectAll('l')
    .select(['c.name as tenant_name', 'm.name as mall_name', 'o.name as landlord_name'])
    .where('c.linked_org_id', '=', viewerOrgId)
    .whereRef('c.org_id', '=', 'l.org_id')

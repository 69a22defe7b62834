import { sql, type RawBuilder } from 'kysely'
import type { Db } from '../../plugins/db/database.js'
import type { ContactRow } from '../common/contacts.js'
import type { Span } from './availability.js'
import {
  ACTIVE_STATUSES,
  apptDb,
  type ApptDb,
  type BookingPageRow,
  type BookingRow,
  type ExceptionRow,
  type ProfessionalRow,
  type ServiceRow,
  type WaitlistRow,
  type WeeklyHoursRow,
} from './tables.js'

/** The module's SQL. Every query names the organization; ids from requests are checked as UUIDs first. */

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
export const isUuid = (value: unknown): value is string => typeof value === 'string' && UUID_RE.test(value)

/** A keyset position: the sort value (ms or text) and the row id. */
export type Position = [key: number | string, id: string]
export const isPosition = (v: unknown): v is Position =>
  Array.isArray(v) && v.length === 2 && (Number.isSafeInteger(v[0]) || typeof v[0] === 'string') && isUuid(v[1])

/**
 * created_at keeps microseconds and a cursor carries milliseconds: lists sort on the time
 * truncated to the millisecond (then the id), so a page boundary never splits a tie wrongly.
 */
const msOf = (column: string): RawBuilder<Date> => sql<Date>`date_trunc('milliseconds', ${sql.ref(column)})`
const afterPosition = (column: string, after: Position | undefined): RawBuilder<boolean> =>
  after === undefined
    ? sql<boolean>`true`
    : sql<boolean>`(${msOf(column)}, ${sql.ref('id')}) > (${new Date(after[0] as number)}::timestamptz, ${after[1]}::uuid)`

const db$ = (db: Db): ApptDb => apptDb(db)

// Services.
export async function findService(db: Db, orgId: string, id: string): Promise<ServiceRow | undefined> {
  if (!isUuid(id)) return undefined
  return db$(db).selectFrom('appt_services').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst()
}

export async function listServices(db: Db, orgId: string, opts: { archived: boolean; after?: Position; limit: number }): Promise<ServiceRow[]> {
  return db$(db)
    .selectFrom('appt_services')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('archived_at', opts.archived ? 'is not' : 'is', null)
    .where(afterPosition('created_at', opts.after))
    .orderBy(msOf('created_at'))
    .orderBy('id')
    .limit(opts.limit)
    .execute()
}

export async function insertService(db: Db, values: Omit<ServiceRow, 'id' | 'created_at' | 'updated_at' | 'archived_at'>): Promise<ServiceRow> {
  return db$(db).insertInto('appt_services').values(values).returningAll().executeTakeFirstOrThrow()
}

export async function updateService(db: Db, orgId: string, id: string, values: Partial<Omit<ServiceRow, 'id' | 'org_id' | 'created_at'>>): Promise<ServiceRow> {
  return db$(db).updateTable('appt_services').set({ ...values, updated_at: new Date() }).where('org_id', '=', orgId).where('id', '=', id).returningAll().executeTakeFirstOrThrow()
}

// Who offers what.
export async function professionalIdsOf(db: Db, serviceIds: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>(serviceIds.map((id) => [id, []]))
  if (serviceIds.length === 0) return out
  const rows = await db$(db).selectFrom('appt_service_professionals').select(['service_id', 'professional_id']).where('service_id', 'in', serviceIds).orderBy('professional_id').execute()
  for (const r of rows) out.get(r.service_id)?.push(r.professional_id)
  return out
}

export async function serviceIdsOf(db: Db, professionalIds: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>(professionalIds.map((id) => [id, []]))
  if (professionalIds.length === 0) return out
  const rows = await db$(db).selectFrom('appt_service_professionals').select(['service_id', 'professional_id']).where('professional_id', 'in', professionalIds).orderBy('service_id').execute()
  for (const r of rows) out.get(r.professional_id)?.push(r.service_id)
  return out
}

/** Replaces one side of the link: the professionals of a service, or the services of a professional. */
export async function setLinks(db: Db, orgId: string, side: { serviceId: string; professionalIds: string[] } | { professionalId: string; serviceIds: string[] }): Promise<void> {
  if ('serviceId' in side) {
    await db$(db).deleteFrom('appt_service_professionals').where('org_id', '=', orgId).where('service_id', '=', side.serviceId).execute()
    if (side.professionalIds.length) {
      await db$(db).insertInto('appt_service_professionals').values(side.professionalIds.map((p) => ({ org_id: orgId, service_id: side.serviceId, professional_id: p }))).execute()
    }
  } else {
    await db$(db).deleteFrom('appt_service_professionals').where('org_id', '=', orgId).where('professional_id', '=', side.professionalId).execute()
    if (side.serviceIds.length) {
      await db$(db).insertInto('appt_service_professionals').values(side.serviceIds.map((s) => ({ org_id: orgId, service_id: s, professional_id: side.professionalId }))).execute()
    }
  }
}

/** How many of `ids` are the organization's (services or professionals): all of them, or a 404. */
export async function countOwned(db: Db, table: 'appt_services' | 'appt_professionals', orgId: string, ids: string[]): Promise<number> {
  if (ids.length === 0) return 0
  if (!ids.every(isUuid)) return -1
  const row = await db$(db).selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).where('org_id', '=', orgId).where('id', 'in', ids).executeTakeFirstOrThrow()
  return Number(row.n)
}

// Professionals.
export async function findProfessional(db: Db, orgId: string, id: string): Promise<ProfessionalRow | undefined> {
  if (!isUuid(id)) return undefined
  return db$(db).selectFrom('appt_professionals').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst()
}

/** Locks the professional's row for the rest of the transaction: bookings for one professional queue here. */
export async function lockProfessional(trx: Db, orgId: string, id: string): Promise<ProfessionalRow | undefined> {
  return db$(trx).selectFrom('appt_professionals').selectAll().where('org_id', '=', orgId).where('id', '=', id).forUpdate().executeTakeFirst()
}

export async function listProfessionals(db: Db, orgId: string, opts: { archived: boolean; after?: Position; limit: number }): Promise<ProfessionalRow[]> {
  return db$(db)
    .selectFrom('appt_professionals')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('archived_at', opts.archived ? 'is not' : 'is', null)
    .where(afterPosition('created_at', opts.after))
    .orderBy(msOf('created_at'))
    .orderBy('id')
    .limit(opts.limit)
    .execute()
}

/** The organization's professionals who offer a service, not archived. */
export async function professionalsOffering(db: Db, orgId: string, serviceId: string): Promise<ProfessionalRow[]> {
  return db$(db)
    .selectFrom('appt_professionals as p')
    .innerJoin('appt_service_professionals as sp', 'sp.professional_id', 'p.id')
    .selectAll('p')
    .where('p.org_id', '=', orgId)
    .where('sp.service_id', '=', serviceId)
    .where('p.archived_at', 'is', null)
    .orderBy('p.created_at')
    .orderBy('p.id')
    .execute()
}

export async function insertProfessional(db: Db, values: Omit<ProfessionalRow, 'id' | 'created_at' | 'updated_at' | 'archived_at' | 'ics_token_hash'>): Promise<ProfessionalRow> {
  return db$(db).insertInto('appt_professionals').values(values).returningAll().executeTakeFirstOrThrow()
}

export async function updateProfessional(db: Db, orgId: string, id: string, values: Partial<Omit<ProfessionalRow, 'id' | 'org_id' | 'created_at'>>): Promise<ProfessionalRow> {
  return db$(db).updateTable('appt_professionals').set({ ...values, updated_at: new Date() }).where('org_id', '=', orgId).where('id', '=', id).returningAll().executeTakeFirstOrThrow()
}

export async function professionalByFeedHash(db: Db, hash: string): Promise<ProfessionalRow | undefined> {
  return db$(db).selectFrom('appt_professionals').selectAll().where('ics_token_hash', '=', hash).executeTakeFirst()
}

// Availability.
export async function weeklyHours(db: Db, professionalIds: string[]): Promise<WeeklyHoursRow[]> {
  if (professionalIds.length === 0) return []
  return db$(db).selectFrom('appt_weekly_hours').selectAll().where('professional_id', 'in', professionalIds).orderBy('weekday').orderBy('start_min').execute()
}

export async function replaceWeeklyHours(db: Db, orgId: string, professionalId: string, ranges: { weekday: number; startMin: number; endMin: number }[]): Promise<void> {
  await db$(db).deleteFrom('appt_weekly_hours').where('org_id', '=', orgId).where('professional_id', '=', professionalId).execute()
  if (ranges.length) {
    await db$(db)
      .insertInto('appt_weekly_hours')
      .values(ranges.map((r) => ({ org_id: orgId, professional_id: professionalId, weekday: r.weekday, start_min: r.startMin, end_min: r.endMin })))
      .execute()
  }
}

export async function exceptionsBetween(db: Db, professionalIds: string[], fromDate: string, toDate: string): Promise<ExceptionRow[]> {
  if (professionalIds.length === 0) return []
  return db$(db).selectFrom('appt_exceptions').selectAll().where('professional_id', 'in', professionalIds).where('date', '>=', fromDate).where('date', '<=', toDate).execute()
}

export async function insertException(db: Db, values: Omit<ExceptionRow, 'id' | 'created_at'>): Promise<ExceptionRow> {
  return db$(db).insertInto('appt_exceptions').values(values).returningAll().executeTakeFirstOrThrow()
}

export async function findException(db: Db, orgId: string, id: string): Promise<ExceptionRow | undefined> {
  if (!isUuid(id)) return undefined
  return db$(db).selectFrom('appt_exceptions').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst()
}

export async function deleteException(db: Db, orgId: string, id: string): Promise<void> {
  await db$(db).deleteFrom('appt_exceptions').where('org_id', '=', orgId).where('id', '=', id).execute()
}

export async function listExceptions(db: Db, orgId: string, opts: { professionalId?: string | undefined; fromDate?: string | undefined; after?: Position; limit: number }): Promise<ExceptionRow[]> {
  let q = db$(db).selectFrom('appt_exceptions').selectAll().where('org_id', '=', orgId)
  if (opts.professionalId) q = q.where('professional_id', '=', opts.professionalId)
  if (opts.fromDate) q = q.where('date', '>=', opts.fromDate)
  if (opts.after) q = q.where(sql<boolean>`(date, id) > (${String(opts.after[0])}, ${opts.after[1]}::uuid)`)
  return q.orderBy('date').orderBy('id').limit(opts.limit).execute()
}

// Bookings.
/** Active bookings' blocked spans for these professionals that touch the window. */
export async function busySpans(db: Db, professionalIds: string[], window: Span, excludeBookingId?: string): Promise<Map<string, Span[]>> {
  const out = new Map<string, Span[]>(professionalIds.map((id) => [id, []]))
  if (professionalIds.length === 0) return out
  let q = db$(db)
    .selectFrom('appt_bookings')
    .select(['professional_id', 'blocked_from', 'blocked_to'])
    .where('professional_id', 'in', professionalIds)
    .where('status', 'in', ACTIVE_STATUSES)
    .where('blocked_from', '<', new Date(window.to))
    .where('blocked_to', '>', new Date(window.from))
  if (excludeBookingId) q = q.where('id', '!=', excludeBookingId)
  for (const r of await q.execute()) out.get(r.professional_id)?.push({ from: r.blocked_from.getTime(), to: r.blocked_to.getTime() })
  return out
}

export async function insertBooking(db: Db, values: Omit<BookingRow, 'id' | 'created_at' | 'updated_at' | 'revision' | 'confirmed_at' | 'cancelled_at' | 'cancel_reason'> & { confirmed_at?: Date | null }): Promise<BookingRow> {
  return db$(db).insertInto('appt_bookings').values(values).returningAll().executeTakeFirstOrThrow()
}

export async function findBooking(db: Db, orgId: string, id: string, lock = false): Promise<BookingRow | undefined> {
  if (!isUuid(id)) return undefined
  let q = db$(db).selectFrom('appt_bookings').selectAll().where('org_id', '=', orgId).where('id', '=', id)
  if (lock) q = q.forUpdate()
  return q.executeTakeFirst()
}

/** A booking by id alone, for the client's signed link (the signature is checked by the caller). */
export async function findBookingById(db: Db, id: string): Promise<BookingRow | undefined> {
  if (!isUuid(id)) return undefined
  return db$(db).selectFrom('appt_bookings').selectAll().where('id', '=', id).executeTakeFirst()
}

export async function updateBooking(db: Db, orgId: string, id: string, values: Partial<Omit<BookingRow, 'id' | 'org_id' | 'created_at'>>): Promise<BookingRow> {
  return db$(db).updateTable('appt_bookings').set({ ...values, updated_at: new Date() }).where('org_id', '=', orgId).where('id', '=', id).returningAll().executeTakeFirstOrThrow()
}

export interface BookingFilter {
  professionalId?: string | undefined
  contactId?: string | undefined
  status?: string | undefined
  from?: Date | undefined
  to?: Date | undefined
  after?: Position | undefined
  limit: number
}

/** By start, then id. */
export async function listBookings(db: Db, orgId: string, f: BookingFilter): Promise<BookingRow[]> {
  let q = db$(db).selectFrom('appt_bookings').selectAll().where('org_id', '=', orgId)
  if (f.professionalId) q = q.where('professional_id', '=', f.professionalId)
  if (f.contactId) q = q.where('contact_id', '=', f.contactId)
  if (f.status) q = q.where('status', '=', f.status as BookingRow['status'])
  if (f.from) q = q.where('starts_at', '>=', f.from)
  if (f.to) q = q.where('starts_at', '<', f.to)
  if (f.after) q = q.where(sql<boolean>`(starts_at, id) > (${new Date(f.after[0] as number)}::timestamptz, ${f.after[1]}::uuid)`)
  return q.orderBy('starts_at').orderBy('id').limit(f.limit).execute()
}

/** A professional's bookings for the feed: from a month back, at most 2000. */
export async function feedBookings(db: Db, professionalId: string, since: Date): Promise<(BookingRow & { service_name: string; contact_name: string })[]> {
  return db$(db)
    .selectFrom('appt_bookings as b')
    .innerJoin('appt_services as s', 's.id', 'b.service_id')
    .innerJoin('contacts as c', 'c.id', 'b.contact_id')
    .selectAll('b')
    .select(['s.name as service_name', 'c.name as contact_name'])
    .where('b.professional_id', '=', professionalId)
    .where('b.starts_at', '>=', since)
    .orderBy('b.starts_at')
    .orderBy('b.id')
    .limit(2000)
    .execute()
}

export async function noShows(db: Db, orgId: string, contactId: string): Promise<{ count: number; last: Date | null }> {
  const row = await db$(db)
    .selectFrom('appt_bookings')
    .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.max('starts_at').as('last')])
    .where('org_id', '=', orgId)
    .where('contact_id', '=', contactId)
    .where('status', '=', 'no_show')
    .executeTakeFirstOrThrow()
  return { count: Number(row.n), last: (row.last as Date | null) ?? null }
}

export async function upcomingCount(db: Db, orgId: string, column: 'service_id' | 'professional_id', id: string, now: Date): Promise<number> {
  const row = await db$(db)
    .selectFrom('appt_bookings')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('org_id', '=', orgId)
    .where(column, '=', id)
    .where('status', 'in', ['pending', 'confirmed'])
    .where('starts_at', '>=', now)
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

// Sites and users a professional may be tied to.
export async function siteZone(db: Db, orgId: string, siteId: string | null | undefined): Promise<string | undefined> {
  let q = db.selectFrom('sites').select('timezone').where('org_id', '=', orgId)
  q = siteId ? q.where('id', '=', siteId) : q.orderBy('created_at').orderBy('id')
  return (await q.executeTakeFirst())?.timezone
}

export async function siteExists(db: Db, orgId: string, siteId: string): Promise<boolean> {
  return isUuid(siteId) && (await db.selectFrom('sites').select('id').where('org_id', '=', orgId).where('id', '=', siteId).executeTakeFirst()) !== undefined
}

export async function userExists(db: Db, orgId: string, userId: string): Promise<boolean> {
  return isUuid(userId) && (await db.selectFrom('users').select('id').where('org_id', '=', orgId).where('id', '=', userId).executeTakeFirst()) !== undefined
}

// Contacts (clients and patients).
/**
 * Serializes, until the transaction ends, the lookup-or-create of one email's contact in
 * an organization: two first bookings by the same new client make one contact.
 */
export async function lockClientEmail(trx: Db, orgId: string, email: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtext(${`appt-client:${orgId}:${email.toLowerCase()}`}))`.execute(trx)
}

export async function contactByEmail(db: Db, orgId: string, email: string): Promise<ContactRow | undefined> {
  return db$(db)
    .selectFrom('contacts')
    .selectAll()
    .where('org_id', '=', orgId)
    .where(sql<boolean>`lower(email) = ${email.toLowerCase()}`)
    .where('archived_at', 'is', null)
    .orderBy('created_at')
    .limit(1)
    .executeTakeFirst()
}

export async function insertContact(db: Db, values: { org_id: string; name: string; email: string | null; phone: string | null; source: string }): Promise<ContactRow> {
  return db$(db).insertInto('contacts').values({ ...values, kind: 'customer' }).returningAll().executeTakeFirstOrThrow()
}

// Waiting list.
export async function insertWaitlist(db: Db, values: { org_id: string; service_id: string; professional_id: string | null; contact_id: string; from_at: Date; to_at: Date }): Promise<WaitlistRow> {
  return db$(db).insertInto('appt_waitlist').values(values).returningAll().executeTakeFirstOrThrow()
}

export async function findWaitlist(db: Db, orgId: string, id: string): Promise<WaitlistRow | undefined> {
  if (!isUuid(id)) return undefined
  return db$(db).selectFrom('appt_waitlist').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst()
}

export async function waitlistByOfferHash(db: Db, hash: string, lock = true): Promise<WaitlistRow | undefined> {
  const q = db$(db).selectFrom('appt_waitlist').selectAll().where('offer_token_hash', '=', hash)
  return (lock ? q.forUpdate() : q).executeTakeFirst()
}

export async function contactName(db: Db, orgId: string, id: string): Promise<string | undefined> {
  return (await db$(db).selectFrom('contacts').select('name').where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst())?.name
}

export async function organizationName(db: Db, orgId: string): Promise<string | undefined> {
  return (await db$(db).selectFrom('organizations').select('name').where('id', '=', orgId).executeTakeFirst())?.name
}

export async function updateWaitlist(db: Db, id: string, values: Partial<Omit<WaitlistRow, 'id' | 'org_id' | 'created_at'>>): Promise<WaitlistRow> {
  return db$(db).updateTable('appt_waitlist').set(values).where('id', '=', id).returningAll().executeTakeFirstOrThrow()
}

export async function listWaitlist(db: Db, orgId: string, opts: { status?: string | undefined; serviceId?: string | undefined; after?: Position; limit: number }): Promise<WaitlistRow[]> {
  let q = db$(db).selectFrom('appt_waitlist').selectAll().where('org_id', '=', orgId)
  if (opts.status) q = q.where('status', '=', opts.status as WaitlistRow['status'])
  if (opts.serviceId) q = q.where('service_id', '=', opts.serviceId)
  return q.where(afterPosition('created_at', opts.after)).orderBy(msOf('created_at')).orderBy('id').limit(opts.limit).execute()
}

/** The first waiting entry (oldest) whose wish covers a freed slot of this service and professional. */
export async function firstWaiting(db: Db, orgId: string, slot: { serviceId: string; professionalId: string; start: Date; end: Date }): Promise<WaitlistRow | undefined> {
  return db$(db)
    .selectFrom('appt_waitlist')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('service_id', '=', slot.serviceId)
    .where('status', '=', 'waiting')
    .where((eb) => eb.or([eb('professional_id', 'is', null), eb('professional_id', '=', slot.professionalId)]))
    .where('from_at', '<=', slot.start)
    .where('to_at', '>=', slot.end)
    .orderBy('created_at')
    .orderBy('id')
    .limit(1)
    .forUpdate()
    .executeTakeFirst()
}

/** Offers still open for these professionals: their slots are held from public booking. */
export async function openOffers(db: Db, professionalIds: string[], now: Date): Promise<{ professional_id: string; start: Date; service_id: string }[]> {
  if (professionalIds.length === 0) return []
  const rows = await db$(db)
    .selectFrom('appt_waitlist')
    .select(['offer_professional_id', 'offer_starts_at', 'service_id'])
    .where('status', '=', 'offered')
    .where('offer_professional_id', 'in', professionalIds)
    .where('offer_expires_at', '>', now)
    .execute()
  return rows.map((r) => ({ professional_id: r.offer_professional_id!, start: r.offer_starts_at!, service_id: r.service_id }))
}

export async function expireOffers(db: Db, now: Date): Promise<number> {
  const result = await db$(db)
    .updateTable('appt_waitlist')
    // The token stays, so the client's link can say the offer lapsed (accepting is 410).
    .set({ status: 'waiting' })
    .where('status', '=', 'offered')
    .where('offer_expires_at', '<=', now)
    .executeTakeFirst()
  return Number(result.numUpdatedRows)
}

// Booking pages.
export async function insertPage(db: Db, values: Omit<BookingPageRow, 'id' | 'created_at' | 'updated_at' | 'service_ids' | 'professional_ids'> & { service_ids: string; professional_ids: string }): Promise<BookingPageRow> {
  return db$(db).insertInto('appt_booking_pages').values(values).returningAll().executeTakeFirstOrThrow()
}

export async function updatePage(db: Db, orgId: string, id: string, values: Record<string, unknown>): Promise<BookingPageRow> {
  return db$(db).updateTable('appt_booking_pages').set({ ...values, updated_at: new Date() }).where('org_id', '=', orgId).where('id', '=', id).returningAll().executeTakeFirstOrThrow()
}

export async function findPage(db: Db, orgId: string, id: string): Promise<BookingPageRow | undefined> {
  if (!isUuid(id)) return undefined
  return db$(db).selectFrom('appt_booking_pages').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst()
}

export async function deletePage(db: Db, orgId: string, id: string): Promise<void> {
  await db$(db).deleteFrom('appt_booking_pages').where('org_id', '=', orgId).where('id', '=', id).execute()
}

export async function pageBySlug(db: Db, slug: string): Promise<(BookingPageRow & { org_name: string }) | undefined> {
  return db$(db)
    .selectFrom('appt_booking_pages as p')
    .innerJoin('organizations as o', 'o.id', 'p.org_id')
    .selectAll('p')
    .select('o.name as org_name')
    .where('p.slug', '=', slug)
    .where('p.active', '=', true)
    .executeTakeFirst()
}

export async function slugExists(db: Db, slug: string, exceptId?: string): Promise<boolean> {
  let q = db$(db).selectFrom('appt_booking_pages').select('id').where('slug', '=', slug)
  if (exceptId) q = q.where('id', '!=', exceptId)
  return (await q.executeTakeFirst()) !== undefined
}

export async function listPages(db: Db, orgId: string, opts: { after?: Position; limit: number }): Promise<BookingPageRow[]> {
  return db$(db).selectFrom('appt_booking_pages').selectAll().where('org_id', '=', orgId).where(afterPosition('created_at', opts.after)).orderBy(msOf('created_at')).orderBy('id').limit(opts.limit).execute()
}

export type { ExceptionRow, WeeklyHoursRow }

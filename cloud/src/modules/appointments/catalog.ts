import { createHash, randomBytes } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import type { Db } from '../../plugins/db/database.js'
import { AppError, siteNotFound } from '../../errors.js'
import { decodeCursor, DEFAULT_LIMIT, pageOf, type PageOf } from '../common/pagination.js'
import { auditContext, recordAudit } from '../identity/audit.js'
import { DEFAULT_TIME_ZONE, isTimeZone } from '../reports/zone.js'
import { badTimeZone, exceptionNotFound, professionalNotFound, serviceInUse, serviceNotFound, userNotFound } from './errors.js'
import { clockOf, parseClock, parseDate } from './parse.js'
import * as repo from './repository.js'
import type {
  AvailabilityView,
  ExceptionBody,
  ExceptionsQuery,
  ExceptionView,
  ListQuery,
  ProfessionalBody,
  ProfessionalPatch,
  ProfessionalView,
  ServiceBody,
  ServicePatch,
  ServiceView,
  WeeklyHoursBody,
} from './schema.js'
import type { ProfessionalRow, ServiceRow } from './tables.js'
import { exceptionView, professionalView, serviceView } from './views.js'

/** Services, professionals and their availability: the catalog a booking is made against. */

export async function audit(db: Db, request: FastifyRequest, action: string, target: { type: string; id: string }, before: unknown, after: unknown): Promise<void> {
  await recordAudit(db, { ...auditContext(request), action, target, before, after })
}

export async function getService(db: Db, orgId: string, id: string): Promise<ServiceRow> {
  const row = await repo.findService(db, orgId, id)
  if (!row) throw serviceNotFound()
  return row
}

export async function getProfessional(db: Db, orgId: string, id: string): Promise<ProfessionalRow> {
  const row = await repo.findProfessional(db, orgId, id)
  if (!row) throw professionalNotFound()
  return row
}

async function assertOwned(db: Db, table: 'appt_services' | 'appt_professionals', orgId: string, ids: string[] | undefined): Promise<void> {
  if (!ids?.length) return
  if ((await repo.countOwned(db, table, orgId, ids)) !== ids.length) throw table === 'appt_services' ? serviceNotFound() : professionalNotFound()
}

export async function serviceOut(db: Db, row: ServiceRow): Promise<ServiceView> {
  return serviceView(row, (await repo.professionalIdsOf(db, [row.id])).get(row.id) ?? [])
}

export async function professionalOut(db: Db, row: ProfessionalRow): Promise<ProfessionalView> {
  return professionalView(row, (await repo.serviceIdsOf(db, [row.id])).get(row.id) ?? [])
}

const listOpts = (query: { limit?: number | undefined; cursor?: string | undefined }) => {
  const after = decodeCursor(query.cursor, repo.isPosition)
  const limit = query.limit ?? DEFAULT_LIMIT
  return { after, limit, fetch: limit + 1 }
}

export async function listServices(db: Db, orgId: string, query: ListQuery): Promise<PageOf<ServiceView>> {
  const { after, limit, fetch } = listOpts(query)
  const rows = await repo.listServices(db, orgId, { archived: query.archived ?? false, ...(after ? { after } : {}), limit: fetch })
  const links = await repo.professionalIdsOf(db, rows.map((r) => r.id))
  return pageOf(rows, limit, (r) => serviceView(r, links.get(r.id) ?? []), (r) => [r.created_at.getTime(), r.id])
}

export async function createService(db: Db, request: FastifyRequest, body: ServiceBody): Promise<ServiceView> {
  const orgId = request.user.orgId
  await assertOwned(db, 'appt_professionals', orgId, body.professionalIds)
  return db.transaction().execute(async (trx) => {
    const row = await repo.insertService(trx, {
      org_id: orgId,
      name: body.name,
      description: body.description ?? null,
      duration_min: body.durationMin,
      buffer_before_min: body.bufferBeforeMin ?? 0,
      buffer_after_min: body.bufferAfterMin ?? 0,
      price_minor: body.priceMinor,
      currency: body.currency,
    })
    if (body.professionalIds) await repo.setLinks(trx, orgId, { serviceId: row.id, professionalIds: body.professionalIds })
    const view = await serviceOut(trx, row)
    await audit(trx, request, 'appointment.service.create', { type: 'appt_service', id: row.id }, undefined, view)
    return view
  })
}

export async function updateService(db: Db, request: FastifyRequest, id: string, body: ServicePatch): Promise<ServiceView> {
  const orgId = request.user.orgId
  const before = await getService(db, orgId, id)
  await assertOwned(db, 'appt_professionals', orgId, body.professionalIds)
  return db.transaction().execute(async (trx) => {
    const beforeView = await serviceOut(trx, before)
    const row = await repo.updateService(trx, orgId, id, {
      ...(body.name !== undefined ? { name: body.name } : {}),
      ...(body.description !== undefined ? { description: body.description } : {}),
      ...(body.durationMin !== undefined ? { duration_min: body.durationMin } : {}),
      ...(body.bufferBeforeMin !== undefined ? { buffer_before_min: body.bufferBeforeMin } : {}),
      ...(body.bufferAfterMin !== undefined ? { buffer_after_min: body.bufferAfterMin } : {}),
      ...(body.priceMinor !== undefined ? { price_minor: body.priceMinor } : {}),
      ...(body.currency !== undefined ? { currency: body.currency } : {}),
    })
    if (body.professionalIds) await repo.setLinks(trx, orgId, { serviceId: id, professionalIds: body.professionalIds })
    const view = await serviceOut(trx, row)
    await audit(trx, request, 'appointment.service.update', { type: 'appt_service', id }, beforeView, view)
    return view
  })
}

/** Archives a service (bookings keep pointing at it); refused while it has upcoming bookings. */
export async function archiveService(db: Db, request: FastifyRequest, id: string): Promise<ServiceView> {
  const orgId = request.user.orgId
  const before = await getService(db, orgId, id)
  if ((await repo.upcomingCount(db, orgId, 'service_id', id, new Date())) > 0) throw serviceInUse()
  return db.transaction().execute(async (trx) => {
    const row = await repo.updateService(trx, orgId, id, { archived_at: before.archived_at ?? new Date() })
    const view = await serviceOut(trx, row)
    await audit(trx, request, 'appointment.service.archive', { type: 'appt_service', id }, { archived: before.archived_at !== null }, { archived: true })
    return view
  })
}

/** A professional's zone: the one given, else their site's, else the organization's first site's, else Buenos Aires. */
async function zoneFor(db: Db, orgId: string, timeZone: string | undefined, siteId: string | null | undefined): Promise<string> {
  if (timeZone !== undefined) {
    if (!isTimeZone(timeZone)) throw badTimeZone()
    return timeZone
  }
  const zone = await repo.siteZone(db, orgId, siteId)
  return zone && isTimeZone(zone) ? zone : DEFAULT_TIME_ZONE
}

async function checkRefs(db: Db, orgId: string, body: ProfessionalPatch): Promise<void> {
  if (body.siteId !== undefined && body.siteId !== null && !(await repo.siteExists(db, orgId, body.siteId))) throw siteNotFound()
  if (body.userId !== undefined && body.userId !== null && !(await repo.userExists(db, orgId, body.userId))) throw userNotFound()
  await assertOwned(db, 'appt_services', orgId, body.serviceIds)
}

export async function listProfessionals(db: Db, orgId: string, query: ListQuery): Promise<PageOf<ProfessionalView>> {
  const { after, limit, fetch } = listOpts(query)
  const rows = await repo.listProfessionals(db, orgId, { archived: query.archived ?? false, ...(after ? { after } : {}), limit: fetch })
  const links = await repo.serviceIdsOf(db, rows.map((r) => r.id))
  return pageOf(rows, limit, (r) => professionalView(r, links.get(r.id) ?? []), (r) => [r.created_at.getTime(), r.id])
}

export async function createProfessional(db: Db, request: FastifyRequest, body: ProfessionalBody): Promise<ProfessionalView> {
  const orgId = request.user.orgId
  await checkRefs(db, orgId, body)
  const timeZone = await zoneFor(db, orgId, body.timeZone, body.siteId)
  return db.transaction().execute(async (trx) => {
    const row = await repo.insertProfessional(trx, {
      org_id: orgId,
      name: body.name,
      specialty: body.specialty ?? null,
      email: body.email ?? null,
      time_zone: timeZone,
      site_id: body.siteId ?? null,
      user_id: body.userId ?? null,
    })
    if (body.serviceIds) await repo.setLinks(trx, orgId, { professionalId: row.id, serviceIds: body.serviceIds })
    const view = await professionalOut(trx, row)
    await audit(trx, request, 'appointment.professional.create', { type: 'appt_professional', id: row.id }, undefined, view)
    return view
  })
}

export async function updateProfessional(db: Db, request: FastifyRequest, id: string, body: ProfessionalPatch): Promise<ProfessionalView> {
  const orgId = request.user.orgId
  const before = await getProfessional(db, orgId, id)
  await checkRefs(db, orgId, body)
  const timeZone = body.timeZone !== undefined ? await zoneFor(db, orgId, body.timeZone, null) : undefined
  return db.transaction().execute(async (trx) => {
    const beforeView = await professionalOut(trx, before)
    const row = await repo.updateProfessional(trx, orgId, id, {
      ...(body.name !== undefined ? { name: body.name } : {}),
      // null (or an empty specialty) clears the field.
      ...(body.specialty !== undefined ? { specialty: body.specialty === null || body.specialty.trim() === '' ? null : body.specialty } : {}),
      ...(body.email !== undefined ? { email: body.email } : {}),
      ...(timeZone !== undefined ? { time_zone: timeZone } : {}),
      ...(body.siteId !== undefined ? { site_id: body.siteId } : {}),
      ...(body.userId !== undefined ? { user_id: body.userId } : {}),
    })
    if (body.serviceIds) await repo.setLinks(trx, orgId, { professionalId: id, serviceIds: body.serviceIds })
    const view = await professionalOut(trx, row)
    await audit(trx, request, 'appointment.professional.update', { type: 'appt_professional', id }, beforeView, view)
    return view
  })
}

export async function archiveProfessional(db: Db, request: FastifyRequest, id: string): Promise<ProfessionalView> {
  const orgId = request.user.orgId
  const before = await getProfessional(db, orgId, id)
  if ((await repo.upcomingCount(db, orgId, 'professional_id', id, new Date())) > 0) throw serviceInUse()
  return db.transaction().execute(async (trx) => {
    // Archiving also closes the calendar feed.
    const row = await repo.updateProfessional(trx, orgId, id, { archived_at: before.archived_at ?? new Date(), ics_token_hash: null })
    await audit(trx, request, 'appointment.professional.archive', { type: 'appt_professional', id }, { archived: before.archived_at !== null }, { archived: true })
    return professionalOut(trx, row)
  })
}

export const feedHash = (token: string): string => createHash('sha256').update(token).digest('hex')

/** A new feed token for the professional; the old feed URL stops working at once. */
export async function rotateFeed(db: Db, request: FastifyRequest, id: string): Promise<{ token: string; path: string }> {
  const orgId = request.user.orgId
  await getProfessional(db, orgId, id)
  const token = randomBytes(32).toString('base64url')
  await db.transaction().execute(async (trx) => {
    await repo.updateProfessional(trx, orgId, id, { ics_token_hash: feedHash(token) })
    await audit(trx, request, 'appointment.professional.feed_rotate', { type: 'appt_professional', id }, undefined, { rotated: true })
  })
  return { token, path: `/api/public/appointments/ics/${token}.ics` }
}

// Weekly hours and exceptions.
export async function getAvailability(db: Db, orgId: string, id: string): Promise<AvailabilityView> {
  const pro = await getProfessional(db, orgId, id)
  const rows = await repo.weeklyHours(db, [id])
  return { professionalId: id, timeZone: pro.time_zone, weekly: rows.map((r) => ({ weekday: r.weekday, start: clockOf(r.start_min), end: clockOf(r.end_min) })) }
}

export async function setWeeklyHours(db: Db, request: FastifyRequest, id: string, body: WeeklyHoursBody): Promise<AvailabilityView> {
  const orgId = request.user.orgId
  await getProfessional(db, orgId, id)
  const ranges = body.ranges.map((r, i) => {
    const startMin = parseClock(`ranges[${i}].start`, r.start)
    const endMin = parseClock(`ranges[${i}].end`, r.end)
    if (startMin >= endMin || startMin === 1440) throw badRange(`ranges[${i}]`)
    return { weekday: r.weekday, startMin, endMin }
  })
  const before = await getAvailability(db, orgId, id)
  await db.transaction().execute(async (trx) => {
    await repo.replaceWeeklyHours(trx, orgId, id, ranges)
    await audit(trx, request, 'appointment.availability.set', { type: 'appt_professional', id }, before.weekly, body.ranges)
  })
  return getAvailability(db, orgId, id)
}

const rangeError = (message: string): AppError => new AppError('VALIDATION', 400, message)
const badRange = (field: string): AppError => rangeError(`${field}: start must be before end`)

export async function addException(db: Db, request: FastifyRequest, professionalId: string, body: ExceptionBody): Promise<ExceptionView> {
  const orgId = request.user.orgId
  await getProfessional(db, orgId, professionalId)
  const date = parseDate('date', body.date)
  if ((body.start === undefined) !== (body.end === undefined)) throw rangeError('start/end: give both or neither')
  const startMin = body.start === undefined ? null : parseClock('start', body.start)
  const endMin = body.end === undefined ? null : parseClock('end', body.end)
  if (startMin !== null && endMin !== null && startMin >= endMin) throw rangeError('start: must be before end')
  if (body.kind === 'extra' && startMin === null) throw rangeError('start/end: extra hours need both')
  return db.transaction().execute(async (trx) => {
    const row = await repo.insertException(trx, { org_id: orgId, professional_id: professionalId, date, kind: body.kind, start_min: startMin, end_min: endMin, note: body.note ?? null })
    const view = exceptionView(row)
    await audit(trx, request, 'appointment.exception.create', { type: 'appt_exception', id: row.id }, undefined, view)
    return view
  })
}

export async function removeException(db: Db, request: FastifyRequest, id: string): Promise<ExceptionView> {
  const orgId = request.user.orgId
  const row = await repo.findException(db, orgId, id)
  if (!row) throw exceptionNotFound()
  await db.transaction().execute(async (trx) => {
    await repo.deleteException(trx, orgId, id)
    await audit(trx, request, 'appointment.exception.delete', { type: 'appt_exception', id }, exceptionView(row), undefined)
  })
  return exceptionView(row)
}

export async function listExceptions(db: Db, orgId: string, query: ExceptionsQuery): Promise<PageOf<ExceptionView>> {
  if (query.professionalId !== undefined) await getProfessional(db, orgId, query.professionalId)
  const fromDate = query.from === undefined ? undefined : parseDate('from', query.from)
  const after = decodeCursor(query.cursor, (v): v is repo.Position => repo.isPosition(v) && typeof v[0] === 'string')
  const limit = query.limit ?? DEFAULT_LIMIT
  const rows = await repo.listExceptions(db, orgId, { professionalId: query.professionalId, fromDate, ...(after ? { after } : {}), limit: limit + 1 })
  return pageOf(rows, limit, exceptionView, (r) => [r.date, r.id])
}

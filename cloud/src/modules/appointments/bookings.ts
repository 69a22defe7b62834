import type { FastifyRequest } from 'fastify'
import type { Db } from '../../plugins/db/database.js'
import { findContact, type ContactRow } from '../common/contacts.js'
import { decodeCursor, DEFAULT_LIMIT, pageOf, type PageOf } from '../common/pagination.js'
import { auditContext, recordAudit, type AuditEntry } from '../identity/audit.js'
import { cancelMail, queueMail } from '../mail/queue.js'
import { blockedSpan, withinOpen } from './availability.js'
import { badTransition, bookingNotFound, clientRequired, professionalNotFound, serviceNotFound, serviceNotOffered, slotTaken, slotUnavailable } from './errors.js'
import { linkExpiry, newLinkKey, originOf, signBookingLink } from './links.js'
import { bookedMail, cancelledMail, movedMail, reminderMail, type BookingMailFacts } from './messages.js'
import { parseInstant } from './parse.js'
import * as repo from './repository.js'
import type { BookingBody, BookingsQuery, BookingView, ClientBody, RescheduleBody } from './schema.js'
import { professionalOpenSpans, timingOf } from './slots.js'
import type { BookingRow, BookingSource, BookingStatus, ProfessionalRow, ServiceRow } from './tables.js'
import { bookingView } from './views.js'
import { offerFreedSlot } from './waitlist.js'

/**
 * Bookings: placing one so that two can never overlap, its states, and the mail that goes
 * with each (confirmation, reminders 24 h and 2 h before, cancellation).
 *
 * No double booking: the transaction locks the professional's row (SELECT ... FOR UPDATE),
 * so bookings for one professional queue there, then checks for an overlapping active
 * booking and inserts. On PostgreSQL the exclusion constraint of migration 0020 refuses an
 * overlap again at the table itself (23P01), whatever path a row comes in by.
 */

export const REMINDERS = [
  { label: '24h', hours: 24 },
  { label: '2h', hours: 2 },
] as const

/** Who acts: the organization, the audit actor, and the origin links in mail point at. */
export interface Actor {
  orgId: string
  audit: Pick<AuditEntry, 'orgId' | 'actor' | 'requestId' | 'ip'>
  origin: string
}

export const staffActor = (request: FastifyRequest): Actor => ({ orgId: request.user.orgId, audit: auditContext(request), origin: originOf(request) })
export const publicActor = (request: FastifyRequest, orgId: string): Actor => ({
  orgId,
  audit: { orgId, actor: { type: 'system', id: null }, requestId: String(request.id), ip: request.ip },
  origin: originOf(request),
})

const isExclusionViolation = (err: unknown): boolean => (err as { code?: string } | null)?.code === '23P01'

export const linkFor = (actor: Actor, booking: BookingRow): string =>
  `${actor.origin}/reserva/${signBookingLink(booking.id, booking.link_key, linkExpiry(booking.ends_at))}`

async function mailFacts(db: Db, actor: Actor, booking: BookingRow): Promise<{ facts: BookingMailFacts; email: string | null }> {
  const contact = await findContact(db, booking.org_id, booking.contact_id)
  const service = await repo.findService(db, booking.org_id, booking.service_id)
  const pro = await repo.findProfessional(db, booking.org_id, booking.professional_id)
  return {
    email: contact.email,
    facts: {
      clientName: contact.name,
      serviceName: service?.name ?? '',
      professionalName: pro?.name ?? '',
      start: booking.starts_at,
      timeZone: pro?.time_zone ?? 'UTC',
      status: booking.status === 'pending' ? 'pending' : 'confirmed',
      link: linkFor(actor, booking),
    },
  }
}

const reminderPrefix = (bookingId: string): string => `appt:${bookingId}:remind:`

/**
 * Queues the reminders of a booking's current revision, each at start minus 24 h and 2 h
 * (a reminder whose moment has passed is left out). The revision in the dedup key lets a
 * moved booking queue new ones after the old ones were cancelled.
 */
export async function queueReminders(db: Db, actor: Actor, booking: BookingRow, now: Date): Promise<void> {
  const { facts, email } = await mailFacts(db, actor, booking)
  if (!email) return
  for (const r of REMINDERS) {
    const sendAfter = new Date(booking.starts_at.getTime() - r.hours * 3_600_000)
    if (sendAfter <= now) continue
    const mail = reminderMail(facts, r.hours)
    await queueMail(db, { orgId: booking.org_id, to: email, ...mail, kind: 'appointment.reminder', dedupKey: `${reminderPrefix(booking.id)}r${booking.revision}:${r.label}`, sendAfter })
  }
}

export const cancelReminders = (db: Db, booking: BookingRow): Promise<number> => cancelMail(db, booking.org_id, reminderPrefix(booking.id))

export interface Placement {
  service: ServiceRow
  professionalId: string
  start: number
  contactId: string
  status: 'pending' | 'confirmed'
  source: BookingSource
  staffApproval?: boolean
  notes?: string | null
  allowOutsideHours?: boolean
  /** Spans held for waiting-list offers count as taken (public booking). */
  held?: { from: number; to: number }[]
}

/** Inserts a booking inside the caller's transaction; see the module comment. */
export async function placeBooking(trx: Db, actor: Actor, p: Placement, now: Date): Promise<BookingRow> {
  const pro = await repo.lockProfessional(trx, actor.orgId, p.professionalId)
  if (!pro || pro.archived_at) throw professionalNotFound()
  const offers = await repo.serviceIdsOf(trx, [pro.id])
  if (!(offers.get(pro.id) ?? []).includes(p.service.id)) throw serviceNotOffered()
  const { start, end, blocked } = blockedSpan(p.start, timingOf(p.service))
  if (!p.allowOutsideHours && !withinOpen(await professionalOpenSpans(trx, pro, { from: start - 86_400_000, to: end + 86_400_000 }), start, end)) throw slotUnavailable()
  const busy = (await repo.busySpans(trx, [pro.id], blocked)).get(pro.id) ?? []
  if (busy.length > 0 || (p.held ?? []).some((h) => h.from < blocked.to && blocked.from < h.to)) throw slotTaken()
  let row: BookingRow
  try {
    row = await repo.insertBooking(trx, {
      org_id: actor.orgId,
      professional_id: pro.id,
      service_id: p.service.id,
      contact_id: p.contactId,
      starts_at: new Date(start),
      ends_at: new Date(end),
      blocked_from: new Date(blocked.from),
      blocked_to: new Date(blocked.to),
      status: p.status,
      source: p.source,
      staff_approval: p.staffApproval ?? false,
      price_minor: Number(p.service.price_minor),
      currency: p.service.currency,
      notes: p.notes ?? null,
      link_key: newLinkKey(),
      confirmed_at: p.status === 'confirmed' ? now : null,
    })
  } catch (err) {
    if (isExclusionViolation(err)) throw slotTaken()
    throw err
  }
  const { facts, email } = await mailFacts(trx, actor, row)
  if (email) await queueMail(trx, { orgId: actor.orgId, to: email, ...bookedMail(facts), kind: 'appointment.confirmation', dedupKey: `appt:${row.id}:booked` })
  await queueReminders(trx, actor, row, now)
  await recordAudit(trx, { ...actor.audit, action: 'appointment.booking.create', target: { type: 'appt_booking', id: row.id }, after: bookingView(row, pro.time_zone) })
  return row
}

/** The client: an existing contact, or the organization's contact with that email, or a new customer. Call it in a transaction. */
export async function resolveClient(db: Db, orgId: string, contactId: string | undefined, client: ClientBody | undefined, source: string): Promise<ContactRow> {
  if (contactId !== undefined) return findContact(db, orgId, contactId)
  if (!client || (!client.email && !client.phone)) throw clientRequired()
  if (client.email) {
    await repo.lockClientEmail(db, orgId, client.email)
    const found = await repo.contactByEmail(db, orgId, client.email)
    if (found) return found
  }
  return repo.insertContact(db, { org_id: orgId, name: client.name, email: client.email?.toLowerCase() ?? null, phone: client.phone ?? null, source })
}

async function zoneOf(db: Db, orgId: string, professionalId: string): Promise<string> {
  return (await repo.findProfessional(db, orgId, professionalId))?.time_zone ?? 'UTC'
}

export async function viewOf(db: Db, row: BookingRow): Promise<BookingView> {
  return bookingView(row, await zoneOf(db, row.org_id, row.professional_id))
}

export async function createBooking(db: Db, request: FastifyRequest, body: BookingBody, now = new Date()): Promise<BookingView> {
  const actor = staffActor(request)
  const service = await repo.findService(db, actor.orgId, body.serviceId)
  if (!service || service.archived_at) throw serviceNotFound()
  if (!(await repo.findProfessional(db, actor.orgId, body.professionalId))) throw professionalNotFound()
  if (body.contactId !== undefined) await findContact(db, actor.orgId, body.contactId)
  const start = parseInstant('start', body.start)
  const row = await db.transaction().execute(async (trx) => {
    const contact = await resolveClient(trx, actor.orgId, body.contactId, body.client, 'appointments')
    return placeBooking(trx, actor, {
      service,
      professionalId: body.professionalId,
      start,
      contactId: contact.id,
      status: body.status ?? 'confirmed',
      source: 'staff',
      notes: body.notes ?? null,
      allowOutsideHours: body.allowOutsideHours ?? false,
    }, now)
  })
  return viewOf(db, row)
}

export async function getBooking(db: Db, orgId: string, id: string): Promise<BookingView> {
  const row = await repo.findBooking(db, orgId, id)
  if (!row) throw bookingNotFound()
  return viewOf(db, row)
}

export async function listBookings(db: Db, orgId: string, query: BookingsQuery): Promise<PageOf<BookingView>> {
  if (query.professionalId !== undefined && !(await repo.findProfessional(db, orgId, query.professionalId))) throw professionalNotFound()
  if (query.contactId !== undefined) await findContact(db, orgId, query.contactId)
  const from = query.from === undefined ? undefined : new Date(parseInstant('from', query.from))
  const to = query.to === undefined ? undefined : new Date(parseInstant('to', query.to))
  const after = decodeCursor(query.cursor, (v): v is repo.Position => repo.isPosition(v) && typeof v[0] === 'number')
  const limit = query.limit ?? DEFAULT_LIMIT
  const rows = await repo.listBookings(db, orgId, { professionalId: query.professionalId, contactId: query.contactId, status: query.status, from, to, after, limit: limit + 1 })
  const zones = new Map<string, string>()
  for (const r of rows) if (!zones.has(r.professional_id)) zones.set(r.professional_id, await zoneOf(db, orgId, r.professional_id))
  return pageOf(rows, limit, (r) => bookingView(r, zones.get(r.professional_id) ?? 'UTC'), (r) => [r.starts_at.getTime(), r.id])
}

const ALLOWED: Record<BookingStatus, readonly BookingStatus[]> = {
  pending: ['confirmed', 'cancelled', 'completed', 'no_show'],
  confirmed: ['cancelled', 'completed', 'no_show'],
  completed: [],
  cancelled: [],
  no_show: [],
}

/**
 * Moves a booking to another state inside a transaction, with its mail: a cancellation
 * cancels the reminders, tells the client and offers the slot to the waiting list; a
 * no-show or completion cancels reminders still queued.
 */
export async function transition(trx: Db, actor: Actor, booking: BookingRow, to: BookingStatus, now: Date, reason?: string): Promise<BookingRow> {
  if (!ALLOWED[booking.status].includes(to)) throw badTransition(booking.status, to)
  const row = await repo.updateBooking(trx, actor.orgId, booking.id, {
    status: to,
    ...(to === 'confirmed' ? { confirmed_at: now, staff_approval: false } : {}),
    ...(to === 'cancelled' ? { cancelled_at: now, cancel_reason: reason ?? null } : {}),
  })
  if (to !== 'confirmed') await cancelReminders(trx, row)
  if (to === 'cancelled') {
    const { facts, email } = await mailFacts(trx, actor, row)
    if (email) await queueMail(trx, { orgId: actor.orgId, to: email, ...cancelledMail(facts), kind: 'appointment.cancelled', dedupKey: `appt:${row.id}:cancelled` })
    await offerFreedSlot(trx, actor, { serviceId: row.service_id, professionalId: row.professional_id, start: row.starts_at, end: row.ends_at }, now)
  }
  await recordAudit(trx, { ...actor.audit, action: `appointment.booking.${to}`, target: { type: 'appt_booking', id: row.id }, before: { status: booking.status }, after: { status: to, ...(reason ? { reason } : {}) } })
  return row
}

export async function changeStatus(db: Db, request: FastifyRequest, id: string, to: BookingStatus, reason?: string, now = new Date()): Promise<BookingView> {
  const actor = staffActor(request)
  const row = await db.transaction().execute(async (trx) => {
    const booking = await repo.findBooking(trx, actor.orgId, id, true)
    if (!booking) throw bookingNotFound()
    if (to === 'no_show' && booking.starts_at > now) throw badTransition('future', 'no_show')
    return transition(trx, actor, booking, to, now, reason)
  })
  return viewOf(db, row)
}

/** Moves a booking (time and maybe professional): same no-overlap rule, new reminders, new link key. */
export async function reschedule(db: Db, request: FastifyRequest, id: string, body: RescheduleBody, now = new Date()): Promise<BookingView> {
  const actor = staffActor(request)
  const existing = await repo.findBooking(db, actor.orgId, id)
  if (!existing) throw bookingNotFound()
  const professionalId = body.professionalId ?? existing.professional_id
  if (!(await repo.findProfessional(db, actor.orgId, professionalId))) throw professionalNotFound()
  const start = parseInstant('start', body.start)
  const row = await db.transaction().execute(async (trx) => {
    const pro: ProfessionalRow | undefined = await repo.lockProfessional(trx, actor.orgId, professionalId)
    if (!pro || pro.archived_at) throw professionalNotFound()
    const booking = await repo.findBooking(trx, actor.orgId, id, true)
    if (!booking) throw bookingNotFound()
    if (booking.status !== 'pending' && booking.status !== 'confirmed') throw badTransition(booking.status, 'moved')
    const service = await repo.findService(trx, actor.orgId, booking.service_id)
    if (!service) throw serviceNotFound()
    if (!((await repo.serviceIdsOf(trx, [pro.id])).get(pro.id) ?? []).includes(service.id)) throw serviceNotOffered()
    const span = blockedSpan(start, timingOf(service))
    if (!body.allowOutsideHours && !withinOpen(await professionalOpenSpans(trx, pro, { from: span.start - 86_400_000, to: span.end + 86_400_000 }), span.start, span.end)) throw slotUnavailable()
    const busy = (await repo.busySpans(trx, [pro.id], span.blocked, booking.id)).get(pro.id) ?? []
    if (busy.length > 0) throw slotTaken()
    let moved: BookingRow
    try {
      moved = await repo.updateBooking(trx, actor.orgId, booking.id, {
        professional_id: pro.id,
        starts_at: new Date(span.start),
        ends_at: new Date(span.end),
        blocked_from: new Date(span.blocked.from),
        blocked_to: new Date(span.blocked.to),
        revision: booking.revision + 1,
        link_key: newLinkKey(),
      })
    } catch (err) {
      if (isExclusionViolation(err)) throw slotTaken()
      throw err
    }
    await cancelReminders(trx, booking)
    await queueReminders(trx, actor, moved, now)
    // The client's old link died with the old key: the new one goes out with the news.
    const { facts, email } = await mailFacts(trx, actor, moved)
    if (email) await queueMail(trx, { orgId: actor.orgId, to: email, ...movedMail(facts), kind: 'appointment.moved', dedupKey: `appt:${moved.id}:moved:r${moved.revision}` })
    await offerFreedSlot(trx, actor, { serviceId: booking.service_id, professionalId: booking.professional_id, start: booking.starts_at, end: booking.ends_at }, now)
    await recordAudit(trx, {
      ...actor.audit,
      action: 'appointment.booking.reschedule',
      target: { type: 'appt_booking', id: booking.id },
      before: { start: booking.starts_at, professionalId: booking.professional_id },
      after: { start: moved.starts_at, professionalId: moved.professional_id, revision: moved.revision },
    })
    return moved
  })
  return viewOf(db, row)
}

export async function noShowCount(db: Db, orgId: string, contactId: string): Promise<{ contactId: string; noShows: number; lastNoShowAt: string | null }> {
  await findContact(db, orgId, contactId)
  const { count, last } = await repo.noShows(db, orgId, contactId)
  return { contactId, noShows: count, lastNoShowAt: last?.toISOString() ?? null }
}

import type { FastifyRequest } from 'fastify'
import { AppError } from '../../errors.js'
import type { Db } from '../../plugins/db/database.js'
import { decodeCursor, DEFAULT_LIMIT, pageOf, type PageOf } from '../common/pagination.js'
import { localIso } from '../reports/zone.js'
import { placeBooking, publicActor, resolveClient, transition } from './bookings.js'
import { audit, feedHash } from './catalog.js'
import { bookingPageNotFound, linkInvalid, professionalNotFound, serviceNotFound, slotTaken, slotUnavailable, slugTaken, spamRefused } from './errors.js'
import { buildCalendar, type IcsEvent } from './ics.js'
import { parseBookingLink, verifyBookingLink } from './links.js'
import { parseInstant } from './parse.js'
import * as repo from './repository.js'
import type { BookingPageBody, BookingPagePatch, BookingPageView, PublicBookingBody, PublicBookingView, PublicOfferView, PublicSlotsQuery, SlotsReply } from './schema.js'
import { candidates, heldSpans, searchSlots, timingOf } from './slots.js'
import type { BookingPageRow, BookingRow } from './tables.js'
import { jsonArray, pageView } from './views.js'
import { acceptOffer } from './waitlist.js'
import { blockedSpan } from './availability.js'
import { tokenHash } from './links.js'

/** Public booking pages (slug per organization), the client's signed link, and the ICS feed. */

// Staff side: the pages themselves.
async function checkPageRefs(db: Db, orgId: string, body: BookingPagePatch): Promise<void> {
  if (body.serviceIds?.length && (await repo.countOwned(db, 'appt_services', orgId, body.serviceIds)) !== body.serviceIds.length) throw serviceNotFound()
  if (body.professionalIds?.length && (await repo.countOwned(db, 'appt_professionals', orgId, body.professionalIds)) !== body.professionalIds.length) throw professionalNotFound()
}

const pageColumns = (body: BookingPagePatch): Record<string, unknown> => ({
  ...(body.slug !== undefined ? { slug: body.slug } : {}),
  ...(body.title !== undefined ? { title: body.title } : {}),
  ...(body.serviceIds !== undefined ? { service_ids: JSON.stringify(body.serviceIds) } : {}),
  ...(body.professionalIds !== undefined ? { professional_ids: JSON.stringify(body.professionalIds) } : {}),
  ...(body.requireConfirmation !== undefined ? { require_confirmation: body.requireConfirmation } : {}),
  ...(body.noShowLimit !== undefined ? { no_show_limit: body.noShowLimit } : {}),
  ...(body.minNoticeMin !== undefined ? { min_notice_min: body.minNoticeMin } : {}),
  ...(body.maxDaysAhead !== undefined ? { max_days_ahead: body.maxDaysAhead } : {}),
  ...(body.active !== undefined ? { active: body.active } : {}),
})

export async function createPage(db: Db, request: FastifyRequest, body: BookingPageBody): Promise<BookingPageView> {
  const orgId = request.user.orgId
  await checkPageRefs(db, orgId, body)
  if (await repo.slugExists(db, body.slug)) throw slugTaken()
  return db.transaction().execute(async (trx) => {
    const row = await repo.insertPage(trx, {
      org_id: orgId,
      slug: body.slug,
      title: body.title,
      service_ids: JSON.stringify(body.serviceIds ?? []),
      professional_ids: JSON.stringify(body.professionalIds ?? []),
      require_confirmation: body.requireConfirmation ?? false,
      no_show_limit: body.noShowLimit ?? 3,
      min_notice_min: body.minNoticeMin ?? 60,
      max_days_ahead: body.maxDaysAhead ?? 60,
      active: body.active ?? true,
    })
    const view = pageView(row)
    await audit(trx, request, 'appointment.page.create', { type: 'appt_booking_page', id: row.id }, undefined, view)
    return view
  })
}

export async function updatePage(db: Db, request: FastifyRequest, id: string, body: BookingPagePatch): Promise<BookingPageView> {
  const orgId = request.user.orgId
  const before = await repo.findPage(db, orgId, id)
  if (!before) throw bookingPageNotFound()
  await checkPageRefs(db, orgId, body)
  if (body.slug !== undefined && (await repo.slugExists(db, body.slug, id))) throw slugTaken()
  return db.transaction().execute(async (trx) => {
    const view = pageView(await repo.updatePage(trx, orgId, id, pageColumns(body)))
    await audit(trx, request, 'appointment.page.update', { type: 'appt_booking_page', id }, pageView(before), view)
    return view
  })
}

export async function deletePage(db: Db, request: FastifyRequest, id: string): Promise<BookingPageView> {
  const orgId = request.user.orgId
  const before = await repo.findPage(db, orgId, id)
  if (!before) throw bookingPageNotFound()
  await db.transaction().execute(async (trx) => {
    await repo.deletePage(trx, orgId, id)
    await audit(trx, request, 'appointment.page.delete', { type: 'appt_booking_page', id }, pageView(before), undefined)
  })
  return pageView(before)
}

export async function getPage(db: Db, orgId: string, id: string): Promise<BookingPageView> {
  const row = await repo.findPage(db, orgId, id)
  if (!row) throw bookingPageNotFound()
  return pageView(row)
}

export async function listPages(db: Db, orgId: string, query: { limit?: number | undefined; cursor?: string | undefined }): Promise<PageOf<BookingPageView>> {
  const after = decodeCursor(query.cursor, (v): v is repo.Position => repo.isPosition(v) && typeof v[0] === 'number')
  const limit = query.limit ?? DEFAULT_LIMIT
  const rows = await repo.listPages(db, orgId, { ...(after ? { after } : {}), limit: limit + 1 })
  return pageOf(rows, limit, pageView, (r) => [r.created_at.getTime(), r.id])
}

// Public side.
async function livePage(db: Db, slug: string): Promise<BookingPageRow & { org_name: string }> {
  const page = await repo.pageBySlug(db, slug)
  if (!page) throw bookingPageNotFound()
  return page
}

/** The page's services and professionals: its lists, or all the organization's active ones. */
async function pageCatalog(db: Db, page: BookingPageRow) {
  const serviceIds = jsonArray(page.service_ids)
  const professionalIds = jsonArray(page.professional_ids)
  const services = (await repo.listServices(db, page.org_id, { archived: false, limit: 500 })).filter((s) => serviceIds.length === 0 || serviceIds.includes(s.id))
  const pros = (await repo.listProfessionals(db, page.org_id, { archived: false, limit: 500 })).filter((p) => professionalIds.length === 0 || professionalIds.includes(p.id))
  return { services, pros }
}

/** The organization a live page belongs to (idempotency keys are per organization). */
export async function pageOrgId(db: Db, slug: string): Promise<string> {
  return (await livePage(db, slug)).org_id
}

export async function publicPage(db: Db, slug: string) {
  const page = await livePage(db, slug)
  const { services, pros } = await pageCatalog(db, page)
  const links = await repo.serviceIdsOf(db, pros.map((p) => p.id))
  const shown = new Set(services.map((s) => s.id))
  return {
    slug: page.slug,
    title: page.title,
    organization: page.org_name,
    services: services.map((s) => ({ id: s.id, name: s.name, description: s.description, durationMin: s.duration_min, priceMinor: Number(s.price_minor), currency: s.currency })),
    professionals: pros.map((p) => ({ id: p.id, name: p.name, specialty: p.specialty, serviceIds: (links.get(p.id) ?? []).filter((id) => shown.has(id)) })),
  }
}

async function pageService(db: Db, page: BookingPageRow, serviceId: string) {
  const { services, pros } = await pageCatalog(db, page)
  const service = services.find((s) => s.id === serviceId)
  if (!service) throw serviceNotFound()
  return { service, allowed: pros.map((p) => p.id) }
}

/** The page's booking horizon: from now plus the minimum notice to the last day ahead. */
const horizon = (page: BookingPageRow, now: Date) => ({ notBefore: now.getTime() + page.min_notice_min * 60_000, last: now.getTime() + page.max_days_ahead * 86_400_000 })

export async function publicSlots(db: Db, slug: string, query: PublicSlotsQuery, now = new Date()): Promise<SlotsReply> {
  const page = await livePage(db, slug)
  const { service, allowed } = await pageService(db, page, query.serviceId)
  const { notBefore, last } = horizon(page, now)
  const from = parseInstant('from', query.from)
  const to = Math.min(parseInstant('to', query.to), last)
  if (to <= from) return { serviceId: service.id, slots: [] }
  return searchSlots(db, page.org_id, { service, professionalId: query.professionalId, allowed, from, to, stepMin: 15, notBefore, honourHolds: true, now })
}

function publicView(booking: BookingRow, serviceName: string, pro: { name: string; time_zone: string }): PublicBookingView {
  return {
    id: booking.id,
    status: booking.status,
    start: booking.starts_at.toISOString(),
    end: booking.ends_at.toISOString(),
    localStart: localIso(booking.starts_at.getTime(), pro.time_zone),
    service: serviceName,
    professional: pro.name,
    staffApproval: booking.staff_approval,
  }
}

async function describe(db: Db, booking: BookingRow): Promise<PublicBookingView> {
  const service = await repo.findService(db, booking.org_id, booking.service_id)
  const pro = await repo.findProfessional(db, booking.org_id, booking.professional_id)
  return publicView(booking, service?.name ?? '', pro ?? { name: '', time_zone: 'UTC' })
}

/**
 * A booking from the public page. The client confirms it with the link mailed to them,
 * which also proves the address; the page may ask for staff confirmation instead, and so
 * does a client with `no_show_limit` no-shows or more.
 */
export async function publicBook(db: Db, request: FastifyRequest, slug: string, body: PublicBookingBody, now = new Date()): Promise<PublicBookingView> {
  const page = await livePage(db, slug)
  // Honeypot: people never see the field.
  if (body.website !== undefined && body.website.trim() !== '') throw spamRefused()
  const { service, allowed } = await pageService(db, page, body.serviceId)
  const start = parseInstant('start', body.start)
  const { notBefore, last } = horizon(page, now)
  if (start < notBefore || start > last) throw slotUnavailable()
  const pros = await candidates(db, page.org_id, service, body.professionalId, allowed)
  if (pros.length === 0) throw slotUnavailable()
  const actor = publicActor(request, page.org_id)
  const held = await heldSpans(db, page.org_id, pros.map((p) => p.id), now)
  let taken: unknown
  // Any professional who offers the service: the first who is free at that time.
  for (const pro of pros) {
    try {
      const booked = await db.transaction().execute(async (trx) => {
        const contact = await resolveClient(trx, page.org_id, undefined, body.client, 'booking_page')
        const { count } = await repo.noShows(trx, page.org_id, contact.id)
        const staffApproval = page.require_confirmation || (page.no_show_limit > 0 && count >= page.no_show_limit)
        return placeBooking(trx, actor, {
          service,
          professionalId: pro.id,
          start,
          contactId: contact.id,
          status: 'pending',
          source: 'public',
          staffApproval,
          notes: body.notes ?? null,
          held: held.get(pro.id) ?? [],
        }, now)
      })
      return publicView(booked, service.name, pro)
    } catch (err) {
      const code = (err as AppError).code
      if (code === 'SLOT_TAKEN') taken = err
      else if (code !== 'SLOT_UNAVAILABLE') throw err
    }
  }
  throw taken ?? slotUnavailable()
}

/** The booking a client's link names, when its signature holds. */
async function bookingOfLink(db: Db, token: string, now: Date, lock = false): Promise<BookingRow> {
  const parsed = parseBookingLink(token)
  const found = parsed ? await repo.findBookingById(db, parsed.bookingId) : undefined
  if (!found || !verifyBookingLink(token, found.link_key, now.getTime())) throw linkInvalid()
  if (!lock) return found
  const locked = await repo.findBooking(db, found.org_id, found.id, true)
  // Moved meanwhile: the key changed and this link is void.
  if (!locked || locked.link_key !== found.link_key) throw linkInvalid()
  return locked
}

export async function linkView(db: Db, token: string, now = new Date()): Promise<PublicBookingView> {
  return describe(db, await bookingOfLink(db, token, now))
}

export const needsStaff = (): AppError => new AppError('APPT_NEEDS_STAFF', 409, 'This booking is confirmed by the staff; they will write to you')

/** The client confirms (a pending booking that does not wait for staff) or cancels, by their link. */
export async function linkAction(db: Db, request: FastifyRequest, token: string, action: 'confirm' | 'cancel', now = new Date()): Promise<PublicBookingView> {
  const row = await db.transaction().execute(async (trx) => {
    const booking = await bookingOfLink(trx, token, now, true)
    const actor = publicActor(request, booking.org_id)
    if (action === 'confirm') {
      if (booking.status === 'confirmed') return booking
      if (booking.staff_approval) throw needsStaff()
      return transition(trx, actor, booking, 'confirmed', now)
    }
    return transition(trx, actor, booking, 'cancelled', now, 'cancelada por el cliente')
  })
  return describe(db, row)
}

export async function publicAcceptOffer(db: Db, request: FastifyRequest, token: string, now = new Date()): Promise<PublicBookingView> {
  const row = await acceptOffer(db, token, now, async (trx, entry) => {
    const service = await repo.findService(trx, entry.orgId, entry.serviceId)
    if (!service || service.archived_at) throw slotTaken()
    return placeBooking(trx, publicActor(request, entry.orgId), {
      service,
      professionalId: entry.professionalId,
      start: entry.start.getTime(),
      contactId: entry.contactId,
      // The client clicked the offer in their own mail: that is the confirmation.
      status: 'confirmed',
      source: 'waitlist',
    }, now)
  })
  return describe(db, row)
}

/**
 * A waiting-list offer before its client takes it: what, with whom, when (in the
 * professional's zone) and until when it is held, and whether it can still be taken. Of the
 * client, only the first name (the link travels by mail; a forwarded one shows no more).
 * A withdrawn or re-offered token is 404 APPT_LINK_INVALID.
 */
export async function offerView(db: Db, token: string, now = new Date()): Promise<PublicOfferView> {
  const entry = await repo.waitlistByOfferHash(db, tokenHash(token), false)
  if (!entry || entry.status === 'cancelled' || !entry.offer_starts_at || !entry.offer_expires_at || !entry.offer_professional_id) throw linkInvalid()
  const service = await repo.findService(db, entry.org_id, entry.service_id)
  const pro = await repo.findProfessional(db, entry.org_id, entry.offer_professional_id)
  const contact = await repo.contactName(db, entry.org_id, entry.contact_id)
  const org = await repo.organizationName(db, entry.org_id)
  if (!service || !pro) throw linkInvalid()
  const start = entry.offer_starts_at.getTime()
  const { end, blocked } = blockedSpan(start, timingOf(service))
  let state: PublicOfferView['state']
  if (entry.status === 'booked') state = 'booked'
  else if (entry.status !== 'offered' || entry.offer_expires_at <= now) state = 'expired'
  else if (service.archived_at || ((await repo.busySpans(db, [pro.id], blocked)).get(pro.id) ?? []).length > 0) state = 'taken'
  else state = 'open'
  return {
    state,
    organization: org ?? '',
    clientFirstName: (contact ?? '').trim().split(/\s+/)[0] ?? '',
    service: service.name,
    durationMin: service.duration_min,
    professional: pro.name,
    start: new Date(start).toISOString(),
    end: new Date(end).toISOString(),
    localStart: localIso(start, pro.time_zone),
    timeZone: pro.time_zone,
    expiresAt: entry.offer_expires_at.toISOString(),
  }
}

/** The professional's calendar feed: bookings from 30 days back, cancelled ones as STATUS:CANCELLED. */
export async function icsFeed(db: Db, token: string, now = new Date()): Promise<string> {
  const pro = await repo.professionalByFeedHash(db, feedHash(token))
  if (!pro || pro.archived_at) throw linkInvalid()
  const rows = await repo.feedBookings(db, pro.id, new Date(now.getTime() - 30 * 86_400_000))
  const events: IcsEvent[] = rows
    .filter((r) => r.status !== 'no_show')
    .map((r) => ({
      uid: `${r.id}@tendero`,
      start: r.starts_at,
      end: r.ends_at,
      summary: `${r.service_name}: ${r.contact_name}`,
      ...(r.notes ? { description: r.notes } : {}),
      status: r.status === 'cancelled' ? 'CANCELLED' : r.status === 'pending' ? 'TENTATIVE' : 'CONFIRMED',
      sequence: r.revision - 1 + (r.status === 'cancelled' ? 1 : 0),
      updatedAt: r.updated_at,
    }))
  return buildCalendar({ name: `Turnos: ${pro.name}`, now, events })
}


import type { Db } from '../../plugins/db/database.js'
import { findContact } from '../common/contacts.js'
import { decodeCursor, DEFAULT_LIMIT, pageOf, type PageOf } from '../common/pagination.js'
import { recordAudit } from '../identity/audit.js'
import { queueMail } from '../mail/queue.js'
import { blockedSpan } from './availability.js'
import type { Actor } from './bookings.js'
import { badTransition, badWindow, linkInvalid, offerExpired, professionalNotFound, serviceNotFound, waitlistNotFound } from './errors.js'
import { newToken, tokenHash } from './links.js'
import { offerMail } from './messages.js'
import { parseInstant } from './parse.js'
import * as repo from './repository.js'
import type { WaitlistBody, WaitlistQuery, WaitlistView } from './schema.js'
import { timingOf } from './slots.js'
import type { BookingRow } from './tables.js'
import { waitlistView } from './views.js'

/**
 * The waiting list: a client who wants a service (with one professional or any) within a
 * span of time. When a booking is cancelled or moved, the oldest entry whose span covers
 * the freed slot is offered it by mail, held for HOLD_MINUTES: public booking treats the
 * slot as taken meanwhile, staff can still book it, and the first booking wins. An offer
 * that lapses leaves the slot free and the entry waiting again.
 */
export const HOLD_MINUTES = 30

export async function createEntry(db: Db, actor: Actor, body: WaitlistBody, resolveClient: (trx: Db) => Promise<{ id: string }>): Promise<WaitlistView> {
  const service = await repo.findService(db, actor.orgId, body.serviceId)
  if (!service || service.archived_at) throw serviceNotFound()
  if (body.professionalId !== undefined && !(await repo.findProfessional(db, actor.orgId, body.professionalId))) throw professionalNotFound()
  if (body.contactId !== undefined) await findContact(db, actor.orgId, body.contactId)
  const from = parseInstant('from', body.from)
  const to = parseInstant('to', body.to)
  if (from >= to) throw badWindow('from: must be before to')
  return db.transaction().execute(async (trx) => {
    const contact = await resolveClient(trx)
    const row = await repo.insertWaitlist(trx, {
      org_id: actor.orgId,
      service_id: service.id,
      professional_id: body.professionalId ?? null,
      contact_id: contact.id,
      from_at: new Date(from),
      to_at: new Date(to),
    })
    const view = waitlistView(row)
    await recordAudit(trx, { ...actor.audit, action: 'appointment.waitlist.create', target: { type: 'appt_waitlist', id: row.id }, after: view })
    return view
  })
}

export async function listEntries(db: Db, orgId: string, query: WaitlistQuery): Promise<PageOf<WaitlistView>> {
  if (query.serviceId !== undefined && !(await repo.findService(db, orgId, query.serviceId))) throw serviceNotFound()
  const after = decodeCursor(query.cursor, (v): v is repo.Position => repo.isPosition(v) && typeof v[0] === 'number')
  const limit = query.limit ?? DEFAULT_LIMIT
  const rows = await repo.listWaitlist(db, orgId, { status: query.status, serviceId: query.serviceId, ...(after ? { after } : {}), limit: limit + 1 })
  return pageOf(rows, limit, waitlistView, (r) => [r.created_at.getTime(), r.id])
}

export async function cancelEntry(db: Db, actor: Actor, id: string): Promise<WaitlistView> {
  const entry = await repo.findWaitlist(db, actor.orgId, id)
  if (!entry) throw waitlistNotFound()
  if (entry.status === 'booked' || entry.status === 'cancelled') throw badTransition(entry.status, 'cancelled')
  return db.transaction().execute(async (trx) => {
    const row = await repo.updateWaitlist(trx, id, { status: 'cancelled', offer_token_hash: null })
    await recordAudit(trx, { ...actor.audit, action: 'appointment.waitlist.cancel', target: { type: 'appt_waitlist', id }, before: { status: entry.status }, after: { status: 'cancelled' } })
    return waitlistView(row)
  })
}

/**
 * Offers a freed slot to the first matching entry, inside the transaction that freed it.
 * Nothing happens when nobody waits for it or it is not actually free (a move onto an
 * overlapping time). Returns the entry offered it.
 */
export async function offerFreedSlot(trx: Db, actor: Actor, slot: { serviceId: string; professionalId: string; start: Date; end: Date }, now: Date): Promise<string | undefined> {
  const service = await repo.findService(trx, actor.orgId, slot.serviceId)
  const pro = await repo.findProfessional(trx, actor.orgId, slot.professionalId)
  if (!service || !pro || slot.start <= now) return undefined
  const { blocked } = blockedSpan(slot.start.getTime(), timingOf(service))
  if (((await repo.busySpans(trx, [pro.id], blocked)).get(pro.id) ?? []).length > 0) return undefined
  const entry = await repo.firstWaiting(trx, actor.orgId, slot)
  if (!entry) return undefined
  const token = newToken()
  const expires = new Date(now.getTime() + HOLD_MINUTES * 60_000)
  await repo.updateWaitlist(trx, entry.id, {
    status: 'offered',
    offer_professional_id: pro.id,
    offer_starts_at: slot.start,
    offer_expires_at: expires,
    offer_token_hash: tokenHash(token),
  })
  const contact = await findContact(trx, actor.orgId, entry.contact_id)
  if (contact.email) {
    const mail = offerMail({ clientName: contact.name, serviceName: service.name, professionalName: pro.name, start: slot.start, timeZone: pro.time_zone, link: `${actor.origin}/reserva/oferta/${token}`, holdMinutes: HOLD_MINUTES })
    await queueMail(trx, { orgId: actor.orgId, to: contact.email, ...mail, kind: 'appointment.waitlist_offer', dedupKey: `appt-wait:${entry.id}:offer:${slot.start.getTime()}` })
  }
  await recordAudit(trx, { ...actor.audit, action: 'appointment.waitlist.offer', target: { type: 'appt_waitlist', id: entry.id }, after: { professionalId: pro.id, start: slot.start, expiresAt: expires } })
  return entry.id
}

/**
 * The offered client takes the slot (public, by the offer's token). First booking wins: if
 * somebody booked it meanwhile this is SLOT_TAKEN, and a lapsed hold is APPT_OFFER_EXPIRED.
 */
export async function acceptOffer(
  db: Db,
  token: string,
  now: Date,
  book: (trx: Db, entry: { orgId: string; serviceId: string; professionalId: string; start: Date; contactId: string }) => Promise<BookingRow>,
): Promise<BookingRow> {
  return db.transaction().execute(async (trx) => {
    const entry = await repo.waitlistByOfferHash(trx, tokenHash(token))
    if (!entry) throw linkInvalid()
    if (entry.status !== 'offered' || !entry.offer_expires_at || entry.offer_expires_at <= now || !entry.offer_starts_at || !entry.offer_professional_id) throw offerExpired()
    const booking = await book(trx, { orgId: entry.org_id, serviceId: entry.service_id, professionalId: entry.offer_professional_id, start: entry.offer_starts_at, contactId: entry.contact_id })
    // The token stays, so the link can show the offer as taken by this client.
    await repo.updateWaitlist(trx, entry.id, { status: 'booked', booking_id: booking.id })
    return booking
  })
}

/** Lapsed offers go back to waiting (the job appointments.waitlist runs this). */
export const expireOffers = (db: Db, now: Date): Promise<number> => repo.expireOffers(db, now)

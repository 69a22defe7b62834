import { randomBytes } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { sql } from 'kysely'
import { mailDb } from '../../src/modules/mail/tables.js'

/**
 * The appointments module's part of the tenant-isolation suite: one of each of its objects
 * for an organization, made through the API as its org admin, the path params of every
 * appointments route that takes one, the ids body and query fields name, and the
 * organization's footprint in the module's tables (counts, and counts by state, so a
 * replay that cancelled or archived something shows).
 */
export async function appointmentsFixture(
  app: FastifyInstance,
  orgAdminToken: string,
  org: { orgId: string; siteId: string },
): Promise<{ params: Record<string, Record<string, string>>; ids: Record<string, string>; footprint: () => Promise<Record<string, number>> }> {
  const call = async (method: 'POST' | 'PUT', url: string, payload: object, status = method === 'POST' ? 201 : 200) => {
    const res = await app.inject({ method, url, payload, headers: { authorization: `Bearer ${orgAdminToken}` } })
    if (res.statusCode !== status) throw new Error(`appointments fixture: ${method} ${url} answered ${res.statusCode} ${res.body}`)
    return res.json() as { id: string; contactId: string }
  }
  const tag = randomBytes(4).toString('hex')
  const service = await call('POST', '/api/appointments/services', { name: 'Corte y peinado', durationMin: 45, bufferAfterMin: 15, priceMinor: 800_000, currency: 'ARS' })
  const professional = await call('POST', '/api/appointments/professionals', { name: 'Sofía Estilista', specialty: 'Peluquería', siteId: org.siteId, serviceIds: [service.id] })
  await call('PUT', `/api/appointments/professionals/${professional.id}/availability`, { ranges: [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, start: '00:00', end: '24:00' })) })
  const exception = await call('POST', `/api/appointments/professionals/${professional.id}/exceptions`, { date: '2030-01-01', kind: 'off' })
  // Far ahead, at a time unique to this fixture run (a minute of 2030).
  const start = new Date(Date.UTC(2030, 5, 3, 12, 0) + (parseInt(tag, 16) % 500) * 120 * 60_000).toISOString()
  const booking = await call('POST', '/api/appointments/bookings', { serviceId: service.id, professionalId: professional.id, start, client: { name: 'Cliente Fixture', email: `cliente.${tag}@example.com` } })
  const waiting = await call('POST', '/api/appointments/waitlist', { serviceId: service.id, contactId: booking.contactId, from: '2030-02-01T09:00:00Z', to: '2030-02-01T18:00:00Z' })
  const page = await call('POST', '/api/appointments/booking-pages', { slug: `turnos-${tag}`, title: 'Turnos online' })
  // A waiting-list offer: a booking inside the entry's span, cancelled; the offer's token is in its mail.
  const freed = await call('POST', '/api/appointments/bookings', { serviceId: service.id, professionalId: professional.id, start: '2030-02-01T12:00:00Z', client: { name: 'Cliente Fixture', email: `cliente.${tag}@example.com` } })
  await call('POST', `/api/appointments/bookings/${freed.id}/cancel`, {}, 200)
  const offerMail = await mailDb(app.db).selectFrom('mail_outbox').select('body').where('org_id', '=', org.orgId).where('dedup_key', 'like', `appt-wait:${waiting.id}:%`).executeTakeFirst()
  const offerToken = /\/reserva\/oferta\/([A-Za-z0-9_-]+)/.exec(offerMail?.body ?? '')?.[1]
  if (!offerToken) throw new Error('appointments fixture: no waiting-list offer was mailed')

  const params: Record<string, Record<string, string>> = {
    '/api/appointments/services/:id': { id: service.id },
    '/api/appointments/professionals/:id': { id: professional.id },
    '/api/appointments/professionals/:id/ics-token': { id: professional.id },
    '/api/appointments/professionals/:id/availability': { id: professional.id },
    '/api/appointments/professionals/:id/exceptions': { id: professional.id },
    '/api/appointments/exceptions/:id': { id: exception.id },
    '/api/appointments/bookings/:id': { id: booking.id },
    '/api/appointments/bookings/:id/confirm': { id: booking.id },
    '/api/appointments/bookings/:id/complete': { id: booking.id },
    '/api/appointments/bookings/:id/no-show': { id: booking.id },
    '/api/appointments/bookings/:id/cancel': { id: booking.id },
    '/api/appointments/bookings/:id/reschedule': { id: booking.id },
    '/api/appointments/contacts/:contactId/no-shows': { contactId: booking.contactId },
    '/api/appointments/waitlist/:id': { id: waiting.id },
    '/api/appointments/booking-pages/:id': { id: page.id },
    '/api/public/appointments/offers/:token': { token: offerToken },
  }
  const ids = { serviceId: service.id, professionalId: professional.id, contactId: booking.contactId }

  const footprint = async (): Promise<Record<string, number>> => {
    const { rows } = await sql<Record<string, number>>`select
      (select count(*) from appt_services where org_id = ${org.orgId})::int as appt_services,
      (select count(*) from appt_services where org_id = ${org.orgId} and archived_at is not null)::int as appt_services_archived,
      (select coalesce(sum(duration_min + price_minor), 0) from appt_services where org_id = ${org.orgId})::bigint as appt_services_values,
      (select count(*) from appt_professionals where org_id = ${org.orgId})::int as appt_professionals,
      (select count(*) from appt_professionals where org_id = ${org.orgId} and archived_at is not null)::int as appt_professionals_archived,
      (select count(*) from appt_professionals where org_id = ${org.orgId} and ics_token_hash is not null)::int as appt_professionals_with_feed,
      (select count(*) from appt_service_professionals where org_id = ${org.orgId})::int as appt_service_professionals,
      (select count(*) from appt_weekly_hours where org_id = ${org.orgId})::int as appt_weekly_hours,
      (select count(*) from appt_exceptions where org_id = ${org.orgId})::int as appt_exceptions,
      (select count(*) from appt_bookings where org_id = ${org.orgId})::int as appt_bookings,
      (select count(*) from appt_bookings where org_id = ${org.orgId} and status = 'confirmed')::int as appt_bookings_confirmed,
      (select coalesce(sum(revision), 0) from appt_bookings where org_id = ${org.orgId})::int as appt_bookings_revisions,
      (select count(*) from appt_waitlist where org_id = ${org.orgId})::int as appt_waitlist,
      (select count(*) from appt_waitlist where org_id = ${org.orgId} and status = 'waiting')::int as appt_waitlist_waiting,
      (select count(*) from appt_booking_pages where org_id = ${org.orgId})::int as appt_booking_pages,
      (select count(*) from appt_booking_pages where org_id = ${org.orgId} and active)::int as appt_booking_pages_active`.execute(app.db)
    return Object.fromEntries(Object.entries(rows[0]!).map(([k, v]) => [k, Number(v)]))
  }
  return { params, ids, footprint }
}

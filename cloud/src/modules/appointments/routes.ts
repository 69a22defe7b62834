import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { ErrorReply } from '../../errors.js'
import { withIdempotency } from '../common/idempotency.js'
import * as bookings from './bookings.js'
import * as catalog from './catalog.js'
import { parseInstant } from './parse.js'
import * as pages from './public.js'
import publicAppointmentRoutes from './public-routes.js'
import * as s from './schema.js'
import { searchSlots } from './slots.js'
import { getService } from './catalog.js'
import * as waitlist from './waitlist.js'

const common = { tags: ['appointments'], security: [{ user: [] }] }
const errors = { 400: ErrorReply, 401: ErrorReply, 403: ErrorReply, 404: ErrorReply, 409: ErrorReply, 422: ErrorReply }
const read = { permission: 'appointments.read' } as const
const manage = { permission: 'appointments.manage' } as const
const P = '/appointments'

/**
 * Appointments (turnos): services, professionals and their hours, slot search, bookings
 * and their states, the waiting list and booking pages, under /api/appointments; the
 * public booking page, the client's links and the ICS feed under /api/public (README.md).
 */
const staffRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('preHandler', app.authenticate)

  // Services.
  app.get(`${P}/services`, { config: read, schema: { ...common, description: 'Services, oldest first. archived=true lists the archived ones. Keyset pages.', querystring: s.ListQuery, response: { 200: s.ServicePage, ...errors } } },
    (request) => catalog.listServices(app.db, request.user.orgId, request.query))
  app.post(`${P}/services`, { config: manage, schema: { ...common, description: 'A service: duration, buffers before and after (minutes), price in minor units, who offers it.', body: s.ServiceBody, response: { 201: s.ServiceView, ...errors } } },
    async (request, reply) => reply.code(201).send(await catalog.createService(app.db, request, request.body)))
  app.get(`${P}/services/:id`, { config: read, schema: { ...common, params: s.IdParams, response: { 200: s.ServiceView, ...errors } } },
    async (request) => catalog.serviceOut(app.db, await getService(app.db, request.user.orgId, request.params.id)))
  app.patch(`${P}/services/:id`, { config: manage, schema: { ...common, params: s.IdParams, body: s.ServicePatch, response: { 200: s.ServiceView, ...errors } } },
    (request) => catalog.updateService(app.db, request, request.params.id, request.body))
  app.delete(`${P}/services/:id`, { config: manage, schema: { ...common, description: 'Archives the service; 409 APPT_IN_USE while it has upcoming bookings.', params: s.IdParams, response: { 200: s.ServiceView, ...errors } } },
    (request) => catalog.archiveService(app.db, request, request.params.id))

  // Professionals and their availability.
  app.get(`${P}/professionals`, { config: read, schema: { ...common, querystring: s.ListQuery, response: { 200: s.ProfessionalPage, ...errors } } },
    (request) => catalog.listProfessionals(app.db, request.user.orgId, request.query))
  app.post(`${P}/professionals`, { config: manage, schema: { ...common, description: 'A professional; time zone defaults to their site\'s.', body: s.ProfessionalBody, response: { 201: s.ProfessionalView, ...errors } } },
    async (request, reply) => reply.code(201).send(await catalog.createProfessional(app.db, request, request.body)))
  app.get(`${P}/professionals/:id`, { config: read, schema: { ...common, params: s.IdParams, response: { 200: s.ProfessionalView, ...errors } } },
    async (request) => catalog.professionalOut(app.db, await catalog.getProfessional(app.db, request.user.orgId, request.params.id)))
  app.patch(`${P}/professionals/:id`, { config: manage, schema: { ...common, params: s.IdParams, body: s.ProfessionalPatch, response: { 200: s.ProfessionalView, ...errors } } },
    (request) => catalog.updateProfessional(app.db, request, request.params.id, request.body))
  app.delete(`${P}/professionals/:id`, { config: manage, schema: { ...common, description: 'Archives the professional and closes their feed; 409 APPT_IN_USE while they have upcoming bookings.', params: s.IdParams, response: { 200: s.ProfessionalView, ...errors } } },
    (request) => catalog.archiveProfessional(app.db, request, request.params.id))
  app.post(`${P}/professionals/:id/ics-token`, { config: manage, schema: { ...common, description: 'A new secret ICS feed URL for the professional; the previous one stops working.', params: s.IdParams, response: { 201: s.IcsTokenView, ...errors } } },
    async (request, reply) => reply.code(201).send(await catalog.rotateFeed(app.db, request, request.params.id)))
  app.get(`${P}/professionals/:id/availability`, { config: read, schema: { ...common, description: 'Weekly hours in the professional\'s zone (1 Monday .. 7 Sunday).', params: s.IdParams, response: { 200: s.AvailabilityView, ...errors } } },
    (request) => catalog.getAvailability(app.db, request.user.orgId, request.params.id))
  app.put(`${P}/professionals/:id/availability`, { config: manage, schema: { ...common, description: 'Replaces the weekly hours; several ranges a day are several entries.', params: s.IdParams, body: s.WeeklyHoursBody, response: { 200: s.AvailabilityView, ...errors } } },
    (request) => catalog.setWeeklyHours(app.db, request, request.params.id, request.body))
  app.post(`${P}/professionals/:id/exceptions`, { config: manage, schema: { ...common, description: 'A day off (whole day without times) or extra hours, on a local date.', params: s.IdParams, body: s.ExceptionBody, response: { 201: s.ExceptionView, ...errors } } },
    async (request, reply) => reply.code(201).send(await catalog.addException(app.db, request, request.params.id, request.body)))
  app.get(`${P}/exceptions`, { config: read, schema: { ...common, description: 'Days off and extra hours by date; professionalId and from (YYYY-MM-DD) narrow them.', querystring: s.ExceptionsQuery, response: { 200: s.ExceptionPage, ...errors } } },
    (request) => catalog.listExceptions(app.db, request.user.orgId, request.query))
  app.delete(`${P}/exceptions/:id`, { config: manage, schema: { ...common, params: s.IdParams, response: { 200: s.ExceptionView, ...errors } } },
    (request) => catalog.removeException(app.db, request, request.params.id))

  // Slots and bookings.
  app.get(`${P}/slots`, {
    config: read,
    schema: { ...common, description: 'Free starts for a service in [from, to) (at most 31 days), every stepMin minutes from the start of each open range, honouring durations, buffers and bookings.', querystring: s.SlotsQuery, response: { 200: s.SlotsReply, ...errors } },
  }, async (request) => {
    const service = await getService(app.db, request.user.orgId, request.query.serviceId)
    return searchSlots(app.db, request.user.orgId, {
      service,
      professionalId: request.query.professionalId,
      from: parseInstant('from', request.query.from),
      to: parseInstant('to', request.query.to),
      stepMin: request.query.stepMin ?? 15,
      // Staff see what is still ahead; they book the past (a walk-in, a record) directly.
      notBefore: Date.now(),
      honourHolds: false,
      now: new Date(),
    })
  })
  app.get(`${P}/bookings`, { config: read, schema: { ...common, description: 'Bookings by start time; filter by professional, contact, status, from/to.', querystring: s.BookingsQuery, response: { 200: s.BookingPage, ...errors } } },
    (request) => bookings.listBookings(app.db, request.user.orgId, request.query))
  app.post(`${P}/bookings`, {
    config: manage,
    schema: { ...common, description: 'Books a slot. 409 SLOT_TAKEN when it overlaps another booking of the professional (buffers included); 422 SLOT_UNAVAILABLE outside their hours unless allowOutsideHours. Idempotency-Key honoured.', body: s.BookingBody, response: { 201: s.BookingView, ...errors } },
  }, async (request, reply) => {
    await withIdempotency(app.db, request, reply, request.user.orgId, async () => ({ status: 201, body: await bookings.createBooking(app.db, request, request.body) }))
    return reply
  })
  app.get(`${P}/bookings/:id`, { config: read, schema: { ...common, params: s.IdParams, response: { 200: s.BookingView, ...errors } } },
    (request) => bookings.getBooking(app.db, request.user.orgId, request.params.id))
  const actions = { confirm: 'confirmed', complete: 'completed', 'no-show': 'no_show', cancel: 'cancelled' } as const
  for (const [path, to] of Object.entries(actions)) {
    app.post(`${P}/bookings/:id/${path}`, { config: manage, schema: { ...common, description: `Marks the booking ${to}.`, params: s.IdParams, body: s.CancelBody, response: { 200: s.BookingView, ...errors } } },
      (request) => bookings.changeStatus(app.db, request, request.params.id, to, request.body?.reason))
  }
  app.post(`${P}/bookings/:id/reschedule`, { config: manage, schema: { ...common, description: 'Moves the booking; reminders follow, the freed slot goes to the waiting list.', params: s.IdParams, body: s.RescheduleBody, response: { 200: s.BookingView, ...errors } } },
    (request) => bookings.reschedule(app.db, request, request.params.id, request.body))
  app.get(`${P}/contacts/:contactId/no-shows`, { config: read, schema: { ...common, params: s.ContactParams, response: { 200: s.NoShowView, ...errors } } },
    (request) => bookings.noShowCount(app.db, request.user.orgId, request.params.contactId))

  // Waiting list.
  app.get(`${P}/waitlist`, { config: read, schema: { ...common, querystring: s.WaitlistQuery, response: { 200: s.WaitlistPage, ...errors } } },
    (request) => waitlist.listEntries(app.db, request.user.orgId, request.query))
  app.post(`${P}/waitlist`, { config: manage, schema: { ...common, description: 'A client waiting for a slot of a service in [from, to).', body: s.WaitlistBody, response: { 201: s.WaitlistView, ...errors } } },
    async (request, reply) => {
      const actor = bookings.staffActor(request)
      const view = await waitlist.createEntry(app.db, actor, request.body, (trx) => bookings.resolveClient(trx, actor.orgId, request.body.contactId, request.body.client, 'waitlist'))
      return reply.code(201).send(view)
    })
  app.delete(`${P}/waitlist/:id`, { config: manage, schema: { ...common, params: s.IdParams, response: { 200: s.WaitlistView, ...errors } } },
    (request) => waitlist.cancelEntry(app.db, bookings.staffActor(request), request.params.id))

  // Booking pages.
  app.get(`${P}/booking-pages`, { config: read, schema: { ...common, querystring: Type.Object({ limit: s.ListQuery.properties.limit, cursor: s.ListQuery.properties.cursor }, { additionalProperties: false }), response: { 200: s.BookingPagePage, ...errors } } },
    (request) => pages.listPages(app.db, request.user.orgId, request.query))
  app.post(`${P}/booking-pages`, { config: manage, schema: { ...common, description: 'A public booking page at /api/public/booking/:slug.', body: s.BookingPageBody, response: { 201: s.BookingPageView, ...errors } } },
    async (request, reply) => reply.code(201).send(await pages.createPage(app.db, request, request.body)))
  app.get(`${P}/booking-pages/:id`, { config: read, schema: { ...common, params: s.IdParams, response: { 200: s.BookingPageView, ...errors } } },
    (request) => pages.getPage(app.db, request.user.orgId, request.params.id))
  app.patch(`${P}/booking-pages/:id`, { config: manage, schema: { ...common, params: s.IdParams, body: s.BookingPagePatch, response: { 200: s.BookingPageView, ...errors } } },
    (request) => pages.updatePage(app.db, request, request.params.id, request.body))
  app.delete(`${P}/booking-pages/:id`, { config: manage, schema: { ...common, params: s.IdParams, response: { 200: s.BookingPageView, ...errors } } },
    (request) => pages.deletePage(app.db, request, request.params.id))
}

const appointmentsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  await app.register(staffRoutes)
  await app.register(publicAppointmentRoutes)
  // Lapsed waiting-list holds free their slots for public booking again.
  app.jobs.register('appointments.waitlist', 60_000, ({ now }) => waitlist.expireOffers(app.db, now))
}

export default appointmentsRoutes

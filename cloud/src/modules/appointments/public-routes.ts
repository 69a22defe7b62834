import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { ErrorReply } from '../../errors.js'
import { withIdempotency } from '../common/idempotency.js'
import { bookingRateLimited } from './errors.js'
import * as pages from './public.js'
import * as s from './schema.js'

const tags = ['appointments (public)']
const open = { public: true } as const
const errors = { 400: ErrorReply, 404: ErrorReply, 409: ErrorReply, 410: ErrorReply, 422: ErrorReply, 429: ErrorReply }

/**
 * Bookings made by a client on a public page: at most this many per address in the window,
 * on top of the public budget every public route has (plugins/rate-limit.ts).
 */
export const PUBLIC_BOOKINGS_PER_WINDOW = 10
export const PUBLIC_BOOKING_WINDOW_MS = 10 * 60_000

/**
 * The routes nobody logs in for: a booking page by its slug, its slots and bookings, the
 * client's signed link (view, confirm, cancel), a waiting-list offer, and the ICS feed.
 * Registered without the authenticate hook; each names `public: true`, so the limiter
 * charges them to the client address.
 */
const publicAppointmentRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/public/booking/:slug', { config: open, schema: { tags, description: 'A booking page: the organization, its services and professionals.', params: s.SlugParams, response: { 200: s.PublicPageView, ...errors } } },
    (request) => pages.publicPage(app.db, request.params.slug))

  app.get('/public/booking/:slug/slots', {
    config: open,
    schema: { tags, description: 'Free slots for a service of the page, within its notice and horizon; slots held for a waiting-list offer are left out.', params: s.SlugParams, querystring: s.PublicSlotsQuery, response: { 200: s.SlotsReply, ...errors } },
  }, (request) => pages.publicSlots(app.db, request.params.slug, request.query))

  app.post('/public/booking/:slug/bookings', {
    config: open,
    schema: {
      tags,
      description:
        'Books a slot as a client (found by email among the organization\'s contacts, or created as a customer). The booking starts pending: ' +
        'the client confirms it with the link mailed to them, or the staff do when the page or the client\'s no-show count asks for it. ' +
        `409 SLOT_TAKEN when taken; ${PUBLIC_BOOKINGS_PER_WINDOW} bookings per address per ${PUBLIC_BOOKING_WINDOW_MS / 60_000} minutes; Idempotency-Key honoured.`,
      params: s.SlugParams,
      body: s.PublicBookingBody,
      response: { 201: s.PublicBookingView, ...errors },
    },
  }, async (request, reply) => {
    const decision = await app.rateLimitBuckets.take(`appt-book:ip:${request.ip}`, PUBLIC_BOOKINGS_PER_WINDOW, PUBLIC_BOOKING_WINDOW_MS)
    if (!decision.allowed) throw bookingRateLimited(Math.max(1, Math.ceil(decision.retryAfterMs / 1000)))
    const orgId = await pages.pageOrgId(app.db, request.params.slug)
    await withIdempotency(app.db, request, reply, orgId, async () => ({ status: 201, body: await pages.publicBook(app.db, request, request.params.slug, request.body) }))
    return reply
  })

  app.get('/public/appointments/bookings/:token', { config: open, schema: { tags, description: 'The booking a client\'s signed link names.', params: s.TokenParams, response: { 200: s.PublicBookingView, ...errors } } },
    (request) => pages.linkView(app.db, request.params.token))
  for (const action of ['confirm', 'cancel'] as const) {
    app.post(`/public/appointments/bookings/:token/${action}`, {
      config: open,
      schema: { tags, description: action === 'confirm' ? 'The client confirms; 409 APPT_NEEDS_STAFF when the staff must.' : 'The client cancels; the slot goes to the waiting list.', params: s.TokenParams, response: { 200: s.PublicBookingView, ...errors } },
    }, (request) => pages.linkAction(app.db, request, request.params.token, action))
  }

  app.get('/public/appointments/offers/:token', {
    config: open,
    schema: {
      tags,
      description: 'A waiting-list offer before it is taken: service, professional, time in the professional\'s zone, hold expiry and state (open, taken, expired, booked); of the client only the first name.',
      params: s.TokenParams,
      response: { 200: s.PublicOfferView, ...errors },
    },
  }, (request) => pages.offerView(app.db, request.params.token))

  app.post('/public/appointments/offers/:token/accept', {
    config: open,
    schema: { tags, description: 'Takes a slot offered from the waiting list; 410 when the hold lapsed, 409 SLOT_TAKEN when somebody booked first.', params: s.TokenParams, response: { 201: s.PublicBookingView, ...errors } },
  }, async (request, reply) => reply.code(201).send(await pages.publicAcceptOffer(app.db, request, request.params.token)))

  app.get('/public/appointments/ics/:token.ics', {
    config: open,
    schema: {
      tags,
      description: 'The professional\'s bookings as an iCalendar feed (RFC 5545) for calendar apps to subscribe to; the URL is the secret (rotate it with POST /api/appointments/professionals/:id/ics-token).',
      params: Type.Object({ token: Type.String({ minLength: 16, maxLength: 200 }) }),
      response: { 200: Type.String({ description: 'text/calendar' }), 404: ErrorReply },
    },
  }, async (request, reply) => {
    const body = await pages.icsFeed(app.db, request.params.token)
    return reply.header('content-type', 'text/calendar; charset=utf-8').header('cache-control', 'private, max-age=300').send(body)
  })
}

export default publicAppointmentRoutes

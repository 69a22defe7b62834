import Type from 'typebox'
import { CurrencySchema, PositiveMinorSchema } from '../common/money.js'
import { Page, PageQuery } from '../common/pagination.js'

const Uuid = Type.String({ format: 'uuid' })
const Email = Type.String({ format: 'email', maxLength: 254 })
const Phone = Type.String({ minLength: 6, maxLength: 32, pattern: '^[+0-9 ()-]+$' })
// Instants, dates and clock times are checked by the service (parse.ts) after the ids in the
// request are resolved, so another organization's id answers 404 whatever else is wrong.
/** An instant, ISO 8601 with a zone: 2026-11-23T09:00:00-03:00 or ...Z. */
const Instant = Type.String({ minLength: 1, maxLength: 40, description: 'ISO 8601 instant with a zone offset or Z' })
const LocalDate = Type.String({ minLength: 1, maxLength: 32, description: 'Local date, YYYY-MM-DD' })
/** A local time of day, HH:MM; 24:00 ends a range at midnight. */
const Clock = Type.String({ minLength: 1, maxLength: 16, description: 'Local time, HH:MM (24:00 = end of day)' })
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()])

export const IdParams = Type.Object({ id: Uuid })
export type IdParams = Type.Static<typeof IdParams>
export const ContactParams = Type.Object({ contactId: Uuid })
export const TokenParams = Type.Object({ token: Type.String({ minLength: 16, maxLength: 300 }) })
export const SlugParams = Type.Object({ slug: Type.String({ minLength: 1, maxLength: 64 }) })

// Services.
export const ServiceBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 120 }),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    durationMin: Type.Integer({ minimum: 5, maximum: 720 }),
    bufferBeforeMin: Type.Optional(Type.Integer({ minimum: 0, maximum: 240 })),
    bufferAfterMin: Type.Optional(Type.Integer({ minimum: 0, maximum: 240 })),
    priceMinor: PositiveMinorSchema,
    currency: CurrencySchema,
    /** Who offers it; replaces the list on PATCH. */
    professionalIds: Type.Optional(Type.Array(Uuid, { maxItems: 200, uniqueItems: true })),
  },
  { additionalProperties: false },
)
export type ServiceBody = Type.Static<typeof ServiceBody>
export const ServicePatch = Type.Partial(ServiceBody, { additionalProperties: false, minProperties: 1 })
export type ServicePatch = Type.Static<typeof ServicePatch>

export const ServiceView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Nullable(Type.String()),
  durationMin: Type.Integer(),
  bufferBeforeMin: Type.Integer(),
  bufferAfterMin: Type.Integer(),
  priceMinor: Type.Integer(),
  currency: Type.String(),
  professionalIds: Type.Array(Type.String()),
  archived: Type.Boolean(),
  createdAt: Type.String(),
})
export type ServiceView = Type.Static<typeof ServiceView>
export const ServicePage = Page(ServiceView)
export const ListQuery = Type.Object({ ...PageQuery, archived: Type.Optional(Type.Boolean()) }, { additionalProperties: false })
export type ListQuery = Type.Static<typeof ListQuery>

// Professionals.
export const ProfessionalBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 120 }),
    specialty: Type.Optional(Type.String({ maxLength: 120 })),
    email: Type.Optional(Email),
    /** IANA zone; default the site's, else America/Argentina/Buenos_Aires. */
    timeZone: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    siteId: Type.Optional(Uuid),
    userId: Type.Optional(Uuid),
    serviceIds: Type.Optional(Type.Array(Uuid, { maxItems: 200, uniqueItems: true })),
  },
  { additionalProperties: false },
)
export type ProfessionalBody = Type.Static<typeof ProfessionalBody>
/** As the body, every field optional; null clears the specialty, email, site or user. */
export const ProfessionalPatch = Type.Object(
  {
    name: Type.Optional(ProfessionalBody.properties.name),
    specialty: Type.Optional(Nullable(Type.String({ maxLength: 120 }))),
    email: Type.Optional(Nullable(Email)),
    timeZone: Type.Optional(ProfessionalBody.properties.timeZone),
    siteId: Type.Optional(Nullable(Uuid)),
    userId: Type.Optional(Nullable(Uuid)),
    serviceIds: Type.Optional(Type.Array(Uuid, { maxItems: 200, uniqueItems: true })),
  },
  { additionalProperties: false, minProperties: 1 },
)
export type ProfessionalPatch = Type.Static<typeof ProfessionalPatch>

export const ProfessionalView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  specialty: Nullable(Type.String()),
  email: Nullable(Type.String()),
  timeZone: Type.String(),
  siteId: Nullable(Type.String()),
  userId: Nullable(Type.String()),
  serviceIds: Type.Array(Type.String()),
  hasIcsFeed: Type.Boolean(),
  archived: Type.Boolean(),
  createdAt: Type.String(),
})
export type ProfessionalView = Type.Static<typeof ProfessionalView>
export const ProfessionalPage = Page(ProfessionalView)
export const IcsTokenView = Type.Object({ token: Type.String(), path: Type.String() })

// Availability.
export const WeeklyRangeSchema = Type.Object({ weekday: Type.Integer({ minimum: 1, maximum: 7, description: '1 Monday .. 7 Sunday' }), start: Clock, end: Clock }, { additionalProperties: false })
export const WeeklyHoursBody = Type.Object({ ranges: Type.Array(WeeklyRangeSchema, { maxItems: 100 }) }, { additionalProperties: false })
export type WeeklyHoursBody = Type.Static<typeof WeeklyHoursBody>
export const AvailabilityView = Type.Object({ professionalId: Type.String(), timeZone: Type.String(), weekly: Type.Array(WeeklyRangeSchema) })
export type AvailabilityView = Type.Static<typeof AvailabilityView>

export const ExceptionBody = Type.Object(
  {
    date: LocalDate,
    kind: Type.Union([Type.Literal('off'), Type.Literal('extra')]),
    /** Both or neither; neither on a day off means the whole day. */
    start: Type.Optional(Clock),
    end: Type.Optional(Clock),
    note: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
)
export type ExceptionBody = Type.Static<typeof ExceptionBody>
export const ExceptionView = Type.Object({
  id: Type.String(),
  professionalId: Type.String(),
  date: Type.String(),
  kind: Type.String(),
  start: Nullable(Type.String()),
  end: Nullable(Type.String()),
  note: Nullable(Type.String()),
})
export type ExceptionView = Type.Static<typeof ExceptionView>
export const ExceptionPage = Page(ExceptionView)
export const ExceptionsQuery = Type.Object({ ...PageQuery, professionalId: Type.Optional(Uuid), from: Type.Optional(LocalDate) }, { additionalProperties: false })
export type ExceptionsQuery = Type.Static<typeof ExceptionsQuery>

// Slots.
export const SlotsQuery = Type.Object(
  {
    serviceId: Uuid,
    professionalId: Type.Optional(Uuid),
    from: Instant,
    to: Instant,
    stepMin: Type.Optional(Type.Integer({ minimum: 5, maximum: 240, default: 15 })),
  },
  { additionalProperties: false },
)
export type SlotsQuery = Type.Static<typeof SlotsQuery>
export const SlotView = Type.Object({ start: Type.String(), end: Type.String(), localStart: Type.String(), professionalId: Type.String() })
export type SlotView = Type.Static<typeof SlotView>
export const SlotsReply = Type.Object({ serviceId: Type.String(), slots: Type.Array(SlotView) })
export type SlotsReply = Type.Static<typeof SlotsReply>

// Bookings.
export const ClientBody = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 200 }), email: Type.Optional(Email), phone: Type.Optional(Phone) },
  { additionalProperties: false },
)
export type ClientBody = Type.Static<typeof ClientBody>

export const BookingBody = Type.Object(
  {
    serviceId: Uuid,
    professionalId: Uuid,
    start: Instant,
    /** An existing contact, or `client` to find one by email or create it. */
    contactId: Type.Optional(Uuid),
    client: Type.Optional(ClientBody),
    notes: Type.Optional(Type.String({ maxLength: 2000 })),
    /** Default confirmed: staff booking it is the confirmation. */
    status: Type.Optional(Type.Union([Type.Literal('pending'), Type.Literal('confirmed')])),
    /** Staff may book outside the professional's hours (never over another booking). */
    allowOutsideHours: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
)
export type BookingBody = Type.Static<typeof BookingBody>

export const BookingStatusSchema = Type.Union(['pending', 'confirmed', 'completed', 'cancelled', 'no_show'].map((s) => Type.Literal(s)))
export const BookingView = Type.Object({
  id: Type.String(),
  serviceId: Type.String(),
  professionalId: Type.String(),
  contactId: Type.String(),
  start: Type.String(),
  end: Type.String(),
  localStart: Type.String(),
  blockedFrom: Type.String(),
  blockedTo: Type.String(),
  status: Type.String(),
  source: Type.String(),
  staffApproval: Type.Boolean(),
  priceMinor: Type.Integer(),
  currency: Type.String(),
  notes: Nullable(Type.String()),
  revision: Type.Integer(),
  confirmedAt: Nullable(Type.String()),
  cancelledAt: Nullable(Type.String()),
  cancelReason: Nullable(Type.String()),
  createdAt: Type.String(),
})
export type BookingView = Type.Static<typeof BookingView>
export const BookingPage = Page(BookingView)
export const BookingsQuery = Type.Object(
  {
    ...PageQuery,
    professionalId: Type.Optional(Uuid),
    contactId: Type.Optional(Uuid),
    status: Type.Optional(BookingStatusSchema),
    from: Type.Optional(Instant),
    to: Type.Optional(Instant),
  },
  { additionalProperties: false },
)
export type BookingsQuery = Type.Static<typeof BookingsQuery>
export const CancelBody = Type.Union([Type.Object({ reason: Type.Optional(Type.String({ maxLength: 500 })) }, { additionalProperties: false }), Type.Null()])
export type CancelBody = Type.Static<typeof CancelBody>
export const RescheduleBody = Type.Object({ start: Instant, professionalId: Type.Optional(Uuid), allowOutsideHours: Type.Optional(Type.Boolean()) }, { additionalProperties: false })
export type RescheduleBody = Type.Static<typeof RescheduleBody>
export const NoShowView = Type.Object({ contactId: Type.String(), noShows: Type.Integer(), lastNoShowAt: Nullable(Type.String()) })

// Waiting list.
export const WaitlistBody = Type.Object(
  {
    serviceId: Uuid,
    professionalId: Type.Optional(Uuid),
    contactId: Type.Optional(Uuid),
    client: Type.Optional(ClientBody),
    from: Instant,
    to: Instant,
  },
  { additionalProperties: false },
)
export type WaitlistBody = Type.Static<typeof WaitlistBody>
export const WaitlistView = Type.Object({
  id: Type.String(),
  serviceId: Type.String(),
  professionalId: Nullable(Type.String()),
  contactId: Type.String(),
  from: Type.String(),
  to: Type.String(),
  status: Type.String(),
  offer: Nullable(Type.Object({ professionalId: Nullable(Type.String()), start: Type.String(), expiresAt: Type.String() })),
  bookingId: Nullable(Type.String()),
  createdAt: Type.String(),
})
export type WaitlistView = Type.Static<typeof WaitlistView>
export const WaitlistPage = Page(WaitlistView)
export const WaitlistQuery = Type.Object(
  { ...PageQuery, status: Type.Optional(Type.Union(['waiting', 'offered', 'booked', 'cancelled'].map((s) => Type.Literal(s)))), serviceId: Type.Optional(Uuid) },
  { additionalProperties: false },
)
export type WaitlistQuery = Type.Static<typeof WaitlistQuery>

// Booking pages.
export const Slug = Type.String({ pattern: '^[a-z0-9](?:[a-z0-9-]{1,62}[a-z0-9])$' })
export const BookingPageBody = Type.Object(
  {
    slug: Slug,
    title: Type.String({ minLength: 1, maxLength: 160 }),
    serviceIds: Type.Optional(Type.Array(Uuid, { maxItems: 200, uniqueItems: true })),
    professionalIds: Type.Optional(Type.Array(Uuid, { maxItems: 200, uniqueItems: true })),
    requireConfirmation: Type.Optional(Type.Boolean()),
    noShowLimit: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })),
    minNoticeMin: Type.Optional(Type.Integer({ minimum: 0, maximum: 43200 })),
    maxDaysAhead: Type.Optional(Type.Integer({ minimum: 1, maximum: 365 })),
    active: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
)
export type BookingPageBody = Type.Static<typeof BookingPageBody>
export const BookingPagePatch = Type.Partial(BookingPageBody, { additionalProperties: false, minProperties: 1 })
export type BookingPagePatch = Type.Static<typeof BookingPagePatch>
export const BookingPageView = Type.Object({
  id: Type.String(),
  slug: Type.String(),
  title: Type.String(),
  serviceIds: Type.Array(Type.String()),
  professionalIds: Type.Array(Type.String()),
  requireConfirmation: Type.Boolean(),
  noShowLimit: Type.Integer(),
  minNoticeMin: Type.Integer(),
  maxDaysAhead: Type.Integer(),
  active: Type.Boolean(),
  createdAt: Type.String(),
})
export type BookingPageView = Type.Static<typeof BookingPageView>
export const BookingPagePage = Page(BookingPageView)

// Public.
export const PublicPageView = Type.Object({
  slug: Type.String(),
  title: Type.String(),
  organization: Type.String(),
  services: Type.Array(Type.Object({ id: Type.String(), name: Type.String(), description: Nullable(Type.String()), durationMin: Type.Integer(), priceMinor: Type.Integer(), currency: Type.String() })),
  professionals: Type.Array(Type.Object({ id: Type.String(), name: Type.String(), specialty: Nullable(Type.String()), serviceIds: Type.Array(Type.String()) })),
})
export const PublicSlotsQuery = Type.Object(
  { serviceId: Uuid, professionalId: Type.Optional(Uuid), from: Instant, to: Instant },
  { additionalProperties: false },
)
export type PublicSlotsQuery = Type.Static<typeof PublicSlotsQuery>
export const PublicBookingBody = Type.Object(
  {
    serviceId: Uuid,
    /** Any professional who offers the service and is free, when left out. */
    professionalId: Type.Optional(Uuid),
    start: Instant,
    client: Type.Object(
      { name: Type.String({ minLength: 2, maxLength: 120 }), email: Email, phone: Type.Optional(Phone) },
      { additionalProperties: false },
    ),
    notes: Type.Optional(Type.String({ maxLength: 1000 })),
    /** Honeypot: a field people never see and bots fill in. Must be absent or empty. */
    website: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
)
export type PublicBookingBody = Type.Static<typeof PublicBookingBody>
export const PublicBookingView = Type.Object({
  id: Type.String(),
  status: Type.String(),
  start: Type.String(),
  end: Type.String(),
  localStart: Type.String(),
  service: Type.String(),
  professional: Type.String(),
  /** The staff confirm this booking (the page asks for it, or the client's no-shows reached its limit); the client's link cannot. */
  staffApproval: Type.Boolean(),
})
export type PublicBookingView = Type.Static<typeof PublicBookingView>

/** A waiting-list offer as its client sees it before taking it; of the client, only the first name. */
export const PublicOfferView = Type.Object({
  /** open: can be taken; taken: somebody booked the time; expired: the hold lapsed or was withdrawn; booked: this client took it. */
  state: Type.Union([Type.Literal('open'), Type.Literal('taken'), Type.Literal('expired'), Type.Literal('booked')]),
  organization: Type.String(),
  clientFirstName: Type.String(),
  service: Type.String(),
  durationMin: Type.Integer(),
  professional: Type.String(),
  start: Type.String(),
  end: Type.String(),
  /** The start in the professional's zone, with its offset. */
  localStart: Type.String(),
  timeZone: Type.String(),
  expiresAt: Type.String(),
})
export type PublicOfferView = Type.Static<typeof PublicOfferView>

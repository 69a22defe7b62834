// Appointments (turnos), cloud module appointments: services, professionals and their hours,
// slots, bookings, the waiting list and booking pages for the staff; the public booking page,
// the client's mailed link and waiting-list offers for people without a session.
import { apiRequest } from './client.js'
import type { Page } from './sites.js'

const A = '/api/appointments'
const enc = encodeURIComponent

export interface Service {
  id: string
  name: string
  description: string | null
  durationMin: number
  bufferBeforeMin: number
  bufferAfterMin: number
  priceMinor: number
  currency: string
  professionalIds: string[]
  archived: boolean
  createdAt: string
}

export interface ServiceBody {
  name: string
  description?: string
  durationMin: number
  bufferBeforeMin?: number
  bufferAfterMin?: number
  priceMinor: number
  currency: string
  professionalIds?: string[]
}

export interface Professional {
  id: string
  name: string
  specialty: string | null
  email: string | null
  timeZone: string
  siteId: string | null
  userId: string | null
  serviceIds: string[]
  hasIcsFeed: boolean
  archived: boolean
  createdAt: string
}

export interface ProfessionalBody {
  name: string
  specialty?: string
  email?: string
  timeZone?: string
  serviceIds?: string[]
}

/** A PATCH of a professional: null clears the specialty or the email. */
export type ProfessionalPatch = Partial<Omit<ProfessionalBody, 'specialty' | 'email'>> & { specialty?: string | null; email?: string | null }

/** Weekday 1 Monday .. 7 Sunday; clocks HH:MM in the professional's zone. */
export interface WeeklyRange {
  weekday: number
  start: string
  end: string
}

export interface Availability {
  professionalId: string
  timeZone: string
  weekly: WeeklyRange[]
}

export interface AvailabilityException {
  id: string
  professionalId: string
  date: string
  kind: 'off' | 'extra' | string
  start: string | null
  end: string | null
  note: string | null
}

export interface ExceptionBody {
  date: string
  kind: 'off' | 'extra'
  start?: string
  end?: string
  note?: string
}

export interface Slot {
  start: string
  end: string
  /** The start on the professional's clock, with its offset: 2026-11-23T09:00:00-03:00. */
  localStart: string
  professionalId: string
}

export type BookingStatus = 'pending' | 'confirmed' | 'completed' | 'cancelled' | 'no_show'

export interface Booking {
  id: string
  serviceId: string
  professionalId: string
  contactId: string
  start: string
  end: string
  localStart: string
  status: BookingStatus
  source: string
  staffApproval: boolean
  priceMinor: number
  currency: string
  notes: string | null
  revision: number
  confirmedAt: string | null
  cancelledAt: string | null
  cancelReason: string | null
  createdAt: string
}

export interface ClientBody {
  name: string
  email?: string
  phone?: string
}

export interface BookingBody {
  serviceId: string
  professionalId: string
  start: string
  contactId?: string
  client?: ClientBody
  notes?: string
}

export interface WaitlistEntry {
  id: string
  serviceId: string
  professionalId: string | null
  contactId: string
  from: string
  to: string
  status: 'waiting' | 'offered' | 'booked' | 'cancelled' | string
  offer: { professionalId: string | null; start: string; expiresAt: string } | null
  bookingId: string | null
  createdAt: string
}

export interface WaitlistBody {
  serviceId: string
  professionalId?: string
  contactId?: string
  client?: ClientBody
  from: string
  to: string
}

export interface BookingPage {
  id: string
  slug: string
  title: string
  serviceIds: string[]
  professionalIds: string[]
  requireConfirmation: boolean
  noShowLimit: number
  minNoticeMin: number
  maxDaysAhead: number
  active: boolean
  createdAt: string
}

export type BookingPageBody = Pick<BookingPage, 'slug' | 'title'> & Partial<Omit<BookingPage, 'id' | 'createdAt' | 'slug' | 'title'>>

/** A CRM contact as the booking form needs it. */
export interface ContactSummary {
  id: string
  name: string
  email: string | null
  phone: string | null
}

// Staff: catalog.
export const fetchServices = (cursor?: string | null): Promise<Page<Service>> => apiRequest(`${A}/services`, { query: { limit: 200, cursor } })
export const createService = (body: ServiceBody): Promise<Service> => apiRequest(`${A}/services`, { method: 'POST', body })
export const patchService = (id: string, body: Partial<ServiceBody>): Promise<Service> => apiRequest(`${A}/services/${enc(id)}`, { method: 'PATCH', body })
export const archiveService = (id: string): Promise<Service> => apiRequest(`${A}/services/${enc(id)}`, { method: 'DELETE' })

export const fetchProfessionals = (cursor?: string | null): Promise<Page<Professional>> => apiRequest(`${A}/professionals`, { query: { limit: 200, cursor } })
export const createProfessional = (body: ProfessionalBody): Promise<Professional> => apiRequest(`${A}/professionals`, { method: 'POST', body })
export const patchProfessional = (id: string, body: ProfessionalPatch): Promise<Professional> =>
  apiRequest(`${A}/professionals/${enc(id)}`, { method: 'PATCH', body })
export const archiveProfessional = (id: string): Promise<Professional> => apiRequest(`${A}/professionals/${enc(id)}`, { method: 'DELETE' })
export const fetchAvailability = (id: string): Promise<Availability> => apiRequest(`${A}/professionals/${enc(id)}/availability`)
export const putAvailability = (id: string, ranges: WeeklyRange[]): Promise<Availability> =>
  apiRequest(`${A}/professionals/${enc(id)}/availability`, { method: 'PUT', body: { ranges } })
export const fetchExceptions = (professionalId: string, from?: string): Promise<Page<AvailabilityException>> =>
  apiRequest(`${A}/exceptions`, { query: { professionalId, from, limit: 200 } })
export const addException = (professionalId: string, body: ExceptionBody): Promise<AvailabilityException> =>
  apiRequest(`${A}/professionals/${enc(professionalId)}/exceptions`, { method: 'POST', body })
export const removeException = (id: string): Promise<AvailabilityException> => apiRequest(`${A}/exceptions/${enc(id)}`, { method: 'DELETE' })
export const rotateIcsFeed = (id: string): Promise<{ token: string; path: string }> => apiRequest(`${A}/professionals/${enc(id)}/ics-token`, { method: 'POST' })

// Staff: slots and bookings.
export const fetchSlots = (q: { serviceId: string; professionalId?: string; from: string; to: string }): Promise<{ serviceId: string; slots: Slot[] }> =>
  apiRequest(`${A}/slots`, { query: q })
export const fetchBookings = (q: { professionalId?: string; contactId?: string; status?: BookingStatus; from?: string; to?: string; cursor?: string | null }): Promise<Page<Booking>> =>
  apiRequest(`${A}/bookings`, { query: { ...q, limit: 500 } })
export const createBooking = (body: BookingBody, idempotencyKey: string): Promise<Booking> =>
  apiRequest(`${A}/bookings`, { method: 'POST', body, headers: { 'Idempotency-Key': idempotencyKey } })
export type BookingAction = 'confirm' | 'complete' | 'no-show' | 'cancel'
export const bookingAction = (id: string, action: BookingAction, reason?: string): Promise<Booking> =>
  apiRequest(`${A}/bookings/${enc(id)}/${action}`, { method: 'POST', body: reason ? { reason } : {} })
export const rescheduleBooking = (id: string, start: string, professionalId?: string): Promise<Booking> =>
  apiRequest(`${A}/bookings/${enc(id)}/reschedule`, { method: 'POST', body: professionalId ? { start, professionalId } : { start } })
export const fetchNoShows = (contactId: string): Promise<{ contactId: string; noShows: number; lastNoShowAt: string | null }> =>
  apiRequest(`${A}/contacts/${enc(contactId)}/no-shows`)

// Staff: waiting list and booking pages.
export const fetchWaitlist = (status?: string): Promise<Page<WaitlistEntry>> => apiRequest(`${A}/waitlist`, { query: { status, limit: 200 } })
export const createWaitlistEntry = (body: WaitlistBody): Promise<WaitlistEntry> => apiRequest(`${A}/waitlist`, { method: 'POST', body })
export const cancelWaitlistEntry = (id: string): Promise<WaitlistEntry> => apiRequest(`${A}/waitlist/${enc(id)}`, { method: 'DELETE' })
export const fetchBookingPages = (): Promise<Page<BookingPage>> => apiRequest(`${A}/booking-pages`, { query: { limit: 200 } })
export const createBookingPage = (body: BookingPageBody): Promise<BookingPage> => apiRequest(`${A}/booking-pages`, { method: 'POST', body })
export const patchBookingPage = (id: string, body: Partial<BookingPageBody>): Promise<BookingPage> =>
  apiRequest(`${A}/booking-pages/${enc(id)}`, { method: 'PATCH', body })
export const deleteBookingPage = (id: string): Promise<BookingPage> => apiRequest(`${A}/booking-pages/${enc(id)}`, { method: 'DELETE' })

// Staff: the clients are the CRM's contacts.
export const searchContacts = (q: string): Promise<Page<ContactSummary>> => apiRequest('/api/crm/contacts', { query: { q, limit: 8 } })
export const fetchContact = (id: string): Promise<ContactSummary> => apiRequest(`/api/crm/contacts/${enc(id)}`)

// Public: no session, no token (a staff member's session open in the same browser is not theirs to use).
export interface PublicPage {
  slug: string
  title: string
  organization: string
  services: { id: string; name: string; description: string | null; durationMin: number; priceMinor: number; currency: string }[]
  professionals: { id: string; name: string; specialty: string | null; serviceIds: string[] }[]
}

export interface PublicBooking {
  id: string
  status: BookingStatus
  start: string
  end: string
  localStart: string
  service: string
  professional: string
  /** The centre confirms it (the page asks for it, or the client's no-shows); the client's link cannot. */
  staffApproval: boolean
}

/** A waiting-list offer before it is taken; of the client, only the first name. */
export interface PublicOffer {
  state: 'open' | 'taken' | 'expired' | 'booked'
  organization: string
  clientFirstName: string
  service: string
  durationMin: number
  professional: string
  start: string
  end: string
  /** The start in the professional's zone, with its offset. */
  localStart: string
  timeZone: string
  expiresAt: string
}

export interface PublicBookingBody {
  serviceId: string
  professionalId?: string
  start: string
  client: { name: string; email: string; phone?: string }
  notes?: string
  /** The honeypot: people never see it, so it goes empty. */
  website?: string
}

const P = '/api/public'
export const fetchPublicPage = (slug: string): Promise<PublicPage> => apiRequest(`${P}/booking/${enc(slug)}`, { anonymous: true })
export const fetchPublicSlots = (slug: string, q: { serviceId: string; professionalId?: string; from: string; to: string }): Promise<{ serviceId: string; slots: Slot[] }> =>
  apiRequest(`${P}/booking/${enc(slug)}/slots`, { anonymous: true, query: q })
export const bookPublic = (slug: string, body: PublicBookingBody, idempotencyKey: string): Promise<PublicBooking> =>
  apiRequest(`${P}/booking/${enc(slug)}/bookings`, { anonymous: true, method: 'POST', body, headers: { 'Idempotency-Key': idempotencyKey } })
export const fetchLinkedBooking = (token: string): Promise<PublicBooking> => apiRequest(`${P}/appointments/bookings/${enc(token)}`, { anonymous: true })
export const linkedBookingAction = (token: string, action: 'confirm' | 'cancel'): Promise<PublicBooking> =>
  apiRequest(`${P}/appointments/bookings/${enc(token)}/${action}`, { anonymous: true, method: 'POST' })
export const fetchOffer = (token: string): Promise<PublicOffer> => apiRequest(`${P}/appointments/offers/${enc(token)}`, { anonymous: true })
export const acceptOffer = (token: string): Promise<PublicBooking> => apiRequest(`${P}/appointments/offers/${enc(token)}/accept`, { anonymous: true, method: 'POST' })

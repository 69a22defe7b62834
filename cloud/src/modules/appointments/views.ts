import { localIso } from '../reports/zone.js'
import { clockOf } from './parse.js'
import type { BookingPageView, BookingView, ExceptionView, ProfessionalView, ServiceView, WaitlistView } from './schema.js'
import type { BookingPageRow, BookingRow, ExceptionRow, ProfessionalRow, ServiceRow, WaitlistRow } from './tables.js'

/** Rows to API shapes: ISO instants in UTC, camelCase, money as integer minor units. */

const iso = (d: Date): string => d.toISOString()
const isoOrNull = (d: Date | null): string | null => (d ? d.toISOString() : null)
const jsonArray = (v: unknown): string[] => (Array.isArray(v) ? (v as string[]) : typeof v === 'string' ? (JSON.parse(v) as string[]) : [])

export function serviceView(row: ServiceRow, professionalIds: string[]): ServiceView {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    durationMin: row.duration_min,
    bufferBeforeMin: row.buffer_before_min,
    bufferAfterMin: row.buffer_after_min,
    priceMinor: Number(row.price_minor),
    currency: row.currency,
    professionalIds,
    archived: row.archived_at !== null,
    createdAt: iso(row.created_at),
  }
}

export function professionalView(row: ProfessionalRow, serviceIds: string[]): ProfessionalView {
  return {
    id: row.id,
    name: row.name,
    specialty: row.specialty,
    email: row.email,
    timeZone: row.time_zone,
    siteId: row.site_id,
    userId: row.user_id,
    serviceIds,
    hasIcsFeed: row.ics_token_hash !== null,
    archived: row.archived_at !== null,
    createdAt: iso(row.created_at),
  }
}

export function exceptionView(row: ExceptionRow): ExceptionView {
  return {
    id: row.id,
    professionalId: row.professional_id,
    date: row.date,
    kind: row.kind,
    start: row.start_min === null ? null : clockOf(row.start_min),
    end: row.end_min === null ? null : clockOf(row.end_min),
    note: row.note,
  }
}

export function bookingView(row: BookingRow, timeZone: string): BookingView {
  return {
    id: row.id,
    serviceId: row.service_id,
    professionalId: row.professional_id,
    contactId: row.contact_id,
    start: iso(row.starts_at),
    end: iso(row.ends_at),
    localStart: localIso(row.starts_at.getTime(), timeZone),
    blockedFrom: iso(row.blocked_from),
    blockedTo: iso(row.blocked_to),
    status: row.status,
    source: row.source,
    staffApproval: row.staff_approval,
    priceMinor: Number(row.price_minor),
    currency: row.currency,
    notes: row.notes,
    revision: row.revision,
    confirmedAt: isoOrNull(row.confirmed_at),
    cancelledAt: isoOrNull(row.cancelled_at),
    cancelReason: row.cancel_reason,
    createdAt: iso(row.created_at),
  }
}

export function waitlistView(row: WaitlistRow): WaitlistView {
  return {
    id: row.id,
    serviceId: row.service_id,
    professionalId: row.professional_id,
    contactId: row.contact_id,
    from: iso(row.from_at),
    to: iso(row.to_at),
    status: row.status,
    offer:
      row.offer_starts_at && row.offer_expires_at
        ? { professionalId: row.offer_professional_id, start: iso(row.offer_starts_at), expiresAt: iso(row.offer_expires_at) }
        : null,
    bookingId: row.booking_id,
    createdAt: iso(row.created_at),
  }
}

export function pageView(row: BookingPageRow): BookingPageView {
  return {
    id: row.id,
    slug: row.slug,
    title: row.title,
    serviceIds: jsonArray(row.service_ids),
    professionalIds: jsonArray(row.professional_ids),
    requireConfirmation: row.require_confirmation,
    noShowLimit: row.no_show_limit,
    minNoticeMin: row.min_notice_min,
    maxDaysAhead: row.max_days_ahead,
    active: row.active,
    createdAt: iso(row.created_at),
  }
}

export { jsonArray }

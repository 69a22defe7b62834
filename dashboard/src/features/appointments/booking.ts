// The logic of the booking forms that needs no DOM: the checks the cloud's schema makes
// (said first, on the field), slots grouped by the professional's day, error wording.
import { ApiError } from '../../api/client.js'
import type { Slot } from '../../api/appointments.js'
import { errorMessageKey } from '../../i18n/index.js'
import { splitLocal } from './clock.js'

export type ClientField = 'name' | 'email' | 'phone'
export type ClientProblems = Partial<Record<ClientField, string>>

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/
const PHONE = /^[+0-9 ()-]{6,32}$/

/** The public page's client: a name of 2+ letters, an email (the link goes there), an optional phone. */
export function checkClient(client: { name: string; email: string; phone: string }, emailRequired = true): ClientProblems {
  const problems: ClientProblems = {}
  if (client.name.trim().length < 2) problems.name = 'booking.errors.name'
  const email = client.email.trim()
  if (email ? !EMAIL.test(email) : emailRequired) problems.email = 'booking.errors.email'
  const phone = client.phone.trim()
  if (phone && !PHONE.test(phone)) problems.phone = 'booking.errors.phone'
  return problems
}

export interface SlotDay {
  /** The professional's calendar date, YYYY-MM-DD. */
  date: string
  slots: (Slot & { time: string })[]
}

/**
 * Slots by the professional's day and time. With "any professional" several may be free at
 * one time: the first is kept, and the cloud books whoever is free when it arrives.
 */
export function slotsByDay(slots: readonly Slot[], anyProfessional: boolean): SlotDay[] {
  const days = new Map<string, SlotDay>()
  const seen = new Set<string>()
  for (const slot of [...slots].sort((a, b) => a.start.localeCompare(b.start))) {
    const key = anyProfessional ? slot.start : `${slot.start}|${slot.professionalId}`
    if (seen.has(key)) continue
    seen.add(key)
    const { date, time } = splitLocal(slot.localStart)
    let day = days.get(date)
    if (!day) days.set(date, (day = { date, slots: [] }))
    day.slots.push({ ...slot, time })
  }
  return [...days.values()]
}

const BOOKING_CODES = [
  'SLOT_TAKEN',
  'SLOT_UNAVAILABLE',
  'RATE_LIMITED',
  'APPT_REFUSED',
  'APPT_LINK_INVALID',
  'APPT_NEEDS_STAFF',
  'APPT_OFFER_EXPIRED',
  'APPT_BAD_TRANSITION',
  'APPT_BOOKING_PAGE_NOT_FOUND',
  'APPT_IN_USE',
  'APPT_SLUG_TAKEN',
  'APPT_SERVICE_NOT_OFFERED',
  'VALIDATION',
] as const

/** i18n key for a failure of the appointments requests (public and staff). */
export function bookingErrorKey(err: unknown): string {
  const code = err instanceof ApiError ? err.code : 'UNKNOWN'
  return (BOOKING_CODES as readonly string[]).includes(code) ? `booking.apiErrors.${code}` : errorMessageKey(code)
}

export const isSlotTaken = (err: unknown): boolean => err instanceof ApiError && err.code === 'SLOT_TAKEN'

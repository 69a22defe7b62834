// Checks of the setup forms (services, hours, booking pages), said on the field before the
// cloud would refuse them, and the conversions their inputs need.
import type { WeeklyRange } from '../../api/appointments.js'

export const CURRENCIES = ['ARS', 'COP', 'USD', 'UYU', 'CLP', 'MXN', 'PEN', 'BRL', 'EUR'] as const
const MINOR_DIGITS: Record<string, number> = { CLP: 0 }

/** "1.500,50" or "1500.5" → 150050 minor units; null when it is not an amount. */
export function toMinor(text: string, currency: string): number | null {
  const s = text.trim().replace(/[\s$]/g, '')
  if (!/^\d+(?:[.,]\d{3})*(?:[.,]\d{1,2})?$/.test(s)) return null
  // A last separator followed by 1-2 digits is the decimal one; the others group thousands.
  const m = /^(.*)[.,](\d{1,2})$/.exec(s)
  const whole = (m ? m[1]! : s).replace(/[.,]/g, '')
  const fraction = (m ? m[2]! : '').padEnd(2, '0')
  const digits = MINOR_DIGITS[currency] ?? 2
  const minor = Number(whole) * 100 + Number(fraction)
  return digits === 2 ? minor : Math.round(minor / 100)
}

export type ServiceField = 'name' | 'duration' | 'before' | 'after' | 'price'

const intIn = (text: string, min: number, max: number) => /^\d+$/.test(text.trim()) && Number(text) >= min && Number(text) <= max

export function checkService(f: { name: string; duration: string; before: string; after: string; price: string; currency: string }): Partial<Record<ServiceField, string>> {
  const p: Partial<Record<ServiceField, string>> = {}
  if (!f.name.trim()) p.name = 'appointments.services.errors.name'
  if (!intIn(String(f.duration), 5, 720)) p.duration = 'appointments.services.errors.duration'
  if (!intIn(String(f.before), 0, 240)) p.before = 'appointments.services.errors.buffer'
  if (!intIn(String(f.after), 0, 240)) p.after = 'appointments.services.errors.buffer'
  if (toMinor(String(f.price), f.currency) === null) p.price = 'appointments.services.errors.price'
  return p
}

const CLOCK = /^([01]\d|2[0-3]):[0-5]\d$|^24:00$/
const minutes = (clock: string) => Number(clock.slice(0, 2)) * 60 + Number(clock.slice(3, 5))

/** Indexes of the weekly ranges that are not a valid HH:MM span. */
export function badRanges(ranges: readonly WeeklyRange[]): number[] {
  return ranges.flatMap((r, i) => (CLOCK.test(r.start) && CLOCK.test(r.end) && minutes(r.end) > minutes(r.start) ? [] : [i]))
}

export const SLUG = /^[a-z0-9](?:[a-z0-9-]{1,62}[a-z0-9])$/

/** "Turnos Clínica San Martín" → "turnos-clinica-san-martin". */
export function slugify(title: string): string {
  return title
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64)
    .replace(/-+$/, '')
}

export type PageField = 'title' | 'slug' | 'minNotice' | 'maxDaysAhead' | 'noShowLimit'
export type PageProblems = Partial<Record<PageField, string>>

/** A booking page's form, checked as the cloud would (the slug only when creating: it is fixed afterwards). */
export function checkPage(f: { title: string; slug: string; minNotice: string; maxDaysAhead: string; noShowLimit: string }, withSlug: boolean): PageProblems {
  const p: PageProblems = {}
  if (!f.title.trim()) p.title = 'appointments.pages.errors.title'
  if (withSlug && !SLUG.test(f.slug)) p.slug = 'appointments.pages.errors.slug'
  if (!intIn(String(f.minNotice), 0, 43200)) p.minNotice = 'appointments.pages.errors.minNotice'
  if (!intIn(String(f.maxDaysAhead), 1, 365)) p.maxDaysAhead = 'appointments.pages.errors.maxDaysAhead'
  if (!intIn(String(f.noShowLimit), 0, 100)) p.noShowLimit = 'appointments.pages.errors.noShowLimit'
  return p
}

import { AppError } from '../../errors.js'

/** Request values the schema leaves as strings (see schema.ts), checked here with a field name. */

const INSTANT_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/
const DATE_RE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/
const CLOCK_RE = /^(([01]\d|2[0-3]):([0-5]\d)|24:00)$/

const invalid = (field: string, what: string): AppError => new AppError('VALIDATION', 400, `${field}: ${what}`)

/** Epoch ms of an ISO 8601 instant that names its zone (a bare local time would be ambiguous). */
export function parseInstant(field: string, value: string): number {
  const ms = INSTANT_RE.test(value) ? Date.parse(value) : NaN
  if (!Number.isFinite(ms)) throw invalid(field, 'an ISO 8601 instant with a zone, e.g. 2026-11-23T09:00:00-03:00')
  return ms
}

export function parseDate(field: string, value: string): string {
  if (!DATE_RE.test(value) || new Date(`${value}T00:00:00Z`).toISOString().slice(0, 10) !== value) throw invalid(field, 'a date, YYYY-MM-DD')
  return value
}

/** Minutes from local midnight of HH:MM (24:00 is 1440). */
export function parseClock(field: string, value: string): number {
  const m = CLOCK_RE.exec(value)
  if (!m) throw invalid(field, 'a time of day, HH:MM')
  if (value === '24:00') return 1440
  return Number(value.slice(0, 2)) * 60 + Number(value.slice(3, 5))
}

export const clockOf = (minutes: number): string => `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`

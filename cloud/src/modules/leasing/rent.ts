import { mulDivRound } from '../common/money.js'

/**
 * The rent of a lease, day by day and month by month: pure arithmetic, no database.
 * Dates are ISO `YYYY-MM-DD` strings (calendar days, no time zone); a period is `YYYY-MM`.
 *
 * Rules (README.md has them with examples):
 * - The rent in force on a day comes from the last rent step on or before it (the lease's
 *   start, or an extension at a new rent), then escalation from that step's date.
 * - Percentage escalation compounds: at each adjustment date the rent becomes
 *   rent × (10000 + bp) / 10000, rounded to the minor unit half away from zero.
 * - Index escalation: rent = base × index(last adjustment date) / index(step date), one
 *   rounding. index(d) is the table's value on d or the latest one before it.
 * - Adjustment dates are `from`, from + N months, from + 2N... (a 31st clamps to the
 *   month's end). Only those after the step's date count: a date equal to it adjusts nothing.
 * - A month is charged by days: each run of days at one rent is charged
 *   rent × days / days-in-month, rounded per run. A month fully inside the lease at one rent
 *   is charged exactly the rent. So an escalation date in mid-month splits the month by
 *   days at the old and the new rent, and a start or an end (or a termination) in
 *   mid-month charges only the days the lease holds the space.
 */

export type Escalation =
  | { kind: 'none' }
  | { kind: 'percent'; percentBp: number; everyMonths: number; from: string }
  | { kind: 'index'; tableId: string; everyMonths: number; from: string }

export interface RentStep {
  effectiveOn: string
  rentMinor: number
}

export interface IndexValue {
  onDate: string
  valueMicro: number
}

export interface RentTerms {
  startsOn: string
  /** The last day charged: the end date, or the termination date when earlier. */
  lastDay: string
  steps: RentStep[]
  escalation: Escalation
  /** The index table's values, ascending by date (index escalation only). */
  index?: IndexValue[]
}

export interface RentSegment {
  from: string
  to: string
  days: number
  rentMinor: number
  amountMinor: number
}

export interface MonthRent {
  period: string
  amountMinor: number
  daysInMonth: number
  segments: RentSegment[]
}

const DATE_RE = /^(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/
const PERIOD_RE = /^(\d{4})-(0[1-9]|1[0-2])$/

export function isIsoDate(value: string): boolean {
  const m = DATE_RE.exec(value)
  if (!m) return false
  return Number(m[3]) <= daysInMonth(Number(m[1]), Number(m[2]))
}

export const isPeriod = (value: string): boolean => PERIOD_RE.test(value)

export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate()
}

const toUtc = (date: string): number => Date.UTC(Number(date.slice(0, 4)), Number(date.slice(5, 7)) - 1, Number(date.slice(8, 10)))
const fromUtc = (ms: number): string => new Date(ms).toISOString().slice(0, 10)

export function addDays(date: string, days: number): string {
  return fromUtc(toUtc(date) + days * 86_400_000)
}

/** Days from a to b (b - a). */
export function daysBetween(a: string, b: string): number {
  return Math.round((toUtc(b) - toUtc(a)) / 86_400_000)
}

/** The same day n months later, clamped to the end of a shorter month (Jan 31 + 1 = Feb 28/29). */
export function addMonths(date: string, months: number): string {
  const y = Number(date.slice(0, 4))
  const m = Number(date.slice(5, 7)) - 1 + months
  const year = y + Math.floor(m / 12)
  const month = ((m % 12) + 12) % 12 + 1
  const day = Math.min(Number(date.slice(8, 10)), daysInMonth(year, month))
  return `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`
}

export const periodOf = (date: string): string => date.slice(0, 7)

export function periodBounds(period: string): { first: string; last: string; days: number } {
  const year = Number(period.slice(0, 4))
  const month = Number(period.slice(5, 7))
  const days = daysInMonth(year, month)
  return { first: `${period}-01`, last: `${period}-${String(days).padStart(2, '0')}`, days }
}

export function nextPeriod(period: string): string {
  return addMonths(`${period}-01`, 1).slice(0, 7)
}

/** Index value on `date` or the latest before it; undefined when the table starts later. */
export function indexAt(values: readonly IndexValue[], date: string): number | undefined {
  let lo = 0
  let hi = values.length - 1
  let found: number | undefined
  while (lo <= hi) {
    const mid = (lo + hi) >> 1
    if (values[mid]!.onDate <= date) {
      found = values[mid]!.valueMicro
      lo = mid + 1
    } else hi = mid - 1
  }
  return found
}

/** The adjustment dates after `anchor` and on or before `date`, in order. */
export function adjustmentDates(escalation: Exclude<Escalation, { kind: 'none' }>, anchor: string, date: string): string[] {
  const out: string[] = []
  for (let j = 0; j < 1200; j++) {
    const d = addMonths(escalation.from, j * escalation.everyMonths)
    if (d > date) break
    if (d > anchor) out.push(d)
  }
  return out
}

export class MissingIndexError extends Error {
  constructor(readonly date: string) {
    super(`no index value on or before ${date}`)
  }
}

/** The monthly rent in force on `date`. */
export function rentOn(terms: RentTerms, date: string): number {
  let step = terms.steps[0]!
  for (const s of terms.steps) if (s.effectiveOn <= date) step = s
  const esc = terms.escalation
  if (esc.kind === 'none') return step.rentMinor
  const dates = adjustmentDates(esc, step.effectiveOn, date)
  if (esc.kind === 'percent') {
    let rent = step.rentMinor
    for (let k = 0; k < dates.length; k++) rent = mulDivRound(rent, 10_000 + esc.percentBp, 10_000)
    return rent
  }
  if (dates.length === 0) return step.rentMinor
  const values = terms.index ?? []
  const base = indexAt(values, step.effectiveOn)
  if (base === undefined) throw new MissingIndexError(step.effectiveOn)
  const last = dates[dates.length - 1]!
  const current = indexAt(values, last)!
  return mulDivRound(step.rentMinor, current, base)
}

/** The rent charged for one period, or undefined when the lease holds no day of it. */
export function monthRent(terms: RentTerms, period: string): MonthRent | undefined {
  const { first, last, days } = periodBounds(period)
  const from = terms.startsOn > first ? terms.startsOn : first
  const to = terms.lastDay < last ? terms.lastDay : last
  if (from > to) return undefined
  const segments: RentSegment[] = []
  for (let d = from; d <= to; d = addDays(d, 1)) {
    const rent = rentOn(terms, d)
    const open = segments[segments.length - 1]
    if (open && open.rentMinor === rent) {
      open.to = d
      open.days += 1
    } else segments.push({ from: d, to: d, days: 1, rentMinor: rent, amountMinor: 0 })
  }
  for (const s of segments) s.amountMinor = mulDivRound(s.rentMinor, s.days, days)
  return { period, amountMinor: segments.reduce((a, s) => a + s.amountMinor, 0), daysInMonth: days, segments }
}

/** Every period the lease holds a day of, first to last. */
export function leasePeriods(terms: Pick<RentTerms, 'startsOn' | 'lastDay'>): string[] {
  const out: string[] = []
  for (let p = periodOf(terms.startsOn); p <= periodOf(terms.lastDay); p = nextPeriod(p)) out.push(p)
  return out
}

/**
 * A meter's consumption in thousandths of the billed unit (kWh or m³) between two counter
 * values; litres are thousandths of a m³ already.
 */
export function consumptionMilli(startValue: number, endValue: number, unit: 'kwh' | 'm3' | 'l'): number {
  const delta = endValue - startValue
  return unit === 'l' ? Math.round(delta) : Math.round(delta * 1000)
}

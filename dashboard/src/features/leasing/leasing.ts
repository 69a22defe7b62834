// The leasing views' logic that needs no DOM: amounts typed in the user's locale, the lease
// form's checks, the cloud's errors put on the field they are about, and chart geometry.
import { ApiError } from '../../api/client.js'
import type { Escalation, LeaseCurrency, NewLease } from '../../api/leasing.js'
import { errorMessageKey } from '../../i18n/index.js'

/**
 * A decimal typed in the user's locale as a number of hundredths: "1.234,56" in Spanish,
 * "1,234.56" in English; a bare "1500" or "1500,5" too. Null when it is not a number with
 * at most `digits` decimals. The other locale's decimal mark is refused rather than guessed:
 * "1.5" in Spanish could be 15 or 1,5.
 */
export function parseDecimal(text: string, locale: string, digits = 2): number | null {
  const spanish = locale.startsWith('es')
  const group = spanish ? '.' : ','
  const mark = spanish ? ',' : '.'
  const raw = text.trim().replace(/\s|\u00a0/g, '').replace(/^\$/, '')
  if (!raw) return null
  const [whole = '', fraction = '', ...rest] = raw.split(mark)
  if (rest.length > 0) return null
  // Grouping is optional, but when present it must be in threes.
  const groupRe = new RegExp(`^\\d{1,3}(\\${group}\\d{3})+$`)
  if (!/^\d+$/.test(whole) && !groupRe.test(whole)) return null
  if (fraction && !new RegExp(`^\\d{1,${digits}}$`).test(fraction)) return null
  if (raw.endsWith(mark) && !fraction) return null
  const scaled = Number(whole.split(group).join('')) * 10 ** digits + Number(fraction.padEnd(digits, '0') || 0)
  return Number.isSafeInteger(scaled) ? scaled : null
}

/** Money in minor units from what was typed (both lease currencies have centavos). */
export const parseMoney = (text: string, locale: string): number | null => parseDecimal(text, locale, 2)

/** A percentage typed as "7,5" as basis points (750). */
export const parsePercentBp = (text: string, locale: string): number | null => parseDecimal(text, locale, 2)

export const todayIso = (now = new Date()): string => now.toISOString().slice(0, 10)
export const thisPeriod = (now = new Date()): string => now.toISOString().slice(0, 7)

/** A calendar date (YYYY-MM-DD) as the epoch of its UTC midnight, to format with timeZone UTC. */
export const dateEpoch = (date: string): number => Date.parse(`${date}T00:00:00Z`)
/** A period (YYYY-MM) as the epoch of its first day. */
export const periodEpoch = (period: string): number => Date.parse(`${period}-01T00:00:00Z`)

export function addMonthsToPeriod(period: string, months: number): string {
  const [y, m] = period.split('-').map(Number) as [number, number]
  const index = y * 12 + (m - 1) + months
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`
}

/** One year's lease from a start date: the day before the same date next year. */
export function oneYearFrom(startsOn: string): string {
  const start = new Date(`${startsOn}T00:00:00Z`)
  start.setUTCFullYear(start.getUTCFullYear() + 1)
  start.setUTCDate(start.getUTCDate() - 1)
  return start.toISOString().slice(0, 10)
}

export type LeaseField =
  | 'tenantContactId'
  | 'spaceIds'
  | 'startsOn'
  | 'endsOn'
  | 'rent'
  | 'deposit'
  | 'percent'
  | 'everyMonths'
  | 'escalationFrom'
  | 'tableId'
export type Problems<F extends string> = Partial<Record<F, string>>

export interface LeaseDraft {
  tenantContactId: string
  spaceIds: string[]
  startsOn: string
  endsOn: string
  rent: string
  currency: LeaseCurrency
  deposit: string
  escalationKind: Escalation['kind']
  percent: string
  everyMonths: string
  escalationFrom: string
  tableId: string
}

export const LEASE_FIELD_ORDER: readonly LeaseField[] = ['tenantContactId', 'spaceIds', 'startsOn', 'endsOn', 'rent', 'deposit', 'percent', 'tableId', 'everyMonths', 'escalationFrom']

/**
 * What the form can tell before asking the cloud: every field filled and well formed. The
 * rules that need the cloud's data (dates in order, overlaps, the index table's values) come
 * back from it and land on their fields through `leaseProblemOf`.
 */
export function checkLease(d: LeaseDraft, locale: string): { problems: Problems<LeaseField>; body?: NewLease } {
  const problems: Problems<LeaseField> = {}
  const k = 'leasing.leaseForm.errors.'
  if (!d.tenantContactId) problems.tenantContactId = `${k}tenantRequired`
  if (d.spaceIds.length === 0) problems.spaceIds = `${k}spacesRequired`
  if (!/^\d{4}-\d{2}-\d{2}$/.test(d.startsOn)) problems.startsOn = `${k}dateRequired`
  if (!/^\d{4}-\d{2}-\d{2}$/.test(d.endsOn)) problems.endsOn = `${k}dateRequired`
  const rent = parseMoney(d.rent, locale)
  if (rent === null || rent < 1) problems.rent = `${k}amountInvalid`
  const deposit = d.deposit.trim() ? parseMoney(d.deposit, locale) : 0
  if (deposit === null) problems.deposit = `${k}amountInvalid`
  let escalation: Escalation = { kind: 'none' }
  if (d.escalationKind !== 'none') {
    const every = /^\d+$/.test(d.everyMonths.trim()) ? Number(d.everyMonths) : NaN
    if (!(every >= 1 && every <= 120)) problems.everyMonths = `${k}everyMonths`
    const from = d.escalationFrom.trim() ? { from: d.escalationFrom } : {}
    if (d.escalationKind === 'percent') {
      const bp = parsePercentBp(d.percent, locale)
      if (bp === null || bp < 1 || bp > 10_000) problems.percent = `${k}percentInvalid`
      escalation = { kind: 'percent', percentBp: bp ?? 0, everyMonths: every, ...from }
    } else {
      if (!d.tableId) problems.tableId = `${k}tableRequired`
      escalation = { kind: 'index', tableId: d.tableId, everyMonths: every, ...from }
    }
  }
  if (Object.keys(problems).length > 0) return { problems }
  return {
    problems,
    body: {
      tenantContactId: d.tenantContactId,
      spaceIds: d.spaceIds,
      startsOn: d.startsOn,
      endsOn: d.endsOn,
      rentMinor: rent!,
      currency: d.currency,
      ...(deposit ? { depositMinor: deposit } : {}),
      escalation,
    },
  }
}

/** The cloud's names of a lease body's fields, as the form's. */
const CLOUD_FIELDS: Record<string, LeaseField> = {
  tenantContactId: 'tenantContactId',
  spaceIds: 'spaceIds',
  startsOn: 'startsOn',
  endsOn: 'endsOn',
  rentMinor: 'rent',
  depositMinor: 'deposit',
  'escalation.percentBp': 'percent',
  'escalation.everyMonths': 'everyMonths',
  'escalation.from': 'escalationFrom',
  'escalation.tableId': 'tableId',
}

/**
 * The field a VALIDATION message is about: the service says "endsOn: before startsOn", the
 * schema "body/escalation/percentBp must be ..." (or with a leading slash).
 */
export function cloudFieldOf(message: string): string | null {
  const service = /^([A-Za-z][\w.]*)(?:, [A-Za-z][\w.]*)*:/.exec(message)
  if (service?.[1]) return service[1]
  const schema = /^(?:body)?\/([\w/]+)/.exec(message)
  return schema?.[1] ? schema[1].split('/').filter((p) => !/^\d+$/.test(p)).join('.') : null
}

export interface LeaseProblem {
  field?: LeaseField
  /** An i18n key. */
  key: string
  /** The cloud's own words, shown under the field when no message of ours says it better. */
  detail?: string
}

/** Where a failed lease request's error goes: on its field when it is about one, else above the form. */
export function leaseProblemOf(err: unknown): LeaseProblem {
  if (!(err instanceof ApiError)) return { key: 'errors.UNKNOWN' }
  switch (err.code) {
    case 'LEASING_SPACE_OVERLAP':
      return { field: 'spaceIds', key: 'leasing.errors.LEASING_SPACE_OVERLAP', detail: err.message }
    case 'LEASING_INDEX_MISSING':
      return { field: 'tableId', key: 'leasing.errors.LEASING_INDEX_MISSING', detail: err.message }
    case 'CRM_CONTACT_NOT_FOUND':
    case 'CONTACT_NOT_FOUND':
      return { field: 'tenantContactId', key: 'leasing.errors.contactNotFound' }
    case 'LEASING_SPACE_NOT_FOUND':
      return { field: 'spaceIds', key: 'leasing.errors.LEASING_SPACE_NOT_FOUND' }
    case 'VALIDATION': {
      const cloud = cloudFieldOf(err.message)
      const field = cloud ? CLOUD_FIELDS[cloud] : undefined
      if (cloud === 'endsOn' && /before/.test(err.message)) return { field: 'endsOn', key: 'leasing.errors.endsBeforeStart' }
      if (cloud === 'spaceIds' && /one mall/.test(err.message)) return { field: 'spaceIds', key: 'leasing.errors.spacesOneMall' }
      return field ? { field, key: 'leasing.errors.VALIDATION', detail: err.message } : { key: 'leasing.errors.VALIDATION', detail: err.message }
    }
    default:
      return { key: leasingErrorKey(err) }
  }
}

const OWN_CODES = [
  'LEASING_SPACE_OVERLAP',
  'LEASING_INDEX_MISSING',
  'LEASING_IN_USE',
  'LEASING_DUPLICATE',
  'LEASING_LEASE_CLOSED',
  'LEASING_CHARGE_NOT_IN_REVIEW',
  'LEASING_NO_TARIFF',
  'LEASING_MALL_NOT_FOUND',
  'LEASING_ZONE_NOT_FOUND',
  'LEASING_SPACE_NOT_FOUND',
  'LEASING_LEASE_NOT_FOUND',
  'LEASING_CHARGE_NOT_FOUND',
  'LEASING_INCIDENT_NOT_FOUND',
  'VALIDATION',
  'FORBIDDEN',
] as const

/** i18n key for a failure of a leasing request. */
export function leasingErrorKey(err: unknown): string {
  const code = err instanceof ApiError ? err.code : 'UNKNOWN'
  return (OWN_CODES as readonly string[]).includes(code) ? `leasing.errors.${code}` : errorMessageKey(code)
}

/** The cloud's words after a VALIDATION answer (they name the field and the rule). */
export const errorDetail = (err: unknown): string | undefined => (err instanceof ApiError && err.code === 'VALIDATION' ? err.message : undefined)

export interface Bar {
  key: string
  label: string
  pct: number
  /** Bar length in the chart's units (0-`width`). */
  length: number
  y: number
}

/** Horizontal bars of occupied percentage, one row each: `rowHeight` units tall. */
export function occupancyBars(rows: readonly { key: string; name: string; occupiedPct: number }[], width: number, rowHeight: number): Bar[] {
  return rows.map((r, i) => ({
    key: r.key,
    label: r.name,
    pct: r.occupiedPct,
    length: Math.max(0, Math.min(width, (r.occupiedPct / 100) * width)),
    y: i * rowHeight,
  }))
}

/** Replaces the item with the same id, or puts a new one first. */
export function upsertById<T extends { id: string }>(list: readonly T[], item: T): T[] {
  const at = list.findIndex((x) => x.id === item.id)
  if (at === -1) return [item, ...list]
  const next = [...list]
  next[at] = item
  return next
}

/** Appends a page, skipping items already shown. */
export function appendPage<T extends { id: string }>(list: readonly T[], page: readonly T[]): T[] {
  const seen = new Set(list.map((x) => x.id))
  return [...list, ...page.filter((x) => !seen.has(x.id))]
}

/** A fresh Idempotency-Key for one lease submission (kept while the same draft is retried). */
export const newIdempotencyKey = (): string =>
  typeof crypto !== 'undefined' && 'randomUUID' in crypto ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(16).slice(2)}`

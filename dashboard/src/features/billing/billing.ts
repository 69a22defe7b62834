// The billing views' logic that needs no DOM: amounts and quantities typed in the user's
// locale as integers, an invoice's totals computed exactly as the cloud computes them, the
// form's checks, the cloud's refusals put on the field they are about, and chart geometry.
// No float ever takes part in money arithmetic: minor units are integers, products go
// through BigInt.
import { ApiError } from '../../api/client.js'
import type { AgingBucket, BillingCurrency, BucketAmounts, NewInvoice, NewLine, TaxRow } from '../../api/billing.js'
import { AGING_BUCKETS } from '../../api/billing.js'
import { errorMessageKey } from '../../i18n/index.js'

/** ISO 4217 minor-unit digits of the currencies the cloud bills in (common/money.ts). */
export const CURRENCY_DIGITS: Record<BillingCurrency, number> = { ARS: 2, USD: 2, COP: 2, UYU: 2, CLP: 0, MXN: 2, PEN: 2, BRL: 2, EUR: 2 }
export const digitsOf = (currency: string): number => CURRENCY_DIGITS[currency as BillingCurrency] ?? 2

/** The IVA rates offered, in basis points: Argentina's 21 %, 10,5 % and 27 %, Colombia's 19 %, exempt. */
export const IVA_RATES = [2100, 1050, 2700, 1900, 0] as const

/**
 * A decimal typed in the user's locale, scaled to an integer with `digits` decimals:
 * "1.234,56" in Spanish, "1,234.56" in English; bare "1500" or "1500,5" too. Null when it is
 * not such a number. The other locale's decimal mark is refused rather than guessed: "1.5"
 * in Spanish could be 15 or 1,5.
 */
export function parseDecimal(text: string, locale: string, digits: number): number | null {
  const spanish = locale.startsWith('es')
  const group = spanish ? '.' : ','
  const mark = spanish ? ',' : '.'
  const raw = text.trim().replace(/\s|\u00a0/g, '').replace(/^(US)?\$/, '')
  if (!raw) return null
  const [whole = '', fraction = '', ...rest] = raw.split(mark)
  if (rest.length > 0) return null
  if (digits === 0 && raw.includes(mark)) return null
  const groupRe = new RegExp(`^\\d{1,3}(\\${group}\\d{3})+$`)
  if (!/^\d+$/.test(whole) && !groupRe.test(whole)) return null
  if (fraction && !new RegExp(`^\\d{1,${digits}}$`).test(fraction)) return null
  if (raw.endsWith(mark) && !fraction) return null
  const scaled = BigInt(whole.split(group).join('')) * 10n ** BigInt(digits) + BigInt(fraction.padEnd(digits, '0') || '0')
  return scaled <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(scaled) : null
}

/** An amount in the currency's minor units ("1.234,56" ARS → 123456; "1.234" CLP → 1234). */
export const parseAmount = (text: string, locale: string, currency: string): number | null => parseDecimal(text, locale, digitsOf(currency))

/** A quantity in thousandths ("1,5" → 1500), as the cloud counts it. */
export const parseQuantity = (text: string, locale: string): number | null => parseDecimal(text, locale, 3)

/** Minor units as the plain decimal one would type back in the locale: 123456 ARS → "1234,56". */
export function amountInput(minor: number, currency: string, locale: string): string {
  const digits = digitsOf(currency)
  const sign = minor < 0 ? '-' : ''
  const text = String(Math.abs(minor)).padStart(digits + 1, '0')
  if (digits === 0) return sign + text
  return `${sign}${text.slice(0, -digits)}${locale.startsWith('es') ? ',' : '.'}${text.slice(-digits)}`
}

/** a × num / den rounded half away from zero, exactly (BigInt inside), like the cloud's mulDivRound. */
export function mulDivRound(a: number, num: number, den: number): number {
  const p = BigInt(a) * BigInt(num)
  const d = BigInt(den)
  const negative = p < 0n !== d < 0n
  const ap = p < 0n ? -p : p
  const ad = d < 0n ? -d : d
  const q = (ap * 2n + ad) / (ad * 2n)
  return Number(negative ? -q : q)
}

/** qty (thousandths) × unit price, to the minor unit. */
export const lineNet = (quantityMilli: number, unitMinor: number): number => mulDivRound(quantityMilli, unitMinor, 1000)
/** Tax of one line's net at a rate in basis points. */
export const taxOf = (netMinor: number, rateBp: number): number => mulDivRound(netMinor, rateBp, 10_000)

export interface InvoiceTotals {
  lines: { netMinor: number; taxMinor: number }[]
  netMinor: number
  taxMinor: number
  totalMinor: number
  /** Net and tax per rate, highest rate first (as the cloud's invoice shows them). */
  taxes: TaxRow[]
}

/** The cloud's rule: each line's net and tax rounded once, half away from zero; totals are integer sums. */
export function computeTotals(lines: readonly Pick<NewLine, 'quantityMilli' | 'unitMinor' | 'taxRateBp'>[]): InvoiceTotals {
  const perRate = new Map<number, TaxRow>()
  let net = 0
  let tax = 0
  const out = lines.map((l) => {
    const netMinor = lineNet(l.quantityMilli, l.unitMinor)
    const taxMinor = taxOf(netMinor, l.taxRateBp)
    net += netMinor
    tax += taxMinor
    const row = perRate.get(l.taxRateBp) ?? { rateBp: l.taxRateBp, netMinor: 0, taxMinor: 0 }
    row.netMinor += netMinor
    row.taxMinor += taxMinor
    perRate.set(l.taxRateBp, row)
    return { netMinor, taxMinor }
  })
  return { lines: out, netMinor: net, taxMinor: tax, totalMinor: net + tax, taxes: [...perRate.values()].sort((a, b) => b.rateBp - a.rateBp) }
}

export interface LineDraft {
  /** Stable key for the list (lines are added and removed). */
  key: number
  description: string
  quantity: string
  unit: string
  taxRateBp: number
}

export interface InvoiceDraft {
  contactId: string
  currency: BillingCurrency
  issueDate: string
  dueDate: string
  notes: string
  lines: LineDraft[]
}

/** A field of the invoice form: `contactId`, `dueDate`, `lines` or `lines.<key>.<quantity|unit|description>`. */
export type Problems = Record<string, string>

/** The lines that parse, with their totals: what the form shows while typing (the rest count as nothing yet). */
export function liveTotals(draft: Pick<InvoiceDraft, 'lines' | 'currency'>, locale: string): InvoiceTotals {
  return computeTotals(
    draft.lines.map((l) => ({
      quantityMilli: parseQuantity(l.quantity, locale) ?? 0,
      unitMinor: parseAmount(l.unit, locale, draft.currency) ?? 0,
      taxRateBp: l.taxRateBp,
    })),
  )
}

const K = 'billing.form.errors.'
const DAY = /^\d{4}-\d{2}-\d{2}$/

/** What the form can tell before asking the cloud; the cloud's own refusals come back through `invoiceProblemOf`. */
export function checkInvoice(d: InvoiceDraft, locale: string): { problems: Problems; body?: Omit<NewInvoice, 'post'> } {
  const problems: Problems = {}
  if (!d.contactId) problems.contactId = `${K}customerRequired`
  if (!DAY.test(d.issueDate)) problems.issueDate = `${K}dateRequired`
  if (!DAY.test(d.dueDate)) problems.dueDate = `${K}dateRequired`
  else if (DAY.test(d.issueDate) && d.dueDate < d.issueDate) problems.dueDate = `${K}dueBeforeIssue`
  if (d.lines.length === 0) problems.lines = `${K}linesRequired`
  const lines: NewLine[] = []
  for (const l of d.lines) {
    const description = l.description.trim()
    if (!description) problems[`lines.${l.key}.description`] = `${K}descriptionRequired`
    else if (description.length > 500) problems[`lines.${l.key}.description`] = `${K}descriptionLong`
    const quantityMilli = parseQuantity(l.quantity, locale)
    if (quantityMilli === null || quantityMilli < 1 || quantityMilli > 1_000_000_000) problems[`lines.${l.key}.quantity`] = `${K}quantityInvalid`
    const unitMinor = parseAmount(l.unit, locale, d.currency)
    if (unitMinor === null) problems[`lines.${l.key}.unit`] = digitsOf(d.currency) === 0 ? `${K}amountWhole` : `${K}amountInvalid`
    lines.push({ description, quantityMilli: quantityMilli ?? 0, unitMinor: unitMinor ?? 0, taxRateBp: l.taxRateBp })
  }
  if (Object.keys(problems).length > 0) return { problems }
  const notes = d.notes.trim()
  return { problems, body: { contactId: d.contactId, currency: d.currency, issueDate: d.issueDate, dueDate: d.dueDate, lines, ...(notes ? { notes } : {}) } }
}

/** The order the form's fields come in, to focus the first one with a problem. */
export function fieldOrder(d: Pick<InvoiceDraft, 'lines'>): string[] {
  return ['contactId', 'issueDate', 'dueDate', 'lines', ...d.lines.flatMap((l) => ['description', 'quantity', 'unit', 'rate'].map((f) => `lines.${l.key}.${f}`))]
}

/**
 * The field a VALIDATION message is about: the service says "dueDate: must not be before
 * issueDate", the schema "body/lines/0/unitMinor must be ..." (or with a leading slash).
 */
export function cloudFieldOf(message: string): string | null {
  const service = /^([A-Za-z][\w.[\]]*):/.exec(message)
  if (service?.[1]) return service[1].replace(/\[(\d+)\]/g, '.$1')
  const schema = /^(?:body)?\/([\w/]+)/.exec(message)
  return schema?.[1] ? schema[1].split('/').join('.') : null
}

const LINE_FIELDS: Record<string, string> = { quantityMilli: 'quantity', unitMinor: 'unit', description: 'description', taxRateBp: 'rate' }

export interface FieldProblem {
  field?: string
  /** An i18n key. */
  key: string
  /** The cloud's own words, shown next to ours. */
  detail?: string
}

/** Where a refused invoice goes: on its field (a line's by its key) when it is about one, else above the form. */
export function invoiceProblemOf(err: unknown, lineKeys: readonly number[]): FieldProblem {
  if (!(err instanceof ApiError)) return { key: 'errors.UNKNOWN' }
  switch (err.code) {
    case 'CONTACT_NOT_FOUND':
    case 'CRM_CONTACT_NOT_FOUND':
      return { field: 'contactId', key: 'billing.errors.CONTACT_NOT_FOUND' }
    case 'INVOICE_EMPTY':
      return { field: 'lines', key: `${K}linesRequired` }
    case 'MONEY_OVERFLOW':
      return { field: 'lines', key: 'billing.errors.MONEY_OVERFLOW', detail: err.message }
    case 'VALIDATION': {
      const cloud = cloudFieldOf(err.message)
      if (cloud === 'dueDate' && /before/.test(err.message)) return { field: 'dueDate', key: `${K}dueBeforeIssue` }
      if (cloud === 'issueDate' || cloud === 'dueDate' || cloud === 'contactId') return { field: cloud, key: 'billing.errors.VALIDATION', detail: err.message }
      const line = cloud ? /^lines\.(\d+)\.(\w+)/.exec(cloud) : null
      const key = line ? lineKeys[Number(line[1])] : undefined
      const part = line ? LINE_FIELDS[line[2]!] : undefined
      if (key !== undefined && part) return { field: `lines.${key}.${part}`, key: 'billing.errors.VALIDATION', detail: err.message }
      return { key: 'billing.errors.VALIDATION', detail: err.message }
    }
    default:
      return { key: billingErrorKey(err) }
  }
}

/**
 * Where a refused payment or allocation goes. Over-allocation names the side that ran out:
 * the payment (its amount field) or an invoice (the rows asking more than that invoice's
 * open balance as last seen, else the allocations as a whole).
 */
export function allocationProblemOf(err: unknown, rows: readonly { invoiceId: string; amountMinor: number; openMinor: number }[]): FieldProblem & { fields?: string[] } {
  if (!(err instanceof ApiError)) return { key: 'errors.UNKNOWN' }
  if (err.code === 'ALLOCATION_EXCEEDS_BALANCE') {
    if (/payment/.test(err.message)) return { field: 'amount', key: 'billing.errors.overPayment', detail: err.message }
    const over = rows.filter((r) => r.amountMinor > r.openMinor).map((r) => `alloc.${r.invoiceId}`)
    return over.length > 0
      ? { field: over[0], fields: over, key: 'billing.errors.overInvoice', detail: err.message }
      : { field: 'allocations', key: 'billing.errors.overInvoice', detail: err.message }
  }
  if (err.code === 'MONEY_CURRENCY_MISMATCH') return { field: 'currency', key: 'billing.errors.MONEY_CURRENCY_MISMATCH' }
  if (err.code === 'ALLOCATION_CONTACT_MISMATCH') return { field: 'allocations', key: 'billing.errors.ALLOCATION_CONTACT_MISMATCH' }
  if (err.code === 'CONTACT_NOT_FOUND') return { field: 'contactId', key: 'billing.errors.CONTACT_NOT_FOUND' }
  if (err.code === 'VALIDATION') {
    const cloud = cloudFieldOf(err.message)
    if (cloud === 'amountMinor') return { field: 'amount', key: 'billing.errors.VALIDATION', detail: err.message }
    if (cloud === 'paidOn') return { field: 'paidOn', key: 'billing.errors.VALIDATION', detail: err.message }
    return { key: 'billing.errors.VALIDATION', detail: err.message }
  }
  return { key: billingErrorKey(err) }
}

const OWN_CODES = [
  'INVOICE_NOT_FOUND',
  'PAYMENT_NOT_FOUND',
  'CONTACT_NOT_FOUND',
  'INVOICE_POSTED',
  'INVOICE_NOT_POSTED',
  'ALLOCATION_EXCEEDS_BALANCE',
  'CREDIT_EXCEEDS_BALANCE',
  'ALREADY_REVERSED',
  'MONEY_CURRENCY_MISMATCH',
  'ALLOCATION_CONTACT_MISMATCH',
  'MONEY_OVERFLOW',
  'LEDGER_MISMATCH',
  'GATEWAY_ACCOUNT_NOT_FOUND',
  'VALIDATION',
  'FORBIDDEN',
] as const

/** i18n key for a failure of a billing request. */
export function billingErrorKey(err: unknown): string {
  const code = err instanceof ApiError ? err.code : 'UNKNOWN'
  return (OWN_CODES as readonly string[]).includes(code) ? `billing.errors.${code}` : errorMessageKey(code)
}

/** Dunning days as typed: "-3, 1, 7" → [-3, 1, 7] (sorted, each once); null when one is not a whole day in -90..365. */
export function parseSteps(text: string): number[] | null {
  const parts = text.split(/[\s,;]+/).filter(Boolean)
  const out = new Set<number>()
  for (const p of parts) {
    if (!/^[-+−]?\d{1,3}$/.test(p)) return null
    const n = Number(p.replace('−', '-'))
    if (n < -90 || n > 365) return null
    out.add(n)
  }
  return [...out].sort((a, b) => a - b)
}

export interface AgingBar {
  bucket: AgingBucket
  amountMinor: number
  /** Bar length in the chart's units (0-`width`). */
  length: number
  y: number
}

/** One bar per aging bucket of one currency's totals, scaled to the largest (a debt never shows as nothing: min 1 unit). */
export function agingBars(totals: BucketAmounts, width: number, rowHeight: number): AgingBar[] {
  const max = Math.max(0, ...AGING_BUCKETS.map((b) => totals[b]))
  return AGING_BUCKETS.map((bucket, i) => {
    const amountMinor = totals[bucket]
    const length = max <= 0 || amountMinor <= 0 ? 0 : Math.max(1, Number((BigInt(amountMinor) * BigInt(width)) / BigInt(max)))
    return { bucket, amountMinor, length, y: i * rowHeight }
  })
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

export const todayIso = (now = new Date()): string => now.toISOString().slice(0, 10)

export function addDaysIso(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10)
}

/** A fresh Idempotency-Key for one submission (kept while the same draft is retried). */
export const newIdempotencyKey = (): string =>
  typeof crypto !== 'undefined' && 'randomUUID' in crypto ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(16).slice(2)}`

/**
 * Spreads `amountMinor` over open invoices, oldest due first, each up to its open balance:
 * the suggested allocation of a payment. Integer minor units in, integer minor units out.
 */
export function distribute(amountMinor: number, invoices: readonly { id: string; dueDate: string; openMinor: number }[]): Record<string, number> {
  const out: Record<string, number> = {}
  let left = amountMinor
  for (const inv of [...invoices].sort((a, b) => a.dueDate.localeCompare(b.dueDate) || a.id.localeCompare(b.id))) {
    if (left <= 0) break
    const take = Math.min(left, inv.openMinor)
    if (take > 0) {
      out[inv.id] = take
      left -= take
    }
  }
  return out
}

/** The allocations typed per invoice, parsed; problems keyed `alloc.<invoiceId>`. Blank rows allocate nothing. */
export function checkAllocations(typed: Record<string, string>, locale: string, currency: string): { problems: Problems; allocations: { invoiceId: string; amountMinor: number }[] } {
  const problems: Problems = {}
  const allocations: { invoiceId: string; amountMinor: number }[] = []
  for (const [invoiceId, text] of Object.entries(typed)) {
    if (!text.trim()) continue
    const amountMinor = parseAmount(text, locale, currency)
    if (amountMinor === null || amountMinor < 1) problems[`alloc.${invoiceId}`] = 'billing.payment.errors.amountInvalid'
    else allocations.push({ invoiceId, amountMinor })
  }
  return { problems, allocations }
}

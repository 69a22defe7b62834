import Type from 'typebox'
import { AppError } from '../../errors.js'

/**
 * Money in the commercial modules (issue 8): integer minor units and an ISO 4217 code,
 * never floats. Amounts are JS integers, safe up to 2^53 minor units (90 trillion pesos),
 * and stored as bigint. Rounding is half away from zero, once, where a rate applies.
 */

/** Minor units per currency (ISO 4217 exponents) for the currencies the seeds' shops use. */
export const CURRENCIES = { ARS: 2, COP: 2, USD: 2, UYU: 2, CLP: 0, MXN: 2, PEN: 2, BRL: 2, EUR: 2 } as const
export type Currency = keyof typeof CURRENCIES
export const CURRENCY_CODES = Object.keys(CURRENCIES) as Currency[]

export const CurrencySchema = Type.Unsafe<Currency>(Type.String({ enum: CURRENCY_CODES, description: 'ISO 4217 currency code' }))
/** A signed amount in minor units (cents, centavos). */
export const MinorSchema = Type.Integer({ minimum: -Number.MAX_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER, description: 'Amount in minor units (e.g. centavos)' })
/** A non-negative amount in minor units. */
export const PositiveMinorSchema = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'Amount in minor units (e.g. centavos), >= 0' })
/** A rate in basis points: 2100 = 21 %. */
export const RateBpSchema = Type.Integer({ minimum: 0, maximum: 100_000, description: 'Rate in basis points (2100 = 21 %)' })

export function isCurrency(value: unknown): value is Currency {
  return typeof value === 'string' && value in CURRENCIES
}

export const currencyMismatch = (a: string, b: string): AppError =>
  new AppError('MONEY_CURRENCY_MISMATCH', 422, `amounts in ${a} and ${b} cannot be combined`)

/** Checks an integer result stayed exact; a sum past 2^53 would silently lose units. */
export function assertSafe(n: number, what = 'amount'): number {
  if (!Number.isSafeInteger(n)) throw new AppError('MONEY_OVERFLOW', 422, `${what} is out of range`)
  return n
}

/** a × num / den rounded half away from zero, exactly, for integers (bigint inside). */
export function mulDivRound(a: number, num: number, den: number): number {
  if (!Number.isSafeInteger(a) || !Number.isSafeInteger(num) || !Number.isSafeInteger(den) || den === 0) {
    throw new RangeError('mulDivRound: safe integers and a non-zero denominator')
  }
  const p = BigInt(a) * BigInt(num)
  const d = BigInt(den)
  const negative = p < 0n !== d < 0n
  const ap = p < 0n ? -p : p
  const ad = d < 0n ? -d : d
  const q = (ap * 2n + ad) / (ad * 2n)
  return assertSafe(Number(negative ? -q : q))
}

/** Tax of a net amount at a rate in basis points, rounded half away from zero. */
export function taxOf(netMinor: number, rateBp: number): number {
  return mulDivRound(netMinor, rateBp, 10_000)
}

/** qty (in thousandths: 1500 = 1.5) × unit price, rounded to the minor unit. */
export function lineNet(quantityMilli: number, unitMinor: number): number {
  return mulDivRound(quantityMilli, unitMinor, 1000)
}

/**
 * Splits `total` into parts proportional to `weights` that sum to exactly `total`
 * (largest remainder): prorating a rent across spaces or days without losing a centavo.
 */
export function allocate(total: number, weights: readonly number[]): number[] {
  if (weights.length === 0) return []
  if (weights.some((w) => !Number.isSafeInteger(w) || w < 0)) throw new RangeError('allocate: weights are non-negative integers')
  const sum = weights.reduce((a, b) => a + b, 0)
  if (sum === 0) throw new RangeError('allocate: weights sum to zero')
  const sign = total < 0 ? -1n : 1n
  const t = BigInt(Math.abs(total))
  const s = BigInt(sum)
  const parts = weights.map((w) => (t * BigInt(w)) / s)
  let left = t - parts.reduce((a, b) => a + b, 0n)
  const order = weights
    .map((w, i) => ({ i, rem: (t * BigInt(w)) % s }))
    .sort((a, b) => (a.rem === b.rem ? a.i - b.i : a.rem > b.rem ? -1 : 1))
  for (const { i } of order) {
    if (left === 0n) break
    parts[i]! += 1n
    left -= 1n
  }
  return parts.map((p) => Number(p * sign))
}

/** Formats minor units as a plain decimal string ("1234.50"), for CSV and logs. */
export function toDecimal(minor: number, currency: Currency): string {
  const exp = CURRENCIES[currency]
  if (exp === 0) return String(minor)
  const negative = minor < 0
  const digits = String(Math.abs(minor)).padStart(exp + 1, '0')
  return `${negative ? '-' : ''}${digits.slice(0, -exp)}.${digits.slice(-exp)}`
}

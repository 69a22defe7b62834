// The settings tab's logic that needs no DOM: index values typed in the user's locale and
// sent as the cloud's decimal text ("1234.567891", up to 6 places).
import { parseDecimal } from './leasing.js'

const SCALE = 1_000_000

/** "1.234,567891" (Spanish) or "1,234.567891" (English) as "1234.567891"; null when not a number with up to 6 decimals. */
export function parseIndexValue(text: string, locale: string): string | null {
  const scaled = parseDecimal(text, locale, 6)
  if (scaled === null) return null
  const whole = Math.floor(scaled / SCALE)
  if (whole >= 1e12) return null
  const fraction = String(scaled % SCALE).padStart(6, '0').replace(/0+$/, '')
  return fraction ? `${whole}.${fraction}` : String(whole)
}

/** The cloud's "1234.567891" as typed in the locale, without grouping: "1234,567891" in Spanish. */
export function indexValueForInput(value: string, locale: string): string {
  return locale.startsWith('es') ? value.replace('.', ',') : value
}

/** The cloud's decimal text shown in the locale with its grouping: "1.234,567891". */
export function formatIndexValue(value: string, locale: string): string {
  const [whole = '0', fraction = ''] = value.split('.')
  const grouped = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 }).format(BigInt(whole))
  const mark = locale.startsWith('es') ? ',' : '.'
  return fraction ? `${grouped}${mark}${fraction}` : grouped
}

/** Minor units as typed in the locale, without grouping: 12345 → "123,45" in Spanish. */
export const moneyForInput = (minor: number, locale: string): string =>
  new Intl.NumberFormat(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2, useGrouping: false }).format(minor / 100)

/** Basis points as a percentage typed in the locale: 1050 → "10,5" in Spanish. */
export const percentForInput = (bp: number, locale: string): string =>
  new Intl.NumberFormat(locale, { maximumFractionDigits: 2, useGrouping: false }).format(bp / 100)

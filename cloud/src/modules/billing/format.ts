import { CURRENCIES, toDecimal, type Currency } from '../common/money.js'

/** Money for people: "$ 1.234,56" (es-AR), "$ 1.234,56" (es-CO), exact from minor units. */
export function formatMoney(minor: number, currency: string): string {
  const cur = (currency in CURRENCIES ? currency : 'ARS') as Currency
  const exp = CURRENCIES[cur]
  const locale = cur === 'COP' ? 'es-CO' : 'es-AR'
  // Intl takes a decimal string exactly (no float rounding) in Node 20.
  return new Intl.NumberFormat(locale, { style: 'currency', currency: cur, minimumFractionDigits: exp, maximumFractionDigits: exp }).format(
    toDecimal(minor, cur) as unknown as number,
  )
}

/** "10/03/2026" from "2026-03-10". */
export const formatDay = (day: string): string => `${day.slice(8, 10)}/${day.slice(5, 7)}/${day.slice(0, 4)}`

/** A CSV decimal with a comma (es). */
export const csvMoney = (minor: number, currency: string): string => toDecimal(minor, (currency in CURRENCIES ? currency : 'ARS') as Currency).replace('.', ',')

const FORMULA_START = /^[=+\-@\t\r]/

export function csvField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return ''
  const text = typeof value === 'number' ? String(value) : FORMULA_START.test(value) ? `'${value}` : value
  return /[;"\r\n]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

/** UTF-8 with BOM, `;` and CRLF: what a Spanish-locale spreadsheet opens with a double click. */
export const csv = (rows: (string | number | null)[][]): string => '\uFEFF' + rows.map((r) => r.map(csvField).join(';')).join('\r\n') + '\r\n'

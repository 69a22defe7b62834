/**
 * CSV as RFC 4180 says and spreadsheets read it: comma-separated, CRLF line ends, a field
 * quoted when it holds a comma, a quote, a line break or edge spaces, with its quotes
 * doubled.
 */

const NEEDS_QUOTES = /[",\r\n]|^\s|\s$/
// A text cell starting with one of these is a formula to Excel and LibreOffice (CSV
// injection): a device named "=HYPERLINK(...)" must export as text.
const FORMULA_START = /^[=+\-@\t\r]/

export function csvField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return ''
  if (typeof value === 'number') return String(value)
  const text = FORMULA_START.test(value) ? `'${value}` : value
  return NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

export const csvLine = (fields: readonly (string | number | null | undefined)[]): string =>
  fields.map(csvField).join(',') + '\r\n'

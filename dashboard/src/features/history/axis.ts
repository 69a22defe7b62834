// Axis labels of the history charts: the site's clock, the user's locale, as fine as the range needs.
import { DAY_MS } from './range.js'

const formats = new Map<string, Intl.DateTimeFormat>()
function dateFormat(locale: string, timeZone: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${locale}|${timeZone}|${JSON.stringify(options)}`
  let format = formats.get(key)
  if (!format) {
    // Spanish reads 24-hour times (as i18n/format.ts does).
    format = new Intl.DateTimeFormat(locale, { ...(locale.startsWith('es') ? { hourCycle: 'h23' as const } : {}), ...options, timeZone })
    formats.set(key, format)
  }
  return format
}

/** A tick: the time within a day, day and time within a few days, the date beyond. */
export function tickLabel(epochMs: number, spanMs: number, locale: string, timeZone: string): string {
  if (spanMs <= DAY_MS) return dateFormat(locale, timeZone, { hour: '2-digit', minute: '2-digit' }).format(epochMs)
  if (spanMs <= 4 * DAY_MS) return dateFormat(locale, timeZone, { weekday: 'short', hour: '2-digit', minute: '2-digit' }).format(epochMs)
  return dateFormat(locale, timeZone, { day: 'numeric', month: 'short' }).format(epochMs)
}

/** A moment in full (tooltips, the range's ends). */
export function fullLabel(epochMs: number, locale: string, timeZone: string): string {
  return dateFormat(locale, timeZone, { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' }).format(epochMs)
}

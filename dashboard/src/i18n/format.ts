// Locale-aware formatting. Times are always shown in the *site's* time zone: the owner
// may check the shop from another city, and "the compressor stopped at 03:10" must
// match the shop's clock.
import { useI18n } from 'vue-i18n'

const dateTimeFormats = new Map<string, Intl.DateTimeFormat>()

// ICU data gives es-AR a 12-hour clock ("3:05 p. m."), but shops in Argentina and
// Colombia read and write 24-hour times; English keeps its locale's default.
const hourCycleFor = (locale: string): Intl.DateTimeFormatOptions =>
  locale.startsWith('es') ? { hourCycle: 'h23' } : {}

function dateTimeFormat(locale: string, timeZone: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${locale}|${timeZone}|${JSON.stringify(options)}`
  let format = dateTimeFormats.get(key)
  if (!format) {
    format = new Intl.DateTimeFormat(locale, { ...hourCycleFor(locale), ...options, timeZone })
    dateTimeFormats.set(key, format)
  }
  return format
}

const TIME: Intl.DateTimeFormatOptions = { hour: '2-digit', minute: '2-digit' }
const DATE_TIME: Intl.DateTimeFormatOptions = { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' }

export function formatTime(epochMs: number, locale: string, timeZone: string): string {
  return dateTimeFormat(locale, timeZone, TIME).format(epochMs)
}

export function formatDateTime(epochMs: number, locale: string, timeZone: string): string {
  return dateTimeFormat(locale, timeZone, DATE_TIME).format(epochMs)
}

/** Today's readings show only the time; older ones also show the date. */
export function formatMoment(epochMs: number, locale: string, timeZone: string, now = Date.now()): string {
  const day = dateTimeFormat(locale, timeZone, { year: 'numeric', month: '2-digit', day: '2-digit' })
  return day.format(epochMs) === day.format(now)
    ? formatTime(epochMs, locale, timeZone)
    : formatDateTime(epochMs, locale, timeZone)
}

export function useFormat() {
  const { t, n, locale } = useI18n()
  return {
    temperature: (celsius: number) => t('telemetry.celsius', { value: n(celsius, 'temperature') }),
    time: (epochMs: number, timeZone: string) => formatTime(epochMs, locale.value, timeZone),
    moment: (epochMs: number, timeZone: string) => formatMoment(epochMs, locale.value, timeZone),
  }
}

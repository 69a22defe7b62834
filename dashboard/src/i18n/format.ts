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

const relativeFormats = new Map<string, Intl.RelativeTimeFormat>()

function relativeFormat(locale: string): Intl.RelativeTimeFormat {
  let format = relativeFormats.get(locale)
  if (!format) {
    format = new Intl.RelativeTimeFormat(locale, { numeric: 'auto', style: 'short' })
    relativeFormats.set(locale, format)
  }
  return format
}

// Below this a moment reads as "now": the gateway reports every ~10 s, so counting the
// seconds of a fresh report would only make the number flicker.
const JUST_NOW_MS = 10_000
const MINUTE_MS = 60_000
const HOUR_MS = 60 * MINUTE_MS
const DAY_MS = 24 * HOUR_MS

/**
 * "hace 3 min" / "3 min. ago". A moment slightly in the future (the cloud's clock and the
 * browser's never agree exactly) reads as now instead of "dentro de 2 s".
 */
export function formatRelative(epochMs: number, locale: string, now = Date.now()): string {
  const ago = Math.max(0, now - epochMs)
  const rtf = relativeFormat(locale)
  if (ago < JUST_NOW_MS) return rtf.format(0, 'second')
  if (ago < MINUTE_MS) return rtf.format(-Math.floor(ago / 1000), 'second')
  if (ago < HOUR_MS) return rtf.format(-Math.floor(ago / MINUTE_MS), 'minute')
  if (ago < DAY_MS) return rtf.format(-Math.floor(ago / HOUR_MS), 'hour')
  return rtf.format(-Math.floor(ago / DAY_MS), 'day')
}

/** Largest two units of a duration, e.g. "2 h 5 min"; the unit symbols are the same in es and en. */
export function formatDuration(seconds: number, locale: string): string {
  const number = (value: number) => new Intl.NumberFormat(locale, { maximumFractionDigits: 0 }).format(value)
  const s = Math.max(0, Math.floor(seconds))
  if (s < 60) return `${number(s)} s`
  if (s < 3600) {
    const rest = s % 60
    return rest ? `${number(Math.floor(s / 60))} min ${number(rest)} s` : `${number(s / 60)} min`
  }
  if (s < 86_400) {
    const rest = Math.floor((s % 3600) / 60)
    return rest ? `${number(Math.floor(s / 3600))} h ${number(rest)} min` : `${number(s / 3600)} h`
  }
  const rest = Math.floor((s % 86_400) / 3600)
  return rest ? `${number(Math.floor(s / 86_400))} d ${number(rest)} h` : `${number(s / 86_400)} d`
}

const BYTE_UNITS = ['kilobyte', 'megabyte', 'gigabyte', 'terabyte'] as const

/** Disk sizes in binary multiples (the gateway's budget is set in MiB), labelled kB/MB/GB. */
export function formatBytes(bytes: number, locale: string): string {
  if (bytes < 1024) return `${new Intl.NumberFormat(locale).format(Math.max(0, bytes))} B`
  let value = bytes / 1024
  let unit = 0
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024
    unit++
  }
  return new Intl.NumberFormat(locale, { style: 'unit', unit: BYTE_UNITS[unit], maximumFractionDigits: value < 10 ? 1 : 0 }).format(value)
}

/** "4,5 días" / "1 day": the locale picks the plural. */
export function formatDays(days: number, locale: string): string {
  return new Intl.NumberFormat(locale, {
    style: 'unit',
    unit: 'day',
    unitDisplay: 'long',
    maximumFractionDigits: days < 10 ? 1 : 0,
  }).format(days)
}

export function formatCount(value: number, locale: string): string {
  return new Intl.NumberFormat(locale, { maximumFractionDigits: 0 }).format(value)
}

export function useFormat() {
  const { t, n, locale } = useI18n()
  return {
    temperature: (celsius: number) => t('telemetry.celsius', { value: n(celsius, 'temperature') }),
    time: (epochMs: number, timeZone: string) => formatTime(epochMs, locale.value, timeZone),
    moment: (epochMs: number, timeZone: string, now?: number) => formatMoment(epochMs, locale.value, timeZone, now),
    relative: (epochMs: number, now?: number) => formatRelative(epochMs, locale.value, now),
    duration: (seconds: number) => formatDuration(seconds, locale.value),
    bytes: (bytes: number) => formatBytes(bytes, locale.value),
    days: (days: number) => formatDays(days, locale.value),
    count: (value: number) => formatCount(value, locale.value),
  }
}

// ISO 4217 minor units of the currencies Tendero's shops use. Not Intl's display digits:
// ICU shows COP without decimals, but the gateway and the cloud count centavos (protocol
// access.ts), so 1 peso is 100 minor units whatever the browser's ICU says.
const MINOR_UNIT_DIGITS: Record<string, number> = { ARS: 2, COP: 2, USD: 2, UYU: 2, CLP: 0, PYG: 0 }

function minorUnitDigits(currency: string): number {
  return MINOR_UNIT_DIGITS[currency] ?? new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2
}

const moneyFormats = new Map<string, Intl.NumberFormat>()

/**
 * An amount kept as integer minor units (centavos), e.g. `formatMoney(150050, 'ARS', 'es-AR')`
 * → "$ 1.500,50". Whole amounts use the currency's usual digits in that locale (COP shows
 * no centavos: "$ 12.500"); centavos are never rounded away when there are some.
 */
export function formatMoney(minorUnits: number, currency: string, locale: string): string {
  const digits = minorUnitDigits(currency)
  const scale = 10 ** digits
  const whole = minorUnits % scale === 0
  const key = `${locale}|${currency}|${whole}`
  let format = moneyFormats.get(key)
  if (!format) {
    const options: Intl.NumberFormatOptions = { style: 'currency', currency }
    // A fraction in a currency shown without one: show the centavos rather than round them.
    if (!whole) Object.assign(options, { minimumFractionDigits: digits, maximumFractionDigits: digits })
    format = new Intl.NumberFormat(locale, options)
    moneyFormats.set(key, format)
  }
  return format.format(minorUnits / scale)
}

/** A day without a time, e.g. a report's day: "21 de nov de 2026" / "Nov 21, 2026", in the site's zone. */
export function formatDate(epochMs: number, locale: string, timeZone: string): string {
  return dateTimeFormat(locale, timeZone, { day: 'numeric', month: 'short', year: 'numeric' }).format(epochMs)
}

/** A measured value with the locale's separators and a fixed number of decimals: "1.234,5". */
export function formatNumber(value: number, locale: string, fractionDigits = 1): string {
  return new Intl.NumberFormat(locale, { minimumFractionDigits: fractionDigits, maximumFractionDigits: fractionDigits }).format(value)
}

/** A share in [0, 1] as a percentage: 0.425 → "43%". */
export function formatPercent(ratio: number, locale: string, fractionDigits = 0): string {
  return new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: fractionDigits }).format(ratio)
}

/** Money, dates, numbers and percentages in the current UI language (useFormat has the rest). */
export function useLocaleFormat() {
  const { locale } = useI18n()
  return {
    money: (minorUnits: number, currency: string) => formatMoney(minorUnits, currency, locale.value),
    date: (epochMs: number, timeZone: string) => formatDate(epochMs, locale.value, timeZone),
    number: (value: number, fractionDigits?: number) => formatNumber(value, locale.value, fractionDigits),
    percent: (ratio: number, fractionDigits?: number) => formatPercent(ratio, locale.value, fractionDigits),
  }
}

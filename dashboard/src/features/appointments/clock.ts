// Wall-clock time in a professional's zone, without a date library. The cloud answers
// instants in UTC plus `localStart` on the professional's clock ("2026-11-23T09:00:00-03:00");
// the agenda needs the reverse too: where a local day begins, as an instant.

/** The local date and clock of a `localStart`: { date: '2026-11-23', time: '09:00', offset: '-03:00' }. */
export function splitLocal(localIso: string): { date: string; time: string; offset: string } {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.exec(localIso)
  if (!m) return { date: localIso.slice(0, 10), time: localIso.slice(11, 16), offset: '' }
  return { date: m[1]!, time: m[2]!, offset: m[3] === 'Z' ? '+00:00' : m[3]! }
}

/** Offset of `timeZone` from UTC at the instant `ms`, in milliseconds (-3 h in Buenos Aires). */
export function zoneOffsetMs(ms: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(ms)
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value)
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'))
  return asUtc - Math.floor(ms / 1000) * 1000
}

/** The instant a local wall-clock time happens in `timeZone` (first occurrence; a skipped one reads after the jump). */
export function zonedInstant(date: string, time: string, timeZone: string): number {
  const [y, mo, d] = date.split('-').map(Number) as [number, number, number]
  const [h, mi] = time.split(':').map(Number) as [number, number]
  const naive = Date.UTC(y, mo - 1, d, h, mi)
  // Two passes settle the offset across a DST change.
  let guess = naive - zoneOffsetMs(naive, timeZone)
  guess = naive - zoneOffsetMs(guess, timeZone)
  return guess
}

/** Today's date on `timeZone`'s calendar, YYYY-MM-DD. */
export function localToday(timeZone: string, now = Date.now()): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now)
}

/** A calendar date moved by `days`. */
export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number]
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10)
}

/** ISO weekday of a calendar date: 1 Monday .. 7 Sunday. */
export function isoWeekday(date: string): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number]
  return ((new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 6) % 7) + 1
}

/** The Monday of the week of `date`. */
export const weekStart = (date: string): string => addDays(date, 1 - isoWeekday(date))

/** A calendar date worded in the locale ("lun 23 nov"), independent of the browser's zone. */
export function formatLocalDate(date: string, locale: string, options: Intl.DateTimeFormatOptions = { weekday: 'short', day: 'numeric', month: 'short' }): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number]
  return new Intl.DateTimeFormat(locale, { ...options, timeZone: 'UTC' }).format(Date.UTC(y, m - 1, d))
}

/** A wall-clock time worded in the locale: 24-hour in Spanish, "9:00 AM" in English. */
export function formatClock(time: string, locale: string): string {
  const [h, m] = time.split(':').map(Number) as [number, number]
  return new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit', timeZone: 'UTC', ...(locale.startsWith('es') ? { hourCycle: 'h23' } : {}) }).format(Date.UTC(2000, 0, 1, h, m))
}

/** "UTC−03:00" from an offset as the cloud writes it. */
export const utcLabel = (offset: string): string => (offset ? `UTC${offset.replace('-', '−')}` : '')

/** An Idempotency-Key (8-128 of A-Z a-z 0-9 _ . : -). */
export function newIdempotencyKey(): string {
  const bytes = new Uint8Array(16)
  globalThis.crypto.getRandomValues(bytes)
  return `appt-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`
}

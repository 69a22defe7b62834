/**
 * A site's local day as UTC instants, with Intl's time zone data (no library): the day
 * runs from local midnight to the next local midnight, so it is 23 or 25 hours long on
 * the days a zone changes its clocks.
 */

export const DEFAULT_TIME_ZONE = 'America/Argentina/Buenos_Aires'

const formatters = new Map<string, Intl.DateTimeFormat>()

function partsFormatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone)
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', second: '2-digit' })
    formatters.set(timeZone, f)
  }
  return f
}

export function isTimeZone(timeZone: string): boolean {
  try {
    partsFormatter(timeZone)
    return true
  } catch {
    return false
  }
}

/** The zone a site's report uses: its own when Intl knows it, else Buenos Aires. */
export const reportZone = (timeZone: string | null | undefined): string =>
  timeZone && isTimeZone(timeZone) ? timeZone : DEFAULT_TIME_ZONE

export interface LocalTime {
  year: number
  month: number
  day: number
  hour: number
  minute: number
  second: number
}

export function localParts(ms: number, timeZone: string): LocalTime {
  const p = Object.fromEntries(partsFormatter(timeZone).formatToParts(new Date(ms)).map((x) => [x.type, x.value]))
  return { year: Number(p.year), month: Number(p.month), day: Number(p.day), hour: Number(p.hour), minute: Number(p.minute), second: Number(p.second) }
}

/** How far the zone's wall clock is ahead of UTC at `ms` (negative west of Greenwich). */
function offsetAt(ms: number, timeZone: string): number {
  const l = localParts(ms, timeZone)
  return Date.UTC(l.year, l.month - 1, l.day, l.hour, l.minute, l.second) - Math.floor(ms / 1000) * 1000
}

/** YYYY-MM-DD of the local day that holds `ms`. */
export function localDate(ms: number, timeZone: string): string {
  const l = localParts(ms, timeZone)
  return `${String(l.year).padStart(4, '0')}-${String(l.month).padStart(2, '0')}-${String(l.day).padStart(2, '0')}`
}

/** Calendar arithmetic on a YYYY-MM-DD date. */
export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number]
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10)
}

/**
 * The first instant of a local date. The offset is looked up twice, at the naive guess and
 * at the corrected instant, which lands right across a DST change. Where midnight itself
 * does not exist (a zone that springs forward at 00:00) the day starts when the clock
 * jumps, at the first instant that is already on that date.
 */
export function startOfLocalDay(date: string, timeZone: string): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number]
  const naive = Date.UTC(y, m - 1, d)
  let start = naive - offsetAt(naive, timeZone)
  start = naive - offsetAt(start, timeZone)
  if (localDate(start, timeZone) < date) {
    // Midnight skipped: search the hour the clock jumped over, to the minute.
    let lo = start
    let hi = start + 3 * 3_600_000
    while (hi - lo > 60_000) {
      const mid = lo + Math.floor((hi - lo) / 120_000) * 60_000
      if (localDate(mid, timeZone) < date) lo = mid
      else hi = mid
    }
    start = hi
  }
  return start
}

/** [from, to) of a local date, epoch ms. */
export function localDayBounds(date: string, timeZone: string): { from: number; to: number } {
  return { from: startOfLocalDay(date, timeZone), to: startOfLocalDay(addDays(date, 1), timeZone) }
}

/** HH:MM (HH:MM:SS with seconds) on the site's clock. */
export function localClock(ms: number, timeZone: string, seconds = false): string {
  const l = localParts(ms, timeZone)
  const hm = `${String(l.hour).padStart(2, '0')}:${String(l.minute).padStart(2, '0')}`
  return seconds ? `${hm}:${String(l.second).padStart(2, '0')}` : hm
}

/** ISO 8601 with the zone's offset at that instant, e.g. 2026-11-20T14:05:00-03:00. */
export function localIso(ms: number, timeZone: string): string {
  const offsetMin = Math.round(offsetAt(ms, timeZone) / 60_000)
  const sign = offsetMin < 0 ? '-' : '+'
  const abs = Math.abs(offsetMin)
  return `${localDate(ms, timeZone)}T${localClock(ms, timeZone, true)}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`
}

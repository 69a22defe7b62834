import { addDays, localDate, localParts } from '../reports/zone.js'

/**
 * Availability as instants: a professional's weekly hours and exceptions are wall-clock
 * times in their zone, turned into UTC spans date by date with Intl's zone data, so a
 * 09:00-13:00 range is 4 real hours on an ordinary day and 09:00 local on either side of a
 * DST change. Pure functions: the slot search and the booking check share them.
 */

const MINUTE = 60_000
const DAY = 86_400_000

export interface Span {
  from: number
  to: number
}

export interface WeeklyRange {
  weekday: number
  startMin: number
  endMin: number
}

export interface DateException {
  date: string
  kind: 'off' | 'extra'
  startMin: number | null
  endMin: number | null
}

/** The wall clock's offset from UTC at an instant, ms (negative west of Greenwich). */
function offsetAt(ms: number, timeZone: string): number {
  const l = localParts(ms, timeZone)
  return Date.UTC(l.year, l.month - 1, l.day, l.hour, l.minute, l.second) - Math.floor(ms / 1000) * 1000
}

/**
 * The instant a local date and minute of the day happens in `timeZone`. Around a change
 * the two offsets in force within a day are tried: an ambiguous time (clocks back) is its
 * first occurrence, a skipped one (clocks forward) is read with the offset from before
 * the jump, so 02:30 on a spring-forward night at 02:00 is 03:30 local. 1440 is the next
 * local midnight.
 */
export function wallToInstant(date: string, minuteOfDay: number, timeZone: string): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number]
  const naive = Date.UTC(y, m - 1, d) + minuteOfDay * MINUTE
  const before = offsetAt(naive - DAY / 2, timeZone)
  const after = offsetAt(naive + DAY / 2, timeZone)
  const candidates = [naive - before, naive - after].filter((t) => wallOf(t, timeZone) === naive)
  if (candidates.length > 0) return Math.min(...candidates)
  return naive - before
}

/** An instant's wall-clock reading as if it were UTC (for comparing with a naive time). */
function wallOf(ms: number, timeZone: string): number {
  const l = localParts(ms, timeZone)
  return Date.UTC(l.year, l.month - 1, l.day, l.hour, l.minute, l.second)
}

/** ISO weekday of a YYYY-MM-DD date: 1 Monday .. 7 Sunday. */
export function isoWeekday(date: string): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number]
  const day = new Date(Date.UTC(y, m - 1, d)).getUTCDay()
  return day === 0 ? 7 : day
}

/** Sorted, merged spans (touching ones join). */
export function mergeSpans(spans: Span[]): Span[] {
  const sorted = spans.filter((s) => s.from < s.to).sort((a, b) => a.from - b.from)
  const out: Span[] = []
  for (const s of sorted) {
    const last = out[out.length - 1]
    if (last && s.from <= last.to) last.to = Math.max(last.to, s.to)
    else out.push({ ...s })
  }
  return out
}

/** `spans` minus `holes`. */
export function subtractSpans(spans: Span[], holes: Span[]): Span[] {
  let out = mergeSpans(spans)
  for (const h of mergeSpans(holes)) {
    out = out.flatMap((s) => {
      if (h.to <= s.from || h.from >= s.to) return [s]
      const parts: Span[] = []
      if (h.from > s.from) parts.push({ from: s.from, to: h.from })
      if (h.to < s.to) parts.push({ from: h.to, to: s.to })
      return parts
    })
  }
  return out
}

/**
 * When the professional works within [from, to): each local date's weekly ranges, less the
 * days and hours off, plus the extra hours, as merged UTC spans clipped to the window.
 */
export function openSpans(window: Span, timeZone: string, weekly: WeeklyRange[], exceptions: DateException[]): Span[] {
  const first = addDays(localDate(window.from, timeZone), -1)
  const last = addDays(localDate(window.to, timeZone), 1)
  const open: Span[] = []
  const closed: Span[] = []
  const byDate = new Map<string, DateException[]>()
  for (const e of exceptions) byDate.set(e.date, [...(byDate.get(e.date) ?? []), e])
  const span = (date: string, startMin: number, endMin: number): Span => ({
    from: wallToInstant(date, startMin, timeZone),
    to: endMin === 1440 ? wallToInstant(addDays(date, 1), 0, timeZone) : wallToInstant(date, endMin, timeZone),
  })
  for (let date = first; date <= last; date = addDays(date, 1)) {
    const weekday = isoWeekday(date)
    for (const r of weekly) if (r.weekday === weekday) open.push(span(date, r.startMin, r.endMin))
    for (const e of byDate.get(date) ?? []) {
      if (e.kind === 'off') closed.push(e.startMin === null || e.endMin === null ? span(date, 0, 1440) : span(date, e.startMin, e.endMin))
    }
  }
  // Extra hours win over a day off on the same date: added after the subtraction.
  const extras = exceptions.filter((e) => e.kind === 'extra' && e.date >= first && e.date <= last && e.startMin !== null && e.endMin !== null)
    .map((e) => span(e.date, e.startMin!, e.endMin!))
  const result = mergeSpans([...subtractSpans(open, closed), ...extras])
  return result.map((s) => ({ from: Math.max(s.from, window.from), to: Math.min(s.to, window.to) })).filter((s) => s.from < s.to)
}

export interface ServiceTiming {
  durationMin: number
  bufferBeforeMin: number
  bufferAfterMin: number
}

/** What a booking starting at `start` blocks: [start - buffer before, end + buffer after). */
export function blockedSpan(start: number, timing: ServiceTiming): { start: number; end: number; blocked: Span } {
  const end = start + timing.durationMin * MINUTE
  return { start, end, blocked: { from: start - timing.bufferBeforeMin * MINUTE, to: end + timing.bufferAfterMin * MINUTE } }
}

export const overlaps = (a: Span, b: Span): boolean => a.from < b.to && b.from < a.to

/**
 * Free starts for a service: every `stepMin` from the start of each open span (so slots
 * sit on the hours a shop publishes), the appointment itself inside open hours, its
 * blocked span (with buffers, which may reach outside open hours) clear of every busy one,
 * and the start not before `notBefore`.
 */
export function freeStarts(open: Span[], busy: Span[], timing: ServiceTiming, stepMin: number, notBefore: number): number[] {
  const step = stepMin * MINUTE
  const starts: number[] = []
  const sortedBusy = mergeSpans(busy)
  for (const s of open) {
    for (let t = s.from; t + timing.durationMin * MINUTE <= s.to; t += step) {
      if (t < notBefore) continue
      const { blocked } = blockedSpan(t, timing)
      if (!sortedBusy.some((b) => overlaps(b, blocked))) starts.push(t)
    }
  }
  return starts
}

/** Whether [start, end) lies inside the open spans. */
export function withinOpen(open: Span[], start: number, end: number): boolean {
  return mergeSpans(open).some((s) => s.from <= start && end <= s.to)
}

// The history page's time ranges: presets in the site's time zone ("today" is the shop's
// day, not the browser's), zooming, and the resolution the cloud serves each range at.
import type { Resolution } from '../../api/history.js'

export type RangePreset = 'day' | 'week' | 'month' | 'custom'
export const PRESETS: readonly Exclude<RangePreset, 'custom'>[] = ['day', 'week', 'month']

export interface TimeRange {
  from: number
  to: number
}

export const MINUTE_MS = 60_000
export const HOUR_MS = 60 * MINUTE_MS
export const DAY_MS = 24 * HOUR_MS
/** Narrowest range zooming reaches: a few raw readings still make a line. */
export const MIN_RANGE_MS = 5 * MINUTE_MS

const partsFormats = new Map<string, Intl.DateTimeFormat>()
function partsFormat(timeZone: string): Intl.DateTimeFormat {
  let format = partsFormats.get(timeZone)
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    })
    partsFormats.set(timeZone, format)
  }
  return format
}

export interface ZonedParts {
  year: number
  month: number
  day: number
  hour: number
  minute: number
  second: number
}

/** The wall clock of `timeZone` at an instant. */
export function zonedParts(epochMs: number, timeZone: string): ZonedParts {
  const get = (parts: Intl.DateTimeFormatPart[], type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0)
  const parts = partsFormat(timeZone).formatToParts(epochMs)
  return {
    year: get(parts, 'year'),
    month: get(parts, 'month'),
    day: get(parts, 'day'),
    hour: get(parts, 'hour') % 24,
    minute: get(parts, 'minute'),
    second: get(parts, 'second'),
  }
}

/** How far the zone's clock is ahead of UTC at an instant, ms. */
export function zoneOffsetMs(epochMs: number, timeZone: string): number {
  const p = zonedParts(epochMs, timeZone)
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second)
  return asUtc - Math.floor(epochMs / 1000) * 1000
}

/** The instant the zone's clock reads this wall time (the earlier one across a DST fold). */
export function fromZoned(p: Omit<ZonedParts, 'second'> & { second?: number }, timeZone: string): number {
  const wall = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second ?? 0)
  // Two passes settle the offset at the answer, not at the guess.
  let guess = wall - zoneOffsetMs(wall, timeZone)
  guess = wall - zoneOffsetMs(guess, timeZone)
  return guess
}

/** Local midnight of the zone's day at an instant. */
export function startOfDay(epochMs: number, timeZone: string): number {
  const p = zonedParts(epochMs, timeZone)
  return fromZoned({ year: p.year, month: p.month, day: p.day, hour: 0, minute: 0 }, timeZone)
}

/** Today so far (the shop's day), the last 7 days, the last 30 days. */
export function presetRange(preset: Exclude<RangePreset, 'custom'>, now: number, timeZone: string): TimeRange {
  switch (preset) {
    case 'day':
      return { from: startOfDay(now, timeZone), to: now }
    case 'week':
      return { from: now - 7 * DAY_MS, to: now }
    case 'month':
      return { from: now - 30 * DAY_MS, to: now }
  }
}

/** What the cloud's `resolution=auto` picks (telemetry service autoResolution): raw up to 2 h, 1m up to 2 days, 1h beyond. */
export function resolutionFor(range: TimeRange): Resolution {
  const span = range.to - range.from
  if (span <= 2 * HOUR_MS) return 'raw'
  if (span <= 48 * HOUR_MS) return '1m'
  return '1h'
}

/** A range ending this close to now is "up to now", and zooming keeps it so. */
export const LIVE_EDGE_MS = MINUTE_MS

/**
 * Zooms by `factor` (2: twice as close, 0.5: twice as far) around `center`, by default the
 * middle, or the end when the range runs up to now (the latest readings stay in view);
 * never narrower than MIN_RANGE_MS nor past `now`.
 */
export function zoom(range: TimeRange, factor: number, now: number, center?: number): TimeRange {
  const span = Math.max(MIN_RANGE_MS, Math.round((range.to - range.from) / factor))
  if (center === undefined && range.to >= now - LIVE_EDGE_MS) return { from: Math.max(0, now - span), to: now }
  let from = Math.round((center ?? (range.from + range.to) / 2) - span / 2)
  let to = from + span
  if (to > now) {
    to = now
    from = now - span
  }
  return { from: Math.max(0, from), to }
}

/** A dragged selection as a range: ordered, at least MIN_RANGE_MS wide, within the shown range. */
export function selectionRange(a: number, b: number, within: TimeRange): TimeRange | null {
  const from = Math.max(within.from, Math.min(a, b))
  const to = Math.min(within.to, Math.max(a, b))
  if (to - from < MIN_RANGE_MS / 5) return null
  if (to - from >= MIN_RANGE_MS) return { from, to }
  const middle = (from + to) / 2
  return { from: Math.round(middle - MIN_RANGE_MS / 2), to: Math.round(middle + MIN_RANGE_MS / 2) }
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0')

/** The value of an <input type="datetime-local"> showing this instant on the site's clock. */
export function toLocalInput(epochMs: number, timeZone: string): string {
  const p = zonedParts(epochMs, timeZone)
  return `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}`
}

/** An <input type="datetime-local"> value read on the site's clock; null when it is not one. */
export function fromLocalInput(value: string, timeZone: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(value)
  if (!m) return null
  const [, year, month, day, hour, minute] = m.map(Number) as [number, number, number, number, number, number]
  return fromZoned({ year, month, day, hour, minute }, timeZone)
}

import { outOfBand, type Band } from './bands.js'

/**
 * The cold-chain figures of one fridge over one window, from its stored readings: pure,
 * so the rules of a compliance verdict are tested without a database. Nothing here fills
 * a hole: a stretch without readings is a gap, listed, and counts against the verdict.
 */

/** One stored point: a reading (min = max = value, samples 1) or a gateway rollup. */
export interface Reading {
  time: number
  value: number
  min: number
  max: number
  samples: number
}

export type GatewayGapReason = 'downsampled' | 'dropped'

/** History the gateway itself reported as downsampled or dropped (data_gaps). */
export interface GatewayGap {
  from: number
  to: number
  reason: GatewayGapReason
}

/** One alarm episode on the device: raised at `from`, cleared at `to` (null: still open). */
export interface AlarmEpisode {
  alarmId: string
  from: number
  to: number | null
}

export interface Excursion {
  start: number
  /** The first reading back in band, or, when none follows, the last reading out of it. */
  end: number
  durationMs: number
  direction: 'high' | 'low'
  /** The farthest reading from the band (a rollup's min or max counts). */
  peakC: number
  /** What ended it: a reading back in band, a gap in the readings, or the end of the window. */
  closedBy: 'reading' | 'gap' | 'end'
  alarmCovered: boolean
  alarmIds: string[]
}

export type GapKind = 'no_readings' | GatewayGapReason

export interface Gap {
  start: number
  end: number
  durationMs: number
  /** 'silent': no reading arrived; 'gateway': the gateway reported it (data_gaps). */
  source: 'silent' | 'gateway'
  kind: GapKind
}

export type Verdict = 'ok' | 'excursion' | 'incomplete'

export interface FridgeAnalysis {
  /** Readings stood for, a rollup counting as the readings it folded. */
  readings: number
  /** What the median interval would have delivered over the window; null under two readings. */
  expected: number | null
  coveragePct: number | null
  medianIntervalMs: number | null
  /** The longest silence that is not a gap. */
  gapThresholdMs: number
  minC: number | null
  avgC: number | null
  maxC: number | null
  inBandPct: number | null
  /** Time nobody can vouch for: silent gaps and dropped history, overlaps counted once. */
  missingMs: number
  missingPct: number
  excursions: Excursion[]
  gaps: Gap[]
  verdict: Verdict
}

/** A silence shorter than this is the sensor's own rhythm, never a gap. */
export const MIN_GAP_MS = 5 * 60_000
/** A gap is a silence over this many median intervals (and over MIN_GAP_MS). */
export const GAP_INTERVALS = 3
/**
 * Over this share of the window without readings the day is 'incomplete' even with no
 * excursion in what was seen: 10 % of a day is 2 h 24 min, long enough for a chilled
 * product to warm past 5 °C behind a failed compressor.
 */
export const MAX_MISSING_FRACTION = 0.1

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

export const gapThreshold = (medianMs: number | null): number => Math.max(GAP_INTERVALS * (medianMs ?? 0), MIN_GAP_MS)

/**
 * Silences longer than `thresholdMs` in [from, to): before the first reading, between two,
 * after the last; a window without readings is one gap from end to end.
 */
export function silentGaps(times: readonly number[], from: number, to: number, thresholdMs: number): Gap[] {
  const gaps: Gap[] = []
  let previous = from
  for (const t of [...times, to]) {
    if (t - previous > thresholdMs) gaps.push({ start: previous, end: t, durationMs: t - previous, source: 'silent', kind: 'no_readings' })
    previous = Math.max(previous, t)
  }
  return gaps
}

/** Total length of the union of intervals. */
export function unionLength(intervals: readonly { start: number; end: number }[]): number {
  const sorted = [...intervals].filter((i) => i.end > i.start).sort((a, b) => a.start - b.start)
  let total = 0
  let cursorEnd = -Infinity
  for (const { start, end } of sorted) {
    if (end <= cursorEnd) continue
    total += end - Math.max(start, cursorEnd)
    cursorEnd = end
  }
  return total
}

const round = (value: number, digits: number): number => {
  const f = 10 ** digits
  return Math.round(value * f) / f
}

export interface AnalysisInput {
  from: number
  /** The window's end: the end of the day, or now while the day lasts. */
  to: number
  band: Band
  /** Oldest first. */
  readings: readonly Reading[]
  gatewayGaps: readonly GatewayGap[]
  alarms: readonly AlarmEpisode[]
}

export function analyzeFridge(input: AnalysisInput): FridgeAnalysis {
  const { from, to, band, readings } = input
  const windowMs = Math.max(0, to - from)
  const times = readings.map((r) => r.time)
  const steps: number[] = []
  for (let i = 1; i < times.length; i++) if (times[i]! > times[i - 1]!) steps.push(times[i]! - times[i - 1]!)
  const medianMs = median(steps)
  const threshold = gapThreshold(medianMs)

  const count = readings.reduce((n, r) => n + r.samples, 0)
  const expected = medianMs ? Math.max(1, Math.floor(windowMs / medianMs)) : null
  const coveragePct = count === 0 ? 0 : expected ? round(Math.min(100, (count / expected) * 100), 1) : null

  const silent = silentGaps(times, from, to, threshold)
  const reported: Gap[] = input.gatewayGaps
    .map((g) => ({ start: Math.max(g.from, from), end: Math.min(g.to, to), kind: g.reason }))
    .filter((g) => g.end > g.start)
    .map((g) => ({ ...g, durationMs: g.end - g.start, source: 'gateway' as const }))
  const gaps = [...silent, ...reported].sort((a, b) => a.start - b.start || a.end - b.end)
  // Downsampled history is still there as per-minute min/avg/max: listed, not missing.
  const missingMs = unionLength(gaps.filter((g) => g.kind !== 'downsampled'))
  const missingPct = windowMs ? round((missingMs / windowMs) * 100, 1) : 100

  // Time in band: each reading holds until the next one, unless a gap comes between.
  let heldMs = 0
  let inBandMs = 0
  for (let i = 0; i < readings.length; i++) {
    const r = readings[i]!
    const next = readings[i + 1]?.time
    const span = next !== undefined && next - r.time <= threshold ? next - r.time : Math.min(medianMs ?? 0, to - r.time)
    heldMs += span
    if (!outOfBand(band, r.min, r.max)) inBandMs += span
  }
  const inBandPct = readings.length === 0 ? null : heldMs > 0 ? round((inBandMs / heldMs) * 100, 1)
    : outOfBand(band, readings[0]!.min, readings[0]!.max) ? 0 : 100

  const excursions = findExcursions(readings, band, threshold, input.alarms, to)
  const weighted = readings.reduce((s, r) => s + r.value * r.samples, 0)
  const verdict: Verdict = count === 0 ? 'incomplete'
    : excursions.length > 0 ? 'excursion'
    : windowMs === 0 || missingMs / windowMs > MAX_MISSING_FRACTION ? 'incomplete'
    : 'ok'

  return {
    readings: count,
    expected,
    coveragePct,
    medianIntervalMs: medianMs,
    gapThresholdMs: threshold,
    minC: readings.length ? round(readings.reduce((m, r) => Math.min(m, r.min), Infinity), 2) : null,
    avgC: count ? round(weighted / count, 2) : null,
    maxC: readings.length ? round(readings.reduce((m, r) => Math.max(m, r.max), -Infinity), 2) : null,
    inBandPct,
    missingMs,
    missingPct,
    excursions,
    gaps,
    verdict,
  }
}

/**
 * Runs of readings out of band. A run ends at the first reading back in band, at a gap
 * (the readings after it start a new run: nobody knows what happened in between) or at
 * the end of the window; a change from too warm to too cold starts a new one.
 */
export function findExcursions(readings: readonly Reading[], band: Band, thresholdMs: number, alarms: readonly AlarmEpisode[] = [],
  to = Infinity): Excursion[] {
  const out: Excursion[] = []
  let open: { start: number; last: number; direction: 'high' | 'low'; peak: number } | undefined
  const close = (end: number, closedBy: Excursion['closedBy']) => {
    if (!open) return
    const covering = alarms.filter((a) => a.from <= end && (a.to === null || a.to >= open!.start))
    out.push({ start: open.start, end, durationMs: end - open.start, direction: open.direction, peakC: open.peak, closedBy,
      alarmCovered: covering.length > 0, alarmIds: [...new Set(covering.map((a) => a.alarmId))] })
    open = undefined
  }
  for (const r of readings) {
    if (open && r.time - open.last > thresholdMs) close(open.last, 'gap')
    const direction = outOfBand(band, r.min, r.max)
    if (open && direction !== open.direction) close(r.time, 'reading')
    if (!direction) continue
    const extreme = direction === 'high' ? r.max : r.min
    if (!open) open = { start: r.time, last: r.time, direction, peak: extreme }
    else {
      open.last = r.time
      open.peak = direction === 'high' ? Math.max(open.peak, extreme) : Math.min(open.peak, extreme)
    }
  }
  if (open) close(open.last, to - open.last > thresholdMs ? 'gap' : 'end')
  return out
}

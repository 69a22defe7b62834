import { validators, type Readings, type TelemetryRollup } from '@tendero/protocol'

/** Rollups cover one minute of one device (ARCHITECTURE.md, sync contract 6). */
export const ROLLUP_PERIOD_MS = 60_000

/** Most metrics a rollup may carry: `Readings` allows 64 per object. */
const MAX_METRICS = 64

/** One raw telemetry row as the compactor reads it from the log. */
export interface RawReading {
  seq: number
  deviceId: string
  time: number
  bootId: string
  clockSynced: boolean
  readings: Readings
}

export interface RollupGroup {
  /** The rows folded in, in seq order; the first one keeps its seq for the rollup. */
  rows: RawReading[]
  rollup: TelemetryRollup
}

/**
 * The readings of a stored telemetry body, or undefined when it is not one the cloud
 * would accept: such a row stays raw, so the cloud quarantines it with its own reason
 * instead of a rollup hiding it.
 */
export function foldableReadings(body: unknown): Readings | undefined {
  return validators.telemetry.check(body) ? body.readings : undefined
}

/**
 * Groups rows by device and period and folds every group of two or more into one
 * rollup. Rows of different boots or clock trust never share a group: a rollup keeps the
 * clock facts of its first row, and times taken before the clock synced must not be
 * averaged with times taken after.
 */
export function groupForRollup(rows: readonly RawReading[], periodMs = ROLLUP_PERIOD_MS): RollupGroup[] {
  const groups = new Map<string, RawReading[]>()
  for (const row of rows) {
    const key = `${row.deviceId}\u0000${row.bootId}\u0000${row.clockSynced ? 1 : 0}\u0000${Math.floor(row.time / periodMs)}`
    const group = groups.get(key)
    if (group) group.push(row)
    else groups.set(key, [row])
  }
  const out: RollupGroup[] = []
  for (const group of groups.values()) {
    if (group.length < 2) continue
    const rollup = rollupOf(group, periodMs)
    if (rollup) out.push({ rows: group, rollup })
  }
  return out
}

/** min/avg/max per metric over the rows that carry it; undefined past 64 metrics. */
export function rollupOf(rows: readonly RawReading[], periodMs = ROLLUP_PERIOD_MS): TelemetryRollup | undefined {
  const acc = new Map<string, { min: number; max: number; sum: number; n: number }>()
  let from = Infinity
  let to = -Infinity
  for (const row of rows) {
    from = Math.min(from, row.time)
    to = Math.max(to, row.time)
    for (const [metric, value] of Object.entries(row.readings)) {
      const a = acc.get(metric)
      if (a) {
        a.min = Math.min(a.min, value)
        a.max = Math.max(a.max, value)
        a.sum += value
        a.n += 1
      } else acc.set(metric, { min: value, max: value, sum: value, n: 1 })
    }
  }
  if (acc.size === 0 || acc.size > MAX_METRICS) return undefined
  const min: Readings = {}
  const avg: Readings = {}
  const max: Readings = {}
  for (const [metric, a] of acc) {
    min[metric] = a.min
    max[metric] = a.max
    // Twelve significant digits: beyond any sensor's precision, and it keeps float noise
    // (21.333333333333332) out of a row whose point is to be small.
    avg[metric] = Number((a.sum / a.n).toPrecision(12))
  }
  return { periodMs, from, to, count: rows.length, min, avg, max }
}

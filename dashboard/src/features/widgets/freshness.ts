// A device that stopped reporting must not look live: its widget says since when there is
// no data instead of showing the last numbers as if they were current.
import type { SeriesPoint } from '../telemetry/series.js'

/** Never call a device silent sooner than this, whatever its period. */
export const STALE_MIN_MS = 2 * 60_000
/** Missed reports before a device counts as silent. */
export const STALE_MISSED_REPORTS = 3

/** The device's usual period: the median gap between its last readings; null with fewer than two. */
export function reportIntervalMs(points: readonly SeriesPoint[], sample = 10): number | null {
  const tail = points.slice(-(sample + 1))
  const gaps: number[] = []
  for (let i = 1; i < tail.length; i++) gaps.push(tail[i]!.time - tail[i - 1]!.time)
  if (gaps.length === 0) return null
  gaps.sort((a, b) => a - b)
  return gaps[Math.floor(gaps.length / 2)]!
}

/** How long a device may stay quiet before its widget says it has no data. */
export function staleAfterMs(intervalMs: number | null): number {
  return Math.max(STALE_MIN_MS, STALE_MISSED_REPORTS * (intervalMs ?? 0))
}

export type Freshness = 'live' | 'stale' | 'never'

export function freshness(lastReportAt: number | null, now: number, intervalMs: number | null): Freshness {
  if (lastReportAt === null) return 'never'
  return now - lastReportAt > staleAfterMs(intervalMs) ? 'stale' : 'live'
}

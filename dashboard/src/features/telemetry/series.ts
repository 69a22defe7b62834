// Time series kept by the site store: ascending by time, one point per timestamp,
// capped so a phone left open all day does not grow without bound.

export interface SeriesPoint {
  time: number
  value: number
  /** Set on downsampled points (per-minute rollups): the range the average stands for. */
  min?: number
  max?: number
}

/** A history point as the series keeps it; min/max only when the cloud sent them. */
export function toSeriesPoint(item: { time: number; value: number; min?: number; max?: number }): SeriesPoint {
  return item.min !== undefined && item.max !== undefined
    ? { time: item.time, value: item.value, min: item.min, max: item.max }
    : { time: item.time, value: item.value }
}

/** Roughly an hour at one reading per second. */
export const MAX_SERIES_POINTS = 3600

export const seriesKey = (deviceId: string, metric: string) => `${deviceId}/${metric}`

/**
 * Returns a new series with `incoming` merged in. Live events usually land at the end,
 * but a reconnect re-fetch or a late gateway batch can overlap or precede what we have,
 * so merge by time and keep the newer value on equal timestamps.
 */
export function mergeSeries(
  current: readonly SeriesPoint[],
  incoming: readonly SeriesPoint[],
  cap = MAX_SERIES_POINTS,
): SeriesPoint[] {
  if (incoming.length === 0) return current.slice(-cap)
  const last = current[current.length - 1]
  const sortedIncoming = [...incoming].sort((a, b) => a.time - b.time)
  const first = sortedIncoming[0]!
  let merged: SeriesPoint[]
  if (!last || first.time > last.time) {
    merged = current.concat(dedupeSorted(sortedIncoming))
  } else {
    const byTime = new Map<number, SeriesPoint>()
    for (const p of current) byTime.set(p.time, p)
    for (const p of sortedIncoming) byTime.set(p.time, p)
    merged = [...byTime.values()].sort((a, b) => a.time - b.time)
  }
  return merged.length > cap ? merged.slice(merged.length - cap) : merged
}

function dedupeSorted(points: SeriesPoint[]): SeriesPoint[] {
  const out: SeriesPoint[] = []
  for (const p of points) {
    const prev = out[out.length - 1]
    if (prev && prev.time === p.time) out[out.length - 1] = p
    else out.push(p)
  }
  return out
}

import { apiRequest } from './client.js'

/** What the cloud keeps a series at: raw readings, 1-minute or 1-hour buckets. */
export type Resolution = 'raw' | '1m' | '1h'

/** One chart point (cloud telemetry schema SeriesPoint): a raw reading has min = avg = max, count 1. */
export interface HistoryPoint {
  time: number
  min: number
  avg: number
  max: number
  count: number
}

export interface HistorySeries {
  deviceId: string
  metric: string
  from: number
  to: number
  resolution: Resolution
  /** Raw only: the answer was cut at `limit`. */
  truncated: boolean
  items: HistoryPoint[]
}

export interface SeriesQuery {
  deviceId: string
  metric: string
  /** Epoch ms, inclusive. */
  from: number
  /** Epoch ms, exclusive. */
  to: number
  resolution?: Resolution | 'auto'
  limit?: number
}

/** GET /api/sites/:siteId/series: one device metric, oldest first, at the asked (or automatic) resolution. */
export function fetchSeries(siteId: string, query: SeriesQuery, signal?: AbortSignal): Promise<HistorySeries> {
  return apiRequest<HistorySeries>(`/api/sites/${encodeURIComponent(siteId)}/series`, { query: { ...query }, signal })
}

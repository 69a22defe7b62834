import type { Db } from '../../plugins/db/database.js'
import { findSiteForOrg, type SiteViewer } from '../sites/service.js'
import { badTimeRange } from './errors.js'
import { csvLine } from './csv.js'
import * as repo from './repository.js'
import {
  EXPORT_MAX_RANGE_MS,
  MAX_BUCKETS,
  RAW_DEFAULT_LIMIT,
  SERIES_DEFAULT_WINDOW_MS,
  type ExportQuery,
  type Resolution,
  type Series,
  type SeriesQuery,
} from './schema.js'

const BUCKET_MS: Record<Exclude<Resolution, 'raw'>, number> = { '1m': 60_000, '1h': 3_600_000 }
const HOUR_MS = 3_600_000

/**
 * What `auto` picks for a chart's range: raw readings up to 2 hours (at most a few
 * thousand points at the gateways' usual periods), 1-minute buckets up to 2 days (a day
 * is 1,440 points), 1-hour buckets beyond (a week is 168, a month about 720).
 */
export function autoResolution(rangeMs: number): Resolution {
  if (rangeMs <= 2 * HOUR_MS) return 'raw'
  if (rangeMs <= 48 * HOUR_MS) return '1m'
  return '1h'
}

/** from/to with their defaults, checked: from before to, and no longer than `maxMs`. */
function timeRange(query: { from?: number | undefined; to?: number | undefined }, defaultWindowMs: number, maxMs: number, now: number) {
  const to = query.to ?? now
  const from = query.from ?? Math.max(0, to - defaultWindowMs)
  if (from >= to) throw badTimeRange(`from (${from}) must be before to (${to})`)
  if (to - from > maxMs) throw badTimeRange(`from..to spans ${to - from} ms, more than ${maxMs} ms`)
  return { from, to }
}

export async function getSeries(db: Db, orgId: string | SiteViewer, siteId: string, query: SeriesQuery, now = Date.now()): Promise<Series> {
  const site = await findSiteForOrg(db, orgId, siteId)
  const { from, to } = timeRange(query, SERIES_DEFAULT_WINDOW_MS, Number.MAX_SAFE_INTEGER, now)
  const asked = query.resolution ?? 'auto'
  const resolution = asked === 'auto' ? autoResolution(to - from) : asked
  const filter = { siteId: site.id, deviceId: query.deviceId, metric: query.metric, from, to }
  const base = { deviceId: query.deviceId, metric: query.metric, from, to, resolution }
  if (resolution === 'raw') {
    const limit = query.limit ?? RAW_DEFAULT_LIMIT
    const items = await repo.rawSeries(db, filter, limit + 1)
    return { ...base, truncated: items.length > limit, items: items.slice(0, limit) }
  }
  const buckets = Math.ceil((to - from) / BUCKET_MS[resolution])
  if (buckets > MAX_BUCKETS) {
    throw badTimeRange(`resolution ${resolution} over from..to makes ${buckets} buckets, more than ${MAX_BUCKETS}; ` +
      'use a coarser resolution or a shorter range')
  }
  return { ...base, truncated: false, items: await repo.bucketSeries(db, filter, resolution) }
}

export const EXPORT_DEFAULT_WINDOW_MS = 24 * HOUR_MS
const EXPORT_PAGE_ROWS = 5000

/** The header row; the columns are the ones csvRows writes, in that order. */
export const CSV_HEADER = ['hora_utc', 'hora_local', 'zona_horaria', 'dispositivo_id', 'dispositivo', 'metrica',
  'valor', 'minimo', 'maximo', 'muestras'] as const

export interface TelemetryExport {
  filename: string
  /** CSV text, a page of rows per chunk, read from the database as the client takes it. */
  chunks: AsyncGenerator<string>
}

/**
 * The tenancy and range checks happen here, before the first byte is sent, so a refusal is
 * still a JSON error with its status; the rows are then read a page at a time, each page
 * its own query, so no connection is held while the client reads (PGlite has only one).
 */
export async function exportTelemetry(db: Db, orgId: string, siteId: string, query: ExportQuery, now = Date.now()): Promise<TelemetryExport> {
  const site = await findSiteForOrg(db, orgId, siteId)
  const { from, to } = timeRange(query, EXPORT_DEFAULT_WINDOW_MS, EXPORT_MAX_RANGE_MS, now)
  const filter = { siteId: site.id, timezone: site.timezone, deviceId: query.deviceId, metric: query.metric, from, to }
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10)
  return { filename: `telemetria-${day(from)}-${day(to)}.csv`, chunks: csvChunks(db, filter) }
}

async function* csvChunks(db: Db, filter: repo.ExportFilter): AsyncGenerator<string> {
  // A byte order mark, so spreadsheets read the accents of "Cámara" as UTF-8.
  yield '\uFEFF' + csvLine(CSV_HEADER)
  let after: repo.ExportCursor | undefined
  for (;;) {
    const rows = await repo.exportPage(db, filter, after, EXPORT_PAGE_ROWS)
    if (rows.length === 0) return
    yield rows.map((r) => csvLine([r.time_utc, r.time_local, filter.timezone, r.device_id, r.device_name ?? '',
      r.metric, r.value, r.min_value, r.max_value, r.samples])).join('')
    if (rows.length < EXPORT_PAGE_ROWS) return
    const last = rows[rows.length - 1]!
    after = { deviceId: last.device_id, metric: last.metric, timeMs: Number(last.time_ms), gatewayId: last.gateway_id,
      seq: Number(last.seq) }
  }
}

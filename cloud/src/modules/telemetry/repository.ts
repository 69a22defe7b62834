import { sql } from 'kysely'
import type { Db } from '../../plugins/db/database.js'
import type { Resolution, SeriesPoint } from './schema.js'

/**
 * Chart and export reads of the partitioned telemetry table (migration 0009). Every
 * query bounds `time`, so PostgreSQL reads only the months of the range (plus the default
 * partition), through the (site_id, device_id, metric, time) index of each.
 *
 * Downsampling is computed at query time with date_bin over that index range, not kept
 * in aggregate tables maintained at ingest. Measured on PostgreSQL 15 on the 2-core bench
 * box (bench/results/cloud-ingest.json), a month of one series at one reading per 10 s
 * (259,200 rows) folds into 1-hour buckets in 0.1 to 0.12 s, a day into 1-minute buckets
 * in 7 to 12 ms: inside a chart's budget. Aggregates kept at ingest would add an upsert
 * per device, metric and bucket to every batch, on the path that is already short of its
 * 100k points/s goal, and a second retention to keep apart from raw data's. Should
 * month-long charts over many series get slow, a 1-hour table filled from closed hours by
 * the maintenance job (partitions.ts) is the next step, not work in the ingest transaction.
 */

interface SeriesFilter {
  siteId: string
  deviceId: string
  metric: string
  from: number
  to: number
}

const BUCKET_INTERVAL: Record<Exclude<Resolution, 'raw'>, string> = { '1m': '1 minute', '1h': '1 hour' }

interface PointRow {
  time: number | string
  min: number
  avg: number
  max: number
  count: number | string
}

const toPoint = (r: PointRow): SeriesPoint =>
  ({ time: Number(r.time), min: r.min, avg: r.avg, max: r.max, count: Number(r.count) })

/**
 * Raw readings oldest first, at most `limit`. A point made from a gateway rollup keeps its
 * own min, max and sample count.
 */
export async function rawSeries(db: Db, f: SeriesFilter, limit: number): Promise<SeriesPoint[]> {
  const { rows } = await sql<PointRow>`
    select (extract(epoch from time) * 1000)::int8 as time,
           coalesce(min_value, value) as min, value as avg, coalesce(max_value, value) as max,
           coalesce(samples, 1) as count
    from telemetry
    where site_id = ${f.siteId} and device_id = ${f.deviceId} and metric = ${f.metric}
      and time >= epoch_ms_to_timestamptz(${f.from}::int8) and time < epoch_ms_to_timestamptz(${f.to}::int8)
    order by time, gateway_id, seq
    limit ${limit}`.execute(db)
  return rows.map(toPoint)
}

/**
 * min/avg/max/count per bucket, buckets aligned on UTC (date_bin from 2000-01-01). The
 * average weighs each stored point by the readings it stands for, so a rollup of 60
 * readings counts 60 times, as if the readings were still there.
 */
export async function bucketSeries(db: Db, f: SeriesFilter, resolution: Exclude<Resolution, 'raw'>): Promise<SeriesPoint[]> {
  const { rows } = await sql<PointRow>`
    select (extract(epoch from bucket) * 1000)::int8 as time, min, avg, max, count from (
      select date_bin(${BUCKET_INTERVAL[resolution]}::interval, time, timestamptz '2000-01-01 00:00:00+00') as bucket,
             min(coalesce(min_value, value)) as min,
             sum(value * coalesce(samples, 1)) / sum(coalesce(samples, 1)) as avg,
             max(coalesce(max_value, value)) as max,
             sum(coalesce(samples, 1))::int8 as count
      from telemetry
      where site_id = ${f.siteId} and device_id = ${f.deviceId} and metric = ${f.metric}
        and time >= epoch_ms_to_timestamptz(${f.from}::int8) and time < epoch_ms_to_timestamptz(${f.to}::int8)
      group by bucket
    ) as buckets
    order by bucket`.execute(db)
  return rows.map(toPoint)
}

export interface ExportFilter {
  siteId: string
  timezone: string
  deviceId?: string | undefined
  metric?: string | undefined
  from: number
  to: number
}

export interface ExportRow {
  time_utc: string
  time_local: string
  device_id: string
  device_name: string | null
  metric: string
  value: number
  min_value: number | null
  max_value: number | null
  samples: number | null
  // The keyset of the next page.
  gateway_id: string
  seq: number | string
  time_ms: number | string
}

/** Where the previous page ended, in the export's order. */
export interface ExportCursor {
  deviceId: string
  metric: string
  timeMs: number
  gatewayId: string
  seq: number
}

/**
 * One page of an export, ordered by device, metric and time: the order of the series
 * index, so each page is an index range read however long the export is. Times are
 * formatted by PostgreSQL, in UTC and in the site's zone.
 */
export async function exportPage(db: Db, f: ExportFilter, after: ExportCursor | undefined, pageSize: number): Promise<ExportRow[]> {
  const { rows } = await sql<ExportRow>`
    select to_char(t.time at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as time_utc,
           to_char(t.time at time zone ${f.timezone}, 'YYYY-MM-DD"T"HH24:MI:SS.MS') as time_local,
           t.device_id, d.name as device_name, t.metric, t.value, t.min_value, t.max_value, t.samples,
           t.gateway_id, t.seq, (extract(epoch from t.time) * 1000)::int8 as time_ms
    from telemetry t
    left join devices d on d.gateway_id = t.gateway_id and d.id = t.device_id
    where t.site_id = ${f.siteId}
      and t.time >= epoch_ms_to_timestamptz(${f.from}::int8) and t.time < epoch_ms_to_timestamptz(${f.to}::int8)
      ${f.deviceId === undefined ? sql`` : sql`and t.device_id = ${f.deviceId}`}
      ${f.metric === undefined ? sql`` : sql`and t.metric = ${f.metric}`}
      ${after === undefined ? sql`` : sql`and (t.device_id, t.metric, t.time, t.gateway_id, t.seq) >
        (${after.deviceId}, ${after.metric}, epoch_ms_to_timestamptz(${after.timeMs}::int8), ${after.gatewayId}, ${after.seq}::int8)`}
    order by t.device_id, t.metric, t.time, t.gateway_id, t.seq
    limit ${pageSize}`.execute(db)
  return rows
}

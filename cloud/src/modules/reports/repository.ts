import { sql } from 'kysely'
import type { Db } from '../../plugins/db/database.js'
import type { AlarmEpisode, GatewayGap, Reading } from './analysis.js'

/** The reads of the cold-chain report. Every telemetry query bounds `time` (partitions). */

export interface RegistryDevice {
  id: string
  name: string
  kind: string
  cold_band_min_c: number | null
  cold_band_max_c: number | null
}

/**
 * The site's devices by id. Telemetry is keyed by (site, device): a device id served by
 * two gateways of the site is one series, listed once (the first gateway's record).
 */
export async function siteDevices(db: Db, siteId: string): Promise<RegistryDevice[]> {
  const rows = await db
    .selectFrom('devices')
    .select(['id', 'name', 'kind', 'cold_band_min_c', 'cold_band_max_c', 'gateway_id'])
    .where('site_id', '=', siteId)
    .orderBy('id')
    .orderBy('gateway_id')
    .execute()
  const seen = new Set<string>()
  return rows.filter((r) => !seen.has(r.id) && seen.add(r.id)).map(({ gateway_id: _, ...r }) => r)
}

interface ReadingRow {
  time: number | string
  value: number
  min: number
  max: number
  samples: number | string
}

export async function readings(db: Db, siteId: string, deviceId: string, metric: string, from: number, to: number): Promise<Reading[]> {
  const { rows } = await sql<ReadingRow>`
    select (extract(epoch from time) * 1000)::int8 as time, value,
           coalesce(min_value, value) as min, coalesce(max_value, value) as max, coalesce(samples, 1) as samples
    from telemetry
    where site_id = ${siteId} and device_id = ${deviceId} and metric = ${metric}
      and time >= epoch_ms_to_timestamptz(${from}::int8) and time < epoch_ms_to_timestamptz(${to}::int8)
    order by time, gateway_id, seq`.execute(db)
  return rows.map((r) => ({ time: Number(r.time), value: r.value, min: r.min, max: r.max, samples: Number(r.samples) }))
}

/** Gaps the site's gateways reported over [from, to) that name the device (or no device in particular). */
export async function gatewayGaps(db: Db, siteId: string, deviceId: string, from: number, to: number): Promise<GatewayGap[]> {
  const rows = await db
    .selectFrom('data_gaps')
    .select(['from_time', 'to_time', 'reason', 'devices'])
    .where('site_id', '=', siteId)
    .where('to_time', '>', new Date(from))
    .where('from_time', '<', new Date(to))
    .orderBy('from_time')
    .execute()
  return rows
    .filter((r) => {
      const devices = (typeof r.devices === 'string' ? JSON.parse(r.devices) : r.devices) as unknown
      return !Array.isArray(devices) || devices.length === 0 || devices.includes(deviceId)
    })
    .map((r) => ({ from: r.from_time.getTime(), to: r.to_time.getTime(), reason: r.reason }))
}

/** How far back an alarm raised before the window is looked for in the event log. */
const ALARM_LOOKBACK_MS = 7 * 24 * 3_600_000

interface AlarmEventRow {
  time: number | string
  alarm_id: string
  state: string
}

/**
 * The device's alarm episodes that touch [from, to). The `alarms` table mirrors only the
 * latest episode of each alarm id, so the earlier ones of the day are rebuilt from the
 * gateways' alarm events (raised opens an episode, cleared closes it); the mirror's row
 * adds an episode raised before the look-back.
 */
export async function alarmEpisodes(db: Db, siteId: string, deviceId: string, from: number, to: number): Promise<AlarmEpisode[]> {
  const { rows } = await sql<AlarmEventRow>`
    select (extract(epoch from e.time) * 1000)::int8 as time, e.body->>'alarmId' as alarm_id, e.body->>'state' as state
    from events e
    where e.gateway_id in (select id from gateways where site_id = ${siteId})
      and e.kind = 'alarm' and e.device_id = ${deviceId} and not e.time_suspect
      and e.time >= epoch_ms_to_timestamptz(${from - ALARM_LOOKBACK_MS}::int8) and e.time < epoch_ms_to_timestamptz(${to}::int8)
    order by e.time, e.seq`.execute(db)
  const open = new Map<string, number>()
  const episodes: AlarmEpisode[] = []
  for (const r of rows) {
    const time = Number(r.time)
    if (r.state === 'raised' && !open.has(r.alarm_id)) open.set(r.alarm_id, time)
    if (r.state === 'cleared' && open.has(r.alarm_id)) {
      episodes.push({ alarmId: r.alarm_id, from: open.get(r.alarm_id)!, to: time })
      open.delete(r.alarm_id)
    }
  }
  for (const [alarmId, start] of open) episodes.push({ alarmId, from: start, to: null })

  const mirrored = await db
    .selectFrom('alarms')
    .select(['alarm_id', 'raised_at', 'cleared_at'])
    .where('site_id', '=', siteId)
    .where('device_id', '=', deviceId)
    .where('raised_at', '<', new Date(to))
    .where((eb) => eb.or([eb('cleared_at', 'is', null), eb('cleared_at', '>=', new Date(from))]))
    .execute()
  for (const a of mirrored) {
    if (a.raised_at) episodes.push({ alarmId: a.alarm_id, from: a.raised_at.getTime(), to: a.cleared_at?.getTime() ?? null })
  }
  return episodes.filter((e) => e.from < to && (e.to === null || e.to >= from))
}

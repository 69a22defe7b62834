import type { Db } from '../../plugins/db/database.js'
import { sql } from 'kysely'
import type { AlarmRow, DataGapRow, SiteRow } from '../../plugins/db/tables.js'
import { toEpochMs } from '../../plugins/db/timestamps.js'
import { GAP_DEVICES_LISTED_MAX, type AlarmItem, type GapItem, type SiteDetail, type StateItem, type TelemetryPoint } from './schema.js'

export async function listSites(db: Db, orgId: string): Promise<SiteRow[]> {
  return db.selectFrom('sites').selectAll().where('org_id', '=', orgId).orderBy('name').execute()
}

export async function findSite(db: Db, orgId: string, siteId: string): Promise<SiteRow | undefined> {
  return db.selectFrom('sites').selectAll().where('org_id', '=', orgId).where('id', '=', siteId).executeTakeFirst()
}

/** A site another organization granted `orgId` `scope` on (all its sites or this one), if any. */
export async function findGrantedSite(db: Db, orgId: string, siteId: string, scope: string): Promise<SiteRow | undefined> {
  return db
    .selectFrom('sites')
    .innerJoin('org_grants', 'org_grants.grantor_org_id', 'sites.org_id')
    .selectAll('sites')
    .where('sites.id', '=', siteId)
    .where('org_grants.grantee_org_id', '=', orgId)
    .where('org_grants.revoked_at', 'is', null)
    .where((eb) => eb.or([eb('org_grants.site_id', 'is', null), eb('org_grants.site_id', '=', siteId)]))
    .where(sql<boolean>`${scope} = ANY(org_grants.scopes)`)
    .executeTakeFirst()
}

/** Sites other organizations let `orgId` see (sites.read), with the granting organization's name. */
export async function listGrantedSites(db: Db, orgId: string) {
  return db
    .selectFrom('sites')
    .innerJoin('org_grants', 'org_grants.grantor_org_id', 'sites.org_id')
    .innerJoin('organizations', 'organizations.id', 'sites.org_id')
    .select(['sites.id', 'sites.name', 'sites.timezone', 'organizations.name as org_name'])
    .distinct()
    .where('org_grants.grantee_org_id', '=', orgId)
    .where('sites.org_id', '<>', orgId)
    .where('org_grants.revoked_at', 'is', null)
    .where((eb) => eb.or([eb('org_grants.site_id', 'is', null), eb('org_grants.site_id', '=', eb.ref('sites.id'))]))
    .where(sql<boolean>`'sites.read' = ANY(org_grants.scopes)`)
    .orderBy('sites.name')
    .execute()
}

export async function listDevices(db: Db, siteId: string): Promise<SiteDetail['devices']> {
  const rows = await db
    .selectFrom('devices')
    .select(['id', 'gateway_id', 'name', 'kind'])
    .where('site_id', '=', siteId)
    .orderBy('id')
    .execute()
  return rows.map((r) => ({ id: r.id, gatewayId: r.gateway_id, name: r.name, kind: r.kind }))
}

export interface TelemetryFilter {
  deviceId?: string | undefined
  metric?: string | undefined
  from: Date
  to: Date
  limit: number
}

export async function queryTelemetry(db: Db, siteId: string, filter: TelemetryFilter): Promise<TelemetryPoint[]> {
  let query = db
    .selectFrom('telemetry')
    .select(['time', 'device_id', 'metric', 'value', 'min_value', 'max_value', 'samples'])
    .where('site_id', '=', siteId)
    .where('time', '>=', filter.from)
    .where('time', '<=', filter.to)
  if (filter.deviceId) query = query.where('device_id', '=', filter.deviceId)
  if (filter.metric) query = query.where('metric', '=', filter.metric)
  const rows = await query.orderBy('time').orderBy('device_id').orderBy('metric').limit(filter.limit).execute()
  return rows.map((r) => {
    const point: TelemetryPoint = { time: toEpochMs(r.time), deviceId: r.device_id, metric: r.metric, value: r.value }
    if (r.samples !== null) {
      if (r.min_value !== null) point.min = r.min_value
      if (r.max_value !== null) point.max = r.max_value
      point.samples = r.samples
    }
    return point
  })
}

export async function listState(db: Db, siteId: string): Promise<StateItem[]> {
  const rows = await db
    .selectFrom('device_state')
    .select(['device_id', 'key', 'value', 'updated_at', 'gateway_id', 'seq'])
    .where('site_id', '=', siteId)
    .orderBy('device_id')
    .orderBy('key')
    .execute()
  return rows.map((r) => {
    const item: StateItem = { deviceId: r.device_id, key: r.key, value: r.value, updatedAt: toEpochMs(r.updated_at) }
    if (r.gateway_id !== null && r.seq !== null) {
      item.gatewayId = r.gateway_id
      item.seq = r.seq
    }
    return item
  })
}

export async function listAlarms(db: Db, siteId: string, activeOnly: boolean): Promise<AlarmItem[]> {
  let query = db.selectFrom('alarms').selectAll().where('site_id', '=', siteId)
  if (activeOnly) query = query.where('state', '!=', 'cleared')
  const rows = await query.orderBy('updated_at', 'desc').orderBy('alarm_id').execute()
  return rows.map(toAlarmItem)
}

export function toAlarmItem(row: AlarmRow): AlarmItem {
  const item: AlarmItem = {
    alarmId: row.alarm_id,
    ruleId: row.rule_id,
    deviceId: row.device_id,
    severity: row.severity,
    state: row.state,
    message: row.message,
    value: row.value,
    raisedAt: toEpochMs(row.raised_at),
    updatedAt: toEpochMs(row.updated_at),
    clearedAt: toEpochMs(row.cleared_at),
  }
  if (row.gateway_id !== null && row.seq !== null) {
    item.gatewayId = row.gateway_id
    item.seq = row.seq
  }
  return item
}

export interface GapFilter {
  deviceId?: string | undefined
  from?: Date | undefined
  to?: Date | undefined
  limit: number
}

/** Newest first by the end of the period each gap covers. */
export async function queryGaps(db: Db, siteId: string, filter: GapFilter): Promise<GapItem[]> {
  let query = db.selectFrom('data_gaps').selectAll().where('site_id', '=', siteId)
  if (filter.from) query = query.where('to_time', '>=', filter.from)
  if (filter.to) query = query.where('from_time', '<=', filter.to)
  // An empty list, or one at the gateway's cap of 1000, cannot rule a device out.
  if (filter.deviceId) {
    query = query.where(sql<boolean>`(devices @> ${JSON.stringify([filter.deviceId])}::jsonb
      or jsonb_array_length(devices) = 0 or jsonb_array_length(devices) >= ${GAP_DEVICES_LISTED_MAX})`)
  }
  const rows = await query.orderBy('to_time', 'desc').orderBy('gateway_id').orderBy('seq', 'desc').limit(filter.limit).execute()
  return rows.map(toGapItem)
}

export function toGapItem(row: DataGapRow): GapItem {
  return {
    gatewayId: row.gateway_id,
    seq: row.seq,
    reason: row.reason,
    fromSeq: row.from_seq,
    toSeq: row.to_seq,
    fromTime: toEpochMs(row.from_time),
    toTime: toEpochMs(row.to_time),
    removed: row.removed,
    written: row.written,
    devices: row.devices,
    recordedAt: toEpochMs(row.recorded_at),
  }
}

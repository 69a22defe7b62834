import type { Db } from '../../plugins/db/database.js'
import type { AlarmRow, SiteRow } from '../../plugins/db/tables.js'
import { toEpochMs } from '../../plugins/db/timestamps.js'
import type { AlarmItem, SiteDetail, StateItem, TelemetryPoint } from './schema.js'

export async function listSites(db: Db, orgId: string): Promise<SiteRow[]> {
  return db.selectFrom('sites').selectAll().where('org_id', '=', orgId).orderBy('name').execute()
}

export async function findSite(db: Db, orgId: string, siteId: string): Promise<SiteRow | undefined> {
  return db.selectFrom('sites').selectAll().where('org_id', '=', orgId).where('id', '=', siteId).executeTakeFirst()
}

export async function listGateways(db: Db, siteId: string): Promise<SiteDetail['gateways']> {
  const rows = await db
    .selectFrom('gateways')
    .select(['id', 'name', 'last_seen_at', 'ack_seq'])
    .where('site_id', '=', siteId)
    .orderBy('id')
    .execute()
  return rows.map((r) => ({ id: r.id, name: r.name, lastSeenAt: toEpochMs(r.last_seen_at), ackSeq: r.ack_seq }))
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
    .select(['time', 'device_id', 'metric', 'value'])
    .where('site_id', '=', siteId)
    .where('time', '>=', filter.from)
    .where('time', '<=', filter.to)
  if (filter.deviceId) query = query.where('device_id', '=', filter.deviceId)
  if (filter.metric) query = query.where('metric', '=', filter.metric)
  const rows = await query.orderBy('time').orderBy('device_id').orderBy('metric').limit(filter.limit).execute()
  return rows.map((r) => ({ time: toEpochMs(r.time), deviceId: r.device_id, metric: r.metric, value: r.value }))
}

export async function listState(db: Db, siteId: string): Promise<StateItem[]> {
  const rows = await db
    .selectFrom('device_state')
    .select(['device_id', 'key', 'value', 'updated_at'])
    .where('site_id', '=', siteId)
    .orderBy('device_id')
    .orderBy('key')
    .execute()
  return rows.map((r) => ({ deviceId: r.device_id, key: r.key, value: r.value, updatedAt: toEpochMs(r.updated_at) }))
}

export async function listAlarms(db: Db, siteId: string, activeOnly: boolean): Promise<AlarmItem[]> {
  let query = db.selectFrom('alarms').selectAll().where('site_id', '=', siteId)
  if (activeOnly) query = query.where('state', '!=', 'cleared')
  const rows = await query.orderBy('updated_at', 'desc').orderBy('alarm_id').execute()
  return rows.map(toAlarmItem)
}

export function toAlarmItem(row: AlarmRow): AlarmItem {
  return {
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
}

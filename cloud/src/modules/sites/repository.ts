import type { Db } from '../../plugins/db/database.js'
import { sql } from 'kysely'
import type { ExpressionBuilder, Selectable } from 'kysely'
import type { AlarmRow, Database, DataGapRow, DeviceStateTable, SiteRow, TelemetryTable } from '../../plugins/db/tables.js'
import { toEpochMs } from '../../plugins/db/timestamps.js'
import { GAP_DEVICES_LISTED_MAX, type AlarmItem, type GapItem, type SiteDetail, type StateItem, type TelemetryPoint } from './schema.js'

/** Whether another organization's live grant gives `orgId` `scope` on the site in `sites` (all its sites or this one). */
function grantedTo(eb: ExpressionBuilder<Database, 'sites'>, orgId: string, scope: string) {
  return eb.exists(
    eb
      .selectFrom('org_grants')
      .select('org_grants.id')
      .whereRef('org_grants.grantor_org_id', '=', 'sites.org_id')
      .where('org_grants.grantee_org_id', '=', orgId)
      .where('org_grants.revoked_at', 'is', null)
      .where((g) => g.or([g('org_grants.site_id', 'is', null), g('org_grants.site_id', '=', g.ref('sites.id'))]))
      .where(sql<boolean>`${scope} = ANY(org_grants.scopes)`),
  )
}

/** A page of sites in (name, id) order: the positions are the last row's. */
export type SitePosition = [name: string, id: string]

/** One row of the site list: granted_by is the granting organization's name, null for one's own. */
export interface SiteListRow {
  id: string
  name: string
  timezone: string
  granted_by: string | null
}

/**
 * The organization's own sites and those other organizations let it see (sites.read), in
 * one keyset-paged query so a page mixes both in name order. `limit` rows are fetched.
 */
export async function listSites(db: Db, orgId: string, page: { desc: boolean; after?: SitePosition | undefined; limit: number }): Promise<SiteListRow[]> {
  let query = db
    .selectFrom('sites')
    .innerJoin('organizations', 'organizations.id', 'sites.org_id')
    .select([
      'sites.id',
      'sites.name',
      'sites.timezone',
      sql<string | null>`case when sites.org_id = ${orgId}::uuid then null else organizations.name end`.as('granted_by'),
    ])
    .where((eb) => eb.or([eb('sites.org_id', '=', orgId), grantedTo(eb, orgId, 'sites.read')]))
  if (page.after) {
    const [name, id] = page.after
    query = page.desc
      ? query.where(sql<boolean>`(sites.name, sites.id) < (${name}, ${id}::uuid)`)
      : query.where(sql<boolean>`(sites.name, sites.id) > (${name}, ${id}::uuid)`)
  }
  const direction = page.desc ? 'desc' : 'asc'
  return query.orderBy('sites.name', direction).orderBy('sites.id', direction).limit(page.limit).execute()
}

/** The organization's own sites and those granted to it with `scope`: the sites a cross-site list may read. */
export async function visibleSiteIds(db: Db, orgId: string, scope: string): Promise<string[]> {
  const rows = await db
    .selectFrom('sites')
    .select('sites.id')
    .where((eb) => eb.or([eb('sites.org_id', '=', orgId), grantedTo(eb, orgId, scope)]))
    .orderBy('sites.id')
    .execute()
  return rows.map((r) => r.id)
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

export async function listDevices(db: Db, siteId: string): Promise<SiteDetail['devices']> {
  const rows = await db
    .selectFrom('devices')
    .select(['id', 'gateway_id', 'name', 'kind'])
    .where('site_id', '=', siteId)
    .orderBy('id')
    .execute()
  return rows.map((r) => ({ id: r.id, gatewayId: r.gateway_id, name: r.name, kind: r.kind }))
}

/** Where a telemetry page ends: time (epoch ms), then the row's unique key. */
export type TelemetryPosition = [timeMs: number, gatewayId: string, seq: number, metric: string]

export interface TelemetryFilter {
  deviceId?: string | undefined
  metric?: string | undefined
  from: Date
  to: Date
  desc: boolean
  after?: TelemetryPosition | undefined
  limit: number
}

export type TelemetryRow = Pick<TelemetryTable, 'device_id' | 'metric' | 'value' | 'gateway_id' | 'seq'> & {
  time: Date
  min_value: number | null
  max_value: number | null
  samples: number | null
}

/** Raw and downsampled readings by time; ties by (gateway_id, seq, metric), the table's unique key. */
export async function queryTelemetry(db: Db, siteId: string, filter: TelemetryFilter): Promise<TelemetryRow[]> {
  let query = db
    .selectFrom('telemetry')
    .select(['time', 'device_id', 'metric', 'value', 'min_value', 'max_value', 'samples', 'gateway_id', 'seq'])
    .where('site_id', '=', siteId)
    .where('time', '>=', filter.from)
    .where('time', '<=', filter.to)
  if (filter.deviceId) query = query.where('device_id', '=', filter.deviceId)
  if (filter.metric) query = query.where('metric', '=', filter.metric)
  if (filter.after) {
    const [at, gatewayId, seq, metric] = filter.after
    const key = sql`(time, gateway_id, seq, metric)`
    const position = sql`(${new Date(at)}::timestamptz, ${gatewayId}::text, ${seq}::bigint, ${metric}::text)`
    query = query.where(filter.desc ? sql<boolean>`${key} < ${position}` : sql<boolean>`${key} > ${position}`)
  }
  const direction = filter.desc ? 'desc' : 'asc'
  return query
    .orderBy('time', direction)
    .orderBy('gateway_id', direction)
    .orderBy('seq', direction)
    .orderBy('metric', direction)
    .limit(filter.limit)
    .execute() as Promise<TelemetryRow[]>
}

export function toTelemetryPoint(r: TelemetryRow): TelemetryPoint {
  const point: TelemetryPoint = { time: toEpochMs(r.time), deviceId: r.device_id, metric: r.metric, value: r.value }
  if (r.samples !== null) {
    if (r.min_value !== null) point.min = r.min_value
    if (r.max_value !== null) point.max = r.max_value
    point.samples = r.samples
  }
  return point
}

/** Where a state page ends: (device_id, key), the row's key within the site. */
export type StatePosition = [deviceId: string, key: string]

export type StateRow = Selectable<DeviceStateTable>

export async function listState(
  db: Db,
  siteId: string,
  filter: { deviceId?: string | undefined; after?: StatePosition | undefined; limit: number },
): Promise<StateRow[]> {
  let query = db.selectFrom('device_state').selectAll().where('site_id', '=', siteId)
  if (filter.deviceId) query = query.where('device_id', '=', filter.deviceId)
  if (filter.after) query = query.where(sql<boolean>`(device_id, key) > (${filter.after[0]}::text, ${filter.after[1]}::text)`)
  return query.orderBy('device_id').orderBy('key').limit(filter.limit).execute()
}

export function toStateItem(r: StateRow): StateItem {
  const item: StateItem = { deviceId: r.device_id, key: r.key, value: r.value, updatedAt: toEpochMs(r.updated_at) }
  if (r.gateway_id !== null && r.seq !== null) {
    item.gatewayId = r.gateway_id
    item.seq = r.seq
  }
  return item
}

/** Where a site's alarm page ends: the last change (epoch ms), then the alarm id (unique on the site). */
export type SiteAlarmPosition = [updatedAtMs: number, alarmId: string]

export interface SiteAlarmFilter {
  activeOnly: boolean
  severity?: string | undefined
  deviceId?: string | undefined
  desc: boolean
  after?: SiteAlarmPosition | undefined
  limit: number
}

/** The names of the cloud users who acted on an alarm, joined for the list. */
export interface AlarmActorNames {
  acknowledged_by_name: string | null
  cleared_by_name: string | null
}

/**
 * Selects alarms with their actors' names (alarm actors, migration 0011): a query on
 * `alarms` gets the two user joins and the name columns toAlarmItem reads.
 */
export function selectAlarmsWithActors(db: Db) {
  return db
    .selectFrom('alarms')
    .leftJoin('users as acknowledger', 'acknowledger.id', 'alarms.acknowledged_by')
    .leftJoin('users as clearer', 'clearer.id', 'alarms.cleared_by')
    .selectAll('alarms')
    .select(['acknowledger.name as acknowledged_by_name', 'clearer.name as cleared_by_name'])
}

export async function listAlarms(db: Db, siteId: string, filter: SiteAlarmFilter): Promise<(AlarmRow & AlarmActorNames)[]> {
  let query = selectAlarmsWithActors(db).where('alarms.site_id', '=', siteId)
  if (filter.activeOnly) query = query.where('alarms.state', '!=', 'cleared')
  if (filter.severity) query = query.where('alarms.severity', '=', filter.severity)
  if (filter.deviceId) query = query.where('alarms.device_id', '=', filter.deviceId)
  if (filter.after) {
    const key = sql`(alarms.updated_at, alarms.alarm_id)`
    const position = sql`(${new Date(filter.after[0])}::timestamptz, ${filter.after[1]}::text)`
    query = query.where(filter.desc ? sql<boolean>`${key} < ${position}` : sql<boolean>`${key} > ${position}`)
  }
  const direction = filter.desc ? 'desc' : 'asc'
  return query.orderBy('alarms.updated_at', direction).orderBy('alarms.alarm_id', direction).limit(filter.limit).execute()
}

const actor = (id: string | null, name: string | null | undefined) => (id === null ? null : { id, name: name ?? '' })

/**
 * An alarm row as the API shows it. With the actors' names joined (selectAlarmsWithActors)
 * it carries acknowledgedBy/clearedBy; without (the ingest push) it leaves them out.
 */
export function toAlarmItem(row: AlarmRow & Partial<AlarmActorNames>): AlarmItem {
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
  if ('acknowledged_by_name' in row) {
    item.acknowledgedBy = actor(row.acknowledged_by, row.acknowledged_by_name)
    item.acknowledgedAt = toEpochMs(row.acknowledged_at)
    item.clearedBy = actor(row.cleared_by, row.cleared_by_name)
  }
  return item
}

/** Where a gap page ends: the end of the period it covers (epoch ms), then its (gateway_id, seq). */
export type GapPosition = [toTimeMs: number, gatewayId: string, seq: number]

export interface GapFilter {
  deviceId?: string | undefined
  from?: Date | undefined
  to?: Date | undefined
  desc: boolean
  after?: GapPosition | undefined
  limit: number
}

/** By the end of the period each gap covers (newest first unless asked otherwise); ties by (gateway_id, seq). */
export async function queryGaps(db: Db, siteId: string, filter: GapFilter): Promise<DataGapRow[]> {
  let query = db.selectFrom('data_gaps').selectAll().where('site_id', '=', siteId)
  if (filter.from) query = query.where('to_time', '>=', filter.from)
  if (filter.to) query = query.where('from_time', '<=', filter.to)
  // An empty list, or one at the gateway's cap of 1000, cannot rule a device out.
  if (filter.deviceId) {
    query = query.where(sql<boolean>`(devices @> ${JSON.stringify([filter.deviceId])}::jsonb
      or jsonb_array_length(devices) = 0 or jsonb_array_length(devices) >= ${GAP_DEVICES_LISTED_MAX})`)
  }
  if (filter.after) {
    const [at, gatewayId, seq] = filter.after
    const key = sql`(to_time, gateway_id, seq)`
    const position = sql`(${new Date(at)}::timestamptz, ${gatewayId}::text, ${seq}::bigint)`
    query = query.where(filter.desc ? sql<boolean>`${key} < ${position}` : sql<boolean>`${key} > ${position}`)
  }
  const direction = filter.desc ? 'desc' : 'asc'
  return query.orderBy('to_time', direction).orderBy('gateway_id', direction).orderBy('seq', direction).limit(filter.limit).execute()
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

/** One site's gateways folded into the overview's figures (service.ts adds who is online). */
export interface SiteGatewayHealthRow {
  site_id: string
  gateway_ids: string[]
  lag_seconds: number | null
  lag_events: number
  buffer_days_left: number | null
  last_contact_at: Date | null
}

/**
 * Per site: its gateways, the worst lag and buffer of their last sync reports, and the
 * latest contact. One grouped query for a page of sites.
 */
export async function siteGatewayHealth(db: Db, siteIds: string[]): Promise<SiteGatewayHealthRow[]> {
  if (siteIds.length === 0) return []
  const rows = await db
    .selectFrom('gateways')
    .select([
      'site_id',
      sql<string[]>`array_agg(id order by id)`.as('gateway_ids'),
      sql<number | null>`max((sync_status->>'lagSeconds')::double precision)`.as('lag_seconds'),
      sql<number>`coalesce(sum((sync_status->>'lagEvents')::bigint), 0)`.as('lag_events'),
      sql<number | null>`min((sync_status->>'bufferDaysLeft')::double precision)`.as('buffer_days_left'),
      sql<Date | null>`max(greatest(last_contact_at, last_seen_at))`.as('last_contact_at'),
    ])
    .where('site_id', 'in', siteIds)
    .groupBy('site_id')
    .execute()
  return rows.map((r) => ({
    ...r,
    lag_seconds: r.lag_seconds === null ? null : Number(r.lag_seconds),
    lag_events: Number(r.lag_events),
    buffer_days_left: r.buffer_days_left === null ? null : Number(r.buffer_days_left),
  }))
}

/** Active (raised or acknowledged) alarms per site and severity. */
export async function activeAlarmCounts(db: Db, siteIds: string[]): Promise<{ site_id: string; severity: string; n: number }[]> {
  if (siteIds.length === 0) return []
  const rows = await db
    .selectFrom('alarms')
    .select(['site_id', 'severity', (eb) => eb.fn.countAll<number>().as('n')])
    .where('site_id', 'in', siteIds)
    .where('state', '!=', 'cleared')
    .groupBy(['site_id', 'severity'])
    .execute()
  return rows.map((r) => ({ ...r, n: Number(r.n) }))
}

/** Where an activity page ends: the event's time (epoch ms), then its (gateway_id, seq). */
export type ActivityPosition = [timeMs: number, gatewayId: string, seq: number]

export interface ActivityFilter {
  /** Sites whose events may be listed. */
  siteIds: string[]
  /** Of those, the sites whose alarm events may be listed too (alarms.read). */
  alarmSiteIds: string[]
  logKinds: readonly string[]
  after?: ActivityPosition | undefined
  limit: number
}

export interface ActivityRow {
  site_id: string
  site_name: string
  gateway_id: string
  seq: number
  kind: string
  device_id: string
  time: Date
  body: unknown
}

/**
 * The sites' gateway log events of the given kinds, newest first; keyset on
 * (time, gateway_id, seq). Events carry no site: their gateway's site today says where.
 */
export async function listActivity(db: Db, filter: ActivityFilter): Promise<ActivityRow[]> {
  if (filter.siteIds.length === 0 || filter.logKinds.length === 0) return []
  let query = db
    .selectFrom('events')
    .innerJoin('gateways', 'gateways.id', 'events.gateway_id')
    .innerJoin('sites', 'sites.id', 'gateways.site_id')
    .select([
      'sites.id as site_id',
      'sites.name as site_name',
      'events.gateway_id',
      'events.seq',
      'events.kind',
      'events.device_id',
      'events.time',
      'events.body',
    ])
    .where('gateways.site_id', 'in', filter.siteIds)
    .where('events.kind', 'in', [...filter.logKinds])
  if (filter.logKinds.includes('alarm')) {
    const alarmSites = filter.alarmSiteIds
    query = query.where((eb) =>
      alarmSites.length === 0 ? eb('events.kind', '!=', 'alarm') : eb.or([eb('events.kind', '!=', 'alarm'), eb('gateways.site_id', 'in', alarmSites)]),
    )
  }
  if (filter.after) {
    const [at, gatewayId, seq] = filter.after
    query = query.where(sql<boolean>`(events.time, events.gateway_id, events.seq) < (${new Date(at)}::timestamptz, ${gatewayId}::text, ${seq}::bigint)`)
  }
  const rows = await query
    .orderBy('events.time', 'desc')
    .orderBy('events.gateway_id', 'desc')
    .orderBy('events.seq', 'desc')
    .limit(filter.limit)
    .execute()
  return rows.map((r) => ({ ...r, seq: Number(r.seq) })) as ActivityRow[]
}

import type { ColumnType, Generated, Insertable, Selectable } from 'kysely'
import type { SyncStatus } from '@tendero/protocol'

/**
 * Kysely's view of the schema created by src/migrations. Times are `timestamptz`
 * (Date in and out); int8 columns come back as JS numbers on both drivers (see
 * database.ts), which is safe for seq values up to 2^53.
 */
type Timestamp = ColumnType<Date, Date | string, Date | string>
type CreatedAt = ColumnType<Date, Date | string | undefined, never>
type Json<T = unknown> = ColumnType<T, string, string>
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>
type NullableJson<T> = ColumnType<T | null, string | null | undefined, string | null>

export interface OrganizationsTable {
  id: Generated<string>
  name: string
  /** platform | operator | shop (migration 0007). */
  kind: Generated<string>
  /** Admins must log in with TOTP (migration 0012); true for new organizations. */
  require_admin_totp: Generated<boolean>
  created_at: CreatedAt
}

export interface SitesTable {
  id: Generated<string>
  org_id: string
  name: string
  timezone: string
  created_at: CreatedAt
}

export interface UsersTable {
  id: Generated<string>
  org_id: string
  email: string
  name: string
  password_hash: string
  locale: string
  /** One of modules/identity/permissions.ts ROLES (migration 0007). */
  role: Generated<string>
  totp_secret: ColumnType<string | null, string | null | undefined, string | null>
  totp_enabled: Generated<boolean>
  totp_last_step: ColumnType<number | null, number | null | undefined, number | null>
  disabled_at: NullableTimestamp
  created_at: CreatedAt
}

export interface RefreshTokensTable {
  id: Generated<string>
  user_id: string
  family_id: string
  token_hash: string
  expires_at: Timestamp
  used_at: NullableTimestamp
  revoked_at: NullableTimestamp
  created_at: CreatedAt
}

export interface ApiKeysTable {
  id: Generated<string>
  org_id: string
  name: string
  prefix: string
  key_hash: string
  role: string
  created_by: string | null
  created_at: CreatedAt
  last_used_at: NullableTimestamp
  revoked_at: NullableTimestamp
}

export interface LoginFailuresTable {
  email: string
  ip: string
  failures: number
  lockouts: number
  locked_until: NullableTimestamp
  last_failure_at: Timestamp
}

export interface OrgGrantsTable {
  id: Generated<string>
  grantor_org_id: string
  grantee_org_id: string
  site_id: string | null
  scopes: string[]
  created_at: CreatedAt
  revoked_at: NullableTimestamp
}

export interface AuditLogTable {
  id: Generated<number>
  at: CreatedAt
  org_id: string | null
  actor_type: string
  actor_id: string | null
  action: string
  target_type: string | null
  target_id: string | null
  before: NullableJson<unknown>
  after: NullableJson<unknown>
  request_id: string | null
  ip: string | null
}

export interface IdempotencyKeysTable {
  org_id: string
  key: string
  route: string
  request_hash: string
  status_code: number | null
  response: NullableJson<unknown>
  created_at: CreatedAt
}

export interface GatewaysTable {
  id: string
  org_id: string
  site_id: string
  name: string
  key_hash: string
  ack_seq: Generated<number>
  /** Last stored ingest batch. */
  last_seen_at: Timestamp | null
  /** Last ingest request or channel message of any kind (migration 0004). */
  last_contact_at: NullableTimestamp
  /** The latest `sync.status` the gateway sent, and the cloud's time when it arrived. */
  sync_status: NullableJson<SyncStatus>
  sync_status_at: NullableTimestamp
  created_at: CreatedAt
}

export interface DevicesTable {
  id: string
  gateway_id: string
  site_id: string
  name: string
  kind: string
  /** The band the cold-chain report holds a fridge to (migration 0014); both null: its kind's default. */
  cold_band_min_c: ColumnType<number | null, number | null | undefined, number | null>
  cold_band_max_c: ColumnType<number | null, number | null | undefined, number | null>
}

export interface EventsTable {
  gateway_id: string
  seq: number
  kind: string
  device_id: string
  time: Timestamp
  received_at: Timestamp
  boot_id: string
  clock_synced: boolean
  /** Event time far from the cloud's clock (ingest/derive.ts): kept, but not in read models. */
  time_suspect: Generated<boolean>
  body: Json
  stored_at: CreatedAt
}

export interface QuarantinedEventsTable {
  gateway_id: string
  seq: number
  reason: string
  raw: Json
  stored_at: CreatedAt
}

export interface TelemetryTable {
  site_id: string
  gateway_id: string
  device_id: string
  metric: string
  time: Timestamp
  /** The reading, or the average for a point made from a rollup. */
  value: number
  seq: number
  /** Set only on points made from a per-minute rollup (migration 0004). */
  min_value: ColumnType<number | null, number | null | undefined, number | null>
  max_value: ColumnType<number | null, number | null | undefined, number | null>
  samples: ColumnType<number | null, number | null | undefined, number | null>
}

/** Seq ranges a gateway's disk budget removed for good; they count as present in the ack. */
export interface AbsentRangesTable {
  gateway_id: string
  from_seq: number
  to_seq: number
  stored_at: CreatedAt
}

/** One row per `gap` event: history the gateway downsampled or dropped before sending it. */
export interface DataGapsTable {
  site_id: string
  gateway_id: string
  seq: number
  reason: 'downsampled' | 'dropped'
  from_seq: number
  to_seq: number
  from_time: Timestamp
  to_time: Timestamp
  removed: number
  written: number
  devices: Json<string[]>
  recorded_at: Timestamp
}

export interface DeviceStateTable {
  site_id: string
  device_id: string
  key: string
  value: Json<boolean | number | string>
  updated_at: Timestamp
  /** The event that wrote the value: same-gateway writes are ordered by seq (migration 0006). */
  gateway_id: string | null
  seq: number | null
}

export interface AlarmsTable {
  site_id: string
  alarm_id: string
  rule_id: string
  device_id: string
  severity: string
  state: string
  message: string
  value: number | null
  raised_at: Timestamp | null
  updated_at: Timestamp
  cleared_at: Timestamp | null
  /** The last transition applied: same-gateway transitions are ordered by seq (migration 0006). */
  gateway_id: string | null
  seq: number | null
  /**
   * The cloud users who asked the gateway to acknowledge or clear this episode, and when
   * the acknowledgement was asked for (migration 0011). The gateway's own events never set them.
   */
  acknowledged_by: ColumnType<string | null, string | null | undefined, string | null>
  acknowledged_at: NullableTimestamp
  cleared_by: ColumnType<string | null, string | null | undefined, string | null>
}

export interface Database {
  organizations: OrganizationsTable
  sites: SitesTable
  users: UsersTable
  gateways: GatewaysTable
  devices: DevicesTable
  events: EventsTable
  quarantined_events: QuarantinedEventsTable
  telemetry: TelemetryTable
  device_state: DeviceStateTable
  alarms: AlarmsTable
  absent_ranges: AbsentRangesTable
  data_gaps: DataGapsTable
  refresh_tokens: RefreshTokensTable
  api_keys: ApiKeysTable
  login_failures: LoginFailuresTable
  org_grants: OrgGrantsTable
  audit_log: AuditLogTable
  idempotency_keys: IdempotencyKeysTable
}

export type SiteRow = Selectable<SitesTable>
export type UserRow = Selectable<UsersTable>
export type GatewayRow = Selectable<GatewaysTable>
export type AlarmRow = Selectable<AlarmsTable>
export type NewTelemetry = Insertable<TelemetryTable>
export type DataGapRow = Selectable<DataGapsTable>
export type NewDataGap = Insertable<DataGapsTable>

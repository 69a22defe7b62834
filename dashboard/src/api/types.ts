// Shapes of the cloud HTTP API and Socket.IO events (see the cloud module schemas).
// Times are epoch milliseconds.

export type Severity = 'info' | 'warning' | 'critical' | 'emergency'
export type AlarmState = 'raised' | 'acknowledged' | 'cleared'
export type StateValue = boolean | number | string

export interface User {
  id: string
  email: string
  name: string
  orgId: string
  locale: string
}

export interface LoginResponse {
  /** The 15-minute access token. */
  token: string
  /** Spent (and replaced) by POST /api/auth/refresh; older clouds do not send one. */
  refreshToken?: string
  user: User
}

export interface SiteSummary {
  id: string
  name: string
  timezone: string
}

/**
 * What a gateway last reported about its sync (sync contract 8), as the cloud stored it.
 * `reportedAt` is the cloud's clock when the report arrived.
 */
export interface GatewaySync {
  reportedAt: number
  /** The gateway's clock when it measured. */
  gatewayTime?: number
  lastSeq?: number
  /** Events the cloud has not acknowledged yet, and how old the oldest of them is. */
  lagEvents: number
  lagSeconds: number | null
  oldestUnsentAt: number | null
  eventsPerDay: number | null
  /** Days until the disk budget is full at the current rate; null until a rate is known. */
  bufferDaysLeft: number | null
  usedBytes: number
  maxBytes: number
  quarantinedTotal: number
  droppedTotal: number
  clockSynced: boolean
  /** The on-site InfluxDB sink's lag; null when none is configured. */
  influxLagEvents?: number | null
}

export interface GatewaySummary {
  id: string
  name: string
  lastSeenAt: number | null
  ackSeq: number
  /** The gateway's channel to the cloud is open right now. */
  online?: boolean
  lastContactAt?: number | null
  /** Events of this gateway the cloud quarantined (the cloud's own count). */
  quarantinedTotal?: number
  /** Null until the gateway reports its sync status for the first time. */
  sync?: GatewaySync | null
}

export interface DeviceSummary {
  id: string
  gatewayId: string
  name: string
  kind: string
}

export interface SiteDetail extends SiteSummary {
  gateways: GatewaySummary[]
  devices: DeviceSummary[]
}

export interface TelemetryItem {
  time: number
  deviceId: string
  metric: string
  /** The reading; the average when the point is downsampled. */
  value: number
  /** Only on downsampled points: `samples` raw readings of one minute folded into min/avg/max. */
  min?: number
  max?: number
  samples?: number
}

export interface StateItem {
  deviceId: string
  key: string
  value: StateValue
  updatedAt: number
  /** As on Alarm: the gateway event that wrote the value, when the cloud kept it. */
  gatewayId?: string
  seq?: number
}

export interface Alarm {
  alarmId: string
  ruleId: string
  deviceId: string
  severity: Severity
  state: AlarmState
  message: string
  value: number | null
  raisedAt: number
  updatedAt: number
  clearedAt: number | null
  /** The gateway event behind the last transition; absent on alarms the cloud stored before it kept them. */
  gatewayId?: string
  seq?: number
}

export type GapReason = 'downsampled' | 'dropped'

/**
 * History the gateway removed to stay within its disk budget (sync contract 6):
 * `downsampled` = raw telemetry replaced by per-minute min/avg/max, `dropped` = deleted.
 */
export interface DataGap {
  gatewayId: string
  /** The gap event's own seq: (gatewayId, seq) identifies a gap. */
  seq?: number
  reason: GapReason
  fromSeq?: number
  toSeq?: number
  fromTime: number
  toTime: number
  removed: number
  written: number
  /** Devices whose history was touched; the gateway lists at most 1000. */
  devices: string[]
  /** When the gateway logged the gap. */
  recordedAt?: number
}

export interface ItemsResponse<T> {
  items: T[]
}

// Socket.IO events, emitted to room `site:<siteId>` after each ingest commits.
export interface TelemetryEvent {
  siteId: string
  gatewayId: string
  deviceId: string
  time: number
  readings: Record<string, number>
}

export interface StateEvent {
  siteId: string
  deviceId: string
  time: number
  state: Record<string, StateValue>
  /** The gateway event: one gateway's state is ordered by seq (features/sync/order.ts). */
  gatewayId?: string
  seq?: number
}

export interface AlarmEvent extends Alarm {
  siteId: string
}

/** A gateway's status (the site detail's gateway item) pushed when it reports. */
export interface GatewaySyncEvent extends Partial<GatewaySummary> {
  siteId: string
  gatewayId: string
  sync: GatewaySync
}

export interface GapEvent extends DataGap {
  siteId: string
}

export type JoinAck = { ok: true } | { ok: false; error: string }

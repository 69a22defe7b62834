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
  token: string
  user: User
}

export interface SiteSummary {
  id: string
  name: string
  timezone: string
}

export interface GatewaySummary {
  id: string
  name: string
  lastSeenAt: number | null
  ackSeq: number
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
  value: number
}

export interface StateItem {
  deviceId: string
  key: string
  value: StateValue
  updatedAt: number
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
}

export interface AlarmEvent extends Alarm {
  siteId: string
}

export type JoinAck = { ok: true } | { ok: false; error: string }

import Type from 'typebox'
import { GatewayStatus } from '../sync/schema.js'

const EpochMs = Type.Integer({ minimum: 0 })
const NullableEpochMs = Type.Union([EpochMs, Type.Null()])

export const SiteParams = Type.Object({ siteId: Type.String({ maxLength: 64 }) })

export const SiteSummary = Type.Object({
  id: Type.String(),
  name: Type.String(),
  timezone: Type.String(),
  /** Set for another organization's site this one may see (a shop's grant to its mall): that organization's name. */
  grantedBy: Type.Optional(Type.String()),
})
export const SiteList = Type.Object({ items: Type.Array(SiteSummary) })

export const SiteDetail = Type.Object({
  id: Type.String(),
  name: Type.String(),
  timezone: Type.String(),
  /** Each gateway with its sync health (sync/schema.ts). */
  gateways: Type.Array(GatewayStatus),
  devices: Type.Array(
    Type.Object({ id: Type.String(), gatewayId: Type.String(), name: Type.String(), kind: Type.String() }),
  ),
})
export type SiteDetail = Type.Static<typeof SiteDetail>

export const TELEMETRY_MAX_LIMIT = 5000
export const TELEMETRY_DEFAULT_LIMIT = 1000
export const TELEMETRY_DEFAULT_WINDOW_MS = 60 * 60 * 1000

export const TelemetryQuery = Type.Object({
  deviceId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  metric: Type.Optional(Type.String({ minLength: 1, maxLength: 48 })),
  from: Type.Optional(EpochMs),
  to: Type.Optional(EpochMs),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: TELEMETRY_MAX_LIMIT })),
})
export type TelemetryQuery = Type.Static<typeof TelemetryQuery>

export const TelemetryPoint = Type.Object({
  time: EpochMs,
  deviceId: Type.String(),
  metric: Type.String(),
  /** The reading; the average when the point is a downsampled one. */
  value: Type.Number(),
  /**
   * Only on downsampled points (the gateway's disk budget folded `samples` raw readings
   * of one period into min/avg/max; see the site's gaps).
   */
  min: Type.Optional(Type.Number()),
  max: Type.Optional(Type.Number()),
  samples: Type.Optional(Type.Integer()),
})
export type TelemetryPoint = Type.Static<typeof TelemetryPoint>
export const TelemetryList = Type.Object({ items: Type.Array(TelemetryPoint) })

export const StateValue = Type.Union([Type.Boolean(), Type.Number(), Type.String()])
export const StateItem = Type.Object({
  deviceId: Type.String(),
  key: Type.String(),
  value: StateValue,
  updatedAt: EpochMs,
  /** As on AlarmItem: one gateway's writes are ordered by seq, others' by updatedAt. */
  gatewayId: Type.Optional(Type.String()),
  seq: Type.Optional(Type.Integer({ minimum: 1 })),
})
export type StateItem = Type.Static<typeof StateItem>
export const StateList = Type.Object({ items: Type.Array(StateItem) })

export const AlarmsQuery = Type.Object({
  state: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('all')])),
})
export type AlarmsQuery = Type.Static<typeof AlarmsQuery>

/** Also the payload of the Socket.IO `alarm` push (plus `siteId`). */
export const AlarmItem = Type.Object({
  alarmId: Type.String(),
  ruleId: Type.String(),
  deviceId: Type.String(),
  severity: Type.String(),
  state: Type.String(),
  message: Type.String(),
  value: Type.Union([Type.Number(), Type.Null()]),
  raisedAt: NullableEpochMs,
  updatedAt: EpochMs,
  clearedAt: NullableEpochMs,
  /**
   * The gateway event behind the last transition (absent on alarms stored before these
   * were kept). One gateway's transitions are ordered by seq, not by time: a client that
   * merges alarms prefers the higher seq from the same gateway, and the newer updatedAt
   * otherwise.
   */
  gatewayId: Type.Optional(Type.String()),
  seq: Type.Optional(Type.Integer({ minimum: 1 })),
})
export type AlarmItem = Type.Static<typeof AlarmItem>
export const AlarmList = Type.Object({ items: Type.Array(AlarmItem) })

export const GAPS_MAX_LIMIT = 1000
/** The gateway lists at most this many devices per gap (protocol DataGap). */
export const GAP_DEVICES_LISTED_MAX = 1000
export const GAPS_DEFAULT_LIMIT = 100

export const GapsQuery = Type.Object({
  /** Gaps that overlap [from, to] (epoch ms); either end may be left open. */
  from: Type.Optional(EpochMs),
  to: Type.Optional(EpochMs),
  /** Gaps that touched this device, or may have (a gap's device list is empty or full). */
  deviceId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: GAPS_MAX_LIMIT })),
})
export type GapsQuery = Type.Static<typeof GapsQuery>

/**
 * History a gateway removed under its disk budget before the cloud had it (a `gap` log
 * event). Also the payload of the Socket.IO `gap` push (plus `siteId`).
 */
export const GapItem = Type.Object({
  gatewayId: Type.String(),
  /** The gap event's own seq; (gatewayId, seq) identifies a gap. */
  seq: Type.Integer(),
  /** `downsampled`: raw readings became per-minute min/avg/max; `dropped`: they are gone. */
  reason: Type.Union([Type.Literal('downsampled'), Type.Literal('dropped')]),
  fromSeq: Type.Integer(),
  toSeq: Type.Integer(),
  fromTime: EpochMs,
  toTime: EpochMs,
  /** Events removed, and rollups written in their place. */
  removed: Type.Integer(),
  written: Type.Integer(),
  /** Devices whose history was touched (the gateway lists at most 1000). */
  devices: Type.Array(Type.String()),
  /** When the gateway logged the gap. */
  recordedAt: EpochMs,
})
export type GapItem = Type.Static<typeof GapItem>
export const GapList = Type.Object({ items: Type.Array(GapItem) })

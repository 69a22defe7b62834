import Type from 'typebox'

const EpochMs = Type.Integer({ minimum: 0 })
const NullableEpochMs = Type.Union([EpochMs, Type.Null()])

export const SiteParams = Type.Object({ siteId: Type.String({ maxLength: 64 }) })

export const SiteSummary = Type.Object({ id: Type.String(), name: Type.String(), timezone: Type.String() })
export const SiteList = Type.Object({ items: Type.Array(SiteSummary) })

export const SiteDetail = Type.Object({
  id: Type.String(),
  name: Type.String(),
  timezone: Type.String(),
  gateways: Type.Array(
    Type.Object({ id: Type.String(), name: Type.String(), lastSeenAt: NullableEpochMs, ackSeq: Type.Integer() }),
  ),
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
  value: Type.Number(),
})
export type TelemetryPoint = Type.Static<typeof TelemetryPoint>
export const TelemetryList = Type.Object({ items: Type.Array(TelemetryPoint) })

export const StateValue = Type.Union([Type.Boolean(), Type.Number(), Type.String()])
export const StateItem = Type.Object({
  deviceId: Type.String(),
  key: Type.String(),
  value: StateValue,
  updatedAt: EpochMs,
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
})
export type AlarmItem = Type.Static<typeof AlarmItem>
export const AlarmList = Type.Object({ items: Type.Array(AlarmItem) })

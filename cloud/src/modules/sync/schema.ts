import Type from 'typebox'

const EpochMs = Type.Integer({ minimum: 0 })
const NullableEpochMs = Type.Union([EpochMs, Type.Null()])
const NullableNumber = Type.Union([Type.Number(), Type.Null()])

export const GatewaySyncParams = Type.Object({ gatewayId: Type.String({ maxLength: 64 }) })

/**
 * The latest `sync.status` a gateway sent on its channel (protocol SyncStatus), as the
 * cloud shows it (ARCHITECTURE.md sync contract 8). Figures are the gateway's own, as of
 * `reportedAt`.
 */
export const GatewaySync = Type.Object({
  /** Cloud clock when the status arrived. */
  reportedAt: EpochMs,
  /** Gateway clock when it measured (differs from reportedAt by transit and clock error). */
  gatewayTime: EpochMs,
  lastSeq: Type.Integer(),
  /** Events the cloud has not acknowledged yet, and how old the oldest of them is. */
  lagEvents: Type.Integer(),
  lagSeconds: NullableNumber,
  oldestUnsentAt: NullableEpochMs,
  eventsPerDay: NullableNumber,
  /** Days until the disk budget is reached at the current rate. */
  bufferDaysLeft: NullableNumber,
  usedBytes: Type.Integer(),
  maxBytes: Type.Integer(),
  /** Events the gateway counted as quarantined by the cloud. */
  quarantinedTotal: Type.Integer(),
  /** Events the disk budget removed since the gateway's log was created. */
  droppedTotal: Type.Integer(),
  clockSynced: Type.Boolean(),
  /** The on-site InfluxDB sink's lag; null when none is configured. */
  influxLagEvents: Type.Union([Type.Integer(), Type.Null()]),
})
export type GatewaySync = Type.Static<typeof GatewaySync>

/**
 * One gateway's sync health: an item of the site detail's `gateways`, the body of
 * `GET /api/gateways/:gatewayId/sync` and the payload of the Socket.IO `gateway.sync` push.
 */
export const GatewayStatus = Type.Object({
  id: Type.String(),
  siteId: Type.String(),
  name: Type.String(),
  /** Its downlink channel is connected now. */
  online: Type.Boolean(),
  /** Last stored ingest batch. */
  lastSeenAt: NullableEpochMs,
  /** Last ingest request or channel message of any kind. */
  lastContactAt: NullableEpochMs,
  /** Every seq up to this one is stored, quarantined or reported absent in the cloud. */
  ackSeq: Type.Integer(),
  /** Events of this gateway quarantined in the cloud (counted here, not reported). */
  quarantinedTotal: Type.Integer(),
  /** Null until the gateway sends its first status. */
  sync: Type.Union([GatewaySync, Type.Null()]),
})
export type GatewayStatus = Type.Static<typeof GatewayStatus>

export const ServerTime = Type.Object({
  /** The cloud's wall clock, epoch ms. */
  serverTime: EpochMs,
})

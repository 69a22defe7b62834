import Type from 'typebox'
import { Severity } from '@tendero/protocol'
import { Page, PageQuery } from '../common/pagination.js'
import { GatewayStatus } from '../sync/schema.js'

const EpochMs = Type.Integer({ minimum: 0 })
const NullableEpochMs = Type.Union([EpochMs, Type.Null()])
const NullableNumber = Type.Union([Type.Number(), Type.Null()])

export const SiteParams = Type.Object({ siteId: Type.String({ maxLength: 64 }) })

/** Active (raised or acknowledged) alarms of a site, by severity. */
export const AlarmCounts = Type.Object({
  total: Type.Integer({ minimum: 0 }),
  emergency: Type.Integer({ minimum: 0 }),
  critical: Type.Integer({ minimum: 0 }),
  warning: Type.Integer({ minimum: 0 }),
  info: Type.Integer({ minimum: 0 }),
})
export type AlarmCounts = Type.Static<typeof AlarmCounts>

/**
 * A site at a glance, for the overview: its gateways' figures folded into one (the
 * worst of each), so a phone shows every site's state from one request.
 */
export const SiteHealth = Type.Object({
  /** Every gateway of the site has its channel open now (false for a site without gateways). */
  online: Type.Boolean(),
  gatewaysOnline: Type.Integer({ minimum: 0 }),
  gatewaysTotal: Type.Integer({ minimum: 0 }),
  /** The largest lag among the gateways' last sync reports, in seconds; null when none reported one. */
  lagSeconds: NullableNumber,
  /** Events not yet in the cloud, summed over the gateways' last reports. */
  lagEvents: Type.Integer({ minimum: 0 }),
  /** The fewest days left before a gateway's disk budget is full; null until a rate is known. */
  bufferDaysLeft: NullableNumber,
  /** The latest contact of any of its gateways. */
  lastContactAt: NullableEpochMs,
  /** Null when the viewer may not read the site's alarms (a grant without alarms.read). */
  activeAlarms: Type.Union([AlarmCounts, Type.Null()]),
})
export type SiteHealth = Type.Static<typeof SiteHealth>

export const SiteSummary = Type.Object({
  id: Type.String(),
  name: Type.String(),
  timezone: Type.String(),
  /** Set for another organization's site this one may see (a shop's grant to its mall): that organization's name. */
  grantedBy: Type.Optional(Type.String()),
  health: SiteHealth,
})
export type SiteSummary = Type.Static<typeof SiteSummary>
export const SiteList = Page(SiteSummary)
export const SITE_SORTS = ['name'] as const
export const SitesQuery = Type.Object(
  {
    ...PageQuery,
    sort: Type.Optional(Type.Union([Type.Literal('name'), Type.Literal('-name')], { description: 'name (default) or -name; ties by id' })),
  },
  { additionalProperties: false },
)
export type SitesQuery = Type.Static<typeof SitesQuery>

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

/**
 * Raw readings are small and a chart of one hour at one reading per second is 3,600 of
 * them, so this list pages by up to 5,000 instead of the common 500 (a long window is
 * better read downsampled from /series).
 */
export const TELEMETRY_MAX_LIMIT = 5000
export const TELEMETRY_DEFAULT_LIMIT = 1000
export const TELEMETRY_DEFAULT_WINDOW_MS = 60 * 60 * 1000

export const TelemetryQuery = Type.Object(
  {
    limit: Type.Optional(
      Type.Integer({ minimum: 1, maximum: TELEMETRY_MAX_LIMIT, default: TELEMETRY_DEFAULT_LIMIT, description: `Items per page, 1-${TELEMETRY_MAX_LIMIT}` }),
    ),
    cursor: PageQuery.cursor,
    sort: Type.Optional(Type.Union([Type.Literal('time'), Type.Literal('-time')], { description: 'time (default, oldest first) or -time' })),
    deviceId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    metric: Type.Optional(Type.String({ minLength: 1, maxLength: 48 })),
    from: Type.Optional(EpochMs),
    to: Type.Optional(EpochMs),
  },
  { additionalProperties: false },
)
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
export const TelemetryList = Page(TelemetryPoint)

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
export const StateList = Page(StateItem)
export const StateQuery = Type.Object(
  { ...PageQuery, deviceId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })) },
  { additionalProperties: false },
)
export type StateQuery = Type.Static<typeof StateQuery>

export const AlarmsQuery = Type.Object(
  {
    ...PageQuery,
    sort: Type.Optional(
      Type.Union([Type.Literal('-updatedAt'), Type.Literal('updatedAt')], { description: '-updatedAt (default, newest change first) or updatedAt' }),
    ),
    state: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('all')])),
    severity: Type.Optional(Severity),
    deviceId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  },
  { additionalProperties: false },
)
export type AlarmsQuery = Type.Static<typeof AlarmsQuery>

/** A cloud user who acted on an alarm; `name` is the user's display name today. */
export const AlarmActor = Type.Object({ id: Type.String(), name: Type.String() })
export type AlarmActor = Type.Static<typeof AlarmActor>

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
  /**
   * The cloud user who asked to acknowledge it from the cloud (POST .../ack), and when
   * they asked; null when nobody did (acknowledged on site, by an API key, or not yet).
   * Kept for the episode: a re-raise after a clear starts over. Absent on the Socket.IO
   * push, which does not look names up: keep the one already shown for the episode.
   */
  acknowledgedBy: Type.Optional(Type.Union([AlarmActor, Type.Null()])),
  acknowledgedAt: Type.Optional(NullableEpochMs),
  /** The cloud user who asked to clear it from the cloud (POST .../clear). */
  clearedBy: Type.Optional(Type.Union([AlarmActor, Type.Null()])),
})
export type AlarmItem = Type.Static<typeof AlarmItem>
export const AlarmList = Page(AlarmItem)

/** The gateway lists at most this many devices per gap (protocol DataGap). */
export const GAP_DEVICES_LISTED_MAX = 1000

export const GapsQuery = Type.Object(
  {
    ...PageQuery,
    sort: Type.Optional(
      Type.Union([Type.Literal('-toTime'), Type.Literal('toTime')], { description: '-toTime (default, newest first) or toTime' }),
    ),
    /** Gaps that overlap [from, to] (epoch ms); either end may be left open. */
    from: Type.Optional(EpochMs),
    to: Type.Optional(EpochMs),
    /** Gaps that touched this device, or may have (a gap's device list is empty or full). */
    deviceId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  },
  { additionalProperties: false },
)
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
export const GapList = Page(GapItem)

/**
 * What the activity feed shows, by the gateway log's event kinds: `command` also brings
 * the devices' answers (`ack`). Telemetry, rollups and gaps are history, not activity.
 */
export const ACTIVITY_KINDS = ['alarm', 'state', 'access', 'command', 'event', 'payment'] as const
export type ActivityKind = (typeof ACTIVITY_KINDS)[number]
/** The log kinds each filter value stands for. */
export const ACTIVITY_LOG_KINDS: Record<ActivityKind, readonly string[]> = {
  alarm: ['alarm'],
  state: ['state'],
  access: ['access'],
  command: ['command', 'ack'],
  event: ['event'],
  payment: ['payment'],
}

export const ActivityQuery = Type.Object(
  {
    ...PageQuery,
    siteId: Type.Optional(Type.String({ maxLength: 64 })),
    kind: Type.Optional(Type.Union(ACTIVITY_KINDS.map((k) => Type.Literal(k)), { description: 'alarm, state, access, command (with the answers), event or payment' })),
  },
  { additionalProperties: false },
)
export type ActivityQuery = Type.Static<typeof ActivityQuery>

/**
 * One event of a site's gateway log, as the feed shows it: `kind` is the log kind
 * (`alarm`, `state`, `access`, `command`, `ack`, `event`, `payment`) and `body` the
 * event's body as the gateway logged it (@tendero/protocol LogEvent). (gatewayId, seq)
 * identifies it, so a client can merge pushes with pages without duplicates.
 */
export const ActivityItem = Type.Object({
  siteId: Type.String(),
  siteName: Type.String(),
  gatewayId: Type.String(),
  seq: Type.Integer({ minimum: 1 }),
  kind: Type.String(),
  deviceId: Type.String(),
  /** When it happened (the device's or the gateway's clock). */
  time: EpochMs,
  body: Type.Unknown(),
})
export type ActivityItem = Type.Static<typeof ActivityItem>
export const ActivityList = Page(ActivityItem)

import Type from 'typebox'
import { AccessDecision, Notification, PaymentRecord } from './access.js'
import { AlarmChange } from './alarms.js'
import { Command, CommandAck } from './commands.js'
import { AbsentRange, DataGap, TelemetryRollup } from './sync.js'
import { DeviceEvent, DeviceState, EpochMs, Telemetry } from './telemetry.js'

/**
 * Fields every event in the gateway's durable log carries (ARCHITECTURE.md, "The sync
 * contract", point 1). `seq` is gap-free per gateway and is the dedup key in the cloud.
 */
const envelope = {
  seq: Type.Integer({ minimum: 1 }),
  /** When it happened: the device's timestamp if it sent one, otherwise `receivedAt`. */
  time: EpochMs,
  /** The gateway's wall clock when the event entered the log. */
  receivedAt: EpochMs,
  /** Changes on every gateway process start; with `monoMs` it orders events across clock jumps. */
  bootId: Type.String({ minLength: 1, maxLength: 64 }),
  /** Milliseconds on the gateway's monotonic clock since `bootId` began. */
  monoMs: Type.Number({ minimum: 0 }),
  /** False while the gateway's clock has not been confirmed by NTP or the cloud. */
  clockSynced: Type.Boolean(),
  deviceId: Type.String({ minLength: 1, maxLength: 64 }),
}

const logEvent = <K extends string, B extends Type.TSchema>(kind: K, body: B) =>
  Type.Object({ ...envelope, kind: Type.Literal(kind), body }, { additionalProperties: false })

export const TelemetryLogEvent = logEvent('telemetry', Telemetry)
export const StateLogEvent = logEvent('state', DeviceState)
export const DeviceLogEvent = logEvent('event', DeviceEvent)
export const CommandLogEvent = logEvent('command', Command)
export const AckLogEvent = logEvent('ack', CommandAck)
export const AlarmLogEvent = logEvent('alarm', AlarmChange)
export const AccessLogEvent = logEvent('access', AccessDecision)
export const PaymentLogEvent = logEvent('payment', PaymentRecord)
export const NotifyLogEvent = logEvent('notify', Notification)
export const RollupLogEvent = logEvent('rollup', TelemetryRollup)
export const GapLogEvent = logEvent('gap', DataGap)

export const LogEvent = Type.Union([
  TelemetryLogEvent,
  StateLogEvent,
  DeviceLogEvent,
  CommandLogEvent,
  AckLogEvent,
  AlarmLogEvent,
  AccessLogEvent,
  PaymentLogEvent,
  NotifyLogEvent,
  RollupLogEvent,
  GapLogEvent,
])
export type LogEvent = Type.Static<typeof LogEvent>
export type LogEventKind = LogEvent['kind']

/** The schema of each kind on its own, for errors that name the field actually wrong. */
export const LOG_EVENT_SCHEMAS = {
  telemetry: TelemetryLogEvent,
  state: StateLogEvent,
  event: DeviceLogEvent,
  command: CommandLogEvent,
  ack: AckLogEvent,
  alarm: AlarmLogEvent,
  access: AccessLogEvent,
  payment: PaymentLogEvent,
  notify: NotifyLogEvent,
  rollup: RollupLogEvent,
  gap: GapLogEvent,
} as const satisfies Record<LogEventKind, Type.TSchema>
export const LOG_EVENT_KINDS = Object.keys(LOG_EVENT_SCHEMAS) as LogEventKind[]

export const MAX_BATCH_EVENTS = 1000

/**
 * The body of `POST /api/ingest`. Events are checked one by one against `LogEvent` on
 * the cloud side, so one malformed event is quarantined instead of failing the batch.
 */
export const UplinkBatch = Type.Object(
  {
    gatewayId: Type.String({ minLength: 1, maxLength: 64 }),
    sentAt: EpochMs,
    events: Type.Array(Type.Object({ seq: Type.Integer({ minimum: 1 }) }), {
      minItems: 1,
      maxItems: MAX_BATCH_EVENTS,
    }),
    /**
     * Seq ranges at or below the batch's highest seq that the gateway's log no longer
     * holds (removed by the disk budget, each covered by a `gap` event). The cloud counts
     * them as accounted for when it computes `ackSeq`.
     */
    absent: Type.Optional(Type.Array(AbsentRange, { maxItems: 2 * MAX_BATCH_EVENTS })),
  },
  { additionalProperties: false },
)
export type UplinkBatch = Omit<Type.Static<typeof UplinkBatch>, 'events'> & { events: LogEvent[] }

/** The cloud's answer. The gateway moves its uplink cursor to `ackSeq` and no further. */
export const UplinkAck = Type.Object(
  {
    /** Highest seq such that every seq from 1 up to it is stored or quarantined. */
    ackSeq: Type.Integer({ minimum: 0 }),
    stored: Type.Integer({ minimum: 0 }),
    duplicates: Type.Integer({ minimum: 0 }),
    quarantined: Type.Array(
      Type.Object({ seq: Type.Integer({ minimum: 1 }), reason: Type.String() }, { additionalProperties: false }),
    ),
    /** The cloud's wall clock (epoch ms) when it answered: a time source for the gateway's clock trust. */
    serverTime: Type.Optional(EpochMs),
  },
  // Tolerant on purpose: a gateway must keep syncing with a newer cloud that adds fields.
  { additionalProperties: true },
)
export type UplinkAck = Type.Static<typeof UplinkAck>

import type { FastifyTypeProvider } from 'fastify'
import Type, { type Static, type TSchema } from 'typebox'
import { DEVICE_ID_PATTERN, EpochMs, Severity, AlarmState, STATE_KEY_PATTERN, StateValue } from '@tendero/protocol'
import { AlarmPolicySchema } from '../alarms/policy.js'
import { RuleEnvelope } from '../rules/registry.js'
import { FailsafeSpec } from '../failsafe/spec.js'
import { DeviceLimitsSchema } from '../broker/device-limits.js'
import { ClockStatusSchema } from '../clock/status-schema.js'

/** Types route handlers from their TypeBox schemas (Fastify's type-provider contract). */
export interface TypeBoxProvider extends FastifyTypeProvider {
  validator: this['schema'] extends TSchema ? Static<this['schema']> : unknown
  serializer: this['schema'] extends TSchema ? Static<this['schema']> : unknown
}

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()])

export const ErrorBody = Type.Object({
  error: Type.Object({
    code: Type.String(),
    message: Type.String(),
    path: Type.Optional(Type.String()),
    reasons: Type.Optional(Type.Array(Type.String())),
  }),
})

export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 160 }) }, { additionalProperties: false })
export const AlarmParams = Type.Object({ alarmId: Type.String({ minLength: 1, maxLength: 160 }) }, { additionalProperties: false })

const Reading = Type.Object({ value: Type.Number(), time: Type.Integer(), seq: Type.Integer() })
const StateEntry = Type.Object({ value: StateValue, time: Type.Integer(), seq: Type.Integer() })

export const DeviceLive = Type.Object({
  online: Type.Boolean(),
  lastSeenAt: Nullable(Type.Integer()),
  readings: Type.Record(Type.String(), Reading),
  state: Type.Record(Type.String(), StateEntry),
})

export const Device = Type.Object({
  id: Type.String(),
  name: Type.Optional(Type.String()),
  kind: Type.String(),
  relays: Type.Array(Type.Object({ name: Type.String(), failsafe: Type.Optional(FailsafeSpec) })),
  limits: Type.Optional(DeviceLimitsSchema),
  online: Type.Boolean(),
  lastSeenAt: Nullable(Type.Integer()),
  readings: Type.Record(Type.String(), Reading),
  state: Type.Record(Type.String(), StateEntry),
  rejected: Type.Object({ total: Type.Integer(), byReason: Type.Record(Type.String(), Type.Integer()) }),
})

export const LiveStateBody = Type.Object({
  devices: Type.Record(Type.String(), DeviceLive),
  namedStates: Type.Record(Type.String(), StateValue),
})

/** A rule as the API takes and returns it: the site config's rule envelope, checked deeper by the registry. */
export const Rule = RuleEnvelope

export const RuleList = Type.Object({
  source: Type.Union([Type.Literal('site-config'), Type.Literal('api'), Type.Literal('cloud')]),
  savedAt: Nullable(Type.Integer()),
  rules: Type.Array(Rule),
})

const Range = {
  /** Start of the replayed window (event time, epoch ms); default 24 h before `to`. */
  from: Type.Optional(EpochMs),
  /** End of the window; default now. */
  to: Type.Optional(EpochMs),
}
export const DryRunSavedBody = Type.Object(Range, { additionalProperties: false })
export const DryRunDraftBody = Type.Object({ rule: Rule, ...Range }, { additionalProperties: false })

export const DryRunResult = Type.Object({
  ruleId: Type.String(),
  from: Type.Integer(),
  to: Type.Integer(),
  eventsReplayed: Type.Integer(),
  truncated: Type.Boolean(),
  transitions: Type.Array(
    Type.Object({
      time: Type.Integer(),
      transition: Type.Union([Type.Literal('fire'), Type.Literal('rearm')]),
      deviceId: Type.String(),
      value: Type.Optional(Type.Number()),
    }),
  ),
})

export const Alarm = Type.Object({
  alarmId: Type.String(),
  ruleId: Type.String(),
  deviceId: Type.String(),
  severity: Severity,
  state: AlarmState,
  message: Type.String(),
  value: Type.Optional(Type.Number()),
  level: Type.Integer(),
  raisedAt: Type.Optional(Type.Integer()),
  updatedAt: Type.Integer(),
  acknowledgedAt: Type.Optional(Type.Integer()),
  acknowledgedBy: Type.Optional(Type.String()),
  clearedBy: Type.Optional(Type.String()),
})

export const AlarmQuery = Type.Object(
  {
    state: Type.Optional(
      Type.Union([Type.Literal('active'), Type.Literal('raised'), Type.Literal('acknowledged'), Type.Literal('all')]),
    ),
  },
  { additionalProperties: false },
)

export const AlarmActionBody = Type.Object(
  {
    /** Who did it; default the token's name. */
    by: Type.Optional(Type.String({ minLength: 1, maxLength: 120 })),
  },
  { additionalProperties: false },
)

export const LogStats = Type.Object({
  sizeBytes: Type.Object({ file: Type.Integer(), used: Type.Integer(), budget: Type.Integer() }),
  eventCount: Type.Integer(),
  lastSeq: Type.Integer(),
  oldest: Nullable(Type.Object({ seq: Type.Integer(), time: Type.Integer(), receivedAt: Type.Integer() })),
  retention: Type.Object({ maxAgeMs: Type.Number(), prunedEvents: Type.Integer(), lastPrunedAt: Nullable(Type.Integer()) }),
  /** The disk budget: raw readings downsampled, rollups written, rows dropped, seqs gone, gap events. */
  budget: Type.Object({
    downsampled: Type.Integer(),
    rollups: Type.Integer(),
    dropped: Type.Integer(),
    droppedTotal: Type.Integer(),
    gaps: Type.Integer(),
    lastAt: Nullable(Type.Integer()),
    active: Type.Boolean(),
  }),
  /** Ingest rate over about the last hour, and how many days the budget lasts at it with no sync. */
  eventsPerDay: Nullable(Type.Integer()),
  bufferDaysLeft: Nullable(Type.Number()),
  sync: Type.Object({
    ackedSeq: Type.Integer(),
    lagEvents: Type.Integer(),
    lagSeconds: Type.Integer(),
    oldestUnsentAt: Nullable(Type.Integer()),
    lastContactAt: Nullable(Type.Integer()),
    lastError: Nullable(Type.String()),
  }),
  /** Whether event times can be trusted: synced, source, offset, last sample (src/clock/). */
  clock: Type.Optional(ClockStatusSchema),
})

/**
 * A device command from the API: a protocol `relay.set` (`relay`, `on`) or `setpoint.set`
 * (`name`, `value`) without id and times. One flat object, so a wrong field is named by
 * path; which fields each kind needs is checked by the command desk.
 */
export const CommandBody = Type.Object(
  {
    kind: Type.Union([Type.Literal('relay.set'), Type.Literal('setpoint.set')]),
    relay: Type.Optional(Type.String({ pattern: STATE_KEY_PATTERN })),
    on: Type.Optional(Type.Boolean()),
    name: Type.Optional(Type.String({ pattern: STATE_KEY_PATTERN })),
    value: Type.Optional(Type.Number()),
  },
  { additionalProperties: false },
)

export const CommandAccepted = Type.Object({
  status: Type.Union([Type.Literal('sent'), Type.Literal('deferred')]),
  commandId: Type.Optional(Type.String()),
  allowedAt: Type.Optional(Type.Integer()),
})

const { autoClear: _autoClear, ...policyFields } = AlarmPolicySchema.properties
/** An alarm raised from outside the rules; its id is `ext.<key>:<deviceId>`. */
export const AlarmRaiseBody = Type.Object(
  {
    key: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,47}$' }),
    deviceId: Type.String({ pattern: DEVICE_ID_PATTERN }),
    value: Type.Optional(Type.Number()),
    ...policyFields,
  },
  { additionalProperties: false },
)

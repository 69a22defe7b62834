import Type from 'typebox'

export const SEVERITIES = ['info', 'warning', 'critical', 'emergency'] as const
export const Severity = Type.Union([
  Type.Literal('info'),
  Type.Literal('warning'),
  Type.Literal('critical'),
  Type.Literal('emergency'),
])
export type Severity = (typeof SEVERITIES)[number]

export const ALARM_STATES = ['raised', 'acknowledged', 'cleared'] as const
export const AlarmState = Type.Union([Type.Literal('raised'), Type.Literal('acknowledged'), Type.Literal('cleared')])
export type AlarmState = (typeof ALARM_STATES)[number]

/**
 * One transition of an alarm. An alarm is identified by `alarmId`, which the gateway
 * derives from the rule and the device, so there is at most one active alarm per pair.
 */
export const AlarmChange = Type.Object(
  {
    alarmId: Type.String({ minLength: 1, maxLength: 160 }),
    ruleId: Type.String({ minLength: 1, maxLength: 64 }),
    deviceId: Type.String({ minLength: 1, maxLength: 64 }),
    severity: Severity,
    state: AlarmState,
    message: Type.String({ maxLength: 500 }),
    /** The reading that caused the change, when there is one. */
    value: Type.Optional(Type.Number()),
    /** Escalation level: 0 when raised, +1 each time it goes unacknowledged too long. */
    level: Type.Optional(Type.Integer({ minimum: 0, maximum: 20 })),
    /** Who acknowledged or cleared it by hand (a local user or a cloud user id). */
    by: Type.Optional(Type.String({ maxLength: 120 })),
  },
  { additionalProperties: false },
)
export type AlarmChange = Type.Static<typeof AlarmChange>

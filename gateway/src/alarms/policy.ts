import Type, { type Static } from 'typebox'
import { SEVERITIES, type Severity } from '@tendero/protocol'

// Spelled as a tuple so its Static type is the literal union.
const SeveritySchema = Type.Union(SEVERITIES.map((s) => Type.Literal(s)) as [ReturnType<typeof Type.Literal<Severity>>])
const Channel = Type.Union([Type.Literal('email'), Type.Literal('whatsapp'), Type.Literal('sms'), Type.Literal('push')])

/**
 * How a rule's alarm behaves: the rule's `alarm` field, or an `alarm` action. Kept with
 * each active alarm, so escalation keeps its policy across a restart.
 */
export const AlarmPolicySchema = Type.Object(
  {
    severity: SeveritySchema,
    message: Type.String({ minLength: 1, maxLength: 500 }),
    /** Escalate when nobody acknowledges it within this many minutes; again every as many. */
    escalateAfterMinutes: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 10_080 })),
    /** On each escalation also raise the severity one step (up to emergency). */
    escalateSeverity: Type.Optional(Type.Boolean()),
    /** Stop escalating at this level (default 3). */
    maxLevel: Type.Optional(Type.Integer({ minimum: 1, maximum: 20 })),
    /** Who to tell on each escalation (a `notify` event). */
    notify: Type.Optional(
      Type.Object({ channel: Channel, audience: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false }),
    ),
    /** Clear when the rule re-arms (default true); false latches it until someone clears it. */
    autoClear: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
)
export type AlarmPolicy = Static<typeof AlarmPolicySchema>

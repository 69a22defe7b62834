import Type from 'typebox'
import { AlarmPolicySchema } from '../../alarms/policy.js'
import { defineAction } from '../kinds.js'

/**
 * Raise an alarm when the rule fires and clear it when the rule re-arms (unless
 * `autoClear` is false). The id is `<ruleId>:<deviceId>`, so one rule and device have at
 * most one active alarm. A rule's top-level `alarm` field is shorthand for this action.
 */
export const alarm = defineAction({
  kind: 'alarm',
  schema: Type.Object({ kind: Type.Literal('alarm'), ...AlarmPolicySchema.properties }, { additionalProperties: false }),
  onFire: ({ kind: _kind, ...policy }, ctx) => ctx.alarms.raise({ ruleId: ctx.ruleId, deviceId: ctx.deviceId, value: ctx.value, policy }),
  onRearm: (spec, ctx) =>
    spec.autoClear === false ? Promise.resolve() : ctx.alarms.clearByRule(`${ctx.ruleId}:${ctx.deviceId}`, ctx.value),
})

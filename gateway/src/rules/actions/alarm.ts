import Type from 'typebox'
import type { Severity } from '@tendero/protocol'
import { SeveritySchema, defineAction, type AlarmChangeBody } from '../kinds.js'

/**
 * Raise an alarm when the rule fires and clear it when the rule re-arms. The id is
 * `<ruleId>:<deviceId>` (protocol AlarmChange), so one rule and device have at most
 * one active alarm. A rule's top-level `alarm` field is shorthand for this action.
 */
export const alarm = defineAction({
  kind: 'alarm',
  schema: Type.Object(
    {
      kind: Type.Literal('alarm'),
      severity: SeveritySchema,
      message: Type.String({ minLength: 1, maxLength: 500 }),
    },
    { additionalProperties: false },
  ),
  onFire: (spec, ctx) => ctx.effects.recordAlarm(change(spec, ctx, 'raised')),
  onRearm: (spec, ctx) => ctx.effects.recordAlarm(change(spec, ctx, 'cleared')),
})

function change(
  spec: { severity: Severity; message: string },
  ctx: { ruleId: string; deviceId: string; value?: number | undefined },
  state: 'raised' | 'cleared',
): AlarmChangeBody {
  return {
    alarmId: `${ctx.ruleId}:${ctx.deviceId}`,
    ruleId: ctx.ruleId,
    deviceId: ctx.deviceId,
    severity: spec.severity,
    state,
    message: spec.message,
    ...(ctx.value !== undefined ? { value: ctx.value } : {}),
  }
}

import Type from 'typebox'
import { GATEWAY_TOPIC_ROOT } from '../../broker/acl.js'
import { defineAction, type ActionContext } from '../kinds.js'

export { GATEWAY_TOPIC_ROOT }

/**
 * Publish an MQTT message on the gateway's broker, for Node-RED flows and local
 * displays: `{ ruleId, deviceId, transition, value?, time, data? }` on fire and on
 * re-arm. The topic defaults to `tendero/v1/$gateway/rules/<ruleId>`; a configured one must
 * stay out of the devices' namespace, so a rule can never forge a device's message or
 * command.
 */
export const publish = defineAction({
  kind: 'publish',
  schema: Type.Object(
    {
      kind: Type.Literal('publish'),
      topic: Type.Optional(Type.String({ minLength: 1, maxLength: 200, pattern: '^[^#+\\u0000]+$' })),
      /** Extra fields for the subscriber, passed as `data`. */
      data: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { maxProperties: 32 })),
      /** Also publish when the rule re-arms (default true). */
      onRearm: Type.Optional(Type.Boolean()),
    },
    { additionalProperties: false },
  ),
  check: (spec) =>
    spec.topic !== undefined && spec.topic.startsWith('tendero/') && !spec.topic.startsWith(`${GATEWAY_TOPIC_ROOT}/`)
      ? `"topic" must be under ${GATEWAY_TOPIC_ROOT}/ or outside tendero/ (device topics are reserved)`
      : null,
  onFire: (spec, ctx) => send(spec, ctx),
  onRearm: (spec, ctx) => (spec.onRearm === false ? Promise.resolve() : send(spec, ctx)),
})

function send(
  spec: { topic?: string | undefined; data?: Record<string, unknown> | undefined },
  ctx: ActionContext,
): Promise<void> {
  const message = {
    ruleId: ctx.ruleId,
    deviceId: ctx.deviceId,
    transition: ctx.transition,
    ...(ctx.value !== undefined ? { value: ctx.value } : {}),
    time: ctx.now,
    ...(spec.data ? { data: spec.data } : {}),
  }
  return ctx.effects.publish(spec.topic ?? `${GATEWAY_TOPIC_ROOT}/rules/${ctx.ruleId}`, JSON.stringify(message))
}

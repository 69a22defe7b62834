import Type from 'typebox'
import { Notification } from '@tendero/protocol'
import { defineAction } from '../kinds.js'

/**
 * Tell people: logs a protocol `notify` event (channel, audience, message), which the
 * cloud delivers when it is reachable. When the rule has an alarm, the event carries its
 * id so the message and the alarm can be linked.
 */
export const notify = defineAction({
  kind: 'notify',
  schema: Type.Object(
    {
      kind: Type.Literal('notify'),
      channel: Notification.properties.channel,
      audience: Notification.properties.audience,
      message: Notification.properties.message,
    },
    { additionalProperties: false },
  ),
  onFire: (spec, ctx) =>
    ctx.effects.record({
      kind: 'notify',
      deviceId: ctx.deviceId,
      body: {
        channel: spec.channel,
        audience: spec.audience,
        message: spec.message,
        ruleId: ctx.ruleId,
        ...(ctx.alarmId ? { alarmId: ctx.alarmId } : {}),
      },
    }),
})

import Type from 'typebox'
import { DEVICE_ID_PATTERN, STATE_KEY_PATTERN } from '@tendero/protocol'
import { defineAction } from '../kinds.js'

/** Switch a relay on a device: publishes a protocol `relay.set` command on its cmd topic. */
export const relaySet = defineAction({
  kind: 'relay.set',
  schema: Type.Object(
    {
      kind: Type.Literal('relay.set'),
      deviceId: Type.String({ pattern: DEVICE_ID_PATTERN }),
      relay: Type.String({ pattern: STATE_KEY_PATTERN }),
      on: Type.Boolean(),
    },
    { additionalProperties: false },
  ),
  onFire: (spec, ctx) =>
    ctx.effects.sendCommand(spec.deviceId, { kind: 'relay.set', relay: spec.relay, on: spec.on }, { ruleId: ctx.ruleId }),
})

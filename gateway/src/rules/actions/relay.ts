import Type from 'typebox'
import { DEVICE_ID_PATTERN, STATE_KEY_PATTERN } from '@tendero/protocol'
import { defineAction } from '../kinds.js'

/**
 * Switch a relay on a device: a protocol `relay.set` command on its cmd topic, through
 * the relay guard. `minOnSeconds`/`minOffSeconds` protect compressors and pumps from
 * short cycling: a command that would switch the relay too soon is deferred until it is
 * allowed, never dropped (relay-guard.ts). The largest value declared by any action on
 * the same device and relay applies to every command to it.
 */
export const relaySet = defineAction({
  kind: 'relay.set',
  schema: Type.Object(
    {
      kind: Type.Literal('relay.set'),
      deviceId: Type.String({ pattern: DEVICE_ID_PATTERN }),
      relay: Type.String({ pattern: STATE_KEY_PATTERN }),
      on: Type.Boolean(),
      /** Once switched on, stay on at least this long. */
      minOnSeconds: Type.Optional(Type.Number({ minimum: 0, maximum: 86_400 })),
      /** Once switched off, stay off at least this long. */
      minOffSeconds: Type.Optional(Type.Number({ minimum: 0, maximum: 86_400 })),
    },
    { additionalProperties: false },
  ),
  onFire: async (spec, ctx) => {
    await ctx.relays.request(spec.deviceId, spec.relay, spec.on, ctx.ruleId)
  },
})

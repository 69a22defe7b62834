import Type from 'typebox'
import { STATE_KEY_PATTERN, StateValue } from '@tendero/protocol'
import { defineAction } from '../kinds.js'

/**
 * Set a named state (`modo` = `noche`): kept in memory for `state` conditions, persisted
 * with the rule state and logged as a `state` event of device `gateway`, so the cloud
 * and the dry run see it too.
 */
export const stateSet = defineAction({
  kind: 'state.set',
  schema: Type.Object(
    { kind: Type.Literal('state.set'), name: Type.String({ pattern: STATE_KEY_PATTERN }), value: StateValue },
    { additionalProperties: false },
  ),
  onFire: (spec, ctx) => ctx.setState(spec.name, spec.value),
})

import Type from 'typebox'
import { DEVICE_ID_PATTERN, STATE_KEY_PATTERN, StateValue } from '@tendero/protocol'
import { GATEWAY_DEVICE, defineCondition, type ConditionContext, type ConditionSpec, type NamedStateValue } from '../kinds.js'

const fields = {
  /** Whose state: default `gateway`, the named states that `state.set` actions keep. */
  deviceId: Type.Optional(Type.String({ pattern: DEVICE_ID_PATTERN })),
  /** A named state (`modo`), or a key of the device's reported state (`compressor`). */
  key: Type.String({ pattern: STATE_KEY_PATTERN }),
  equals: StateValue,
}
type Spec = ConditionSpec<typeof fields>

export interface StateCondState {
  value: NamedStateValue | null
  active: boolean
}

function evaluate(spec: Spec, state: StateCondState, ctx: ConditionContext) {
  const deviceId = spec.deviceId ?? GATEWAY_DEVICE
  if (deviceId === GATEWAY_DEVICE && ctx.states[spec.key] !== undefined) state.value = ctx.states[spec.key]!
  const active = state.value === spec.equals
  if (active === state.active) return null
  state.active = active
  return { type: active ? ('fire' as const) : ('rearm' as const), deviceId }
}

/**
 * A state equals a value: a named state set by another rule (`modo` = `noche`, a defrost
 * cycle running) or something the device reports (`compressor` = true). Lets rules
 * chain: one rule sets a state, others act while it holds.
 */
export const state = defineCondition({
  kind: 'state',
  fields,
  initialState: (): StateCondState => ({ value: null, active: false }),
  onEvent(spec, st, event, _now, ctx) {
    if (event.kind !== 'state' || event.deviceId !== (spec.deviceId ?? GATEWAY_DEVICE)) return null
    const value = event.body.state[spec.key]
    if (value === undefined) return null
    st.value = value
    return evaluate(spec, st, ctx)
  },
  onTick: (spec, st, _now, ctx) => evaluate(spec, st, ctx),
})

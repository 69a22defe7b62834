import Type from 'typebox'
import { DEVICE_ID_PATTERN, METRIC_PATTERN } from '@tendero/protocol'
import { defineCondition, type ConditionSpec, type Transition } from '../kinds.js'

const fields = {
  deviceId: Type.String({ pattern: DEVICE_ID_PATTERN }),
  metric: Type.String({ pattern: METRIC_PATTERN }),
  /** Exactly one of above/below: the condition is `value > above` or `value < below`. */
  above: Type.Optional(Type.Number()),
  below: Type.Optional(Type.Number()),
  /** How long the condition must hold, on the gateway's clock, before the rule fires. */
  forSeconds: Type.Number({ minimum: 0, maximum: 86_400 }),
  /** How far back past the threshold the value must go before the rule re-arms. */
  hysteresis: Type.Optional(Type.Number({ minimum: 0 })),
}
type Spec = ConditionSpec<typeof fields>

export interface ThresholdState {
  /** False between firing and re-arming: the rule fires once per excursion. */
  armed: boolean
  /** Gateway time when the condition became continuously true; null while false. */
  since: number | null
  lastValue: number | null
}

const breached = (s: Spec, v: number) => (s.above !== undefined ? v > s.above : v < s.below!)
const recovered = (s: Spec, v: number) =>
  s.above !== undefined ? v <= s.above - (s.hysteresis ?? 0) : v >= s.below! + (s.hysteresis ?? 0)

function fireIfHeld(spec: Spec, state: ThresholdState, now: number): Transition | null {
  if (!state.armed || state.since === null || now - state.since < spec.forSeconds * 1000) return null
  state.armed = false
  return { type: 'fire', deviceId: spec.deviceId, value: state.lastValue ?? undefined }
}

/**
 * A metric above (or below) a limit for a while: "cold room above 5 °C for 2 minutes".
 * Time is the gateway's clock, not the device's, so a device with a wrong clock cannot
 * make a rule fire early or never; the 1 s tick lets a held condition fire even when
 * readings are sparse.
 */
export const threshold = defineCondition({
  kind: 'threshold',
  fields,
  check: (spec) => ((spec.above === undefined) === (spec.below === undefined) ? 'set exactly one of "above" or "below"' : null),
  initialState: (): ThresholdState => ({ armed: true, since: null, lastValue: null }),
  onEvent(spec, state, event, now) {
    if (event.kind !== 'telemetry' || event.deviceId !== spec.deviceId) return null
    const value = event.body.readings[spec.metric]
    if (value === undefined) return null
    state.lastValue = value
    if (!state.armed) {
      if (!recovered(spec, value)) return null
      state.armed = true
      state.since = null
      return { type: 'rearm', deviceId: spec.deviceId, value }
    }
    state.since = breached(spec, value) ? (state.since ?? now) : null
    return fireIfHeld(spec, state, now)
  },
  onTick: (spec, state, now) => fireIfHeld(spec, state, now),
})

import Type from 'typebox'
import { DEVICE_ID_PATTERN, METRIC_PATTERN, StateValue, type LogEvent } from '@tendero/protocol'
import { defineCondition, type ConditionSpec, type Transition } from '../kinds.js'

const fields = {
  deviceId: Type.String({ pattern: DEVICE_ID_PATTERN }),
  /** Count device events of this kind (e.g. `door.opened`)... */
  event: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9_.]{0,63}$' })),
  /** ...whose `data` has these values (all must match)... */
  data: Type.Optional(Type.Record(Type.String(), StateValue, { maxProperties: 8 })),
  /** ...or count times `metric` crosses above `above` (or below `below`). */
  metric: Type.Optional(Type.String({ pattern: METRIC_PATTERN })),
  above: Type.Optional(Type.Number()),
  below: Type.Optional(Type.Number()),
  windowSeconds: Type.Number({ minimum: 1, maximum: 604_800 }),
  /** Fires when more than this many happened inside the window. */
  moreThan: Type.Integer({ minimum: 0, maximum: 10_000 }),
}
type Spec = ConditionSpec<typeof fields>

export interface CounterState {
  active: boolean
  /** Gateway times of the newest `moreThan + 1` matches: enough to know whether count > moreThan. */
  times: number[]
  /** For metric crossings: whether the last reading was past the limit. */
  past: boolean
}

function matches(spec: Spec, state: CounterState, event: LogEvent): boolean {
  if (event.deviceId !== spec.deviceId) return false
  if (spec.event !== undefined) {
    if (event.kind !== 'event' || event.body.kind !== spec.event) return false
    const data = event.body.data ?? {}
    return Object.entries(spec.data ?? {}).every(([k, v]) => data[k] === v)
  }
  if (event.kind !== 'telemetry') return false
  const value = event.body.readings[spec.metric!]
  if (value === undefined) return false
  const past = spec.above !== undefined ? value > spec.above : value < spec.below!
  // Counts the crossing, not every reading while past the limit.
  const crossed = past && !state.past
  state.past = past
  return crossed
}

function evaluate(spec: Spec, state: CounterState, now: number): Transition | null {
  const windowStart = now - spec.windowSeconds * 1000
  while (state.times.length > 0 && state.times[0]! <= windowStart) state.times.shift()
  const over = state.times.length > spec.moreThan
  if (over === state.active) return null
  state.active = over
  return { type: over ? 'fire' : 'rearm', deviceId: spec.deviceId, value: state.times.length }
}

/**
 * Things happening too often in a sliding window: "cold room door opened more than 10
 * times in an hour", "CO₂ went over 1000 ppm more than 3 times today". Fires when the
 * count goes over `moreThan`, re-arms when old matches slide out of the window.
 */
export const counter = defineCondition({
  kind: 'counter',
  fields,
  check(spec) {
    if ((spec.event === undefined) === (spec.metric === undefined)) return 'set exactly one of "event" or "metric"'
    if (spec.metric !== undefined && (spec.above === undefined) === (spec.below === undefined))
      return 'with "metric", set exactly one of "above" or "below"'
    if (spec.event !== undefined && (spec.above !== undefined || spec.below !== undefined)) return '"above"/"below" go with "metric"'
    if (spec.metric !== undefined && spec.data !== undefined) return '"data" goes with "event"'
    return null
  },
  initialState: (): CounterState => ({ active: false, times: [], past: false }),
  onEvent(spec, state, event, now) {
    if (!matches(spec, state, event)) return null
    state.times.push(now)
    if (state.times.length > spec.moreThan + 1) state.times.shift()
    return evaluate(spec, state, now)
  },
  onTick: evaluate,
})

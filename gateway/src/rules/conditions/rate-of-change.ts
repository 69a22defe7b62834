import Type from 'typebox'
import { DEVICE_ID_PATTERN, METRIC_PATTERN } from '@tendero/protocol'
import { defineCondition, readingOf, type ConditionSpec, type Transition } from '../kinds.js'

const fields = {
  deviceId: Type.String({ pattern: DEVICE_ID_PATTERN }),
  metric: Type.String({ pattern: METRIC_PATTERN }),
  direction: Type.Union([Type.Literal('rising'), Type.Literal('falling')]),
  /** Fires when the metric moves at least this much per minute in `direction`. */
  perMinute: Type.Number({ exclusiveMinimum: 0 }),
  /** The rate is measured over this window (oldest to newest reading in it). */
  windowSeconds: Type.Number({ minimum: 10, maximum: 86_400 }),
  /** Re-arms when the rate drops below `perMinute − hysteresis` (default 0). */
  hysteresis: Type.Optional(Type.Number({ minimum: 0 })),
}
type Spec = ConditionSpec<typeof fields>

export interface RateState {
  active: boolean
  /** [gateway time, value], oldest first, thinned to at most MAX_SAMPLES. */
  samples: [number, number][]
}

const MAX_SAMPLES = 64

/** Change per minute in the rule's direction (positive = moving that way), or null without enough span. */
export function rateOf(spec: Spec, samples: [number, number][]): number | null {
  const first = samples[0]
  const last = samples[samples.length - 1]
  // Two readings a second apart make a noisy slope: ask for half the window at least.
  if (!first || !last || last[0] - first[0] < (spec.windowSeconds * 1000) / 2) return null
  const perMinute = ((last[1] - first[1]) / (last[0] - first[0])) * 60_000
  return spec.direction === 'rising' ? perMinute : -perMinute
}

/**
 * A metric moving fast: "oven temperature falling more than 5 °C/min over 2 minutes"
 * (door left open, burner out). The slope is oldest-to-newest over the window on the
 * gateway's clock; it fires once and re-arms when the rate calms down.
 */
export const rateOfChange = defineCondition({
  kind: 'rate_of_change',
  fields,
  check: (spec) => ((spec.hysteresis ?? 0) >= spec.perMinute ? '"hysteresis" must be smaller than "perMinute"' : null),
  initialState: (): RateState => ({ active: false, samples: [] }),
  onEvent(spec, state, event, now) {
    const value = readingOf(event, spec.deviceId, spec.metric)
    if (value === undefined) return null
    const windowStart = now - spec.windowSeconds * 1000
    // Keep one reading older than the window so the span can cover all of it.
    while (state.samples.length > 1 && state.samples[1]![0] <= windowStart) state.samples.shift()
    const last = state.samples[state.samples.length - 1]
    const minGap = (spec.windowSeconds * 1000) / MAX_SAMPLES
    if (last && now - last[0] < minGap && state.samples.length > 1) state.samples[state.samples.length - 1] = [now, value]
    else state.samples.push([now, value])
    const rate = rateOf(spec, state.samples)
    if (rate === null) return null
    const t: Transition = { type: 'fire', deviceId: spec.deviceId, value }
    if (!state.active && rate >= spec.perMinute) {
      state.active = true
      return t
    }
    if (state.active && rate < spec.perMinute - (spec.hysteresis ?? 0)) {
      state.active = false
      return { ...t, type: 'rearm' }
    }
    return null
  },
  onTick: () => null,
})

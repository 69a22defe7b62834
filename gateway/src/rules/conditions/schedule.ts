import Type from 'typebox'
import { DEVICE_ID_PATTERN } from '@tendero/protocol'
import { GATEWAY_DEVICE, defineCondition, type ConditionContext, type ConditionSpec, type Transition } from '../kinds.js'
import { TimeWindowSchema, localTime, withinWindows } from '../../local-time.js'

const fields = {
  windows: Type.Array(TimeWindowSchema, { minItems: 1, maxItems: 16 }),
  /** The device transitions (and alarms) are keyed by; default `gateway`. */
  deviceId: Type.Optional(Type.String({ pattern: DEVICE_ID_PATTERN })),
}
type Spec = ConditionSpec<typeof fields>

export interface ScheduleState {
  inside: boolean
}

function evaluate(spec: Spec, state: ScheduleState, now: number, ctx: ConditionContext): Transition | null {
  const inside = withinWindows(spec.windows, localTime(now, ctx.timeZone))
  if (inside === state.inside) return null
  state.inside = inside
  return { type: inside ? 'fire' : 'rearm', deviceId: spec.deviceId ?? GATEWAY_DEVICE }
}

/**
 * True inside local time windows of the site's time zone: fires when a window opens and
 * re-arms when it closes ("lights on at 08:00, off at 20:00" with `rearmActions`), or
 * filters other conditions inside `all`. Checked on every tick and event; a gateway
 * that boots inside a window fires at once.
 */
export const schedule = defineCondition({
  kind: 'schedule',
  fields,
  check: (spec) => (spec.windows.some((w) => w.from === w.to) ? 'a window needs "from" different from "to"' : null),
  initialState: (): ScheduleState => ({ inside: false }),
  // Only on the tick: local time is minute-grained, and formatting it per message would cost.
  onEvent: () => null,
  onTick: evaluate,
})

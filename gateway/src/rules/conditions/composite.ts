import Type from 'typebox'
import { DEVICE_ID_PATTERN, type LogEvent } from '@tendero/protocol'
import {
  GATEWAY_DEVICE,
  defineCondition,
  type ConditionContext,
  type ConditionNode,
  type ConditionSpec,
  type Transition,
} from '../kinds.js'

const fields = {
  /** Nested conditions, each `{ "kind": ..., ... }`; validated one by one with their paths. */
  conditions: Type.Array(Type.Object({ kind: Type.String() }, { additionalProperties: true }), { minItems: 1, maxItems: 16 }),
  /** The combination must hold this long before the rule fires (default 0). */
  forSeconds: Type.Optional(Type.Number({ minimum: 0, maximum: 86_400 })),
  /** The device transitions and alarms are keyed by; default the first child that fired. */
  deviceId: Type.Optional(Type.String({ pattern: DEVICE_ID_PATTERN })),
}
type Spec = ConditionSpec<typeof fields> & { conditions: ConditionNode[] }

export interface CompositeState {
  /** Each child's level: true between its fire and its re-arm. */
  active: boolean[]
  children: unknown[]
  /** When the combination became true; null while false. */
  since: number | null
  fired: boolean
  /** The device the rule fired for, so it re-arms (and clears its alarm) for the same one. */
  deviceId: string | null
  value: number | null
}

type Combine = (levels: boolean[]) => boolean

function step(spec: Spec, state: CompositeState, now: number, combine: Combine, transitions: (Transition | null)[]): Transition | null {
  transitions.forEach((t, i) => {
    if (!t) return
    state.active[i] = t.type === 'fire'
    if (t.type === 'fire') {
      state.deviceId ??= spec.deviceId ?? t.deviceId
      if (t.value !== undefined) state.value = t.value
    }
  })
  const on = combine(state.active)
  if (!on) {
    state.since = null
    if (!state.fired) {
      state.deviceId = null
      return null
    }
    state.fired = false
    const deviceId = state.deviceId ?? spec.deviceId ?? GATEWAY_DEVICE
    state.deviceId = null
    return { type: 'rearm', deviceId }
  }
  state.since ??= now
  if (state.fired || now - state.since < (spec.forSeconds ?? 0) * 1000) return null
  state.fired = true
  return { type: 'fire', deviceId: state.deviceId ?? spec.deviceId ?? GATEWAY_DEVICE, value: state.value ?? undefined }
}

function composite(kind: 'all' | 'any', combine: Combine) {
  return defineCondition({
    kind,
    fields,
    children: (spec: Spec) => spec.conditions.map((node, i) => ({ node, path: `/conditions/${i}` })),
    initialState: (spec: Spec): CompositeState => ({
      active: spec.conditions.map(() => false),
      children: [],
      since: null,
      fired: false,
      deviceId: null,
      value: null,
    }),
    onEvent(spec: Spec, state: CompositeState, event: LogEvent, now: number, ctx: ConditionContext) {
      const ts = spec.conditions.map((c, i) => ctx.child.onEvent(c, childState(spec, state, i, ctx), event, now))
      return step(spec, state, now, combine, ts)
    },
    onTick(spec: Spec, state: CompositeState, now: number, ctx: ConditionContext) {
      const ts = spec.conditions.map((c, i) => ctx.child.onTick(c, childState(spec, state, i, ctx), now))
      return step(spec, state, now, combine, ts)
    },
    onRestore(spec: Spec, state: CompositeState, now: number, ctx: ConditionContext) {
      spec.conditions.forEach((c, i) => ctx.child.onRestore(c, childState(spec, state, i, ctx), now))
    },
  })
}

// Children's states are created lazily through the context, which knows every kind.
function childState(spec: Spec, state: CompositeState, i: number, ctx: ConditionContext): unknown {
  return (state.children[i] ??= ctx.child.initialState(spec.conditions[i]!))
}

/**
 * Composition. `all`: every nested condition is true (a threshold held, inside a time
 * window...); `any`: at least one. A nested condition counts as true between its own
 * fire and re-arm, so each keeps its own duration and hysteresis; `forSeconds` adds a
 * duration for the combination.
 */
export const all = composite('all', (levels) => levels.every(Boolean))
export const any = composite('any', (levels) => levels.some(Boolean))

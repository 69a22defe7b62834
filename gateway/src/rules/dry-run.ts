import type { LogEvent } from '@tendero/protocol'
import { GATEWAY_DEVICE, type NamedStateValue, type Transition } from './kinds.js'
import { conditionContext, conditionKinds, explainRule, type RuleSpec } from './registry.js'
import { DEFAULT_TIME_ZONE } from '../local-time.js'
import { GatewayError } from '../errors.js'

export interface DryRunTransition {
  /** Virtual gateway time of the transition (epoch ms). */
  time: number
  transition: Transition['type']
  deviceId: string
  value?: number | undefined
}

export interface DryRunOptions {
  /** The site's time zone, for schedules. */
  timeZone?: string
  /** Virtual tick between events (default 1000 ms, like the live engine). */
  tickMs?: number
  /** Keep ticking after the last event up to this time, e.g. "now", so held conditions can finish. */
  until?: number
  /** Stop after this many transitions (default 1000). */
  maxTransitions?: number
}

/**
 * When would this rule have fired? Replays recorded log events (the log's read API) on a
 * virtual clock: each event at its `time`, ticks every `tickMs` in between, exactly the
 * calls the live engine makes. Pure: no actions run, nothing is written. Named states
 * come from the `state` events of device `gateway` in the history itself.
 */
export function dryRun(rule: RuleSpec, events: readonly LogEvent[], opts: DryRunOptions = {}): DryRunTransition[] {
  const reasons = explainRule(rule)
  if (reasons.length > 0) throw new GatewayError('RULES_ERR_INVALID', `Invalid rule:\n  ${reasons.join('\n  ')}`, { reasons })
  const tickMs = opts.tickMs ?? 1000
  const max = opts.maxTransitions ?? 1000
  const kind = conditionKinds.get(rule.when.kind)!
  const states: Record<string, NamedStateValue> = {}
  const ctx = conditionContext(opts.timeZone ?? DEFAULT_TIME_ZONE, states)
  const state = kind.initialState(rule.when)
  const out: DryRunTransition[] = []
  const record = (t: Transition | null, time: number) => {
    if (t) out.push({ time, transition: t.type, deviceId: t.deviceId, ...(t.value !== undefined ? { value: t.value } : {}) })
  }
  // Stable by time: devices replaying their ring buffer can log events out of time order.
  const ordered = [...events].sort((a, b) => a.time - b.time || a.seq - b.seq)
  let clock: number | null = null
  const tickUntil = (end: number) => {
    if (clock === null) return
    for (let t = clock + tickMs; t <= end && out.length < max; t += tickMs) {
      record(kind.onTick(rule.when, state, t, ctx), t)
      clock = t
    }
  }
  for (const event of ordered) {
    if (out.length >= max) break
    tickUntil(event.time)
    clock = event.time
    if (event.kind === 'state' && event.deviceId === GATEWAY_DEVICE) Object.assign(states, event.body.state)
    record(kind.onEvent(rule.when, state, event, event.time, ctx), event.time)
  }
  if (opts.until !== undefined) tickUntil(opts.until)
  return out
}

import type { DryRunTransition } from '../../api/rules.js'

/** A stretch where the rule had fired and not yet re-armed, for one device. */
export interface FiringInterval {
  deviceId: string
  from: number
  /** When it re-armed; the end of the window when it was still fired then. */
  to: number
  /** False when it was still fired at the end of the window. */
  rearmed: boolean
  /** The reading that fired it, when the rule reported one. */
  value?: number
}

/**
 * Pairs each `fire` with the next `rearm` of the same device (alarms are per rule and
 * device). A re-arm without a fire before it in the window is dropped (the rule fired
 * before `from`: the warm-up hides that fire); a fire still open at the end runs to `to`.
 */
export function firingIntervals(transitions: readonly DryRunTransition[], to: number): FiringInterval[] {
  const open = new Map<string, DryRunTransition>()
  const intervals: FiringInterval[] = []
  const sorted = [...transitions].sort((a, b) => a.time - b.time)
  for (const t of sorted) {
    const started = open.get(t.deviceId)
    if (t.transition === 'fire') {
      // Two fires in a row never come from the engine; keep the first.
      if (!started) open.set(t.deviceId, t)
      continue
    }
    if (!started) continue
    open.delete(t.deviceId)
    intervals.push(interval(started, t.time, true))
  }
  for (const started of open.values()) intervals.push(interval(started, Math.max(to, started.time), false))
  return intervals.sort((a, b) => a.from - b.from || a.deviceId.localeCompare(b.deviceId))
}

function interval(fire: DryRunTransition, end: number, rearmed: boolean): FiringInterval {
  return { deviceId: fire.deviceId, from: fire.time, to: end, rearmed, ...(fire.value !== undefined ? { value: fire.value } : {}) }
}

import type { FailsafeSetCommand } from '@tendero/protocol'
import type { ColdRoomModel } from '../models/cold-room.js'

/**
 * Fail-safe states, node side: what a node does with its relays on its own once it has
 * lost the gateway. Kept in RAM like the firmware does until NVS storage lands; the
 * gateway sends them again on every connect anyway.
 */
export type FailsafeSpec = { mode: 'off' } | { mode: 'on' } | { mode: 'duty'; onSeconds: number; offSeconds: number }

/** Before the gateway has said anything: de-energised, the same default the gateway uses. */
export const DEFAULT_FAILSAFE: Readonly<FailsafeSpec> = Object.freeze({ mode: 'off' })

/** The protocol command as a spec, or null if a duty cycle lacks its durations. */
export function failsafeFromCommand(cmd: FailsafeSetCommand): FailsafeSpec | null {
  if (cmd.mode !== 'duty') return { mode: cmd.mode }
  if (cmd.onSeconds === undefined || cmd.offSeconds === undefined) return null
  return { mode: 'duty', onSeconds: cmd.onSeconds, offSeconds: cmd.offSeconds }
}

/**
 * A relay switched on for `onSeconds`, then off for `offSeconds`, repeating, in simulated
 * time. It starts in the phase the relay is already in, with a full phase: a compressor
 * that was running keeps running, one that just stopped gets its whole rest before it
 * starts again (no short cycling at the moment the link drops).
 */
export class DutyCycle {
  private phaseOn: boolean
  private remainingS: number

  constructor(
    readonly spec: { onSeconds: number; offSeconds: number },
    startOn: boolean,
  ) {
    if (!(spec.onSeconds > 0) || !(spec.offSeconds > 0)) throw new RangeError('duty cycle: onSeconds and offSeconds must be > 0')
    this.phaseOn = startOn
    this.remainingS = startOn ? spec.onSeconds : spec.offSeconds
  }

  get on(): boolean {
    return this.phaseOn
  }

  /** Advances `dtS` simulated seconds; returns every switch in it, `atS` counted from the start of this step. */
  advance(dtS: number): { atS: number; on: boolean }[] {
    const switches: { atS: number; on: boolean }[] = []
    let t = 0
    while (dtS - t >= this.remainingS) {
      t += this.remainingS
      this.phaseOn = !this.phaseOn
      this.remainingS = this.phaseOn ? this.spec.onSeconds : this.spec.offSeconds
      switches.push({ atS: t, on: this.phaseOn })
    }
    this.remainingS -= dtS - t
    return switches
  }
}

/**
 * Advances the physics by `dtS` simulated seconds while duty cycles drive relays. Each
 * switch happens at its exact simulated instant, with the model stepped piecewise around
 * it, so any time acceleration (any `dtS`) gives the same cycle and the same temperatures.
 */
export function advanceWithDutyCycles(
  model: ColdRoomModel,
  cycles: Iterable<[relay: string, cycle: DutyCycle]>,
  setRelay: (relay: string, on: boolean) => void,
  dtS: number,
): { doorOpenedAt: number[]; switched: boolean } {
  const switches: { atS: number; relay: string; on: boolean }[] = []
  for (const [relay, cycle] of cycles) for (const s of cycle.advance(dtS)) switches.push({ ...s, relay })
  switches.sort((a, b) => a.atS - b.atS)
  const doorOpenedAt: number[] = []
  let t = 0
  for (const s of switches) {
    doorOpenedAt.push(...model.step(s.atS - t).doorOpenedAt)
    setRelay(s.relay, s.on)
    t = s.atS
  }
  doorOpenedAt.push(...model.step(dtS - t).doorOpenedAt)
  return { doorOpenedAt, switched: switches.length > 0 }
}

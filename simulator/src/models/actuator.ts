/**
 * A relay or a motorised valve that obeys commands, with the delays real ones have.
 *
 * A command sets the target; after a dead time (`delayS`: relay coil pull-in, a PLC scan,
 * a valve controller waking up) the output travels linearly to the target over `travelS`
 * (≈ 0 for a relay, 5–15 s for a motorised ball valve). A new command replaces a pending
 * one and reverses a travel from wherever the output is. Position is 0 (closed/off) to 1
 * (open/on); `openSeconds` integrates it exactly, for flow or energy bookkeeping.
 */
export interface ActuatorParams {
  /** Dead time between command and movement, s. */
  delayS: number
  /** Time for a full stroke 0 → 1, s; 0 = instantaneous (relay). */
  travelS: number
}

export const relayParams: Readonly<ActuatorParams> = Object.freeze({ delayS: 0.02, travelS: 0 })
export const motorisedValveParams: Readonly<ActuatorParams> = Object.freeze({ delayS: 0.5, travelS: 8 })

export type ActuatorState = 'closed' | 'opening' | 'open' | 'closing'

export interface ActuatorSnapshot {
  elapsedS: number
  commanded: boolean
  position: number
  state: ActuatorState
  /** Completed transitions to fully open or fully closed. */
  cycles: number
  /** ∫ position dt, s. */
  openSeconds: number
}

export class ActuatorModel {
  readonly params: Readonly<ActuatorParams>
  private elapsed = 0
  private pos: number
  private target: number
  private commandedOn: boolean
  /** Simulated time the pending command starts moving the output; -Infinity once it has. */
  private moveFrom = Number.NEGATIVE_INFINITY
  private cycleCount = 0
  private integral = 0

  constructor(params: Partial<ActuatorParams> = relayParams, init: { on?: boolean } = {}) {
    this.params = Object.freeze({ ...relayParams, ...params })
    if (!(this.params.delayS >= 0) || !(this.params.travelS >= 0)) {
      throw new RangeError('actuator: delayS and travelS must be >= 0')
    }
    this.commandedOn = init.on ?? false
    this.pos = this.commandedOn ? 1 : 0
    this.target = this.pos
  }

  get position(): number {
    return this.pos
  }

  /** Fully open / energised. A half-open valve is not "on". */
  get isOn(): boolean {
    return this.pos === 1
  }

  get commanded(): boolean {
    return this.commandedOn
  }

  get elapsedS(): number {
    return this.elapsed
  }

  get state(): ActuatorState {
    if (this.pos === this.target) return this.pos === 1 ? 'open' : 'closed'
    return this.target === 1 ? 'opening' : 'closing'
  }

  /** Command the output; it takes effect after `delayS` (and `travelS`) of simulated time. */
  command(on: boolean): void {
    this.commandedOn = on
    const target = on ? 1 : 0
    // Repeating a command must not restart its dead time.
    if (target === this.target) return
    this.target = target
    this.moveFrom = this.elapsed + this.params.delayS
  }

  step(dtS: number): void {
    if (!(dtS >= 0) || !Number.isFinite(dtS)) throw new RangeError(`actuator: step needs a finite dt >= 0, got ${dtS}`)
    const end = this.elapsed + dtS
    // Hold until the dead time is over.
    if (this.pos !== this.target && this.moveFrom > this.elapsed) {
      const holdTo = Math.min(end, this.moveFrom)
      this.integral += this.pos * (holdTo - this.elapsed)
      this.elapsed = holdTo
    }
    if (this.elapsed < end && this.pos !== this.target) {
      const dir = this.target > this.pos ? 1 : -1
      const { travelS } = this.params
      const toGo = Math.abs(this.target - this.pos) * travelS
      const h = Math.min(end - this.elapsed, toGo)
      const next = travelS === 0 ? this.target : this.pos + (dir * h) / travelS
      this.integral += ((this.pos + next) / 2) * h // linear ramp: trapezoid is exact
      this.elapsed += h
      this.pos = h === toGo ? this.target : Math.min(1, Math.max(0, next))
      if (this.pos === this.target) this.cycleCount++
    }
    this.integral += this.pos * (end - this.elapsed)
    this.elapsed = end
  }

  snapshot(): ActuatorSnapshot {
    return {
      elapsedS: this.elapsed,
      commanded: this.commandedOn,
      position: this.pos,
      state: this.state,
      cycles: this.cycleCount,
      openSeconds: this.integral,
    }
  }
}

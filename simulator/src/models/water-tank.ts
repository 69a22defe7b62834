/**
 * A water tank (the 1 000–5 000 L plastic tank a nursery pumps its irrigation from), filled by
 * a float valve on a weak supply (mains, a well pump) and drawn by whatever the caller says
 * (the irrigation line's metered flow):
 *
 *   V · dℓ/dt = Q_in − Q_out,   Q_in = refill while the float is down (ℓ < 100 %)
 *
 * Both flows are constant between calls to `setDrawLpm`, so the level is piecewise linear
 * and `step` is exact, split at the two edges: full (the float shuts, inflow matches the draw
 * up to the refill rate) and empty (the line gets only what flows in; the rest is tallied as
 * `shortfallL`, the water the pump asked for and did not get). The level never leaves 0–100 %
 * and the balance start + in − out = level · V closes exactly.
 */
export interface WaterTankParams {
  /** Usable volume up to the float valve's level, L. */
  capacityL: number
  /** Inflow through the float valve while it is open, L/min. */
  refillLpm: number
}

export const defaultWaterTankParams: Readonly<WaterTankParams> = Object.freeze({
  capacityL: 2_500, // L (a common polyethylene tank)
  refillLpm: 3, // L/min (a ½" float valve on low mains pressure)
})

export interface WaterTankInit {
  /** Level at t = 0, %; default full. */
  startPct?: number
}

export interface WaterTankTotals {
  inflowL: number
  /** Water that left the tank, L. */
  outflowL: number
  /** Draw the tank could not serve while empty, L. */
  shortfallL: number
}

export class WaterTankModel {
  readonly params: Readonly<WaterTankParams>
  private volume: number
  private draw = 0
  private elapsed = 0
  private readonly totals: WaterTankTotals = { inflowL: 0, outflowL: 0, shortfallL: 0 }
  private readonly startL: number

  constructor(params: Partial<WaterTankParams> = {}, init: WaterTankInit = {}) {
    this.params = Object.freeze({ ...defaultWaterTankParams, ...params })
    const p = this.params
    if (!(p.capacityL > 0 && Number.isFinite(p.capacityL))) throw new RangeError('water tank: capacityL must be > 0')
    if (!(p.refillLpm >= 0 && Number.isFinite(p.refillLpm))) throw new RangeError('water tank: refillLpm must be >= 0')
    const start = init.startPct ?? 100
    if (!(start >= 0 && start <= 100)) throw new RangeError('water tank: startPct must be within 0..100')
    this.volume = (start / 100) * p.capacityL
    this.startL = this.volume
  }

  get elapsedS(): number {
    return this.elapsed
  }

  get liters(): number {
    return this.volume
  }

  get levelPct(): number {
    return (this.volume / this.params.capacityL) * 100
  }

  /** Starting volume, L (for balance checks). */
  get startLiters(): number {
    return this.startL
  }

  waterTotals(): WaterTankTotals {
    return { ...this.totals }
  }

  /** What is drawn from now on, L/min (the pump or the line behind the tank). */
  setDrawLpm(lpm: number): void {
    if (!(lpm >= 0 && Number.isFinite(lpm))) throw new RangeError('water tank: draw must be a finite L/min >= 0')
    this.draw = lpm
  }

  get drawLpm(): number {
    return this.draw
  }

  step(dtS: number): void {
    if (!(dtS >= 0) || !Number.isFinite(dtS)) throw new RangeError(`water tank: step needs a finite dt >= 0, got ${dtS}`)
    const cap = this.params.capacityL
    const inRate = this.params.refillLpm / 60 // L/s
    const outRate = this.draw / 60
    let left = dtS
    while (left > 0) {
      if (this.volume >= cap && outRate <= inRate) {
        // The float holds it full: inflow only replaces what is drawn.
        this.tally(left, outRate, outRate, 0)
        return
      }
      if (this.volume <= 0 && outRate >= inRate) {
        // Empty: the line gets the trickle coming in, the rest of the draw goes unserved.
        this.tally(left, inRate, inRate, outRate - inRate)
        return
      }
      const net = inRate - outRate // L/s
      if (net === 0) {
        this.tally(left, inRate, outRate, 0)
        return
      }
      const toEdge = net > 0 ? (cap - this.volume) / net : this.volume / -net
      const h = Math.min(left, toEdge)
      this.tally(h, inRate, outRate, 0)
      this.volume = h === toEdge ? (net > 0 ? cap : 0) : Math.min(cap, Math.max(0, this.volume + net * h))
      left -= h
    }
  }

  /** Rates in L/s held for `hS`. */
  private tally(hS: number, inRate: number, outRate: number, shortRate: number): void {
    this.totals.inflowL += inRate * hS
    this.totals.outflowL += outRate * hS
    this.totals.shortfallL += shortRate * hS
    this.elapsed += hS
  }
}

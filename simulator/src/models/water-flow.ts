import { smoothNoise, type SmoothNoise } from './smooth-noise.js'

/**
 * A water-flow meter behind an irrigation (or supply) valve.
 *
 * Supply pressure wanders with seeded smooth noise (neighbours watering, the pump cycling).
 * Through a fixed orifice (the drip line), flow goes with the square root of pressure:
 * Q = Q_nom · √(P / P_nom). Pressure is sampled on a fixed grid of absolute simulated time
 * (`gridS`) and held in each cell, so flow is piecewise constant and the totaliser is its
 * exact integral, identical however the caller slices time. A `leakLpm` models a valve
 * that does not seal: flow with the valve shut, for leak-detection demos. A valve part way
 * through its stroke (`setOpening`) passes flow in proportion to its opening.
 */
export interface WaterFlowParams {
  /** Flow with the valve open at nominal pressure, L/min. */
  nominalLpm: number
  /** Nominal supply pressure, bar. */
  nominalBar: number
  /** Peak supply pressure wander, fraction of nominal. */
  pressureWander: number
  /** Pressure lost across the line while water flows, fraction of supply. */
  dynamicDrop: number
  /** Flow through a shut valve (a leak fault), L/min. */
  leakLpm: number
  /** Litres per pulse of the meter's reed output. */
  litersPerPulse: number
  /** Pressure hold cell, s. */
  gridS: number
  seed: number
}

export const defaultWaterFlowParams: Readonly<WaterFlowParams> = Object.freeze({
  nominalLpm: 12, // L/min (a small drip sector)
  nominalBar: 2.5, // bar
  pressureWander: 0.15, // ±15 %
  dynamicDrop: 0.2, // 20 % lower while flowing
  leakLpm: 0, // L/min
  litersPerPulse: 1, // L/pulse
  gridS: 5, // s
  seed: 1,
})

export interface WaterFlowReading {
  elapsedS: number
  valveOpen: boolean
  flowLpm: number
  pressureBar: number
  /** Totaliser, L, unquantised. */
  liters: number
  /** Reed-switch pulses counted so far. */
  pulses: number
}

export class WaterFlowMeterModel {
  readonly params: Readonly<WaterFlowParams>
  /** Valve opening, 0 (shut) .. 1 (fully open). */
  private opening: number
  private elapsed = 0
  private total: number
  private readonly pressureNoise: SmoothNoise

  constructor(params: Partial<WaterFlowParams> = {}, init: { valveOpen?: boolean; startLiters?: number } = {}) {
    this.params = Object.freeze({ ...defaultWaterFlowParams, ...params })
    const p = this.params
    for (const key of ['nominalLpm', 'nominalBar', 'litersPerPulse', 'gridS'] as const) {
      if (!(p[key] > 0)) throw new RangeError(`water flow: ${key} must be > 0`)
    }
    if (!(p.pressureWander >= 0 && p.pressureWander < 1) || !(p.dynamicDrop >= 0 && p.dynamicDrop < 1) || !(p.leakLpm >= 0)) {
      throw new RangeError('water flow: need 0 <= pressureWander < 1, 0 <= dynamicDrop < 1, leakLpm >= 0')
    }
    this.opening = init.valveOpen ? 1 : 0
    this.total = init.startLiters ?? 0
    if (!(this.total >= 0)) throw new RangeError('water flow: startLiters must be >= 0')
    this.pressureNoise = smoothNoise(p.seed, 10 * 60)
  }

  get valveOpen(): boolean {
    return this.opening > 0
  }

  get valveOpening(): number {
    return this.opening
  }

  setValve(open: boolean): void {
    this.opening = open ? 1 : 0
  }

  /** A motorised valve mid-stroke: 0 (shut) .. 1 (open). */
  setOpening(fraction: number): void {
    if (!(fraction >= 0 && fraction <= 1)) throw new RangeError('water flow: opening must be within 0..1')
    this.opening = fraction
  }

  get elapsedS(): number {
    return this.elapsed
  }

  get liters(): number {
    return this.total
  }

  /** Supply pressure held in the grid cell containing `tS`, bar. */
  supplyBarAt(tS: number): number {
    const p = this.params
    const cellStart = Math.floor(tS / p.gridS) * p.gridS
    return p.nominalBar * (1 + p.pressureWander * this.pressureNoise(cellStart))
  }

  /** Flow at `tS` with the valve as it is now, L/min. */
  flowLpmAt(tS = this.elapsed): number {
    const p = this.params
    if (this.opening === 0) return p.leakLpm
    return p.nominalLpm * this.opening * Math.sqrt(this.supplyBarAt(tS) / p.nominalBar)
  }

  step(dtS: number): void {
    if (!(dtS >= 0) || !Number.isFinite(dtS)) throw new RangeError(`water flow: step needs a finite dt >= 0, got ${dtS}`)
    const end = this.elapsed + dtS
    if (this.opening === 0) {
      // Leak flow does not depend on pressure here, so one product is exact.
      this.total += (this.params.leakLpm * dtS) / 60
      this.elapsed = end
      return
    }
    const grid = this.params.gridS
    while (this.elapsed < end) {
      const cellEnd = (Math.floor(this.elapsed / grid) + 1) * grid
      const boundary = Math.min(end, cellEnd)
      this.total += (this.flowLpmAt(this.elapsed) * (boundary - this.elapsed)) / 60
      this.elapsed = boundary
    }
  }

  reading(): WaterFlowReading {
    const p = this.params
    const supply = this.supplyBarAt(this.elapsed)
    return {
      elapsedS: this.elapsed,
      valveOpen: this.valveOpen,
      flowLpm: this.flowLpmAt(),
      // The line loses pressure with the square of the flow.
      pressureBar: supply * (1 - p.dynamicDrop * this.opening ** 2),
      liters: this.total,
      pulses: Math.floor(this.total / p.litersPerPulse + 1e-9),
    }
  }
}

import { hourOfDayIndex, nextHourlyPoisson, validateHourlyProfile } from './hourly-poisson.js'
import { mulberry32 } from './seeded-random.js'

/**
 * People coming and going through a room (shop floor, waiting room, bar), with the CO₂
 * they breathe out.
 *
 * Arrivals are a non-homogeneous Poisson process whose rate follows an hourly profile
 * (drawn by thinning: candidates at the peak rate, kept with probability λ(t)/λ_max);
 * each visitor stays 0.25–1.75 × the mean dwell. Draws happen in event order from one
 * seeded PRNG, so a seed fixes the whole day regardless of step sizes.
 *
 * CO₂ is a single-zone mass balance (well-mixed room of volume V, outdoor air supply Q):
 *
 *   V · dC/dt = n · G · 10⁶ + Q · (C_out − C)      [C in ppm, G and Q in m³/s]
 *
 * With n constant between arrivals and departures the exact solution is an exponential
 * toward C_eq = C_out + n · G · 10⁶ / Q, so CO₂ rises while people are in and decays to
 * outdoor air when the room empties, at the rate set by the ventilation (a fan relay
 * adds air changes).
 */
export interface OccupancyParams {
  /** Mean arrivals per hour for each hour of the day, 24 entries. */
  hourlyArrivals: readonly number[]
  /** Mean stay, s. */
  dwellMeanS: number
  /** Room volume, m³. */
  volumeM3: number
  /** Air changes per hour with the fan off (infiltration, open door). */
  ventilationAch: number
  /** Extra air changes per hour while the fan relay is on. */
  fanAch: number
  /** CO₂ exhaled per person, m³/s (≈ 0.0052 L/s for seated adults, ASHRAE 62.1). */
  co2PerPersonM3PerS: number
  /** Outdoor CO₂, ppm. */
  outdoorPpm: number
  /** Hour of day at simulated t = 0. */
  startHour: number
  seed: number
}

/** A small shop: closed at night, busy late morning and after work. */
export const shopArrivalProfile: readonly number[] = Object.freeze([
  0, 0, 0, 0, 0, 0, 0, 0, 2, 6, 10, 14, 16, 12, 6, 5, 7, 10, 14, 12, 6, 0, 0, 0,
])

export const defaultOccupancyParams: Readonly<OccupancyParams> = Object.freeze({
  hourlyArrivals: shopArrivalProfile,
  dwellMeanS: 15 * 60, // s
  volumeM3: 150, // m³ (50 m² × 3 m)
  ventilationAch: 1, // 1/h
  fanAch: 4, // 1/h
  co2PerPersonM3PerS: 0.0052e-3, // m³/s
  outdoorPpm: 420, // ppm
  startHour: 0, // h
  seed: 1,
})

export interface OccupancyInit {
  startPpm?: number
  fanOn?: boolean
}

export interface OccupancyStepResult {
  /** Simulated times of arrivals (entries) and departures (exits) during this step. */
  arrivals: number[]
  departures: number[]
}

export interface OccupancySnapshot {
  elapsedS: number
  occupancy: number
  entries: number
  exits: number
  co2Ppm: number
  /** NDIR sensor reading, whole ppm. */
  sensorPpm: number
  fanOn: boolean
}

export class OccupancyModel {
  readonly params: Readonly<OccupancyParams>
  private readonly random: () => number
  private elapsed = 0
  private co2: number
  private fan: boolean
  private nextArrival: number
  /** Departure times of the people inside, ascending. */
  private readonly leaving: number[] = []
  private entered = 0
  private exited = 0

  constructor(params: Partial<OccupancyParams> = {}, init: OccupancyInit = {}) {
    this.params = Object.freeze({ ...defaultOccupancyParams, ...params })
    const p = this.params
    validateHourlyProfile(p.hourlyArrivals, 'occupancy')
    for (const key of ['dwellMeanS', 'volumeM3', 'ventilationAch'] as const) {
      if (!(p[key] > 0)) throw new RangeError(`occupancy: ${key} must be > 0`)
    }
    for (const key of ['fanAch', 'co2PerPersonM3PerS', 'outdoorPpm'] as const) {
      if (!(p[key] >= 0)) throw new RangeError(`occupancy: ${key} must be >= 0`)
    }
    this.co2 = init.startPpm ?? p.outdoorPpm
    if (!(this.co2 >= 0)) throw new RangeError('occupancy: startPpm must be >= 0')
    this.fan = init.fanOn ?? false
    this.random = mulberry32(p.seed)
    this.nextArrival = this.drawArrival(0)
  }

  get occupancy(): number {
    return this.leaving.length
  }

  get co2Ppm(): number {
    return this.co2
  }

  get elapsedS(): number {
    return this.elapsed
  }

  get fanOn(): boolean {
    return this.fan
  }

  /** The ventilation fan relay. */
  setFan(on: boolean): void {
    this.fan = on
  }

  /** Arrival rate at simulated time `tS`, per hour. */
  arrivalsPerHourAt(tS: number): number {
    return this.params.hourlyArrivals[hourOfDayIndex(this.params.startHour, tS)] ?? 0
  }

  /** Outdoor air supply, m³/s. */
  airflowM3PerS(fanOn = this.fan): number {
    const p = this.params
    return ((p.ventilationAch + (fanOn ? p.fanAch : 0)) * p.volumeM3) / 3600
  }

  /** Where CO₂ settles with `n` people inside and the fan as given, ppm. */
  equilibriumPpm(n = this.occupancy, fanOn = this.fan): number {
    const p = this.params
    return p.outdoorPpm + (n * p.co2PerPersonM3PerS * 1e6) / this.airflowM3PerS(fanOn)
  }

  step(dtS: number): OccupancyStepResult {
    if (!(dtS >= 0) || !Number.isFinite(dtS)) throw new RangeError(`occupancy: step needs a finite dt >= 0, got ${dtS}`)
    const result: OccupancyStepResult = { arrivals: [], departures: [] }
    const end = this.elapsed + dtS
    const rate = this.airflowM3PerS() / this.params.volumeM3 // 1/s
    while (this.elapsed < end) {
      const nextLeave = this.leaving[0] ?? Number.POSITIVE_INFINITY
      const boundary = Math.min(end, this.nextArrival, nextLeave)
      const target = this.equilibriumPpm()
      this.co2 = target + (this.co2 - target) * Math.exp(-rate * (boundary - this.elapsed))
      this.elapsed = boundary
      if (boundary === nextLeave) {
        this.leaving.shift()
        this.exited++
        result.departures.push(boundary)
      } else if (boundary === this.nextArrival) {
        this.insertDeparture(boundary + this.params.dwellMeanS * (0.25 + 1.5 * this.random()))
        this.entered++
        result.arrivals.push(boundary)
        this.nextArrival = this.drawArrival(boundary)
      }
    }
    return result
  }

  private insertDeparture(at: number): void {
    let lo = 0
    let hi = this.leaving.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.leaving[mid]! <= at) lo = mid + 1
      else hi = mid
    }
    this.leaving.splice(lo, 0, at)
  }

  private drawArrival(fromS: number): number {
    return nextHourlyPoisson(this.random, this.params.hourlyArrivals, this.params.startHour, fromS)
  }

  snapshot(): OccupancySnapshot {
    return {
      elapsedS: this.elapsed,
      occupancy: this.occupancy,
      entries: this.entered,
      exits: this.exited,
      co2Ppm: this.co2,
      sensorPpm: Math.round(this.co2),
      fanOn: this.fan,
    }
  }
}

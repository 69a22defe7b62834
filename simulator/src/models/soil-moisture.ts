import { AmbientModel, saturationVapourPressureHpa, type AmbientParams } from './ambient.js'
import { RainModel } from './rain.js'

/**
 * Root-zone soil moisture as a bucket water balance (FAO-56 style), per unit area in mm:
 *
 *   dS/dt = infiltration(irrigation + rain) − ET_actual − drainage,   θ = S / rootDepth
 *
 * - ET_0 is radiation driven (Makkink: 0.61 · Δ/(Δ+γ) · R_s/λ), so it follows the sun and
 *   the air temperature of an AmbientModel and is close to zero at night;
 *   ET_actual = K_c · K_s · ET_0, where the stress factor K_s falls linearly to 0 at the
 *   wilting point once half the available water is gone, so ET never dries the soil
 *   below the wilting point.
 * - Water arriving (drip valve, rain) infiltrates up to a capacity that depends on the
 *   soil (sand takes water fast, clay slowly) and on how wet it already is; the rest runs
 *   off. Above field capacity the soil drains to depth.
 * - Rain comes from a RainModel: by default its own, seeded Poisson showers with random
 *   duration and intensity (the `rain…` params); or one shared with a rain gauge (`init.rain`),
 *   so the gauge and the soil see the same showers.
 *
 * Integrated in sub-steps of at most `maxSubstepS`, breaking at every rain transition.
 * Every flux is tallied, so the water balance closes exactly (a test checks it).
 */
export type SoilType = 'sand' | 'loam' | 'clay' | 'substrate'

export interface SoilHydraulics {
  /** θ_s: volumetric water content at saturation, m³/m³. */
  saturation: number
  /** θ_fc: field capacity, m³/m³. */
  fieldCapacity: number
  /** θ_wp: permanent wilting point, m³/m³. */
  wiltingPoint: number
  /** K_sat: saturated infiltration / drainage rate, mm/h. */
  ksatMmPerH: number
}

/** Typical textbook values (Rawls et al. 1982 class means, rounded). */
export const soilTypes: Readonly<Record<SoilType, Readonly<SoilHydraulics>>> = Object.freeze({
  sand: Object.freeze({ saturation: 0.38, fieldCapacity: 0.12, wiltingPoint: 0.05, ksatMmPerH: 60 }),
  loam: Object.freeze({ saturation: 0.45, fieldCapacity: 0.28, wiltingPoint: 0.12, ksatMmPerH: 13 }),
  clay: Object.freeze({ saturation: 0.5, fieldCapacity: 0.4, wiltingPoint: 0.22, ksatMmPerH: 3 }),
  // A nursery's peat and perlite potting mix: holds far more water than field soil and drains freely.
  substrate: Object.freeze({ saturation: 0.7, fieldCapacity: 0.45, wiltingPoint: 0.12, ksatMmPerH: 40 }),
})

export interface SoilMoistureParams {
  soil: SoilType
  /** Depth of the root zone the probe represents, mm. */
  rootDepthMm: number
  /** K_c: crop coefficient (lettuce/tomato mid-season ≈ 1.0–1.15). */
  cropCoefficient: number
  /** Water a drip line applies over the wetted area while the valve is open, mm/h. */
  irrigationMmPerH: number
  /** Mean rain showers per day (Poisson); 0 = never rains. Ignored with a shared `init.rain`. */
  rainEventsPerDay: number
  /** Mean shower intensity, mm/h (each shower 0.2–2.5 × this). */
  rainMeanMmPerH: number
  /** Mean shower duration, s (each 0.25–1.75 × this). */
  rainMeanDurationS: number
  /** Longest integration sub-step, s. */
  maxSubstepS: number
  /** Seeds the rain and, unless `ambient` is given, the weather. */
  seed: number
  /** Weather driving ET; ignored when an AmbientModel instance is passed in `init`. */
  ambient: Partial<AmbientParams>
}

export const defaultSoilMoistureParams: Readonly<SoilMoistureParams> = Object.freeze({
  soil: 'loam' as SoilType,
  rootDepthMm: 300, // mm
  cropCoefficient: 1.05,
  irrigationMmPerH: 8, // mm/h, drip at ~2 L/h per emitter, 4 emitters/m²
  rainEventsPerDay: 0.3, // 1/day
  rainMeanMmPerH: 4, // mm/h
  rainMeanDurationS: 2 * 3600, // s
  maxSubstepS: 60, // s
  seed: 1,
  ambient: Object.freeze({}),
})

export interface SoilMoistureInit {
  /** θ at t = 0, m³/m³; defaults to field capacity. */
  startTheta?: number
  valveOpen?: boolean
  /** Share the weather with other models; its own clock is not used, t is this model's. */
  ambient?: AmbientModel
  /** Share the rain with a gauge; read at this model's t, stepped by its owner, not here. */
  rain?: RainModel
}

export interface SoilWaterTotals {
  irrigationMm: number
  rainMm: number
  infiltratedMm: number
  runoffMm: number
  etMm: number
  drainageMm: number
}

export interface SoilMoistureSnapshot extends SoilWaterTotals {
  elapsedS: number
  /** Volumetric water content, %, unquantised. */
  moisturePct: number
  /** What a capacitive probe reports, 0.1 %. */
  sensorPct: number
  valveOpen: boolean
  raining: boolean
  rainMmPerH: number
}

const GAMMA_KPA_PER_K = 0.066 // psychrometric constant near sea level
const LAMBDA_MJ_PER_KG = 2.45 // latent heat of vaporisation

/** Makkink reference evapotranspiration, mm/h, from global radiation and air temperature. */
export function makkinkEt0MmPerH(solarWm2: number, airC: number): number {
  if (solarWm2 <= 0) return 0
  const es = saturationVapourPressureHpa(airC) / 10 // kPa
  const delta = (4098 * es) / (airC + 237.3) ** 2 // slope of es(T), kPa/K
  const rsMj = solarWm2 * 0.0036 // W/m² over an hour → MJ/m²
  return Math.max(0, (0.61 * (delta / (delta + GAMMA_KPA_PER_K)) * rsMj) / LAMBDA_MJ_PER_KG - 0.012)
}

export class SoilMoistureModel {
  readonly params: Readonly<SoilMoistureParams>
  readonly hydraulics: Readonly<SoilHydraulics>
  readonly ambient: AmbientModel
  private storageMm: number
  private valve: boolean
  /** Irrigation supplied from outside (a flow meter upstream), mm/h; overrides the valve. */
  private supplied: number | null = null
  private elapsed = 0
  readonly rain: RainModel
  private readonly ownsRain: boolean
  private readonly totals: SoilWaterTotals = {
    irrigationMm: 0,
    rainMm: 0,
    infiltratedMm: 0,
    runoffMm: 0,
    etMm: 0,
    drainageMm: 0,
  }

  constructor(params: Partial<SoilMoistureParams> = {}, init: SoilMoistureInit = {}) {
    this.params = Object.freeze({ ...defaultSoilMoistureParams, ...params })
    const p = this.params
    const h = soilTypes[p.soil]
    if (!h) throw new RangeError(`soil moisture: unknown soil ${String(p.soil)}`)
    this.hydraulics = h
    for (const key of ['rootDepthMm', 'rainMeanMmPerH', 'rainMeanDurationS', 'maxSubstepS'] as const) {
      if (!(p[key] > 0)) throw new RangeError(`soil moisture: ${key} must be > 0`)
    }
    for (const key of ['cropCoefficient', 'irrigationMmPerH', 'rainEventsPerDay'] as const) {
      if (!(p[key] >= 0)) throw new RangeError(`soil moisture: ${key} must be >= 0`)
    }
    const theta = init.startTheta ?? h.fieldCapacity
    if (!(theta >= 0 && theta <= h.saturation)) {
      throw new RangeError(`soil moisture: startTheta must be within 0..${h.saturation}`)
    }
    this.storageMm = theta * p.rootDepthMm
    this.valve = init.valveOpen ?? false
    this.ambient = init.ambient ?? new AmbientModel({ seed: p.seed, ...p.ambient })
    this.ownsRain = init.rain === undefined
    this.rain =
      init.rain ??
      new RainModel({ showersPerDay: p.rainEventsPerDay, meanMmPerH: p.rainMeanMmPerH, meanDurationS: p.rainMeanDurationS, seed: p.seed })
  }

  get theta(): number {
    return this.storageMm / this.params.rootDepthMm
  }

  get moisturePct(): number {
    return this.theta * 100
  }

  get sensorPct(): number {
    return Math.round(this.moisturePct * 10) / 10 + 0
  }

  get valveOpen(): boolean {
    return this.valve
  }

  get raining(): boolean {
    return this.rain.rateAt(this.elapsed) > 0
  }

  get elapsedS(): number {
    return this.elapsed
  }

  /**
   * Drive irrigation from measured water instead of the valve flag: `mmPerH` (= L/m²/h over
   * the wetted area) until called again with null.
   */
  supplyIrrigation(mmPerH: number | null): void {
    if (mmPerH !== null && !(mmPerH >= 0 && Number.isFinite(mmPerH))) {
      throw new RangeError('soil moisture: supplied irrigation must be a finite rate >= 0')
    }
    this.supplied = mmPerH
  }

  /** The irrigation valve; only commands move it. */
  setValve(open: boolean): void {
    this.valve = open
  }

  waterTotals(): SoilWaterTotals {
    return { ...this.totals }
  }

  /** Water held in the root zone, mm (θ · root depth). */
  get storedMm(): number {
    return this.storageMm
  }

  /** Infiltration capacity, mm/h: dry soil soaks up several times K_sat, saturated soil only K_sat. */
  infiltrationCapacityMmPerH(theta = this.theta): number {
    const h = this.hydraulics
    const dryness = Math.min(1, Math.max(0, (h.saturation - theta) / (h.saturation - h.wiltingPoint)))
    return h.ksatMmPerH * (1 + 3 * dryness)
  }

  step(dtS: number): void {
    if (!(dtS >= 0) || !Number.isFinite(dtS)) {
      throw new RangeError(`soil moisture: step needs a finite dt >= 0, got ${dtS}`)
    }
    const end = this.elapsed + dtS
    while (this.elapsed < end) {
      // Sub-steps on a grid of absolute time, so different slicings share most sub-steps.
      const grid = this.params.maxSubstepS
      const boundary = Math.min(end, this.rain.nextChangeAfter(this.elapsed), (Math.floor(this.elapsed / grid) + 1) * grid)
      const h = boundary - this.elapsed
      this.integrate(h)
      if (this.ownsRain) this.rain.step(h)
      this.elapsed = boundary
    }
  }

  private integrate(hS: number): void {
    if (hS <= 0) return
    const p = this.params
    const hy = this.hydraulics
    const hours = hS / 3600
    const theta = this.theta
    const capacityMm = hy.saturation * p.rootDepthMm

    // Water arriving at the surface, and the part the soil can take in this sub-step.
    const irrigationRate = this.supplied ?? (this.valve ? p.irrigationMmPerH : 0)
    const irrigationMm = irrigationRate * hours
    const rainRate = this.rain.rateAt(this.elapsed)
    const rainMm = rainRate * hours
    const arriving = irrigationMm + rainMm
    const infiltrated = Math.min(arriving, this.infiltrationCapacityMmPerH(theta) * hours, capacityMm - this.storageMm)
    this.storageMm += Math.max(0, infiltrated)

    // ET at the sub-step midpoint; none while it rains (leaves are wet, sky is dark).
    const weather = this.ambient.sample(this.elapsed + hS / 2)
    const et0 = rainRate > 0 ? 0 : makkinkEt0MmPerH(weather.solarWm2, weather.temperatureC)
    const available = hy.fieldCapacity - hy.wiltingPoint
    const stress = Math.min(1, Math.max(0, (this.theta - hy.wiltingPoint) / (0.5 * available)))
    const floorMm = Math.min(this.storageMm, hy.wiltingPoint * p.rootDepthMm)
    const et = Math.min(p.cropCoefficient * stress * et0 * hours, this.storageMm - floorMm)
    this.storageMm -= Math.max(0, et)

    // Gravity drainage above field capacity, quadratic in the excess, K_sat at saturation;
    // capped at the excess so one long sub-step cannot drain below field capacity.
    const excess = Math.max(0, this.theta - hy.fieldCapacity)
    const drainRate = hy.ksatMmPerH * (excess / (hy.saturation - hy.fieldCapacity)) ** 2
    const drained = Math.min(drainRate * hours, excess * p.rootDepthMm)
    this.storageMm -= drained

    this.totals.irrigationMm += irrigationMm
    this.totals.rainMm += rainMm
    this.totals.infiltratedMm += Math.max(0, infiltrated)
    this.totals.runoffMm += arriving - Math.max(0, infiltrated)
    this.totals.etMm += Math.max(0, et)
    this.totals.drainageMm += drained
  }

  snapshot(): SoilMoistureSnapshot {
    return {
      elapsedS: this.elapsed,
      moisturePct: this.moisturePct,
      sensorPct: this.sensorPct,
      valveOpen: this.valve,
      raining: this.raining,
      rainMmPerH: this.rain.rateAt(this.elapsed),
      ...this.waterTotals(),
    }
  }
}

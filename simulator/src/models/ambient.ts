import { smoothNoise, type SmoothNoise } from './smooth-noise.js'

/**
 * Outdoor (or shop-floor) air temperature, relative humidity and sunshine.
 *
 * Temperature is a daily cosine peaking mid-afternoon plus seeded smooth weather noise
 * (fronts last hours, not seconds). Humidity is not a separate random walk: the air mass
 * carries a dew point that wanders slowly, and RH follows from temperature and dew point
 * through the Magnus formula, so RH drops in the afternoon as it does in real records.
 * Sunshine is clear-sky irradiance (a half sine between sunrise and sunset) dimmed by
 * seeded cloud cover. Every output is a pure function of simulated time.
 */
export interface AmbientParams {
  /** Daily mean temperature, °C. */
  meanC: number
  /** Half the daily swing (max − mean), °C. */
  dailyAmplitudeC: number
  /** Hour of the daily maximum (local solar time). */
  peakHour: number
  /** Peak amplitude of weather noise on temperature, °C. */
  weatherC: number
  /** Mean dew point, °C; RH follows from it. */
  dewPointC: number
  /** Peak amplitude of dew point wander, °C. */
  dewPointWanderC: number
  sunriseHour: number
  sunsetHour: number
  /** Clear-sky irradiance at solar noon, W/m². */
  peakSolarWm2: number
  /** Hour of day at simulated t = 0. */
  startHour: number
  seed: number
}

export const defaultAmbientParams: Readonly<AmbientParams> = Object.freeze({
  meanC: 20, // °C
  dailyAmplitudeC: 6, // °C → 14 °C at dawn, 26 °C mid-afternoon
  peakHour: 15, // h
  weatherC: 2.5, // °C
  dewPointC: 10, // °C
  dewPointWanderC: 3, // °C
  sunriseHour: 6.5, // h
  sunsetHour: 19.5, // h
  peakSolarWm2: 900, // W/m²
  startHour: 0, // h
  seed: 1,
})

export interface AmbientSample {
  temperatureC: number
  humidityPct: number
  dewPointC: number
  solarWm2: number
  /** Cloud cover 0 (clear) .. 1 (overcast). */
  cloudCover: number
}

const DAY_S = 86_400

/** Saturation vapour pressure over water (Magnus, Alduchov & Eskridge coefficients), hPa. */
export function saturationVapourPressureHpa(tC: number): number {
  return 6.1094 * Math.exp((17.625 * tC) / (tC + 243.04))
}

export class AmbientModel {
  readonly params: Readonly<AmbientParams>
  private elapsed = 0
  private readonly weather: SmoothNoise
  private readonly dew: SmoothNoise
  private readonly clouds: SmoothNoise

  constructor(params: Partial<AmbientParams> = {}) {
    this.params = Object.freeze({ ...defaultAmbientParams, ...params })
    const p = this.params
    if (!(p.dailyAmplitudeC >= 0) || !(p.weatherC >= 0) || !(p.dewPointWanderC >= 0) || !(p.peakSolarWm2 >= 0)) {
      throw new RangeError('ambient: amplitudes must be >= 0')
    }
    if (!(p.sunriseHour < p.sunsetHour)) throw new RangeError('ambient: sunrise must come before sunset')
    // Distinct seeds per quantity so temperature and dew point are not the same curve.
    this.weather = smoothNoise(p.seed, 6 * 3600)
    this.dew = smoothNoise((p.seed + 0x1234567) >>> 0, 9 * 3600)
    this.clouds = smoothNoise((p.seed + 0x7654321) >>> 0, 3 * 3600)
  }

  get elapsedS(): number {
    return this.elapsed
  }

  /** Hour of day (0 ≤ h < 24) at simulated time `tS`. */
  hourOfDay(tS = this.elapsed): number {
    const s = (((this.params.startHour * 3600 + tS) % DAY_S) + DAY_S) % DAY_S
    return s / 3600
  }

  /** The weather at any simulated time; pure, so other models can sample it mid-step. */
  sample(tS = this.elapsed): AmbientSample {
    const p = this.params
    const hour = this.hourOfDay(tS)
    const daily = Math.cos((2 * Math.PI * (hour - p.peakHour)) / 24)
    const temperatureC = p.meanC + p.dailyAmplitudeC * daily + p.weatherC * this.weather(tS)
    // Dew point can never exceed the air temperature (that would be fog condensing out).
    const dewPointC = Math.min(temperatureC, p.dewPointC + p.dewPointWanderC * this.dew(tS))
    const humidityPct = Math.min(
      100,
      (100 * saturationVapourPressureHpa(dewPointC)) / saturationVapourPressureHpa(temperatureC),
    )
    const cloudCover = Math.min(1, Math.max(0, 0.3 + 0.7 * this.clouds(tS)))
    let clearSky = 0
    if (hour > p.sunriseHour && hour < p.sunsetHour) {
      clearSky = p.peakSolarWm2 * Math.sin((Math.PI * (hour - p.sunriseHour)) / (p.sunsetHour - p.sunriseHour))
    }
    // Kasten–Czeplak style dimming: full overcast still lets about a quarter through.
    const solarWm2 = clearSky * (1 - 0.75 * cloudCover ** 3.4)
    return { temperatureC, humidityPct, dewPointC, solarWm2, cloudCover }
  }

  get temperatureC(): number {
    return this.sample().temperatureC
  }

  get humidityPct(): number {
    return this.sample().humidityPct
  }

  /** What a DHT22/SHT3x-class sensor reports: 0.1 °C and 0.1 %RH. */
  get sensor(): { temperatureC: number; humidityPct: number } {
    const s = this.sample()
    return {
      temperatureC: Math.round(s.temperatureC * 10) / 10 + 0,
      humidityPct: Math.round(s.humidityPct * 10) / 10 + 0,
    }
  }

  step(dtS: number): void {
    if (!(dtS >= 0) || !Number.isFinite(dtS)) throw new RangeError(`ambient: step needs a finite dt >= 0, got ${dtS}`)
    this.elapsed += dtS
  }
}

import { DoorSchedule } from './door-schedule.js'

/**
 * An electric bakery/convection oven as one lumped thermal mass (cavity, racks, load):
 *
 *   C · dT/dt = Q_heater · heater_on − (UA + UA_door · door_open) · (T − T_amb)
 *
 * The built-in thermostat switches the heater with hysteresis: on below setpoint − band,
 * off above setpoint + band, and only while the oven is powered (`setPower`). Between
 * events everything is constant, so the exact exponential solution applies; `step` solves
 * for the instant T reaches a thermostat threshold and switches exactly there, and splits
 * at door transitions. Result: step-size independent, no overshoot of the thresholds,
 * and an exact heater on-time for the energy meter.
 */
export interface OvenParams {
  /** C: heat capacity of cavity, racks and a typical load, J/K. */
  capacitanceJPerK: number
  /** UA: insulation losses with the door shut, W/K. */
  uaWPerK: number
  /** Extra conductance while the door is open (hot air spills out), W/K. */
  doorUaWPerK: number
  /** Q_heater: element power, W. */
  heaterW: number
  /** Room temperature around the oven, °C. */
  ambientC: number
  /** Thermostat half band, K: heater on below setpoint − band, off above setpoint + band. */
  hysteresisK: number
  /** Mean door openings per hour (loading trays), Poisson; 0 = never. */
  doorOpeningsPerHour: number
  /** Mean time the door stays open, s. */
  doorOpenMeanS: number
  seed: number
}

export const defaultOvenParams: Readonly<OvenParams> = Object.freeze({
  capacitanceJPerK: 60_000, // J/K → ~15 min from cold to 180 °C with 6 kW
  uaWPerK: 7, // W/K → ~1.3 kW of losses at 200 °C, ~20 % heater duty
  doorUaWPerK: 400, // W/K → a 15 s opening at 200 °C costs ~15–20 K
  heaterW: 6_000, // W
  ambientC: 24, // °C
  hysteresisK: 5, // K
  doorOpeningsPerHour: 2, // 1/h
  doorOpenMeanS: 15, // s
  seed: 1,
})

export interface OvenInit {
  startTempC?: number
  /** Oven switched on (thermostat active). */
  powered?: boolean
  setpointC?: number
}

export interface OvenSnapshot {
  elapsedS: number
  temperatureC: number
  /** Thermocouple reading, 1 °C resolution like most oven controllers. */
  sensorC: number
  setpointC: number
  powered: boolean
  heaterOn: boolean
  doorOpen: boolean
  doorOpenings: number
  heaterOnSeconds: number
}

export class OvenModel {
  readonly params: Readonly<OvenParams>
  private temperature: number
  private setpoint: number
  private powered: boolean
  private heater = false
  private elapsed = 0
  private onSeconds = 0
  private openings = 0
  private readonly door: DoorSchedule

  constructor(params: Partial<OvenParams> = {}, init: OvenInit = {}) {
    this.params = Object.freeze({ ...defaultOvenParams, ...params })
    const p = this.params
    for (const key of ['capacitanceJPerK', 'uaWPerK', 'doorOpenMeanS'] as const) {
      if (!(p[key] > 0)) throw new RangeError(`oven: ${key} must be > 0`)
    }
    for (const key of ['doorUaWPerK', 'heaterW', 'hysteresisK', 'doorOpeningsPerHour'] as const) {
      if (!(p[key] >= 0)) throw new RangeError(`oven: ${key} must be >= 0`)
    }
    this.temperature = init.startTempC ?? p.ambientC
    this.setpoint = init.setpointC ?? 180
    if (![this.temperature, this.setpoint, p.ambientC].every(Number.isFinite)) {
      throw new RangeError('oven: temperatures must be finite')
    }
    this.powered = init.powered ?? false
    this.door = new DoorSchedule({ openingsPerHour: p.doorOpeningsPerHour, meanOpenS: p.doorOpenMeanS, seed: p.seed })
    this.thermostat()
  }

  get temperatureC(): number {
    return this.temperature
  }

  get sensorC(): number {
    return Math.round(this.temperature) + 0
  }

  get heaterOn(): boolean {
    return this.heater
  }

  get isPowered(): boolean {
    return this.powered
  }

  get setpointC(): number {
    return this.setpoint
  }

  get doorOpen(): boolean {
    return this.door.isOpen
  }

  get elapsedS(): number {
    return this.elapsed
  }

  /** Cumulative seconds the element has been energised (feeds an EnergyMeterModel tracked load). */
  get heaterOnSeconds(): number {
    return this.onSeconds
  }

  setPower(on: boolean): void {
    this.powered = on
    this.thermostat()
  }

  setSetpoint(c: number): void {
    if (!Number.isFinite(c)) throw new RangeError('oven: setpoint must be finite')
    this.setpoint = c
    this.thermostat()
  }

  /** Where T would settle with the heater and door as given, °C. */
  equilibriumC(heaterOn = this.heater, doorOpen = this.door.isOpen): number {
    const p = this.params
    return p.ambientC + (heaterOn ? p.heaterW : 0) / this.conductance(doorOpen)
  }

  private conductance(doorOpen: boolean): number {
    return this.params.uaWPerK + (doorOpen ? this.params.doorUaWPerK : 0)
  }

  /** Hysteresis switching at the current temperature. */
  private thermostat(): void {
    const band = this.params.hysteresisK
    if (!this.powered) this.heater = false
    else if (this.heater && this.temperature >= this.setpoint + band) this.heater = false
    else if (!this.heater && this.temperature <= this.setpoint - band) this.heater = true
  }

  /** Seconds until T reaches the threshold that would flip the thermostat, or Infinity. */
  private timeToSwitch(rate: number): { dt: number; at: number } {
    if (!this.powered) return { dt: Number.POSITIVE_INFINITY, at: Number.NaN }
    const target = this.equilibriumC()
    const at = this.heater ? this.setpoint + this.params.hysteresisK : this.setpoint - this.params.hysteresisK
    const reaches = this.heater ? target > at && this.temperature < at : target < at && this.temperature > at
    if (!reaches) return { dt: Number.POSITIVE_INFINITY, at }
    return { dt: Math.log((this.temperature - target) / (at - target)) / rate, at }
  }

  step(dtS: number): void {
    if (!(dtS >= 0) || !Number.isFinite(dtS)) throw new RangeError(`oven: step needs a finite dt >= 0, got ${dtS}`)
    const end = this.elapsed + dtS
    const c = this.params.capacitanceJPerK
    while (this.elapsed < end) {
      const rate = this.conductance(this.door.isOpen) / c
      const sw = this.timeToSwitch(rate)
      const boundary = Math.min(end, this.door.nextTransitionAt, this.elapsed + sw.dt)
      const h = boundary - this.elapsed
      const target = this.equilibriumC()
      if (boundary === this.elapsed + sw.dt) {
        // Land exactly on the threshold so rounding cannot leave T a hair short and stall.
        this.temperature = sw.at
      } else {
        this.temperature = target + (this.temperature - target) * Math.exp(-rate * h)
      }
      if (this.heater) this.onSeconds += h
      this.elapsed = boundary
      if (boundary === this.door.nextTransitionAt) {
        this.door.transition()
        if (this.door.isOpen) this.openings += 1
      }
      this.thermostat()
    }
  }

  snapshot(): OvenSnapshot {
    return {
      elapsedS: this.elapsed,
      temperatureC: this.temperature,
      sensorC: this.sensorC,
      setpointC: this.setpoint,
      powered: this.powered,
      heaterOn: this.heater,
      doorOpen: this.door.isOpen,
      doorOpenings: this.openings,
      heaterOnSeconds: this.onSeconds,
    }
  }
}

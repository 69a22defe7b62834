import { ColdRoomModel } from '../models/cold-room.js'
import { coldRoomControllerMap, type RegisterMap } from './register-maps.js'
import { wallClock, type SimClock } from './sim-clock.js'
import type { ModbusDevice } from './tcp-server.js'

export interface ColdRoomControllerOptions {
  model?: ColdRoomModel
  clock?: SimClock
  /** Used only when no clock is given: simulated seconds per wall second. */
  speed?: number
  setpointC?: number
  hysteresisK?: number
  defrostIntervalMin?: number
  defrostDurationMin?: number
  highAlarmC?: number
  /** Humidity at start, %RH. */
  humidity?: number
}

export const DefrostState = Object.freeze({ idle: 0, defrosting: 1, dripping: 2 })

/** Controllers run their loop every few seconds; 10 s keeps the thermostat's overshoot realistic. */
const CONTROL_STEP_S = 10
const DRIP_S = 120
const DOOR_ALARM_S = 180
const LOW_ALARM_BAND_K = 5
/** Air humidity settles in minutes after a change (evaporator, door air exchange). */
const HUMIDITY_TAU_S = 600

/**
 * A refrigeration controller wrapped around the cold-room model: thermostat with
 * differential, scheduled and on-demand defrost (relay forced off, then a drip delay),
 * alarms, and a run-hours counter. The model advances lazily to the clock on each access.
 */
export class ColdRoomController implements ModbusDevice {
  readonly map: RegisterMap = coldRoomControllerMap
  readonly model: ColdRoomModel
  private readonly clock: SimClock
  private setpoint: number
  private hysteresis: number
  private defrostIntervalMin: number
  private defrostDurationMin: number
  private highAlarm: number
  private auto = true
  private relay: boolean
  private defrost: number = DefrostState.idle
  private phaseLeftS = 0
  private sinceDefrostS = 0
  private runS = 0
  private humidity: number
  private doorOpenS = 0

  constructor(opts: ColdRoomControllerOptions = {}) {
    this.model = opts.model ?? new ColdRoomModel()
    this.clock = opts.clock ?? wallClock(opts.speed ?? 1)
    this.setpoint = opts.setpointC ?? 2
    this.hysteresis = opts.hysteresisK ?? 2
    this.defrostIntervalMin = opts.defrostIntervalMin ?? 360
    this.defrostDurationMin = opts.defrostDurationMin ?? 20
    this.highAlarm = opts.highAlarmC ?? 8
    this.humidity = opts.humidity ?? 85
    this.relay = this.model.compressorOn
  }

  /** Simulated seconds the controller has run. */
  get elapsedS(): number {
    return this.model.elapsedS
  }

  /**
   * Cumulative compressor on-time, s, after catching up with the clock: what an energy
   * meter model's tracked load reads so the meter charges exactly the compressor's run.
   */
  compressorOnSeconds(): number {
    this.advance()
    return this.runS
  }

  advance(): void {
    const target = this.clock()
    while (this.model.elapsedS < target) this.control(Math.min(CONTROL_STEP_S, target - this.model.elapsedS))
  }

  values(): Record<string, number> {
    this.advance()
    const t = this.model.temperatureC
    const alarms =
      (t > this.highAlarm ? 1 : 0) | (t < this.setpoint - LOW_ALARM_BAND_K ? 2 : 0) | (this.doorOpenS > DOOR_ALARM_S ? 4 : 0)
    return {
      temperature_c: this.model.sensorC,
      humidity_pct: this.humidity,
      defrost_state: this.defrost,
      alarm_bits: alarms,
      compressor_run_h: this.runS / 3600,
      door_openings: this.model.snapshot().doorOpenings,
      temperature_float_big_c: t,
      temperature_float_little_c: t,
      temperature_int32_big_c: t,
      temperature_int32_little_c: t,
      setpoint_c: this.setpoint,
      hysteresis_k: this.hysteresis,
      defrost_interval_min: this.defrostIntervalMin,
      defrost_duration_min: this.defrostDurationMin,
      high_alarm_c: this.highAlarm,
      compressor: this.relay ? 1 : 0,
      thermostat_auto: this.auto ? 1 : 0,
      defrost_request: this.defrost === DefrostState.defrosting ? 1 : 0,
      door_open: this.model.doorOpen ? 1 : 0,
      compressor_running: this.model.compressorOn ? 1 : 0,
      high_temp_alarm: alarms & 1,
    }
  }

  write(name: string, value: number): void {
    this.advance()
    switch (name) {
      case 'setpoint_c':
        this.setpoint = value
        break
      case 'hysteresis_k':
        this.hysteresis = value
        break
      case 'defrost_interval_min':
        this.defrostIntervalMin = value
        break
      case 'defrost_duration_min':
        this.defrostDurationMin = value
        break
      case 'high_alarm_c':
        this.highAlarm = value
        break
      case 'compressor':
        // A hand-set relay is an override: the thermostat must not undo it on its next pass.
        this.auto = false
        if (this.defrost !== DefrostState.idle) this.endDefrost()
        this.relay = value !== 0
        break
      case 'thermostat_auto':
        this.auto = value !== 0
        break
      case 'defrost_request':
        if (value) this.startDefrost()
        else if (this.defrost !== DefrostState.idle) this.endDefrost()
        break
      default:
        throw new RangeError(`cold-room controller: ${name} is not writable`)
    }
    this.model.setCompressor(this.relay)
  }

  private startDefrost(): void {
    this.defrost = DefrostState.defrosting
    this.phaseLeftS = this.defrostDurationMin * 60
    this.relay = false
  }

  private endDefrost(): void {
    this.defrost = DefrostState.idle
    this.phaseLeftS = 0
    this.sinceDefrostS = 0
  }

  private control(h: number): void {
    const t = this.model.temperatureC
    if (this.defrost === DefrostState.idle) {
      this.sinceDefrostS += h
      if (this.auto && this.defrostIntervalMin > 0 && this.sinceDefrostS >= this.defrostIntervalMin * 60) this.startDefrost()
      else if (this.auto) {
        if (t >= this.setpoint + this.hysteresis) this.relay = true
        else if (t <= this.setpoint) this.relay = false
      }
    }
    if (this.defrost !== DefrostState.idle) {
      this.relay = false
      this.phaseLeftS -= h
      if (this.phaseLeftS <= 0) {
        if (this.defrost === DefrostState.defrosting) {
          this.defrost = DefrostState.dripping
          this.phaseLeftS = DRIP_S
        } else this.endDefrost()
      }
    }
    this.model.setCompressor(this.relay)
    this.model.step(h)
    if (this.relay) this.runS += h
    this.doorOpenS = this.model.doorOpen ? this.doorOpenS + h : 0
    // Open door: drier shop air mixes in; compressor on: the evaporator condenses water out.
    const targetRh = this.model.doorOpen ? 65 : this.relay ? 80 : 90
    this.humidity = targetRh + (this.humidity - targetRh) * Math.exp(-h / HUMIDITY_TAU_S)
  }
}

import { DoorSchedule } from './door-schedule.js'

/**
 * A walk-in cold room as one lumped thermal mass (air, walls, shelving and product
 * share one temperature T):
 *
 *   C · dT/dt = UA · (T_amb − T) + Q_door · door_open + Q_product − Q_comp · compressor_on
 *
 * Between door transitions every input is constant, so the equation is linear with the
 * exact solution T(t + h) = T_eq + (T − T_eq) · exp(−h · UA / C), where
 * T_eq = T_amb + (Q_door · door + Q_product − Q_comp · on) / UA. `step` integrates piecewise
 * with that solution, sub-stepping at every door transition: it is unconditionally
 * stable and never overshoots T_eq, whatever the time acceleration.
 *
 * Defrost: like a refrigeration controller's defrost timer, every `defrostIntervalS` the
 * evaporator heater runs for `defrostDurationS` and the compressor's cooling is cut while
 * it does (the relay may stay commanded on; the controller locks it out). `setDefrost`
 * forces a manual defrost. The room warms a few kelvin during each defrost, which is the
 * pattern alarm rules must not mistake for a failure.
 *
 * `holdDoor` keeps the door open on top of the schedule (someone restocking, a door left
 * ajar): the schedule keeps drawing its openings underneath, hidden while held.
 */
export interface ColdRoomParams {
  /** C: heat capacity of air, walls and stored product, J/K (≈ 1 t of meat ≈ 3 MJ/K; a lightly stocked room less). */
  capacitanceJPerK: number
  /** UA: envelope conductance (insulated panels, door seals), W/K. */
  uaWPerK: number
  /** T_amb: temperature around the room (shop back room), °C. */
  ambientC: number
  /** Q_comp: heat the refrigeration unit removes while its relay is on, W. */
  compressorCapacityW: number
  /** Q_door: infiltration heat while the door is open, W. */
  doorHeatW: number
  /** Q_product: lights, evaporator fan and product respiration, always present, W. */
  productLoadW: number
  /** Mean door openings per hour (Poisson); 0 = the door never opens. */
  doorOpeningsPerHour: number
  /** Mean time the door stays open per opening, s. */
  doorOpenMeanS: number
  /** Seed of the door schedule: same seed, same openings. */
  seed: number
  /** Evaporator defrost heater, W. */
  defrostHeaterW: number
  /** Time between scheduled defrosts, s; 0 = no scheduled defrost. The first starts at t = interval. */
  defrostIntervalS: number
  /** Length of each scheduled defrost, s. */
  defrostDurationS: number
}

export const defaultColdRoomParams: Readonly<ColdRoomParams> = Object.freeze({
  capacitanceJPerK: 500_000, // J/K → time constant C/UA = 10 000 s ≈ 2.8 h
  uaWPerK: 50, // W/K
  ambientC: 24, // °C
  compressorCapacityW: 2_800, // W (≈ 0.8 TR, a 1 HP condensing unit)
  doorHeatW: 1_800, // W while open
  productLoadW: 50, // W
  doorOpeningsPerHour: 4, // 1/h
  doorOpenMeanS: 40, // s
  seed: 1,
  defrostHeaterW: 1_000, // W
  defrostIntervalS: 0, // s (typical when enabled: 6 h)
  defrostDurationS: 20 * 60, // s
})

export interface ColdRoomInit {
  /** Temperature at t = 0, °C. */
  startTempC?: number
  compressorOn?: boolean
}

export interface ColdRoomStepResult {
  /** Simulated times (s since start) at which the door opened during this step. */
  doorOpenedAt: number[]
}

export interface ColdRoomSnapshot {
  /** Simulated seconds since the model started. */
  elapsedS: number
  /** Model temperature, °C, unquantised. */
  temperatureC: number
  /** What the probe reports: quantised to 0.1 °C like a DS18B20 read at 12 bits and rounded. */
  sensorC: number
  compressorOn: boolean
  doorOpen: boolean
  doorOpenings: number
  defrosting: boolean
}

export class ColdRoomModel {
  readonly params: Readonly<ColdRoomParams>
  private temperature: number
  private compressor: boolean
  private elapsed = 0
  private openings = 0
  private manualDefrost = false
  private held = false
  private readonly door: DoorSchedule

  constructor(params: Partial<ColdRoomParams> = {}, init: ColdRoomInit = {}) {
    this.params = Object.freeze({ ...defaultColdRoomParams, ...params })
    const p = this.params
    for (const key of ['capacitanceJPerK', 'uaWPerK', 'doorOpenMeanS'] as const) {
      if (!(p[key] > 0)) throw new RangeError(`cold room: ${key} must be > 0`)
    }
    const nonNegative = [
      'compressorCapacityW',
      'doorHeatW',
      'productLoadW',
      'doorOpeningsPerHour',
      'defrostHeaterW',
      'defrostIntervalS',
      'defrostDurationS',
    ] as const
    for (const key of nonNegative) {
      if (!(p[key] >= 0)) throw new RangeError(`cold room: ${key} must be >= 0`)
    }
    this.temperature = init.startTempC ?? 4
    if (!Number.isFinite(this.temperature) || !Number.isFinite(p.ambientC)) {
      throw new RangeError('cold room: temperatures must be finite')
    }
    this.compressor = init.compressorOn ?? false
    if (p.defrostIntervalS > 0 && !(p.defrostDurationS < p.defrostIntervalS)) {
      throw new RangeError('cold room: defrostDurationS must be shorter than defrostIntervalS')
    }
    this.door = new DoorSchedule({ openingsPerHour: p.doorOpeningsPerHour, meanOpenS: p.doorOpenMeanS, seed: p.seed })
  }

  get temperatureC(): number {
    return this.temperature
  }

  /** The probe reading, 0.1 °C resolution. */
  get sensorC(): number {
    // `+ 0` turns -0 into 0 so the wire never carries "-0".
    return Math.round(this.temperature * 10) / 10 + 0
  }

  get compressorOn(): boolean {
    return this.compressor
  }

  get doorOpen(): boolean {
    return this.door.isOpen || this.held
  }

  /**
   * Hold the door open (true) or let go (false), on top of the scheduled openings; true if
   * this opened a closed door (a new opening). Let go during a scheduled opening, it closes
   * when that one ends.
   */
  holdDoor(open: boolean): boolean {
    const was = this.doorOpen
    this.held = open
    if (this.doorOpen && !was) {
      this.openings += 1
      return true
    }
    return false
  }

  get elapsedS(): number {
    return this.elapsed
  }

  /** The relay: the model never switches it itself, only commands do (through the node). */
  setCompressor(on: boolean): void {
    this.compressor = on
  }

  /** Force a defrost (true) until released (false); scheduled defrosts run regardless. */
  setDefrost(on: boolean): void {
    this.manualDefrost = on
  }

  /** Whether the defrost heater is on (and the compressor locked out) at simulated time `tS`. */
  defrostingAt(tS = this.elapsed): boolean {
    if (this.manualDefrost) return true
    const { defrostIntervalS: every, defrostDurationS: lasts } = this.params
    if (every === 0) return false
    const k = Math.floor(tS / every)
    return k >= 1 && tS - k * every < lasts
  }

  get defrosting(): boolean {
    return this.defrostingAt()
  }

  /** Next scheduled defrost start or end after `tS`, s. */
  private nextDefrostEdge(tS: number): number {
    const { defrostIntervalS: every, defrostDurationS: lasts } = this.params
    if (every === 0) return Number.POSITIVE_INFINITY
    const k = Math.floor(tS / every)
    if (k >= 1 && tS < k * every + lasts) return k * every + lasts
    return (k + 1) * every
  }

  /** Where T settles if nothing changes: door closed, compressor as given, °C. */
  equilibriumC(compressorOn = this.compressor, doorOpen = false, defrosting = false): number {
    const p = this.params
    const cooling = compressorOn && !defrosting ? p.compressorCapacityW : 0
    const heatW = p.productLoadW + (doorOpen ? p.doorHeatW : 0) + (defrosting ? p.defrostHeaterW : 0) - cooling
    return p.ambientC + heatW / p.uaWPerK
  }

  /** Advance simulated time by `dtS` seconds. */
  step(dtS: number): ColdRoomStepResult {
    if (!(dtS >= 0) || !Number.isFinite(dtS)) throw new RangeError(`cold room: step needs a finite dt >= 0, got ${dtS}`)
    const doorOpenedAt: number[] = []
    const end = this.elapsed + dtS
    const rate = this.params.uaWPerK / this.params.capacitanceJPerK // 1/s
    while (this.elapsed < end) {
      const boundary = Math.min(end, this.door.nextTransitionAt, this.nextDefrostEdge(this.elapsed))
      const h = boundary - this.elapsed
      const target = this.equilibriumC(this.compressor, this.doorOpen, this.defrostingAt(this.elapsed))
      this.temperature = target + (this.temperature - target) * Math.exp(-rate * h)
      this.elapsed = boundary
      if (boundary === this.door.nextTransitionAt) {
        this.door.transition()
        if (this.door.isOpen && !this.held) {
          this.openings += 1
          doorOpenedAt.push(boundary)
        }
      }
    }
    return { doorOpenedAt }
  }

  snapshot(): ColdRoomSnapshot {
    return {
      elapsedS: this.elapsed,
      temperatureC: this.temperature,
      sensorC: this.sensorC,
      compressorOn: this.compressor,
      doorOpen: this.doorOpen,
      doorOpenings: this.openings,
      defrosting: this.defrosting,
    }
  }
}

import { smoothNoise, type SmoothNoise } from './smooth-noise.js'

/**
 * A single-phase energy meter on one circuit (a DIN-rail meter like an Eastron SDM120).
 *
 * Active power is the sum of the loads on the circuit. A load is either switched by
 * commands (`setLoad`), so its power is constant between steps, or tracked: it reports its
 * own cumulative on-time (an oven thermostat that cycles inside one of its steps), and the
 * meter charges exactly rated kW × on-seconds. Either way kWh is the exact integral of kW,
 * whatever the step sizes, which the tests check.
 *
 * Mains voltage wanders with seeded smooth noise; current is derived from P, V and the
 * power factor. Voltage is display only: loads are modelled at rated power.
 */
export interface LoadSpec {
  /** Rated active power while on, kW. */
  kw: number
  /** cos φ of the load (1 for heaters, ≈ 0.8 for compressor motors). */
  powerFactor?: number
  on?: boolean
  /** For a load that switches itself inside steps: its current state and cumulative on-time, s. */
  tracked?: { isOn: () => boolean; onSeconds: () => number }
}

export interface EnergyMeterParams {
  /** Nominal mains voltage, V. */
  nominalV: number
  /** Peak voltage wander, fraction of nominal. */
  voltageWander: number
  /** Always-on standby draw (controllers, lights in a fridge), kW. */
  baseLoadKw: number
  seed: number
}

export const defaultEnergyMeterParams: Readonly<EnergyMeterParams> = Object.freeze({
  nominalV: 230, // V
  voltageWander: 0.03, // ±3 %
  baseLoadKw: 0.02, // kW
  seed: 1,
})

export interface EnergyMeterReading {
  elapsedS: number
  voltageV: number
  currentA: number
  /** Active power, kW. */
  kw: number
  /** Total active energy, kWh, unquantised. */
  kwh: number
  powerFactor: number
}

interface Load extends Required<Omit<LoadSpec, 'tracked'>> {
  tracked: LoadSpec['tracked']
  lastOnSeconds: number
}

export class EnergyMeterModel {
  readonly params: Readonly<EnergyMeterParams>
  private readonly loads = new Map<string, Load>()
  private elapsed = 0
  private energyKwh: number
  private readonly voltageNoise: SmoothNoise

  constructor(params: Partial<EnergyMeterParams> = {}, loads: Record<string, LoadSpec> = {}, startKwh = 0) {
    this.params = Object.freeze({ ...defaultEnergyMeterParams, ...params })
    const p = this.params
    if (!(p.nominalV > 0) || !(p.voltageWander >= 0 && p.voltageWander < 1) || !(p.baseLoadKw >= 0)) {
      throw new RangeError('energy meter: need nominalV > 0, 0 <= voltageWander < 1, baseLoadKw >= 0')
    }
    if (!(startKwh >= 0)) throw new RangeError('energy meter: startKwh must be >= 0')
    this.energyKwh = startKwh
    this.voltageNoise = smoothNoise(p.seed, 20 * 60)
    for (const [name, spec] of Object.entries(loads)) this.addLoad(name, spec)
  }

  addLoad(name: string, spec: LoadSpec): void {
    if (this.loads.has(name)) throw new RangeError(`energy meter: load ${name} already exists`)
    const pf = spec.powerFactor ?? 1
    if (!(spec.kw >= 0) || !(pf > 0 && pf <= 1)) throw new RangeError(`energy meter: load ${name} needs kw >= 0, 0 < pf <= 1`)
    this.loads.set(name, {
      kw: spec.kw,
      powerFactor: pf,
      on: spec.on ?? false,
      tracked: spec.tracked,
      lastOnSeconds: spec.tracked?.onSeconds() ?? 0,
    })
  }

  /** Switch a command-driven load. Tracked loads ignore this: they switch themselves. */
  setLoad(name: string, on: boolean): void {
    const load = this.loads.get(name)
    if (!load) throw new RangeError(`energy meter: no load ${name}`)
    load.on = on
  }

  private isOn(load: Load): boolean {
    return load.tracked ? load.tracked.isOn() : load.on
  }

  /** Instantaneous active power, kW. */
  get kw(): number {
    let kw = this.params.baseLoadKw
    for (const load of this.loads.values()) if (this.isOn(load)) kw += load.kw
    return kw
  }

  get kwh(): number {
    return this.energyKwh
  }

  get elapsedS(): number {
    return this.elapsed
  }

  /**
   * Advance by `dtS`. Step tracked loads' own models first (to the same time), so their
   * on-time for this interval is already known.
   */
  step(dtS: number): void {
    if (!(dtS >= 0) || !Number.isFinite(dtS)) throw new RangeError(`energy meter: step needs a finite dt >= 0, got ${dtS}`)
    let kws = this.params.baseLoadKw * dtS // kW·s
    for (const load of this.loads.values()) {
      if (load.tracked) {
        const now = load.tracked.onSeconds()
        kws += load.kw * (now - load.lastOnSeconds)
        load.lastOnSeconds = now
      } else if (load.on) {
        kws += load.kw * dtS
      }
    }
    this.energyKwh += kws / 3600
    this.elapsed += dtS
  }

  reading(): EnergyMeterReading {
    const p = this.params
    const voltageV = p.nominalV * (1 + p.voltageWander * this.voltageNoise(this.elapsed))
    let kw = p.baseLoadKw
    let kvar = 0
    for (const load of this.loads.values()) {
      if (!this.isOn(load)) continue
      kw += load.kw
      kvar += load.kw * Math.tan(Math.acos(load.powerFactor))
    }
    const kva = Math.hypot(kw, kvar)
    return {
      elapsedS: this.elapsed,
      voltageV,
      currentA: (kva * 1000) / voltageV,
      kw,
      kwh: this.energyKwh,
      powerFactor: kva === 0 ? 1 : kw / kva,
    }
  }
}

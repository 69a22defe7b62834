import type { EnergyMeterModel } from '../models/energy-meter.js'
import { energyMeterCircuits, energyMeterMap, type RegisterMap } from './register-maps.js'
import { wallClock, type SimClock } from './sim-clock.js'
import type { ModbusDevice } from './tcp-server.js'

/**
 * A circuit's load as a square wave: `onKw` for `onS` of every `periodS`, `offKw` the rest
 * (a compressor cycling, an oven's thermostat, lights with a standby draw). Piecewise
 * constant, so its energy has a closed form and kWh is exactly the integral of kW.
 */
export interface CircuitLoad {
  onKw: number
  offKw: number
  periodS: number
  onS: number
  /** Shifts the wave so circuits do not switch together, s. */
  phaseS: number
  powerFactor: number
  /** kWh on the register when the simulation starts (a meter that has been in service). */
  startKwh: number
}

export const defaultCircuitLoads: Readonly<Record<string, CircuitLoad>> = Object.freeze({
  camara: { onKw: 1.15, offKw: 0.08, periodS: 1500, onS: 600, phaseS: 0, powerFactor: 0.82, startKwh: 1520.35 },
  horno: { onKw: 3.6, offKw: 0.05, periodS: 600, onS: 300, phaseS: 120, powerFactor: 0.99, startKwh: 8042.1 },
  iluminacion: { onKw: 0.42, offKw: 0.42, periodS: 3600, onS: 3600, phaseS: 0, powerFactor: 0.93, startKwh: 611.7 },
})

export interface EnergyMeterOptions {
  clock?: SimClock
  speed?: number
  loads?: Partial<Record<string, Partial<CircuitLoad>>>
  /**
   * Circuits measured from a physics meter model (src/models/energy-meter.ts) instead of a
   * square wave, e.g. with the cold-room controller's compressor as a tracked load. The
   * device steps each model to the clock before reading it.
   */
  models?: Partial<Record<string, EnergyMeterModel>>
}

const NOMINAL_V = 230
/** Source impedance: the voltage sags a little with load, as on a real shop feeder. */
const SAG_V_PER_KW = 0.6

export class EnergyMeter implements ModbusDevice {
  readonly map: RegisterMap = energyMeterMap
  readonly loads: Readonly<Record<string, CircuitLoad>>
  private readonly clock: SimClock
  private readonly models: Partial<Record<string, EnergyMeterModel>>

  constructor(opts: EnergyMeterOptions = {}) {
    this.clock = opts.clock ?? wallClock(opts.speed ?? 1)
    const loads: Record<string, CircuitLoad> = {}
    for (const c of energyMeterCircuits) {
      const load = { ...defaultCircuitLoads[c]!, ...opts.loads?.[c] }
      if (!(load.periodS > 0) || load.onS < 0 || load.onS > load.periodS) throw new RangeError(`energy meter: bad load for ${c}`)
      loads[c] = load
    }
    this.loads = Object.freeze(loads)
    this.models = { ...opts.models }
    for (const name of Object.keys(this.models)) {
      if (!(energyMeterCircuits as readonly string[]).includes(name)) throw new RangeError(`energy meter: no circuit ${name}`)
    }
  }

  kwAt(circuit: string, t: number): number {
    const l = this.load(circuit)
    const r = mod(t + l.phaseS, l.periodS)
    return r < l.onS ? l.onKw : l.offKw
  }

  /** Meter reading at simulated time t, kWh: start value plus ∫₀ᵗ kW dt / 3600. */
  kwhAt(circuit: string, t: number): number {
    const l = this.load(circuit)
    return l.startKwh + (energyKws(l, t + l.phaseS) - energyKws(l, l.phaseS)) / 3600
  }

  values(): Record<string, number> {
    const t = this.clock()
    const out: Record<string, number> = {}
    let totalKw = 0
    let totalKwh = 0
    energyMeterCircuits.forEach((c, i) => {
      const model = this.models[c]
      let kw: number
      let kwh: number
      if (model) {
        if (t > model.elapsedS) model.step(t - model.elapsedS)
        const r = model.reading()
        kw = r.kw
        kwh = r.kwh
        out[`${c}_voltage_v`] = r.voltageV
        out[`${c}_current_a`] = r.currentA
        out[`${c}_power_factor`] = r.powerFactor
      } else {
        kw = this.kwAt(c, t)
        kwh = this.kwhAt(c, t)
        // Each phase drifts slowly through the day, offset so the three differ.
        const v = NOMINAL_V + 3 * Math.sin((2 * Math.PI * t) / 86_400 + (i * 2 * Math.PI) / 3) - SAG_V_PER_KW * kw
        const pf = this.load(c).powerFactor
        out[`${c}_voltage_v`] = v
        out[`${c}_current_a`] = (kw * 1000) / (v * pf)
        out[`${c}_power_factor`] = pf
      }
      out[`${c}_kw`] = kw
      out[`${c}_kwh`] = kwh
      totalKw += kw
      totalKwh += kwh
    })
    out.total_kw = totalKw
    out.total_kwh = totalKwh
    out.frequency_hz = 50 + 0.03 * Math.sin((2 * Math.PI * t) / 300)
    return out
  }

  write(name: string): void {
    throw new RangeError(`energy meter: ${name} is not writable`)
  }

  private load(circuit: string): CircuitLoad {
    const l = this.loads[circuit]
    if (!l) throw new RangeError(`energy meter: no circuit ${circuit}`)
    return l
  }
}

/** ∫₀ˣ P dt in kW·s for the square wave, x ≥ 0. */
function energyKws(l: CircuitLoad, x: number): number {
  const perPeriod = l.onKw * l.onS + l.offKw * (l.periodS - l.onS)
  const r = mod(x, l.periodS)
  return Math.floor(x / l.periodS) * perPeriod + l.onKw * Math.min(r, l.onS) + l.offKw * Math.max(0, r - l.onS)
}

function mod(a: number, n: number): number {
  return ((a % n) + n) % n
}

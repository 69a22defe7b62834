import { ActuatorModel, motorisedValveParams, type ActuatorParams } from './actuator.js'
import { AmbientModel, type AmbientParams } from './ambient.js'
import { RainModel, type RainParams } from './rain.js'
import { SoilMoistureModel, type SoilMoistureInit, type SoilMoistureParams } from './soil-moisture.js'
import { WaterFlowMeterModel, type WaterFlowParams } from './water-flow.js'
import { WaterTankModel, type WaterTankInit, type WaterTankParams } from './water-tank.js'

/**
 * One irrigation sector as the riego vertical wires it: the tank it draws from, a motorised
 * valve, a flow meter behind it, the soil it waters and the weather over it (air and rain),
 * all on one clock.
 *
 * Water is conserved end to end: every litre the meter counts leaves the tank and lands on
 * `wettedAreaM2` as irrigation (1 L/m² = 1 mm), so soil irrigation mm × area equals metered
 * litres equals the tank's outflow. Within each sub-step (at most the meter's pressure cell)
 * the valve's mean opening, taken from its exact open-time integral, sets the flow. The
 * pump has no hydraulics: the line flows at the supply pressure whenever the valve is open.
 *
 * Rain is one model (`rain`) that the soil soaks up and a rain gauge reads, so a shower
 * wets the soil exactly as much as the gauge says it rained.
 */
export interface IrrigationSectorParams {
  /** Area the drip line wets, m². */
  wettedAreaM2: number
  valve: Partial<ActuatorParams>
  flow: Partial<WaterFlowParams>
  soil: Partial<SoilMoistureParams>
  ambient: Partial<AmbientParams>
  /** Showers over the sector; the soil's own `rain…` params do not apply here. */
  rain: Partial<RainParams>
  tank: Partial<WaterTankParams>
  seed: number
}

export const defaultIrrigationSectorParams: Readonly<IrrigationSectorParams> = Object.freeze({
  wettedAreaM2: 90, // m² → 12 L/min ≈ 8 mm/h
  valve: motorisedValveParams,
  flow: Object.freeze({}),
  soil: Object.freeze({}),
  ambient: Object.freeze({}),
  rain: Object.freeze({}),
  tank: Object.freeze({}),
  seed: 1,
})

/** Initial state: the soil's (but its weather and valve are the sector's) and the tank's. */
export type IrrigationSectorInit = Omit<SoilMoistureInit, 'ambient' | 'valveOpen' | 'rain'> & { tank?: WaterTankInit }

const SOIL_RAIN_KEYS = ['rainEventsPerDay', 'rainMeanMmPerH', 'rainMeanDurationS'] as const

export class IrrigationSector {
  readonly params: Readonly<IrrigationSectorParams>
  readonly ambient: AmbientModel
  readonly valve: ActuatorModel
  readonly meter: WaterFlowMeterModel
  readonly soil: SoilMoistureModel
  readonly rain: RainModel
  readonly tank: WaterTankModel
  private elapsed = 0

  constructor(params: Partial<IrrigationSectorParams> = {}, init: IrrigationSectorInit = {}) {
    this.params = Object.freeze({ ...defaultIrrigationSectorParams, ...params })
    const p = this.params
    if (!(p.wettedAreaM2 > 0)) throw new RangeError('irrigation sector: wettedAreaM2 must be > 0')
    for (const key of SOIL_RAIN_KEYS) {
      if (key in p.soil) throw new RangeError(`irrigation sector: soil.${key} does not apply; the sector's rain is set under "rain"`)
    }
    const { tank: tankInit, ...soilInit } = init
    // Each part gets its own stream derived from the sector seed, so they are not correlated.
    // The rain keeps the seed the soil's own showers had, so default traces are unchanged.
    this.ambient = new AmbientModel({ seed: p.seed, ...p.ambient })
    this.valve = new ActuatorModel(p.valve)
    this.meter = new WaterFlowMeterModel({ seed: (p.seed + 101) >>> 0, ...p.flow })
    this.rain = new RainModel({ seed: (p.seed + 202) >>> 0, ...p.rain })
    this.tank = new WaterTankModel(p.tank, tankInit)
    this.soil = new SoilMoistureModel({ seed: (p.seed + 202) >>> 0, ...p.soil }, { ...soilInit, ambient: this.ambient, rain: this.rain })
    this.soil.supplyIrrigation(0)
  }

  get elapsedS(): number {
    return this.elapsed
  }

  /** A shower over the sector from now on, mm/h (0 stops it); random showers carry on. */
  setRain(mmPerH: number): void {
    this.rain.setShower(mmPerH)
  }

  /** The valve command (a relay output on the irrigation controller). */
  command(open: boolean): void {
    this.valve.command(open)
  }

  step(dtS: number): void {
    if (!(dtS >= 0) || !Number.isFinite(dtS)) throw new RangeError(`irrigation sector: step needs a finite dt >= 0, got ${dtS}`)
    const end = this.elapsed + dtS
    const grid = this.meter.params.gridS
    while (this.elapsed < end) {
      const h = Math.min(end, (Math.floor(this.elapsed / grid) + 1) * grid) - this.elapsed
      const openBefore = this.valve.snapshot().openSeconds
      this.valve.step(h)
      const meanOpening = h > 0 ? Math.min(1, Math.max(0, (this.valve.snapshot().openSeconds - openBefore) / h)) : 0
      this.meter.setOpening(meanOpening)
      const litersBefore = this.meter.liters
      this.meter.step(h)
      const liters = this.meter.liters - litersBefore
      const mm = liters / this.params.wettedAreaM2
      this.soil.supplyIrrigation(h > 0 ? (mm * 3600) / h : 0)
      this.soil.step(h)
      this.tank.setDrawLpm(h > 0 ? (liters * 60) / h : 0)
      this.tank.step(h)
      this.rain.step(h)
      this.ambient.step(h)
      this.elapsed += h
    }
  }
}

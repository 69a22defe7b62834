import { ActuatorModel, motorisedValveParams, type ActuatorParams } from './actuator.js'
import { AmbientModel, type AmbientParams } from './ambient.js'
import { SoilMoistureModel, type SoilMoistureInit, type SoilMoistureParams } from './soil-moisture.js'
import { WaterFlowMeterModel, type WaterFlowParams } from './water-flow.js'

/**
 * One irrigation sector as the riego vertical wires it: a motorised valve, a flow meter
 * behind it, the soil it waters and the weather over it, all on one clock.
 *
 * Water is conserved end to end: every litre the meter counts lands on `wettedAreaM2` as
 * irrigation (1 L/m² = 1 mm), so soil irrigation mm × area equals metered litres. Within
 * each sub-step (at most the meter's pressure cell) the valve's mean opening, taken from its
 * exact open-time integral, sets the flow.
 */
export interface IrrigationSectorParams {
  /** Area the drip line wets, m². */
  wettedAreaM2: number
  valve: Partial<ActuatorParams>
  flow: Partial<WaterFlowParams>
  soil: Partial<SoilMoistureParams>
  ambient: Partial<AmbientParams>
  seed: number
}

export const defaultIrrigationSectorParams: Readonly<IrrigationSectorParams> = Object.freeze({
  wettedAreaM2: 90, // m² → 12 L/min ≈ 8 mm/h
  valve: motorisedValveParams,
  flow: Object.freeze({}),
  soil: Object.freeze({}),
  ambient: Object.freeze({}),
  seed: 1,
})

export class IrrigationSector {
  readonly params: Readonly<IrrigationSectorParams>
  readonly ambient: AmbientModel
  readonly valve: ActuatorModel
  readonly meter: WaterFlowMeterModel
  readonly soil: SoilMoistureModel
  private elapsed = 0

  constructor(params: Partial<IrrigationSectorParams> = {}, soilInit: Omit<SoilMoistureInit, 'ambient' | 'valveOpen'> = {}) {
    this.params = Object.freeze({ ...defaultIrrigationSectorParams, ...params })
    const p = this.params
    if (!(p.wettedAreaM2 > 0)) throw new RangeError('irrigation sector: wettedAreaM2 must be > 0')
    // Each part gets its own stream derived from the sector seed, so they are not correlated.
    this.ambient = new AmbientModel({ seed: p.seed, ...p.ambient })
    this.valve = new ActuatorModel(p.valve)
    this.meter = new WaterFlowMeterModel({ seed: (p.seed + 101) >>> 0, ...p.flow })
    this.soil = new SoilMoistureModel({ seed: (p.seed + 202) >>> 0, ...p.soil }, { ...soilInit, ambient: this.ambient })
    this.soil.supplyIrrigation(0)
  }

  get elapsedS(): number {
    return this.elapsed
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
      const mm = (this.meter.liters - litersBefore) / this.params.wettedAreaM2
      this.soil.supplyIrrigation(h > 0 ? (mm * 3600) / h : 0)
      this.soil.step(h)
      this.ambient.step(h)
      this.elapsed += h
    }
  }
}

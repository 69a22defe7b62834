import { describe, expect, it } from 'vitest'
import { IrrigationSector } from './irrigation-sector.js'
import { mulberry32 } from './seeded-random.js'

const SEEDS = [1, 10, 100, 1_000]
const HOUR = 3600

describe('irrigation sector (valve + flow meter + soil + weather)', () => {
  it('conserves water: soil irrigation mm × wetted area = metered litres, under random commands and steps', () => {
    for (const seed of SEEDS) {
      const rnd = mulberry32(seed)
      const sector = new IrrigationSector({ seed, wettedAreaM2: 50 + rnd() * 100 })
      while (sector.elapsedS < 2 * 86_400) {
        if (rnd() < 0.05) sector.command(rnd() < 0.4)
        sector.step(rnd() * 900)
      }
      const irrigationMm = sector.soil.waterTotals().irrigationMm
      expect(sector.meter.liters).toBeGreaterThan(100)
      expect(irrigationMm * sector.params.wettedAreaM2).toBeCloseTo(sector.meter.liters, 6)
    }
  })

  it('opening the valve makes water flow after the valve stroke and the soil wetter than a closed twin', () => {
    for (const seed of SEEDS) {
      const dry = { soil: { rainEventsPerDay: 0 } }
      const open = new IrrigationSector({ seed, ...dry }, { startTheta: 0.18 })
      const shut = new IrrigationSector({ seed, ...dry }, { startTheta: 0.18 })
      open.command(true)
      open.step(0.4) // still in the valve's dead time
      expect(open.meter.liters).toBe(0)
      open.step(30)
      shut.step(30.4)
      expect(open.meter.reading().flowLpm).toBeGreaterThan(9)
      open.step(2 * HOUR)
      shut.step(2 * HOUR)
      expect(open.soil.theta).toBeGreaterThan(shut.soil.theta + 0.03)
      open.command(false)
      open.step(60)
      expect(open.meter.reading().flowLpm).toBe(0)
      expect(shut.meter.liters).toBe(0)
    }
  })

  it('replays from its seed', () => {
    const run = () => {
      const s = new IrrigationSector({ seed: 3 })
      const out: number[] = []
      for (let i = 0; i < 200; i++) {
        if (i % 40 === 0) s.command(i % 80 === 0)
        s.step(97)
        out.push(s.soil.moisturePct, s.meter.liters, s.ambient.temperatureC)
      }
      return out
    }
    expect(run()).toEqual(run())
  })
})

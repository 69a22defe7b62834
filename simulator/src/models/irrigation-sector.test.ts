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
      const dry = { rain: { showersPerDay: 0 } }
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

  it('draws every metered litre from the tank, which refills through its float valve', () => {
    for (const seed of SEEDS) {
      const rnd = mulberry32(seed)
      const sector = new IrrigationSector({ seed, tank: { capacityL: 2000, refillLpm: 3 } }, { tank: { startPct: 90 } })
      let low = 100
      while (sector.elapsedS < 2 * 86_400) {
        if (rnd() < 0.05) sector.command(rnd() < 0.4)
        sector.step(rnd() * 900)
        low = Math.min(low, sector.tank.levelPct)
      }
      const t = sector.tank.waterTotals()
      expect(t.outflowL + t.shortfallL).toBeCloseTo(sector.meter.liters, 6)
      expect(sector.tank.startLiters + t.inflowL - t.outflowL).toBeCloseTo(sector.tank.liters, 6)
      expect(low).toBeLessThan(90)
    }
    // 30 min at ~12 L/min with 3 L/min coming in: about 270 L out of 2500 L, ~11 %.
    const sector = new IrrigationSector({ seed: 1, rain: { showersPerDay: 0 } })
    sector.command(true)
    sector.step(1800)
    sector.command(false)
    sector.step(60)
    expect(sector.tank.levelPct).toBeGreaterThan(85)
    expect(sector.tank.levelPct).toBeLessThan(93)
    sector.step(3 * HOUR)
    expect(sector.tank.levelPct).toBe(100)
  })

  it('rain is one cause: the soil gets exactly what the rain model says fell', () => {
    for (const seed of SEEDS) {
      const sector = new IrrigationSector({ seed, rain: { showersPerDay: 2 } })
      const twin = new IrrigationSector({ seed, rain: { showersPerDay: 0 } })
      sector.step(4 * 86_400)
      twin.step(4 * 86_400)
      expect(sector.rain.totalMm).toBeGreaterThan(0)
      expect(sector.soil.waterTotals().rainMm).toBeCloseTo(sector.rain.totalMm, 9)
      expect(twin.soil.waterTotals().rainMm).toBe(0)
    }
    const wet = new IrrigationSector({ seed: 2, rain: { showersPerDay: 0 } })
    const dry = new IrrigationSector({ seed: 2, rain: { showersPerDay: 0 } })
    wet.step(10 * HOUR)
    dry.step(10 * HOUR)
    wet.setRain(4)
    wet.step(45 * 60)
    wet.setRain(0)
    dry.step(45 * 60)
    expect(wet.rain.totalMm).toBeCloseTo(3, 9)
    expect(wet.soil.waterTotals().rainMm).toBeCloseTo(3, 9)
    expect(wet.soil.storedMm - dry.soil.storedMm).toBeGreaterThan(2.5) // most of 3 mm soaks in
    expect(() => new IrrigationSector({ soil: { rainEventsPerDay: 1 } })).toThrow(/rain/)
  })

  it('replays from its seed', () => {
    const run = () => {
      const s = new IrrigationSector({ seed: 3 })
      const out: number[] = []
      for (let i = 0; i < 200; i++) {
        if (i % 40 === 0) s.command(i % 80 === 0)
        s.step(97)
        out.push(s.soil.moisturePct, s.meter.liters, s.ambient.temperatureC, s.tank.levelPct, s.rain.totalMm)
      }
      return out
    }
    expect(run()).toEqual(run())
  })
})

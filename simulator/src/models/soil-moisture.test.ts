import { describe, expect, it } from 'vitest'
import { mulberry32 } from './seeded-random.js'
import { SoilMoistureModel, soilTypes, type SoilType } from './soil-moisture.js'

const SEEDS = [1, 3, 17, 2024]
const SOILS: SoilType[] = ['sand', 'loam', 'clay', 'substrate']
const HOUR = 3600
const DAY = 86_400
const dry = { rainEventsPerDay: 0 }

/** Advance by random step sizes (up to maxDtS) until `totalS`, calling `each` after every step. */
function randomWalk(model: SoilMoistureModel, seed: number, totalS: number, maxDtS: number, each: () => void) {
  const rnd = mulberry32(seed)
  while (model.elapsedS < totalS) {
    model.step(Math.min(totalS - model.elapsedS, rnd() * maxDtS))
    each()
  }
}

describe('soil moisture model', () => {
  it('falls (never rises) without irrigation or rain, for every soil and seed', () => {
    for (const soil of SOILS) {
      for (const seed of SEEDS) {
        const m = new SoilMoistureModel({ ...dry, soil, seed })
        const start = m.moisturePct
        let prev = start
        randomWalk(m, seed, 3 * DAY, 2 * HOUR, () => {
          expect(m.moisturePct).toBeLessThanOrEqual(prev + 1e-12)
          prev = m.moisturePct
        })
        // A few sunny days take several mm out of a 300 mm root zone.
        expect(start - m.moisturePct).toBeGreaterThan(1)
        expect(m.theta).toBeGreaterThanOrEqual(soilTypes[soil].wiltingPoint - 1e-12)
      }
    }
  })

  it('rises with the valve open (until drainage balances it) and always beats a dry twin', () => {
    for (const soil of SOILS) {
      for (const seed of SEEDS) {
        const hy = soilTypes[soil]
        const start = hy.wiltingPoint + 0.02
        const wet = new SoilMoistureModel({ ...dry, soil, seed }, { startTheta: start, valveOpen: true })
        const twin = new SoilMoistureModel({ ...dry, soil, seed }, { startTheta: start })
        const rnd = mulberry32(seed)
        let prev = wet.theta
        while (wet.elapsedS < 12 * HOUR) {
          const dt = rnd() * HOUR
          wet.step(dt)
          twin.step(dt)
          // Below field capacity nothing drains, and 8 mm/h of drip beats any ET.
          if (prev < hy.fieldCapacity) expect(wet.theta).toBeGreaterThan(prev)
          expect(wet.theta).toBeGreaterThan(twin.theta)
          prev = wet.theta
        }
        expect(wet.theta).toBeGreaterThan(Math.min(start + 0.05, hy.fieldCapacity))
      }
    }
  })

  it('stays within 0..saturation under storms, random valve commands and random steps', () => {
    for (const soil of SOILS) {
      for (const seed of SEEDS) {
        const rnd = mulberry32(seed * 31)
        const sat = soilTypes[soil].saturation
        const m = new SoilMoistureModel(
          { soil, seed, rainEventsPerDay: 6, rainMeanMmPerH: 40, irrigationMmPerH: 30 },
          { startTheta: rnd() * sat },
        )
        let maxTheta = 0
        let minTheta = 1
        randomWalk(m, seed, 10 * DAY, 3 * HOUR, () => {
          if (rnd() < 0.3) m.setValve(!m.valveOpen)
          maxTheta = Math.max(maxTheta, m.theta)
          minTheta = Math.min(minTheta, m.theta)
        })
        expect(maxTheta).toBeLessThanOrEqual(sat + 1e-12)
        expect(minTheta).toBeGreaterThanOrEqual(0)
        expect(m.waterTotals().rainMm).toBeGreaterThan(0)
      }
    }
  })

  it('closes the water balance exactly: Δstorage = infiltration − ET − drainage, arrivals = infiltration + runoff', () => {
    for (const seed of SEEDS) {
      const m = new SoilMoistureModel({ seed, rainEventsPerDay: 2, soil: 'clay' }, { startTheta: 0.3 })
      const before = m.storedMm
      const rnd = mulberry32(seed)
      randomWalk(m, seed, 5 * DAY, 4 * HOUR, () => {
        if (rnd() < 0.2) m.setValve(!m.valveOpen)
      })
      const t = m.waterTotals()
      expect(m.storedMm - before).toBeCloseTo(t.infiltratedMm - t.etMm - t.drainageMm, 9)
      expect(t.irrigationMm + t.rainMm).toBeCloseTo(t.infiltratedMm + t.runoffMm, 9)
      expect(t.runoffMm).toBeGreaterThanOrEqual(0)
    }
  })

  it('infiltration depends on the soil: under the same heavy irrigation clay runs off most, sand least', () => {
    const runoff = (soil: SoilType) => {
      const m = new SoilMoistureModel({ ...dry, soil, irrigationMmPerH: 25 }, { startTheta: soilTypes[soil].fieldCapacity, valveOpen: true })
      m.step(3 * HOUR)
      return m.waterTotals().runoffMm
    }
    expect(runoff('sand')).toBe(0)
    expect(runoff('clay')).toBeGreaterThan(runoff('loam'))
    expect(runoff('clay')).toBeGreaterThan(20)
  })

  it('dries by day and hardly at night (ET follows the sun)', () => {
    const m = new SoilMoistureModel({ ...dry, ambient: { startHour: 0 } }, { startTheta: 0.25 })
    const lossBetween = (fromH: number, toH: number) => {
      m.step(fromH * HOUR - m.elapsedS)
      const a = m.storedMm
      m.step((toH - fromH) * HOUR)
      return a - m.storedMm
    }
    const night = lossBetween(0, 5)
    const day = lossBetween(10, 15)
    expect(night).toBeLessThan(0.05)
    expect(day).toBeGreaterThan(1.5) // ~0.5 mm/h around noon
  })

  it('replays the same trace from a seed (rain included), another seed gives other rain', () => {
    const run = (seed: number) => {
      const m = new SoilMoistureModel({ seed, rainEventsPerDay: 1 })
      const out: number[] = []
      randomWalk(m, 9, 20 * DAY, 6 * HOUR, () => {
        m.setValve(out.length % 7 === 0)
        out.push(m.moisturePct, m.waterTotals().rainMm)
      })
      return out
    }
    const a = run(11)
    expect(run(11)).toEqual(a)
    expect(run(12)).not.toEqual(a)
  })

  it('barely depends on how time is sliced', () => {
    for (const seed of SEEDS) {
      const coarse = new SoilMoistureModel({ seed, rainEventsPerDay: 1 })
      const fine = new SoilMoistureModel({ seed, rainEventsPerDay: 1 })
      coarse.step(4 * DAY)
      randomWalk(fine, seed, 4 * DAY, 500, () => {})
      expect(fine.moisturePct).toBeCloseTo(coarse.moisturePct, 2)
      expect(fine.waterTotals().rainMm).toBeCloseTo(coarse.waterTotals().rainMm, 6)
    }
  })

  it('reports the probe at 0.1 % and rejects nonsense', () => {
    const m = new SoilMoistureModel(dry, { startTheta: 0.2345 })
    expect(m.sensorPct).toBe(23.5)
    expect(() => new SoilMoistureModel({ rootDepthMm: 0 })).toThrow(RangeError)
    expect(() => new SoilMoistureModel({}, { startTheta: 0.9 })).toThrow(RangeError)
    expect(() => new SoilMoistureModel({ soil: 'peat' as SoilType })).toThrow(RangeError)
    expect(() => m.step(Number.POSITIVE_INFINITY)).toThrow(RangeError)
  })
})

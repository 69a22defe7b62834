import { describe, expect, it } from 'vitest'
import { WaterTankModel } from './water-tank.js'
import { mulberry32 } from './seeded-random.js'

const SEEDS = [1, 2, 77, 4_242]
const HOUR = 3600

/** A draw that depends only on absolute time: 25 L/min in the first 40 min of every 3 hours. */
const drawAt = (tS: number) => (tS % (3 * HOUR) < 40 * 60 ? 25 : 0)

/** Steps `tank` to `totalS` in random slices, never across a change of the draw schedule. */
function run(tank: WaterTankModel, seed: number, totalS: number, maxDtS: number): number[] {
  const rnd = mulberry32(seed)
  const levels: number[] = []
  while (tank.elapsedS < totalS - 1e-9) {
    const t = tank.elapsedS
    tank.setDrawLpm(drawAt(t))
    const nextEdge = [40 * 60, 3 * HOUR].map((e) => Math.floor(t / (3 * HOUR)) * 3 * HOUR + e).find((e) => e > t + 1e-9) as number
    tank.step(Math.min(totalS - t, nextEdge - t, Math.max(1e-3, rnd() * maxDtS)))
    levels.push(tank.levelPct)
  }
  return levels
}

describe('water tank', () => {
  it('keeps the level within 0–100 % and the water balance closed under random draws and steps', () => {
    for (const seed of SEEDS) {
      const rnd = mulberry32(seed)
      const tank = new WaterTankModel({ capacityL: 200 + rnd() * 2000, refillLpm: rnd() * 6 }, { startPct: rnd() * 100 })
      while (tank.elapsedS < 3 * 86_400) {
        if (rnd() < 0.2) tank.setDrawLpm(rnd() < 0.5 ? 0 : rnd() * 40)
        tank.step(rnd() * 1800)
        expect(tank.levelPct).toBeGreaterThanOrEqual(0)
        expect(tank.levelPct).toBeLessThanOrEqual(100)
      }
      const t = tank.waterTotals()
      expect(tank.startLiters + t.inflowL - t.outflowL).toBeCloseTo(tank.liters, 6)
      expect(t.shortfallL).toBeGreaterThanOrEqual(0)
    }
  })

  it('falls by the integral of the net outflow over the volume while between empty and full', () => {
    const tank = new WaterTankModel({ capacityL: 1000, refillLpm: 2 }, { startPct: 80 })
    tank.setDrawLpm(12)
    tank.step(30 * 60) // (12 − 2) L/min × 30 min = 300 L = 30 % of 1000 L
    expect(tank.levelPct).toBeCloseTo(50, 9)
    tank.setDrawLpm(0)
    tank.step(60 * 60) // + 2 L/min × 60 min = 120 L
    expect(tank.levelPct).toBeCloseTo(62, 9)
    tank.step(10 * HOUR) // the float shuts at full
    expect(tank.levelPct).toBe(100)
    tank.setDrawLpm(1) // less than the float can give: it stays full
    tank.step(HOUR)
    expect(tank.levelPct).toBe(100)
  })

  it('an empty tank serves only its inflow and tallies the rest as shortfall', () => {
    const tank = new WaterTankModel({ capacityL: 100, refillLpm: 1 }, { startPct: 10 })
    tank.setDrawLpm(11) // net −10 L/min: empty after 1 min
    tank.step(11 * 60)
    expect(tank.levelPct).toBe(0)
    const t = tank.waterTotals()
    expect(t.outflowL).toBeCloseTo(11 + 10, 9) // 11 L in the first minute, then 1 L/min
    expect(t.shortfallL).toBeCloseTo(100, 9)
  })

  it('the same draw schedule gives the same levels however time is sliced', () => {
    for (const seed of SEEDS) {
      const a = new WaterTankModel({}, { startPct: 60 })
      const b = new WaterTankModel({}, { startPct: 60 })
      run(a, seed, 2 * 86_400, 120)
      run(b, seed + 1, 2 * 86_400, 3000)
      expect(b.levelPct).toBeCloseTo(a.levelPct, 9)
      expect(b.waterTotals().outflowL).toBeCloseTo(a.waterTotals().outflowL, 6)
    }
  })

  it('rejects nonsense', () => {
    expect(() => new WaterTankModel({ capacityL: 0 })).toThrow(RangeError)
    expect(() => new WaterTankModel({ refillLpm: -1 })).toThrow(RangeError)
    expect(() => new WaterTankModel({}, { startPct: 120 })).toThrow(RangeError)
    expect(() => new WaterTankModel().setDrawLpm(Number.NaN)).toThrow(RangeError)
    expect(() => new WaterTankModel().step(-1)).toThrow(RangeError)
  })
})

import { describe, expect, it } from 'vitest'
import { RainModel } from './rain.js'
import { mulberry32 } from './seeded-random.js'

const SEEDS = [1, 3, 99, 31_337]
const HOUR = 3600
const DAY = 86_400

/** Steps in random slices and integrates the reported rate by the rectangle rule at 1 s. */
function sampled(rain: RainModel, seed: number, totalS: number, maxDtS: number): { rates: number[]; totals: number[] } {
  const rnd = mulberry32(seed)
  const rates: number[] = []
  const totals: number[] = []
  while (rain.elapsedS < totalS) {
    rain.step(Math.min(totalS - rain.elapsedS, rnd() * maxDtS))
    rates.push(rain.rateMmPerH)
    totals.push(rain.totalMm)
  }
  return { rates, totals }
}

describe('rain model', () => {
  it('rain rate is never negative, the totals only grow, and the 24 h total is the exact window integral', () => {
    for (const seed of SEEDS) {
      const rain = new RainModel({ seed, showersPerDay: 2 })
      const { rates, totals } = sampled(rain, seed, 10 * DAY, 1800)
      expect(Math.min(...rates)).toBeGreaterThanOrEqual(0)
      expect(Math.max(...rates)).toBeGreaterThan(0)
      totals.forEach((t, i) => i > 0 && expect(t).toBeGreaterThanOrEqual((totals[i - 1] as number) - 1e-9))
      expect(rain.last24hMm).toBeCloseTo(rain.mmBetween(rain.elapsedS - DAY, rain.elapsedS), 9)
      expect(rain.last24hMm).toBeLessThanOrEqual(rain.totalMm + 1e-9)
    }
  })

  it('accumulated mm is the integral of the rate (checked on a 10 s grid)', () => {
    const rain = new RainModel({ seed: 5, showersPerDay: 3 })
    let integral = 0
    for (let t = 0; t < 3 * DAY; t += 10) {
      // The rate is a step function that changes off the grid: integrate between its edges.
      let s = t
      while (s < t + 10) {
        const e = Math.min(t + 10, rain.nextChangeAfter(s))
        integral += (rain.rateAt(s) * (e - s)) / 3600
        s = e
      }
      rain.step(10)
    }
    expect(integral).toBeGreaterThan(1)
    expect(rain.totalMm).toBeCloseTo(integral, 9)
  })

  it('the same seed gives the same showers however time is sliced', () => {
    for (const seed of SEEDS) {
      const a = new RainModel({ seed, showersPerDay: 2 })
      const b = new RainModel({ seed, showersPerDay: 2 })
      sampled(a, seed, 5 * DAY, 300)
      sampled(b, seed + 7, 5 * DAY, 20_000)
      expect(b.totalMm).toBeCloseTo(a.totalMm, 9)
      expect(b.last24hMm).toBeCloseTo(a.last24hMm, 9)
    }
  })

  it('a shower set by hand rains exactly its rate for its duration, on top of none', () => {
    const rain = new RainModel({ showersPerDay: 0 })
    rain.step(15 * HOUR)
    expect(rain.rateMmPerH).toBe(0)
    rain.setShower(4)
    expect(rain.rateMmPerH).toBe(4)
    rain.step(45 * 60)
    rain.setShower(0)
    expect(rain.rateMmPerH).toBe(0)
    expect(rain.totalMm).toBeCloseTo(3, 12) // 4 mm/h × 0.75 h
    rain.step(23 * HOUR)
    expect(rain.last24hMm).toBeCloseTo(3, 12) // the shower is still in the gauge's day
    rain.step(HOUR)
    expect(rain.last24hMm).toBe(0)
    expect(rain.totalMm).toBeCloseTo(3, 12)
  })

  it('never rains with no showers and no hand-made rain', () => {
    const rain = new RainModel({ showersPerDay: 0 })
    rain.step(30 * DAY)
    expect(rain.totalMm).toBe(0)
    expect(rain.nextChangeAfter(0)).toBe(Number.POSITIVE_INFINITY)
  })

  it('rejects nonsense', () => {
    expect(() => new RainModel({ showersPerDay: -1 })).toThrow(RangeError)
    expect(() => new RainModel({ meanMmPerH: 0 })).toThrow(RangeError)
    expect(() => new RainModel().setShower(-2)).toThrow(RangeError)
    expect(() => new RainModel().step(Number.NaN)).toThrow(RangeError)
  })
})

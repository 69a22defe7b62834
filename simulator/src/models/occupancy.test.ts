import { describe, expect, it } from 'vitest'
import { OccupancyModel, shopArrivalProfile } from './occupancy.js'
import { mulberry32 } from './seeded-random.js'

const SEEDS = [1, 8, 21, 90_210]
const HOUR = 3600
const DAY = 86_400
const nobody = { hourlyArrivals: new Array<number>(24).fill(0) }
const alwaysBusy = { hourlyArrivals: new Array<number>(24).fill(30), dwellMeanS: 40 * 60 }

function walk(m: OccupancyModel, seed: number, totalS: number, maxDtS: number, each: () => void = () => {}) {
  const rnd = mulberry32(seed)
  while (m.elapsedS < totalS) {
    m.step(Math.min(totalS - m.elapsedS, rnd() * maxDtS))
    each()
  }
}

describe('occupancy and CO₂ model', () => {
  it('CO₂ decays monotonically toward outdoor air in an empty room, never below it', () => {
    for (const seed of SEEDS) {
      const m = new OccupancyModel({ ...nobody, seed }, { startPpm: 1_800 })
      let prev = m.co2Ppm
      walk(m, seed, 2 * DAY, HOUR, () => {
        expect(m.co2Ppm).toBeLessThanOrEqual(prev)
        expect(m.co2Ppm).toBeGreaterThanOrEqual(420)
        prev = m.co2Ppm
      })
      expect(m.co2Ppm).toBeCloseTo(420, 3)
      expect(m.snapshot()).toMatchObject({ occupancy: 0, entries: 0, exits: 0 })
    }
  })

  it('CO₂ rises while people come in, and stays between outdoor and the equilibrium of the peak crowd', () => {
    for (const seed of SEEDS) {
      const m = new OccupancyModel({ ...alwaysBusy, seed })
      let peak = 0
      let maxPpm = 0
      walk(m, seed, 3 * HOUR, 300, () => {
        peak = Math.max(peak, m.occupancy)
        maxPpm = Math.max(maxPpm, m.co2Ppm)
        expect(m.co2Ppm).toBeGreaterThanOrEqual(420)
      })
      expect(peak).toBeGreaterThan(5)
      expect(m.co2Ppm).toBeGreaterThan(700)
      expect(maxPpm).toBeLessThanOrEqual(m.equilibriumPpm(peak) + 1e-9)
    }
  })

  it('with n people constant CO₂ moves monotonically toward C_out + n·G/Q', () => {
    // Long dwell and a profile that stops after the first hour: the crowd stays put for a while.
    const profile = new Array<number>(24).fill(0)
    profile[0] = 40
    const m = new OccupancyModel({ hourlyArrivals: profile, dwellMeanS: 20 * HOUR, seed: 3 })
    m.step(HOUR + 1)
    const n = m.occupancy
    expect(n).toBeGreaterThan(20)
    const target = m.equilibriumPpm()
    let prevGap = Math.abs(m.co2Ppm - target)
    for (let i = 0; i < 40; i++) {
      m.step(60)
      if (m.occupancy !== n) break
      const gap = Math.abs(m.co2Ppm - target)
      expect(gap).toBeLessThanOrEqual(prevGap)
      prevGap = gap
    }
  })

  it('arrivals follow the hourly profile; entries − exits = occupancy ≥ 0', () => {
    const days = 30
    const m = new OccupancyModel({ seed: 5 })
    const perHour = new Array<number>(24).fill(0)
    walk(m, 5, days * DAY, 2 * HOUR, () => {
      const s = m.snapshot()
      expect(s.entries - s.exits).toBe(s.occupancy)
      expect(s.occupancy).toBeGreaterThanOrEqual(0)
    })
    const replay = new OccupancyModel({ seed: 5 })
    for (let h = 0; h < days * 24; h++) {
      for (const t of replay.step(HOUR).arrivals) perHour[Math.floor((t % DAY) / HOUR)]! += 1
    }
    shopArrivalProfile.forEach((rate, hour) => {
      const seen = perHour[hour]! / days
      if (rate === 0) expect(seen).toBe(0)
      // Poisson: 30 days × rate, the sd of the mean is √(rate/30) ≤ 0.75 / h; allow 4 sd.
      else expect(Math.abs(seen - rate)).toBeLessThan(4 * Math.sqrt(rate / days) + 0.5)
    })
  })

  it('the ventilation fan lowers the CO₂ a crowd reaches', () => {
    for (const seed of SEEDS) {
      const still = new OccupancyModel({ ...alwaysBusy, seed })
      const fanned = new OccupancyModel({ ...alwaysBusy, seed }, { fanOn: true })
      still.step(4 * HOUR)
      fanned.step(4 * HOUR)
      expect(fanned.occupancy).toBe(still.occupancy) // same seed, same people
      expect(fanned.co2Ppm).toBeLessThan(still.co2Ppm - 200)
    }
  })

  it('a shop day: CO₂ peaks in opening hours and is back near outdoor before dawn', () => {
    for (const seed of SEEDS) {
      const m = new OccupancyModel({ seed, volumeM3: 60 })
      let peakAt = 0
      let peak = 0
      for (let i = 0; i < 24 * 60; i++) {
        m.step(60)
        if (m.co2Ppm > peak) {
          peak = m.co2Ppm
          peakAt = m.elapsedS / HOUR
        }
      }
      expect(peak).toBeGreaterThan(600)
      expect(peakAt).toBeGreaterThan(9)
      expect(peakAt).toBeLessThan(22)
      m.step(5 * HOUR) // 05:00 the next day
      expect(m.co2Ppm).toBeLessThan(440)
    }
  })

  it('is the same however time is sliced, and replays from its seed', () => {
    for (const seed of SEEDS) {
      const coarse = new OccupancyModel({ seed })
      const fine = new OccupancyModel({ seed })
      const coarseArrivals = coarse.step(DAY).arrivals
      walk(fine, seed, DAY, 700, () => {})
      const replay = new OccupancyModel({ seed })
      walk(replay, seed + 1, DAY, 900, () => {})
      expect(fine.snapshot().entries).toBe(coarseArrivals.length)
      expect(fine.co2Ppm).toBeCloseTo(coarse.co2Ppm, 6)
      expect(replay.snapshot()).toEqual({ ...fine.snapshot(), co2Ppm: replay.co2Ppm })
      expect(replay.co2Ppm).toBeCloseTo(fine.co2Ppm, 6)
    }
    expect(new OccupancyModel({ seed: 1 }).step(DAY).arrivals).not.toEqual(new OccupancyModel({ seed: 2 }).step(DAY).arrivals)
  })

  it('rejects nonsense', () => {
    expect(() => new OccupancyModel({ hourlyArrivals: [1, 2, 3] })).toThrow(RangeError)
    expect(() => new OccupancyModel({ volumeM3: 0 })).toThrow(RangeError)
    expect(() => new OccupancyModel().step(-1)).toThrow(RangeError)
  })
})

import { describe, expect, it } from 'vitest'
import { AmbientModel, defaultAmbientParams } from './ambient.js'
import { mulberry32 } from './seeded-random.js'
import { smoothNoise } from './smooth-noise.js'

const SEEDS = [1, 2, 7, 42, 1234, 99_999]
const HOUR = 3600

function trace(model: AmbientModel, seed: number, steps: number, maxDtS: number) {
  const rnd = mulberry32(seed)
  const out: { t: number; temp: number; rh: number; sun: number }[] = []
  for (let i = 0; i < steps; i++) {
    model.step(rnd() * maxDtS)
    const s = model.sample()
    out.push({ t: model.elapsedS, temp: s.temperatureC, rh: s.humidityPct, sun: s.solarWm2 })
  }
  return out
}

describe('smooth noise', () => {
  it('stays in [-1, 1] and moves little between nearby instants (not white noise)', () => {
    for (const seed of SEEDS) {
      const n = smoothNoise(seed, 3600)
      let prev = n(0)
      let maxAbs = 0
      let maxJump = 0
      for (let t = 10; t < 5 * 86_400; t += 10) {
        const v = n(t)
        maxAbs = Math.max(maxAbs, Math.abs(v))
        maxJump = Math.max(maxJump, Math.abs(v - prev))
        prev = v
      }
      expect(maxAbs).toBeLessThanOrEqual(1)
      // Smoothstep's steepest slope is 1.5 × swing / period; with two octaves that is < 0.05 per 10 s.
      expect(maxJump).toBeLessThan(0.05)
      expect(maxAbs).toBeGreaterThan(0.3) // and it does wander
    }
  })
})

describe('ambient model', () => {
  it('replays the same trace from the same seed and a different one from another', () => {
    const a = trace(new AmbientModel({ seed: 5 }), 1, 300, 600)
    expect(trace(new AmbientModel({ seed: 5 }), 1, 300, 600)).toEqual(a)
    expect(trace(new AmbientModel({ seed: 6 }), 1, 300, 600)).not.toEqual(a)
  })

  it('is a function of time only: any slicing of steps lands on the same weather', () => {
    for (const seed of SEEDS) {
      const coarse = new AmbientModel({ seed })
      const fine = new AmbientModel({ seed })
      const rnd = mulberry32(seed)
      let t = 0
      while (t < 30 * HOUR) {
        const dt = rnd() * 900
        fine.step(dt)
        t += dt
      }
      coarse.step(t)
      expect(fine.sample()).toEqual(coarse.sample())
    }
  })

  it('keeps RH within 0..100 %, dew point at or below air temperature, sun ≥ 0 and dark at night', () => {
    for (const seed of SEEDS) {
      for (const s of trace(new AmbientModel({ seed, meanC: 8, dewPointC: 9 }), seed, 2_000, 1_800)) {
        expect(s.rh).toBeGreaterThan(0)
        expect(s.rh).toBeLessThanOrEqual(100)
        expect(s.sun).toBeGreaterThanOrEqual(0)
      }
      const m = new AmbientModel({ seed })
      for (let h = 0; h < 24 * 4; h += 0.25) {
        const s = m.sample(h * HOUR)
        expect(s.dewPointC).toBeLessThanOrEqual(s.temperatureC)
        const hod = h % 24
        if (hod < defaultAmbientParams.sunriseHour || hod > defaultAmbientParams.sunsetHour) expect(s.solarWm2).toBe(0)
      }
    }
  })

  it('has a daily cycle: afternoons are warmer and drier than dawns, across seeds', () => {
    for (const seed of SEEDS) {
      const m = new AmbientModel({ seed })
      let warmer = 0
      let drier = 0
      const days = 20
      for (let d = 0; d < days; d++) {
        const dawn = m.sample((d * 24 + 5) * HOUR)
        const afternoon = m.sample((d * 24 + 15) * HOUR)
        if (afternoon.temperatureC > dawn.temperatureC) warmer++
        if (afternoon.humidityPct < dawn.humidityPct) drier++
        expect(afternoon.solarWm2).toBeGreaterThan(dawn.solarWm2)
      }
      // Weather noise (±2.5 °C) can beat the ±6 °C daily swing only rarely.
      expect(warmer).toBeGreaterThanOrEqual(days - 2)
      expect(drier).toBeGreaterThanOrEqual(days - 2)
    }
  })

  it('changes smoothly: no jump above 0.5 °C or 3 %RH within a minute', () => {
    for (const seed of SEEDS) {
      const m = new AmbientModel({ seed })
      let prev = m.sample(0)
      let maxDt = 0
      let maxDrh = 0
      for (let t = 60; t < 3 * 86_400; t += 60) {
        const s = m.sample(t)
        maxDt = Math.max(maxDt, Math.abs(s.temperatureC - prev.temperatureC))
        maxDrh = Math.max(maxDrh, Math.abs(s.humidityPct - prev.humidityPct))
        prev = s
      }
      expect(maxDt).toBeLessThan(0.5)
      expect(maxDrh).toBeLessThan(3)
    }
  })

  it('honours startHour and quantises the sensor to 0.1', () => {
    const m = new AmbientModel({ startHour: 14 })
    expect(m.hourOfDay()).toBe(14)
    m.step(11 * HOUR)
    expect(m.hourOfDay()).toBe(1)
    const { temperatureC, humidityPct } = m.sensor
    expect(Math.round(temperatureC * 10)).toBe(temperatureC * 10)
    expect(Math.round(humidityPct * 10)).toBeCloseTo(humidityPct * 10, 9)
  })

  it('rejects nonsense', () => {
    expect(() => new AmbientModel({ dailyAmplitudeC: -1 })).toThrow(RangeError)
    expect(() => new AmbientModel({ sunriseHour: 20, sunsetHour: 6 })).toThrow(RangeError)
    expect(() => new AmbientModel().step(-1)).toThrow(RangeError)
  })
})

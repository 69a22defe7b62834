import { describe, expect, it } from 'vitest'
import { EnergyMeterModel } from './energy-meter.js'
import { mulberry32 } from './seeded-random.js'

const SEEDS = [1, 5, 77, 31_337]

/** A load that cycles on for 300 s, off for 200 s, as a function of time: on-seconds is exact. */
function cyclingLoad() {
  let t = 0
  const onSecondsAt = (s: number) => Math.floor(s / 500) * 300 + Math.min(300, s % 500)
  return {
    advance: (dt: number) => {
      t += dt
    },
    tracked: { isOn: () => t % 500 < 300, onSeconds: () => onSecondsAt(t) },
  }
}

describe('energy meter model', () => {
  it('kWh is the integral of kW over random step sizes and random switching', () => {
    for (const seed of SEEDS) {
      const rnd = mulberry32(seed)
      const meter = new EnergyMeterModel(
        { seed },
        {
          compressor: { kw: 1.1, powerFactor: 0.8 },
          oven: { kw: 6 },
          lights: { kw: 0.3, on: true },
        },
        123.4,
      )
      let integral = 123.4
      let prevKwh = meter.kwh
      for (let i = 0; i < 5_000; i++) {
        if (rnd() < 0.2) meter.setLoad('compressor', rnd() < 0.5)
        if (rnd() < 0.1) meter.setLoad('oven', rnd() < 0.5)
        // Sizes from milliseconds to hours: what time acceleration does to a step.
        const dt = rnd() < 0.5 ? rnd() * 2 : rnd() * 3_600
        integral += (meter.kw * dt) / 3600
        meter.step(dt)
        expect(meter.kwh).toBeGreaterThanOrEqual(prevKwh)
        prevKwh = meter.kwh
      }
      expect(meter.kwh).toBeCloseTo(integral, 9)
      expect(meter.kwh).toBeGreaterThan(123.4)
    }
  })

  it('a constant load for one hour gives its kW in kWh, however the hour is sliced', () => {
    for (const seed of SEEDS) {
      const rnd = mulberry32(seed)
      const meter = new EnergyMeterModel({ seed, baseLoadKw: 0 }, { heater: { kw: 2.5, on: true } })
      let left = 3600
      while (left > 0) {
        const dt = Math.min(left, rnd() * 400)
        meter.step(dt)
        left -= dt
      }
      expect(meter.kwh).toBeCloseTo(2.5, 9)
    }
  })

  it('charges a self-switching load exactly for its on-time, even when it switches inside a step', () => {
    for (const seed of SEEDS) {
      const rnd = mulberry32(seed)
      const load = cyclingLoad()
      const meter = new EnergyMeterModel({ seed, baseLoadKw: 0 }, { oven: { kw: 6, tracked: load.tracked } })
      let t = 0
      while (t < 10_000) {
        const dt = Math.min(10_000 - t, rnd() * 1_300) // often spans several on/off cycles
        load.advance(dt)
        meter.step(dt)
        t += dt
      }
      // 20 cycles × 300 s on × 6 kW.
      expect(meter.kwh).toBeCloseTo((20 * 300 * 6) / 3600, 9)
    }
  })

  it('derives current from P, V and power factor; voltage wanders smoothly near nominal', () => {
    const meter = new EnergyMeterModel({ seed: 3, baseLoadKw: 0 }, { motor: { kw: 1.15, powerFactor: 0.8, on: true } })
    let prevV = meter.reading().voltageV
    let maxJump = 0
    for (let i = 0; i < 1_440; i++) {
      meter.step(60)
      const r = meter.reading()
      expect(r.voltageV).toBeGreaterThanOrEqual(230 * 0.97 - 1e-9)
      expect(r.voltageV).toBeLessThanOrEqual(230 * 1.03 + 1e-9)
      expect(r.powerFactor).toBeCloseTo(0.8, 9)
      expect(r.currentA).toBeCloseTo((1150 / 0.8) / r.voltageV, 9)
      maxJump = Math.max(maxJump, Math.abs(r.voltageV - prevV))
      prevV = r.voltageV
    }
    expect(maxJump).toBeLessThan(1.5)
    meter.setLoad('motor', false)
    expect(meter.reading()).toMatchObject({ kw: 0, currentA: 0, powerFactor: 1 })
  })

  it('replays the same readings from a seed', () => {
    const run = (seed: number) => {
      const m = new EnergyMeterModel({ seed }, { a: { kw: 1, on: true } })
      const out: number[] = []
      for (let i = 0; i < 200; i++) {
        m.step(37)
        out.push(m.reading().voltageV, m.kwh)
      }
      return out
    }
    expect(run(8)).toEqual(run(8))
    expect(run(9)).not.toEqual(run(8))
  })

  it('rejects nonsense', () => {
    expect(() => new EnergyMeterModel({}, { a: { kw: -1 } })).toThrow(RangeError)
    expect(() => new EnergyMeterModel({}, { a: { kw: 1, powerFactor: 0 } })).toThrow(RangeError)
    expect(() => new EnergyMeterModel({}, {}, -5)).toThrow(RangeError)
    expect(() => new EnergyMeterModel().setLoad('nope', true)).toThrow(RangeError)
    expect(() => new EnergyMeterModel().step(-1)).toThrow(RangeError)
  })
})

import { describe, expect, it } from 'vitest'
import { EnergyMeterModel } from './energy-meter.js'
import { OvenModel, defaultOvenParams } from './oven.js'
import { mulberry32 } from './seeded-random.js'

const SEEDS = [1, 2, 13, 4242]
const HOUR = 3600
const shut = { doorOpeningsPerHour: 0 }

function walk(oven: OvenModel, seed: number, totalS: number, maxDtS: number, each: () => void = () => {}) {
  const rnd = mulberry32(seed)
  while (oven.elapsedS < totalS) {
    oven.step(Math.min(totalS - oven.elapsedS, rnd() * maxDtS))
    each()
  }
}

describe('oven model', () => {
  it('heats from cold and then stays inside the thermostat band, for several setpoints and step sizes', () => {
    for (const seed of SEEDS) {
      const rnd = mulberry32(seed)
      const setpointC = 120 + Math.floor(rnd() * 130)
      const oven = new OvenModel(shut, { powered: true, setpointC })
      walk(oven, seed, HOUR, 300) // warm-up
      const band = defaultOvenParams.hysteresisK
      let lo = Number.POSITIVE_INFINITY
      let hi = Number.NEGATIVE_INFINITY
      let switched = 0
      let wasOn = oven.heaterOn
      walk(oven, seed + 1, 6 * HOUR, 900, () => {
        lo = Math.min(lo, oven.temperatureC)
        hi = Math.max(hi, oven.temperatureC)
        if (oven.heaterOn !== wasOn) switched++
        wasOn = oven.heaterOn
      })
      expect(lo).toBeGreaterThanOrEqual(setpointC - band - 1e-9)
      expect(hi).toBeLessThanOrEqual(setpointC + band + 1e-9)
      expect(switched).toBeGreaterThan(3) // it cycles, it does not sit on one side
    }
  })

  it('never overshoots the upper threshold while heating up, even in one giant step', () => {
    const oven = new OvenModel(shut, { powered: true, setpointC: 200 })
    oven.step(10 * HOUR)
    expect(oven.temperatureC).toBeGreaterThanOrEqual(195 - 1e-9)
    expect(oven.temperatureC).toBeLessThanOrEqual(205 + 1e-9)
    // Duty cycle at 200 °C ≈ losses / heater power = 7 · 176 / 6000.
    const before = oven.heaterOnSeconds
    oven.step(10 * HOUR)
    expect((oven.heaterOnSeconds - before) / (10 * HOUR)).toBeCloseTo((7 * (200 - 24)) / 6_000, 2)
  })

  it('cools monotonically toward ambient when switched off, and never below it', () => {
    for (const seed of SEEDS) {
      const oven = new OvenModel({ seed }, { startTempC: 220 })
      let prev = oven.temperatureC
      walk(oven, seed, 24 * HOUR, 1_800, () => {
        expect(oven.heaterOn).toBe(false)
        expect(oven.temperatureC).toBeLessThanOrEqual(prev)
        expect(oven.temperatureC).toBeGreaterThanOrEqual(defaultOvenParams.ambientC)
        prev = oven.temperatureC
      })
      expect(oven.temperatureC).toBeCloseTo(defaultOvenParams.ambientC, 0)
    }
  })

  it('door openings cost heat: the heater works longer and the oven runs cooler on average', () => {
    for (const seed of SEEDS) {
      const quiet = new OvenModel({ ...shut, seed }, { powered: true, startTempC: 180 })
      const busy = new OvenModel({ doorOpeningsPerHour: 12, doorOpenMeanS: 20, seed }, { powered: true, startTempC: 180 })
      let sumQuiet = 0
      let sumBusy = 0
      for (let i = 0; i < 4 * 360; i++) {
        quiet.step(10)
        busy.step(10)
        sumQuiet += quiet.temperatureC
        sumBusy += busy.temperatureC
      }
      expect(busy.snapshot().doorOpenings).toBeGreaterThan(20)
      expect(busy.heaterOnSeconds).toBeGreaterThan(quiet.heaterOnSeconds * 1.2)
      expect(sumBusy).toBeLessThan(sumQuiet)
    }
  })

  it('gives the same trajectory however time is sliced, and replays from its seed', () => {
    for (const seed of SEEDS) {
      const coarse = new OvenModel({ seed, doorOpeningsPerHour: 6 }, { powered: true })
      const fine = new OvenModel({ seed, doorOpeningsPerHour: 6 }, { powered: true })
      coarse.step(5 * HOUR)
      walk(fine, seed, 5 * HOUR, 60)
      expect(fine.temperatureC).toBeCloseTo(coarse.temperatureC, 6)
      expect(fine.heaterOnSeconds).toBeCloseTo(coarse.heaterOnSeconds, 6)
      expect(fine.snapshot().doorOpenings).toBe(coarse.snapshot().doorOpenings)
    }
  })

  it('feeds an energy meter exactly: kWh = heater kW × on-time', () => {
    const oven = new OvenModel({ seed: 4 }, { powered: true })
    const meter = new EnergyMeterModel({ baseLoadKw: 0 }, {
      oven: { kw: 6, tracked: { isOn: () => oven.heaterOn, onSeconds: () => oven.heaterOnSeconds } },
    })
    walk(oven, 4, 8 * HOUR, 2_000, () => meter.step(oven.elapsedS - meter.elapsedS))
    expect(meter.kwh).toBeCloseTo((6 * oven.heaterOnSeconds) / 3600, 9)
    expect(meter.kwh).toBeGreaterThan(3)
  })

  it('obeys power and setpoint commands and rejects nonsense', () => {
    const oven = new OvenModel(shut, { powered: true, setpointC: 180 })
    expect(oven.heaterOn).toBe(true)
    oven.setPower(false)
    expect(oven.heaterOn).toBe(false)
    oven.setPower(true)
    oven.step(HOUR)
    oven.setSetpoint(100)
    oven.step(2 * HOUR)
    expect(Math.abs(oven.temperatureC - 100)).toBeLessThanOrEqual(5 + 1e-9)
    expect(oven.sensorC).toBe(Math.round(oven.temperatureC))
    expect(() => new OvenModel({ capacitanceJPerK: 0 })).toThrow(RangeError)
    expect(() => oven.setSetpoint(Number.NaN)).toThrow(RangeError)
    expect(() => oven.step(-1)).toThrow(RangeError)
  })
})

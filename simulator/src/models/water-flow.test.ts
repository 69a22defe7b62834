import { describe, expect, it } from 'vitest'
import { mulberry32 } from './seeded-random.js'
import { WaterFlowMeterModel } from './water-flow.js'

const SEEDS = [1, 6, 99, 123_456]

describe('water-flow meter model', () => {
  it('the totaliser is the integral of the flow over random steps and random valve commands', () => {
    for (const seed of SEEDS) {
      const rnd = mulberry32(seed)
      const m = new WaterFlowMeterModel({ seed, leakLpm: 0.05 })
      let integral = 0
      let prev = 0
      for (let i = 0; i < 3_000; i++) {
        if (rnd() < 0.1) m.setValve(!m.valveOpen)
        // Integrate the reported flow at 0.5 s resolution independently of the model's stepping.
        const dt = Math.round(rnd() * 240) / 2
        for (let k = 0; k < dt * 2; k++) integral += m.flowLpmAt(m.elapsedS + k / 2) / 120
        m.step(dt)
        expect(m.liters).toBeGreaterThanOrEqual(prev)
        prev = m.liters
      }
      expect(m.liters).toBeCloseTo(integral, 6)
    }
  })

  it('gives the same litres however time is sliced, and replays from its seed', () => {
    for (const seed of SEEDS) {
      const rnd = mulberry32(seed)
      const coarse = new WaterFlowMeterModel({ seed }, { valveOpen: true })
      const fine = new WaterFlowMeterModel({ seed }, { valveOpen: true })
      coarse.step(7_200)
      while (fine.elapsedS < 7_200) fine.step(Math.min(7_200 - fine.elapsedS, rnd() * 50))
      expect(fine.liters).toBeCloseTo(coarse.liters, 6)
      // About 12 L/min for two hours, give or take the pressure wander.
      expect(coarse.liters).toBeGreaterThan(1_440 * 0.9)
      expect(coarse.liters).toBeLessThan(1_440 * 1.1)
      const again = new WaterFlowMeterModel({ seed }, { valveOpen: true })
      again.step(7_200)
      expect(again.liters).toBe(coarse.liters)
    }
  })

  it('flows only while the valve is open (no leak), with flow ∝ √pressure within the wander', () => {
    const m = new WaterFlowMeterModel({ seed: 2 })
    m.step(600)
    expect(m.liters).toBe(0)
    expect(m.reading().flowLpm).toBe(0)
    m.setValve(true)
    for (let i = 0; i < 500; i++) {
      m.step(13)
      const r = m.reading()
      expect(r.flowLpm).toBeCloseTo(12 * Math.sqrt(m.supplyBarAt(m.elapsedS) / 2.5), 9)
      expect(r.flowLpm).toBeGreaterThan(12 * Math.sqrt(0.85) - 1e-9)
      expect(r.flowLpm).toBeLessThan(12 * Math.sqrt(1.15) + 1e-9)
      expect(r.pressureBar).toBeCloseTo(m.supplyBarAt(m.elapsedS) * 0.8, 9)
    }
    const r = m.reading()
    expect(r.pulses).toBe(Math.floor(r.liters))
  })

  it('a valve part way open passes flow in proportion, and loses less pressure', () => {
    const full = new WaterFlowMeterModel({ seed: 4 }, { valveOpen: true })
    const half = new WaterFlowMeterModel({ seed: 4 })
    half.setOpening(0.5)
    full.step(1_800)
    half.step(1_800)
    expect(half.liters).toBeCloseTo(full.liters / 2, 9)
    expect(half.reading().pressureBar).toBeGreaterThan(full.reading().pressureBar)
    expect(() => half.setOpening(1.5)).toThrow(RangeError)
  })

  it('a leaking valve passes water while shut', () => {
    const m = new WaterFlowMeterModel({ leakLpm: 0.2 })
    m.step(3_600)
    expect(m.liters).toBeCloseTo(12, 9)
  })

  it('rejects nonsense', () => {
    expect(() => new WaterFlowMeterModel({ nominalLpm: 0 })).toThrow(RangeError)
    expect(() => new WaterFlowMeterModel({ pressureWander: 1 })).toThrow(RangeError)
    expect(() => new WaterFlowMeterModel().step(Number.NaN)).toThrow(RangeError)
  })
})

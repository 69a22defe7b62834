import { describe, expect, it } from 'vitest'
import { ActuatorModel, motorisedValveParams, relayParams } from './actuator.js'
import { mulberry32 } from './seeded-random.js'

const SEEDS = [1, 4, 64, 777]

describe('relay and valve model', () => {
  it('a relay follows its command after the pull-in delay', () => {
    const relay = new ActuatorModel(relayParams)
    relay.command(true)
    expect(relay.isOn).toBe(false)
    relay.step(0.01)
    expect(relay.isOn).toBe(false)
    relay.step(0.02)
    expect(relay.snapshot()).toMatchObject({ state: 'open', position: 1, cycles: 1 })
    relay.command(false)
    relay.step(1)
    expect(relay.snapshot()).toMatchObject({ state: 'closed', position: 0, cycles: 2 })
  })

  it('a motorised valve ramps over its travel time, and reversing mid-stroke returns from where it is', () => {
    const v = new ActuatorModel(motorisedValveParams)
    v.command(true)
    v.step(0.5 + 4) // dead time, then half the stroke
    expect(v.position).toBeCloseTo(0.5, 12)
    expect(v.state).toBe('opening')
    v.command(false)
    v.step(0.5 + 2)
    expect(v.position).toBeCloseTo(0.25, 12)
    expect(v.state).toBe('closing')
    v.step(10)
    expect(v.snapshot()).toMatchObject({ position: 0, state: 'closed', cycles: 1 })
  })

  it('always ends where the last command says, never moves without one, for random commands and steps', () => {
    for (const seed of SEEDS) {
      const rnd = mulberry32(seed)
      for (const params of [relayParams, motorisedValveParams]) {
        const a = new ActuatorModel(params)
        let lastCommand = false
        for (let i = 0; i < 2_000; i++) {
          if (rnd() < 0.3) {
            lastCommand = rnd() < 0.5
            a.command(lastCommand)
          }
          const before = a.position
          a.step(rnd() * 6)
          expect(a.position).toBeGreaterThanOrEqual(0)
          expect(a.position).toBeLessThanOrEqual(1)
          // Moves only toward the commanded side.
          if (lastCommand) expect(a.position).toBeGreaterThanOrEqual(before)
          else expect(a.position).toBeLessThanOrEqual(before)
        }
        a.step(params.delayS + params.travelS + 1)
        expect(a.isOn).toBe(lastCommand)
        expect(a.state).toBe(lastCommand ? 'open' : 'closed')
        const idle = a.snapshot()
        a.step(3_600)
        expect(a.snapshot()).toMatchObject({ position: idle.position, cycles: idle.cycles })
      }
    }
  })

  it('openSeconds integrates the position exactly, whatever the slicing', () => {
    for (const seed of SEEDS) {
      const rnd = mulberry32(seed)
      const script: { at: number; on: boolean }[] = []
      for (let t = 0; t < 600; t += 5 + rnd() * 30) script.push({ at: Math.round(t), on: rnd() < 0.5 })
      const run = (maxDt: number) => {
        const v = new ActuatorModel(motorisedValveParams)
        const r = mulberry32(seed + 1)
        let k = 0
        while (v.elapsedS < 700) {
          while (k < script.length && script[k]!.at <= v.elapsedS) v.command(script[k++]!.on)
          const nextAt = k < script.length ? script[k]!.at : 700
          v.step(Math.min(nextAt - v.elapsedS, 0.001 + r() * maxDt))
        }
        return v.snapshot()
      }
      const fine = run(0.3)
      const coarse = run(200)
      expect(coarse.openSeconds).toBeCloseTo(fine.openSeconds, 6)
      expect(coarse.position).toBeCloseTo(fine.position, 9)
      expect(coarse.cycles).toBe(fine.cycles)
    }
  })

  it('repeating a command does not restart the dead time; nonsense is rejected', () => {
    const v = new ActuatorModel({ delayS: 2, travelS: 0 })
    v.command(true)
    v.step(1.5)
    v.command(true)
    v.step(0.6)
    expect(v.isOn).toBe(true)
    expect(() => new ActuatorModel({ delayS: -1 })).toThrow(RangeError)
    expect(() => v.step(Number.NaN)).toThrow(RangeError)
  })
})

import { describe, expect, it } from 'vitest'
import type { LogEvent } from '@tendero/protocol'
import { conditionContext } from '../registry.js'
import { threshold, type ThresholdState } from './threshold.js'

const ctx = conditionContext('UTC', {})

const high = { deviceId: 'camara-1', metric: 'temperature_c', above: 5, forSeconds: 120, hysteresis: 0.5 }
const low = { deviceId: 'camara-1', metric: 'temperature_c', below: 2, forSeconds: 60 }

const reading = (value: number, deviceId = 'camara-1'): LogEvent => ({
  seq: 1, kind: 'telemetry', deviceId, time: 0, receivedAt: 0, bootId: 'b', monoMs: 0, clockSynced: true,
  body: { readings: { temperature_c: value } },
})

function run(spec: typeof high | typeof low) {
  const state: ThresholdState = threshold.initialState(spec)
  return {
    state,
    at: (sec: number, value: number) => threshold.onEvent(spec, state, reading(value), sec * 1000, ctx)?.type ?? null,
    tick: (sec: number) => threshold.onTick(spec, state, sec * 1000, ctx)?.type ?? null,
  }
}

describe('threshold condition', () => {
  it('fires once the condition has held for forSeconds, not before', () => {
    const r = run(high)
    expect(r.at(0, 5.4)).toBeNull()
    expect(r.tick(119)).toBeNull()
    expect(r.at(119.5, 6)).toBeNull()
    expect(r.tick(120)).toBe('fire')
    // Fires once per excursion.
    expect(r.tick(300)).toBeNull()
    expect(r.at(301, 7)).toBeNull()
  })

  it('fires on a reading, without waiting for the tick', () => {
    const r = run(high)
    r.at(0, 6)
    expect(r.at(121, 6)).toBe('fire')
  })

  it('does not fire on a brief spike', () => {
    const r = run(high)
    r.at(0, 6)
    r.at(30, 4) // back to normal: the clock restarts
    r.at(60, 6)
    expect(r.tick(150)).toBeNull()
    expect(r.tick(180)).toBe('fire')
  })

  it('re-arms only past the hysteresis band', () => {
    const r = run(high)
    r.at(0, 6)
    expect(r.tick(120)).toBe('fire')
    expect(r.at(130, 4.8)).toBeNull() // below 5 but within 0.5 of it
    expect(r.at(140, 4.5)).toBe('rearm')
    expect(r.state.armed).toBe(true)
    r.at(150, 6)
    expect(r.tick(269)).toBeNull()
    expect(r.tick(270)).toBe('fire')
  })

  it('supports "below"', () => {
    const r = run(low)
    r.at(0, 1.5)
    expect(r.tick(59)).toBeNull()
    expect(r.tick(60)).toBe('fire')
    expect(r.at(70, 2)).toBe('rearm') // no hysteresis: back at the limit is enough
  })

  it('ignores other devices and metrics', () => {
    const r = run(high)
    threshold.onEvent(high, r.state, reading(9, 'otra-camara'), 0, ctx)
    expect(r.state.since).toBeNull()
  })

  it('requires exactly one of above and below', () => {
    expect(threshold.check!({ ...high, below: 1 })).toMatch(/exactly one/)
    const { above: _above, ...neither } = high
    expect(threshold.check!(neither)).toMatch(/exactly one/)
    expect(threshold.check!(high)).toBeNull()
  })
})

import { describe, expect, it } from 'vitest'
import { formatSimTime, parseSimTime, simulatedNow } from './sim-time.js'

describe('simulated time', () => {
  const t = { originMs: Date.parse('2026-11-23T10:00:00.000Z'), anchorMs: 1_795_000_000_000, speed: 720 }

  it('round-trips through its spelling', () => {
    expect(parseSimTime(formatSimTime(t))).toEqual(t)
    expect(parseSimTime('origin=2026-11-23T07:00:00-03:00, anchor=5, speed=60')).toEqual({ originMs: t.originMs, anchorMs: 5, speed: 60 })
  })

  it('stands at the origin until the anchor, then runs speed times faster than real time', () => {
    expect(simulatedNow(t, t.anchorMs)).toBe(t.originMs)
    // One real second at 720x is twelve simulated minutes.
    expect(simulatedNow(t, t.anchorMs + 1000) - t.originMs).toBe(12 * 60_000)
    // Before the anchor it stands at the origin, so processes can start and connect first.
    expect(simulatedNow(t, t.anchorMs - 1000)).toBe(t.originMs)
  })

  it('names what is wrong', () => {
    expect(() => parseSimTime('')).toThrow(/key=value/)
    expect(() => parseSimTime('origin=yesterday,anchor=1,speed=2')).toThrow(/origin must be/)
    expect(() => parseSimTime('origin=0,anchor=x,speed=2')).toThrow(/anchor must be/)
    expect(() => parseSimTime('origin=0,anchor=1,speed=0')).toThrow(/speed must be > 0/)
    expect(() => parseSimTime('origin=0,anchor=1,speed=2,zone=UTC')).toThrow(/unknown field "zone"/)
  })
})

import { describe, expect, it } from 'vitest'
import { ColdRoomModel } from '../models/cold-room.js'
import { DutyCycle, advanceWithDutyCycles, failsafeFromCommand } from './failsafe.js'

/** Runs a compressor duty cycle on a cold room for `hours`, in `stepS` slices; records switches and temperatures. */
function run(model: ColdRoomModel, cycle: DutyCycle, hours: number, stepS: number) {
  const switches: { atS: number; on: boolean }[] = []
  const temps: { atS: number; c: number }[] = []
  for (let t = 0; t < hours * 3600; t += stepS) {
    advanceWithDutyCycles(model, [['compressor', cycle]], (_relay, on) => {
      model.setCompressor(on)
      switches.push({ atS: model.elapsedS, on })
    }, stepS)
    temps.push({ atS: model.elapsedS, c: model.temperatureC })
  }
  return { switches, temps }
}

describe('duty cycle', () => {
  it('switches on for onSeconds, off for offSeconds, repeating, starting in the current phase', () => {
    const cycle = new DutyCycle({ onSeconds: 600, offSeconds: 900 }, true)
    expect(cycle.advance(599)).toEqual([])
    expect(cycle.advance(1)).toEqual([{ atS: 1, on: false }])
    // One big step crosses several phases and reports each at its own offset.
    expect(cycle.advance(3000)).toEqual([
      { atS: 900, on: true },
      { atS: 1500, on: false },
      { atS: 2400, on: true },
      { atS: 3000, on: false },
    ])
    expect(cycle.on).toBe(false)

    const resting = new DutyCycle({ onSeconds: 600, offSeconds: 900 }, false)
    expect(resting.advance(899)).toEqual([])
    expect(resting.advance(1)).toEqual([{ atS: 1, on: true }])
  })

  it('switches the compressor at the exact simulated instants whatever the step size', () => {
    const coarse = run(new ColdRoomModel({ doorOpeningsPerHour: 0 }, { startTempC: 4, compressorOn: true }), new DutyCycle({ onSeconds: 600, offSeconds: 900 }, true), 2, 1200)
    const fine = run(new ColdRoomModel({ doorOpeningsPerHour: 0 }, { startTempC: 4, compressorOn: true }), new DutyCycle({ onSeconds: 600, offSeconds: 900 }, true), 2, 8)
    const expected = [600, 1500, 2100, 3000, 3600, 4500, 5100, 6000, 6600]
    expect(coarse.switches.map((s) => s.atS)).toEqual(expected)
    expect(fine.switches.map((s) => Math.round(s.atS * 1e6) / 1e6)).toEqual(expected)
    expect(coarse.switches.map((s) => s.on)).toEqual([false, true, false, true, false, true, false, true, false])
    // Same physics either way: stepping is exact around each switch.
    const at = (r: ReturnType<typeof run>, s: number) => r.temps.find((x) => Math.abs(x.atS - s) < 1e-6)!.c
    expect(at(fine, 6000)).toBeCloseTo(at(coarse, 6000), 9)
  })

  it('keeps the default cold room roughly cold for hours (600 s on / 900 s off ≈ 2.6 °C mean)', () => {
    // 40 % on: the mean equilibrium is 25 − 0.4 × 56 = 2.6 °C; each phase moves it about 2 K.
    const model = new ColdRoomModel({ doorOpeningsPerHour: 0 }, { startTempC: 4, compressorOn: false })
    const { temps } = run(model, new DutyCycle({ onSeconds: 600, offSeconds: 900 }, false), 6, 30)
    const settled = temps.filter((x) => x.atS >= 3 * 3600).map((x) => x.c)
    expect(Math.min(...settled)).toBeGreaterThan(0.5)
    expect(Math.max(...settled)).toBeLessThan(5)
    const mean = settled.reduce((a, b) => a + b, 0) / settled.length
    expect(mean).toBeGreaterThan(1.8)
    expect(mean).toBeLessThan(3.8)
    // Never anywhere near either equilibrium: it really cycles.
    expect(Math.max(...temps.map((x) => x.c))).toBeLessThan(6)
  })

  it('with door openings the room still stays within a few degrees', () => {
    const model = new ColdRoomModel({ seed: 7 }, { startTempC: 4, compressorOn: true })
    const { temps } = run(model, new DutyCycle({ onSeconds: 600, offSeconds: 900 }, true), 6, 60)
    expect(model.snapshot().doorOpenings).toBeGreaterThan(10)
    const cs = temps.map((x) => x.c)
    expect(Math.min(...cs)).toBeGreaterThan(0)
    expect(Math.max(...cs)).toBeLessThan(8)
  })

  it('reads the protocol command; a duty cycle without its durations is refused', () => {
    const base = { id: 'f1', issuedAt: 0, expiresAt: 1 }
    expect(failsafeFromCommand({ ...base, kind: 'failsafe.set', relay: 'valve', mode: 'off' })).toEqual({ mode: 'off' })
    expect(failsafeFromCommand({ ...base, kind: 'failsafe.set', relay: 'c', mode: 'duty', onSeconds: 5, offSeconds: 9 })).toEqual({
      mode: 'duty',
      onSeconds: 5,
      offSeconds: 9,
    })
    expect(failsafeFromCommand({ ...base, kind: 'failsafe.set', relay: 'c', mode: 'duty', onSeconds: 5 })).toBeNull()
  })
})

import { describe, expect, it } from 'vitest'
import { AccessDoorModel, type AccessDoorEvent } from './access-door.js'
import { mulberry32 } from './seeded-random.js'

const SEEDS = [1, 2, 60, 90_210]
const HOUR = 3600
const DAY = 86_400
const busy = { hourlySwipes: Array.from({ length: 24 }, (_, h) => (h >= 8 && h < 20 ? 30 : 0)), unknownCardShare: 0.2, retryShare: 0.1 }

function collect(m: AccessDoorModel, seed: number, totalS: number, maxDtS: number): AccessDoorEvent[] {
  const rnd = mulberry32(seed)
  const out: AccessDoorEvent[] = []
  while (m.elapsedS < totalS) out.push(...m.step(Math.min(totalS - m.elapsedS, rnd() * maxDtS)))
  return out
}

describe('access door (RFID reader + strike + door contact)', () => {
  it('opens only after a granted swipe, alternates open/close, never forced on its own', () => {
    for (const seed of SEEDS) {
      const m = new AccessDoorModel({ ...busy, seed })
      const events = collect(m, seed, 2 * DAY, 600)
      const doors = events.filter((e) => e.kind === 'door')
      const grants = events.filter((e) => e.kind === 'swipe' && e.granted).map((e) => e.atS)
      expect(doors.length).toBeGreaterThan(100)
      expect(events.some((e) => e.kind === 'swipe' && !e.granted)).toBe(true)
      let open = false
      for (const d of doors) {
        expect(d.open).toBe(!open)
        open = d.open
        if (!d.open) continue
        expect(d.forced).toBe(false)
        // A granted swipe 1–4 s before every opening.
        expect(grants.some((g) => d.atS - g >= 1 && d.atS - g <= 4)).toBe(true)
      }
      events.forEach((e, i) => i > 0 && expect(e.atS).toBeGreaterThanOrEqual((events[i - 1] as AccessDoorEvent).atS))
      expect(m.forcedCount).toBe(0)
      expect(m.openingCount).toBe(doors.filter((d) => d.open).length)
    }
  })

  it('the same seed gives the same swipes and door edges however time is sliced', () => {
    for (const seed of SEEDS) {
      const a = collect(new AccessDoorModel({ ...busy, seed }), seed, DAY, 120)
      const b = collect(new AccessDoorModel({ ...busy, seed }), seed + 3, DAY, 7_200)
      expect(b).toEqual(a)
    }
  })

  it('a door opened with no granted swipe in the unlock time is forced; right after a grant it is not', () => {
    const quiet = new AccessDoorModel({ hourlySwipes: Array(24).fill(0), seed: 1 })
    quiet.step(HOUR)
    expect(quiet.holdDoor(true)).toEqual({ atS: HOUR, kind: 'door', open: true, forced: true })
    quiet.step(180)
    expect(quiet.isOpen).toBe(true)
    expect(quiet.holdDoor(false)).toEqual({ atS: HOUR + 180, kind: 'door', open: false, forced: false })
    expect(quiet.forcedCount).toBe(1)

    // Busy door: hold it open just after each granted swipe, before the walk-through opens it.
    const m = new AccessDoorModel({ ...busy, seed: 5, startHour: 8 })
    let checked = 0
    while (checked < 20 && m.elapsedS < 12 * HOUR) {
      const events = m.step(0.5)
      if (!events.some((e) => e.kind === 'swipe' && e.granted) || m.isOpen) continue
      expect(m.holdDoor(true)?.forced).toBe(false)
      m.holdDoor(false)
      checked++
    }
    expect(checked).toBe(20)
    expect(m.forcedCount).toBe(0)
  })

  it('low night traffic never makes more than 8 swipes in a minute', () => {
    for (const seed of SEEDS) {
      const m = new AccessDoorModel({ hourlySwipes: [4, 4, 3, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 3, 4, 4], retryShare: 0.05, seed })
      const swipes = collect(m, seed, 30 * DAY, 3600).filter((e) => e.kind === 'swipe').map((e) => e.atS)
      let most = 0
      for (let i = 0, j = 0; i < swipes.length; i++) {
        while ((swipes[i] as number) - (swipes[j] as number) >= 60) j++
        most = Math.max(most, i - j + 1)
      }
      expect(most).toBeLessThanOrEqual(8)
    }
  })

  it('rejects nonsense', () => {
    expect(() => new AccessDoorModel({ unlockS: -1 })).toThrow(RangeError)
    expect(() => new AccessDoorModel({ walkOpenMeanS: 0 })).toThrow(RangeError)
    expect(() => new AccessDoorModel({ hourlySwipes: [1] })).toThrow(RangeError)
    expect(() => new AccessDoorModel().step(-1)).toThrow(RangeError)
  })
})

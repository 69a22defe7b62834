import { describe, expect, it } from 'vitest'
import { DoorContactModel, defaultDoorContactParams } from './door-contact.js'
import { mulberry32 } from './seeded-random.js'

const SEEDS = [1, 2, 50, 8_675_309]
const HOUR = 3600
const DAY = 86_400

function collect(m: DoorContactModel, seed: number, totalS: number, maxDtS: number) {
  const rnd = mulberry32(seed)
  const events: { atS: number; open: boolean }[] = []
  while (m.elapsedS < totalS) events.push(...m.step(Math.min(totalS - m.elapsedS, rnd() * maxDtS)))
  return events
}

describe('door contact model', () => {
  it('edges alternate open/close, in time order, and match the opening count and open time', () => {
    for (const seed of SEEDS) {
      const m = new DoorContactModel({ seed })
      const events = collect(m, seed, 3 * DAY, 900)
      expect(events.length).toBeGreaterThan(100)
      let open = false
      let openSince = 0
      let openSeconds = 0
      events.forEach((e, i) => {
        expect(e.open).toBe(!open)
        if (i > 0) expect(e.atS).toBeGreaterThan(events[i - 1]!.atS)
        if (e.open) openSince = e.atS
        else openSeconds += e.atS - openSince
        open = e.open
      })
      if (open) openSeconds += m.elapsedS - openSince
      expect(m.openingCount).toBe(events.filter((e) => e.open).length)
      expect(m.openSecondsTotal).toBeCloseTo(openSeconds, 6)
    }
  })

  it('opens only in hours with a non-zero profile, and the same seed gives the same edges however sliced', () => {
    for (const seed of SEEDS) {
      const a = collect(new DoorContactModel({ seed }), seed, 2 * DAY, 300)
      const b = collect(new DoorContactModel({ seed }), seed + 9, 2 * DAY, 5_000)
      expect(b).toEqual(a)
      for (const e of a.filter((x) => x.open)) {
        expect(defaultDoorContactParams.hourlyOpenings[Math.floor((e.atS % DAY) / HOUR)]).toBeGreaterThan(0)
      }
    }
    expect(collect(new DoorContactModel({ seed: 1 }), 1, DAY, 300)).not.toEqual(collect(new DoorContactModel({ seed: 2 }), 1, DAY, 300))
  })

  it('a propped door stays open through the schedule and closes when released', () => {
    const m = new DoorContactModel({ seed: 3, startHour: 10 })
    expect(m.propOpen(true)).toEqual({ atS: 0, open: true })
    const during = m.step(2 * HOUR)
    expect(during).toEqual([]) // scheduled openings and closings are hidden by the wedge
    expect(m.isOpen).toBe(true)
    expect(m.openSecondsTotal).toBe(2 * HOUR)
    const edge = m.propOpen(false)
    if (edge) expect(edge).toEqual({ atS: 2 * HOUR, open: false })
    else expect(m.isOpen).toBe(true) // released during a scheduled opening: it closes on schedule
  })

  it('rejects nonsense', () => {
    expect(() => new DoorContactModel({ hourlyOpenings: [1] })).toThrow(RangeError)
    expect(() => new DoorContactModel({ meanOpenS: 0 })).toThrow(RangeError)
    expect(() => new DoorContactModel().step(-1)).toThrow(RangeError)
  })
})

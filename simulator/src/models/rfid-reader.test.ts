import { describe, expect, it } from 'vitest'
import { RfidReaderModel, defaultRfidReaderParams, nightlifeSwipeProfile } from './rfid-reader.js'
import { mulberry32 } from './seeded-random.js'

const SEEDS = [1, 12, 345, 6_789]
const HOUR = 3600
const DAY = 86_400
const CARD_ID = /^[A-Za-z0-9]{4,64}$/

function collect(m: RfidReaderModel, seed: number, totalS: number, maxDtS: number) {
  const rnd = mulberry32(seed)
  const out = []
  while (m.elapsedS < totalS) out.push(...m.step(Math.min(totalS - m.elapsedS, rnd() * maxDtS)))
  return out
}

describe('RFID reader model', () => {
  it('the same seed gives the same swipes however time is sliced; another seed others', () => {
    for (const seed of SEEDS) {
      const a = collect(new RfidReaderModel({ seed }), seed, DAY, 60)
      expect(collect(new RfidReaderModel({ seed }), seed + 1, DAY, 7_200)).toEqual(a)
      expect(collect(new RfidReaderModel({ seed: seed + 1 }), seed, DAY, 60)).not.toEqual(a)
    }
  })

  it('swipes are ordered, valid UIDs, in open hours, with regulars more frequent and a few strangers and retries', () => {
    for (const seed of SEEDS) {
      const swipes = collect(new RfidReaderModel({ seed }), seed, 7 * DAY, 3_600)
      expect(swipes.length).toBeGreaterThan(1_000)
      const enrolled = new Set(defaultRfidReaderParams.cards.map((c) => c.cardId))
      const byCard = new Map<string, number>()
      let strangers = 0
      let retries = 0
      swipes.forEach((s, i) => {
        expect(s.cardId).toMatch(CARD_ID)
        if (i > 0) expect(s.atS).toBeGreaterThanOrEqual(swipes[i - 1]!.atS)
        expect(s.enrolled).toBe(enrolled.has(s.cardId))
        if (s.retry) {
          retries++
          expect(s.cardId).toBe(swipes[i - 1]!.cardId)
          expect(s.atS - swipes[i - 1]!.atS).toBeGreaterThanOrEqual(1.5)
          expect(s.atS - swipes[i - 1]!.atS).toBeLessThanOrEqual(4)
        } else {
          expect(nightlifeSwipeProfile[Math.floor((s.atS % DAY) / HOUR)]).toBeGreaterThan(0)
        }
        if (!s.enrolled) strangers++
        byCard.set(s.cardId, (byCard.get(s.cardId) ?? 0) + 1)
      })
      const share = strangers / swipes.length
      expect(share).toBeGreaterThan(0.02)
      expect(share).toBeLessThan(0.09)
      expect(retries).toBeGreaterThan(0)
      // Weight 3 against weight 1.
      expect(byCard.get('04A1B2C3D4')!).toBeGreaterThan(2 * byCard.get('04E5F60718')!)
    }
  })

  it('with no enrolled cards every swipe is a stranger; an all-zero profile never swipes', () => {
    const strangers = collect(new RfidReaderModel({ cards: [] }), 1, DAY, 600)
    expect(strangers.length).toBeGreaterThan(0)
    expect(strangers.every((s) => !s.enrolled)).toBe(true)
    const silent = new RfidReaderModel({ hourlySwipes: new Array<number>(24).fill(0) })
    expect(silent.step(30 * DAY)).toEqual([])
  })

  it('rejects nonsense', () => {
    expect(() => new RfidReaderModel({ cards: [{ cardId: 'a b' }] })).toThrow(RangeError)
    expect(() => new RfidReaderModel({ unknownCardShare: 2 })).toThrow(RangeError)
    expect(() => new RfidReaderModel({ hourlySwipes: [] })).toThrow(RangeError)
    expect(() => new RfidReaderModel().step(Number.POSITIVE_INFINITY)).toThrow(RangeError)
  })
})

import { hash01 } from './smooth-noise.js'
import { nextHourlyPoisson, validateHourlyProfile } from './hourly-poisson.js'
import { mulberry32 } from './seeded-random.js'

/**
 * An RFID reader at a door or a bar counter, generating card swipes from a seed.
 *
 * Swipes follow an hourly profile (non-homogeneous Poisson). Each swipe presents a
 * known card, picked by weight (regulars swipe more), or, with probability
 * `unknownCardShare`, a card nobody enrolled (a fresh random UID, or a returning stranger).
 * People who get no answer swipe again: with probability `retryShare` the same card is
 * presented again 1.5–4 s later, which is what debouncing on the gateway must handle.
 */
export interface RfidCard {
  /** UID as the reader prints it: 4–64 hex/alphanumeric characters. */
  cardId: string
  /** Relative swipe frequency, default 1. */
  weight?: number
}

export interface RfidReaderParams {
  cards: readonly RfidCard[]
  /** Mean swipes per hour for each hour of the day, 24 entries. */
  hourlySwipes: readonly number[]
  /** Share of swipes made with an unenrolled card. */
  unknownCardShare: number
  /** Share of swipes followed by a retry of the same card. */
  retryShare: number
  startHour: number
  seed: number
}

/** A bar: quiet in the afternoon, busy 22:00–03:00. */
export const nightlifeSwipeProfile: readonly number[] = Object.freeze([
  40, 35, 25, 10, 2, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 3, 5, 8, 12, 20, 35, 45,
])

export const defaultRfidReaderParams: Readonly<RfidReaderParams> = Object.freeze({
  cards: Object.freeze([
    { cardId: '04A1B2C3D4', weight: 3 },
    { cardId: '04E5F60718', weight: 1 },
    { cardId: '04293A4B5C', weight: 1 },
  ]),
  hourlySwipes: nightlifeSwipeProfile,
  unknownCardShare: 0.05,
  retryShare: 0.03,
  startHour: 0,
  seed: 1,
})

export interface RfidSwipe {
  atS: number
  cardId: string
  /** Whether the card is in `cards` (handy for tests and scenario checks). */
  enrolled: boolean
  /** A repeat of the previous swipe a few seconds later. */
  retry: boolean
}

const CARD_ID = /^[A-Za-z0-9]{4,64}$/

export class RfidReaderModel {
  readonly params: Readonly<RfidReaderParams>
  private readonly random: () => number
  private readonly totalWeight: number
  private elapsed = 0
  private next: RfidSwipe
  private swipes = 0

  constructor(params: Partial<RfidReaderParams> = {}) {
    this.params = Object.freeze({ ...defaultRfidReaderParams, ...params })
    const p = this.params
    validateHourlyProfile(p.hourlySwipes, 'rfid reader')
    for (const card of p.cards) {
      if (!CARD_ID.test(card.cardId)) throw new RangeError(`rfid reader: bad card id ${card.cardId}`)
      if (!((card.weight ?? 1) >= 0)) throw new RangeError(`rfid reader: card ${card.cardId} weight must be >= 0`)
    }
    if (!(p.unknownCardShare >= 0 && p.unknownCardShare <= 1) || !(p.retryShare >= 0 && p.retryShare < 1)) {
      throw new RangeError('rfid reader: unknownCardShare in 0..1, retryShare in 0..<1')
    }
    this.totalWeight = p.cards.reduce((sum, c) => sum + (c.weight ?? 1), 0)
    this.random = mulberry32(p.seed)
    this.next = this.drawSwipe(0)
  }

  get elapsedS(): number {
    return this.elapsed
  }

  get swipeCount(): number {
    return this.swipes
  }

  /** Advance `dtS`; returns the swipes that happened, in order. */
  step(dtS: number): RfidSwipe[] {
    if (!(dtS >= 0) || !Number.isFinite(dtS)) throw new RangeError(`rfid reader: step needs a finite dt >= 0, got ${dtS}`)
    const end = this.elapsed + dtS
    const out: RfidSwipe[] = []
    while (this.next.atS <= end) {
      const swipe = this.next
      out.push(swipe)
      this.swipes++
      this.next =
        !swipe.retry && this.random() < this.params.retryShare
          ? { ...swipe, atS: swipe.atS + 1.5 + 2.5 * this.random(), retry: true }
          : this.drawSwipe(swipe.atS)
    }
    this.elapsed = end
    return out
  }

  private drawSwipe(fromS: number): RfidSwipe {
    const p = this.params
    const atS = nextHourlyPoisson(this.random, p.hourlySwipes, p.startHour, fromS)
    if (this.totalWeight === 0 || this.random() < p.unknownCardShare) {
      // Strangers come from a pool of 1,000 UIDs, so some of them come back.
      const stranger = Math.floor(this.random() * 1_000)
      const uid = Math.floor(hash01(p.seed, stranger) * 0xffffffff)
      const cardId = `08${uid.toString(16).toUpperCase().padStart(8, '0')}`
      return { atS, cardId, enrolled: p.cards.some((c) => c.cardId === cardId), retry: false }
    }
    let pick = this.random() * this.totalWeight
    for (const card of p.cards) {
      pick -= card.weight ?? 1
      if (pick < 0) return { atS, cardId: card.cardId, enrolled: true, retry: false }
    }
    return { atS, cardId: p.cards.at(-1)!.cardId, enrolled: true, retry: false }
  }
}

import { mulberry32 } from './seeded-random.js'

/**
 * Rain over a site: the one cause a rain gauge reads and the soil soaks up.
 *
 * The rate is piecewise constant: seeded Poisson showers (random start, duration and
 * intensity, drawn lazily in time order, so the whole sequence is fixed by the seed however
 * time is sliced) plus showers started and stopped by hand (`setShower`, a scheduled
 * scenario event). The two add up. Because the rate is a step function, every integral is
 * exact: `totalMm` since the start and `last24hMm`, the rolling day a rain gauge reports.
 *
 * Composed models read it as a function of time (`rateAt`, `nextChangeAfter`, `mmBetween`)
 * on the same clock as its own `step`, which only moves the present forward.
 */
export interface RainParams {
  /** Mean random showers per day (Poisson); 0 = it rains only when told to. */
  showersPerDay: number
  /** Mean shower intensity, mm/h (each shower 0.2–2.5 × this). */
  meanMmPerH: number
  /** Mean shower duration, s (each 0.25–1.75 × this). */
  meanDurationS: number
  seed: number
}

export const defaultRainParams: Readonly<RainParams> = Object.freeze({
  showersPerDay: 0.3, // 1/day
  meanMmPerH: 4, // mm/h
  meanDurationS: 2 * 3600, // s
  seed: 1,
})

/** A constant-rate interval [startS, endS). */
interface Spell {
  startS: number
  endS: number
  mmPerH: number
}

const DAY_S = 86_400
/** Spells that ended this long before the present are forgotten (the gauge looks back one day). */
const KEEP_S = 2 * DAY_S

export class RainModel {
  readonly params: Readonly<RainParams>
  private readonly random: () => number
  private elapsed = 0
  /** Random showers drawn so far, in order; the last one is always in the future or open. */
  private random_: Spell[] = []
  /** Showers started by hand; the last may still be open (endS = Infinity). */
  private manual: Spell[] = []
  /** Rain fallen in spells already forgotten, mm. */
  private forgottenMm = 0

  constructor(params: Partial<RainParams> = {}) {
    this.params = Object.freeze({ ...defaultRainParams, ...params })
    const p = this.params
    for (const key of ['meanMmPerH', 'meanDurationS'] as const) {
      if (!(p[key] > 0 && Number.isFinite(p[key]))) throw new RangeError(`rain: ${key} must be > 0`)
    }
    if (!(p.showersPerDay >= 0 && Number.isFinite(p.showersPerDay))) throw new RangeError('rain: showersPerDay must be >= 0')
    // Same stream and draw order the soil model used for its own showers, so a soil model
    // that now reads its rain from here replays exactly as before.
    this.random = mulberry32((p.seed ^ 0x2545f491) >>> 0)
    this.drawShower(0)
  }

  get elapsedS(): number {
    return this.elapsed
  }

  /** Rain rate now, mm/h. */
  get rateMmPerH(): number {
    return this.rateAt(this.elapsed)
  }

  get raining(): boolean {
    return this.rateMmPerH > 0
  }

  /** Rain fallen since t = 0, mm. */
  get totalMm(): number {
    return this.forgottenMm + this.mmBetween(0, this.elapsed)
  }

  /** Rain fallen over the last 24 h (less at the start), mm: what a gauge's daily total shows. */
  get last24hMm(): number {
    return this.mmBetween(Math.max(0, this.elapsed - DAY_S), this.elapsed)
  }

  /**
   * Start (mmPerH > 0) or stop (0) the hand-made shower, from now on. The random showers
   * carry on underneath.
   */
  setShower(mmPerH: number): void {
    if (!(mmPerH >= 0 && Number.isFinite(mmPerH))) throw new RangeError('rain: shower rate must be a finite mm/h >= 0')
    const open = this.manual.at(-1)
    if (open && open.endS === Number.POSITIVE_INFINITY) {
      open.endS = this.elapsed
      if (open.endS <= open.startS) this.manual.pop()
    }
    if (mmPerH > 0) this.manual.push({ startS: this.elapsed, endS: Number.POSITIVE_INFINITY, mmPerH })
  }

  /** Rate at time `tS` (not before what has been forgotten), mm/h. */
  rateAt(tS: number): number {
    this.drawUntil(tS)
    let rate = 0
    for (const list of [this.random_, this.manual]) {
      for (const s of list) if (s.startS <= tS && tS < s.endS) rate += s.mmPerH
    }
    return rate
  }

  /** The first time after `tS` at which the rate changes (Infinity if never). */
  nextChangeAfter(tS: number): number {
    this.drawUntil(tS)
    let next = Number.POSITIVE_INFINITY
    for (const list of [this.random_, this.manual]) {
      for (const s of list) {
        if (s.startS > tS) next = Math.min(next, s.startS)
        else if (s.endS > tS) next = Math.min(next, s.endS)
      }
    }
    return next
  }

  /** Exact rain between `fromS` and `toS`, mm. */
  mmBetween(fromS: number, toS: number): number {
    if (!(toS >= fromS)) throw new RangeError('rain: mmBetween needs fromS <= toS')
    this.drawUntil(toS)
    let mm = 0
    for (const list of [this.random_, this.manual]) {
      for (const s of list) {
        const overlap = Math.min(toS, s.endS) - Math.max(fromS, s.startS)
        if (overlap > 0) mm += (s.mmPerH * overlap) / 3600
      }
    }
    return mm
  }

  step(dtS: number): void {
    if (!(dtS >= 0) || !Number.isFinite(dtS)) throw new RangeError(`rain: step needs a finite dt >= 0, got ${dtS}`)
    this.elapsed += dtS
    this.drawUntil(this.elapsed)
    this.forget()
  }

  /** Draw random showers until one starts after `tS`. */
  private drawUntil(tS: number): void {
    let last = this.random_.at(-1)
    while (last && last.startS <= tS && Number.isFinite(last.endS)) {
      this.drawShower(last.endS)
      last = this.random_.at(-1)
    }
  }

  /** The next random shower after a dry spell that begins at `fromS`. */
  private drawShower(fromS: number): void {
    const p = this.params
    if (p.showersPerDay === 0) return
    const startS = fromS + (-Math.log(1 - this.random()) * DAY_S) / p.showersPerDay
    const mmPerH = p.meanMmPerH * (0.2 + 2.3 * this.random())
    const endS = startS + p.meanDurationS * (0.25 + 1.5 * this.random())
    this.random_.push({ startS, endS, mmPerH })
  }

  private forget(): void {
    const horizon = this.elapsed - KEEP_S
    for (const list of [this.random_, this.manual]) {
      while (list.length > 1 && (list[0] as Spell).endS < horizon) {
        const s = list.shift() as Spell
        this.forgottenMm += (s.mmPerH * (s.endS - s.startS)) / 3600
      }
    }
  }
}

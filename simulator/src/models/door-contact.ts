import { hourOfDayIndex, nextHourlyPoisson, validateHourlyProfile } from './hourly-poisson.js'
import { mulberry32 } from './seeded-random.js'

/**
 * A reed-switch door contact (shop door, fridge door, back door) driven by a seeded
 * schedule: openings follow an hourly profile (non-homogeneous Poisson), each lasting
 * 0.5–1.5 × the mean. `propOpen` models a door wedged open (the "door left open" alarm
 * demo): it stays open until released, and the schedule carries on afterwards.
 */
export interface DoorContactParams {
  /** Mean openings per hour for each hour of the day, 24 entries. */
  hourlyOpenings: readonly number[]
  /** Mean time open per opening, s. */
  meanOpenS: number
  startHour: number
  seed: number
}

export const defaultDoorContactParams: Readonly<DoorContactParams> = Object.freeze({
  hourlyOpenings: Object.freeze([0, 0, 0, 0, 0, 0, 0, 1, 4, 8, 10, 12, 12, 10, 8, 8, 10, 12, 12, 10, 6, 1, 0, 0]),
  meanOpenS: 8, // s
  startHour: 0, // h
  seed: 1,
})

export interface DoorContactEvent {
  /** Simulated time, s. */
  atS: number
  open: boolean
}

export class DoorContactModel {
  readonly params: Readonly<DoorContactParams>
  private readonly random: () => number
  private elapsed = 0
  private scheduledOpen = false
  private propped = false
  private nextAt: number
  private openings = 0
  private openSeconds = 0

  constructor(params: Partial<DoorContactParams> = {}) {
    this.params = Object.freeze({ ...defaultDoorContactParams, ...params })
    validateHourlyProfile(this.params.hourlyOpenings, 'door contact')
    if (!(this.params.meanOpenS > 0)) throw new RangeError('door contact: meanOpenS must be > 0')
    this.random = mulberry32(this.params.seed)
    this.nextAt = this.nextOpening(0)
  }

  get isOpen(): boolean {
    return this.scheduledOpen || this.propped
  }

  get elapsedS(): number {
    return this.elapsed
  }

  /** Openings seen by the contact (a scheduled opening while propped open is not a new one). */
  get openingCount(): number {
    return this.openings
  }

  /** Cumulative seconds the contact has read open. */
  get openSecondsTotal(): number {
    return this.openSeconds
  }

  hourOfDay(tS = this.elapsed): number {
    return hourOfDayIndex(this.params.startHour, tS)
  }

  /** Wedge the door open (true) or release it (false); returns the edge it caused, if any. */
  propOpen(on: boolean): DoorContactEvent | undefined {
    const was = this.isOpen
    this.propped = on
    if (this.isOpen === was) return undefined
    if (this.isOpen) this.openings++
    return { atS: this.elapsed, open: this.isOpen }
  }

  /** Advance `dtS`; returns the contact's edges in order. */
  step(dtS: number): DoorContactEvent[] {
    if (!(dtS >= 0) || !Number.isFinite(dtS)) throw new RangeError(`door contact: step needs a finite dt >= 0, got ${dtS}`)
    const events: DoorContactEvent[] = []
    const end = this.elapsed + dtS
    while (this.elapsed < end) {
      const boundary = Math.min(end, this.nextAt)
      if (this.isOpen) this.openSeconds += boundary - this.elapsed
      this.elapsed = boundary
      if (boundary !== this.nextAt) continue
      const was = this.isOpen
      this.scheduledOpen = !this.scheduledOpen
      this.nextAt = this.scheduledOpen
        ? boundary + this.params.meanOpenS * (0.5 + this.random())
        : this.nextOpening(boundary)
      if (this.isOpen !== was) {
        if (this.isOpen) this.openings++
        events.push({ atS: boundary, open: this.isOpen })
      }
    }
    return events
  }

  private nextOpening(fromS: number): number {
    return nextHourlyPoisson(this.random, this.params.hourlyOpenings, this.params.startHour, fromS)
  }
}

import { mulberry32 } from './seeded-random.js'

export interface DoorScheduleOptions {
  /** Mean openings per hour of closed-door time; 0 disables openings. */
  openingsPerHour: number
  /** Mean time the door stays open, s. Each opening lasts 0.5–1.5 × this. */
  meanOpenS: number
  seed: number
}

/**
 * Door openings as a Poisson process in simulated time: the closed interval is
 * exponential with mean 3600 / openingsPerHour s. Everything is drawn from one seeded
 * PRNG in a fixed order, so a seed fixes the whole schedule, independent of how the
 * caller slices time into steps.
 */
export class DoorSchedule {
  private readonly random: () => number
  private open = false
  /** Simulated time (s) of the next open/close transition. */
  private nextAt: number

  constructor(private readonly options: DoorScheduleOptions, startS = 0) {
    if (!(options.openingsPerHour >= 0) || !(options.meanOpenS > 0)) {
      throw new RangeError('door schedule needs openingsPerHour >= 0 and meanOpenS > 0')
    }
    this.random = mulberry32(options.seed)
    this.nextAt = startS + this.closedInterval()
  }

  get isOpen(): boolean {
    return this.open
  }

  get nextTransitionAt(): number {
    return this.nextAt
  }

  /** Flip the door at `nextTransitionAt` and draw the following transition. */
  transition(): void {
    const at = this.nextAt
    this.open = !this.open
    this.nextAt = at + (this.open ? this.openInterval() : this.closedInterval())
  }

  private closedInterval(): number {
    if (this.options.openingsPerHour === 0) return Number.POSITIVE_INFINITY
    // 1 - u keeps the argument of log in (0, 1], so the interval is finite.
    return (-Math.log(1 - this.random()) * 3600) / this.options.openingsPerHour
  }

  private openInterval(): number {
    return this.options.meanOpenS * (0.5 + this.random())
  }
}

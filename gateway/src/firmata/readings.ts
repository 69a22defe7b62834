import type { FirmataSensorConfig } from './schema.js'
import { FIRMATA_DEFAULTS } from './schema.js'

/** The value a raw ADC count is logged as: `raw * scale + offset`, rounded to `decimals` if set. */
export function scaleReading(raw: number, spec: Pick<FirmataSensorConfig, 'scale' | 'offset' | 'decimals'>): number {
  const value = raw * (spec.scale ?? 1) + (spec.offset ?? 0)
  if (spec.decimals === undefined) return value
  const f = 10 ** spec.decimals
  // Math.round alone turns 0.1 * 3 into 0.30000000000000004 / 10 noise; go through the integer.
  return Math.round(value * f) / f
}

/**
 * Which window readings reach the log: a change of more than `threshold` since the last
 * logged value, or any value once `heartbeatMs` has passed without one. A steady sensor
 * then costs one event a minute instead of one a second, and still never looks stale.
 */
export class ReadingFilter {
  private last: { value: number; at: number } | undefined

  constructor(private readonly spec: Pick<FirmataSensorConfig, 'threshold' | 'heartbeatMs'>) {}

  /** True when `value` should be logged now (and is remembered as the last logged one). */
  accept(value: number, now: number): boolean {
    const last = this.last
    const threshold = this.spec.threshold ?? 0
    const heartbeat = this.spec.heartbeatMs ?? FIRMATA_DEFAULTS.heartbeatMs
    if (last && Math.abs(value - last.value) <= threshold && now - last.at < heartbeat) return false
    this.last = { value, at: now }
    return true
  }

  /** After a reconnect the first reading is logged whatever it is: the gap needs an end. */
  reset(): void {
    this.last = undefined
  }
}

/** What a digital input reports: true for HIGH, or for LOW when `invert` is set. */
export function inputValue(level: number, invert = false): boolean {
  return (level !== 0) !== invert
}

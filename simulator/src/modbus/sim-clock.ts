/**
 * Simulated seconds since the device started. Devices read it on every request, so a
 * test can hand in a manual clock and step time exactly, and a demo runs wall time × speed.
 */
export type SimClock = () => number

export function wallClock(speed = 1, now: () => number = Date.now): SimClock {
  if (!(speed > 0) || !Number.isFinite(speed)) throw new RangeError(`speed must be a finite number > 0, got ${speed}`)
  const start = now()
  return () => ((now() - start) / 1000) * speed
}

/** A clock the caller moves by hand: `clock.advance(60)` is a simulated minute. */
export interface ManualClock extends SimClock {
  advance(seconds: number): void
  set(seconds: number): void
}

export function manualClock(startS = 0): ManualClock {
  let t = startS
  const clock = (() => t) as ManualClock
  clock.advance = (s) => {
    if (!(s >= 0)) throw new RangeError('time only moves forward')
    t += s
  }
  clock.set = (s) => {
    if (!(s >= t)) throw new RangeError('time only moves forward')
    t = s
  }
  return clock
}

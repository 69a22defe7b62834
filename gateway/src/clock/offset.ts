/**
 * Offset estimation from one request/answer exchange with a trusted clock (the cloud),
 * the way NTP does it with a single server: assume the answer was stamped halfway
 * through the round trip. The error is then at most half the round trip, so samples
 * with a long round trip are refused rather than trusted.
 */

export interface TimeSample {
  /** The trusted clock's time (epoch ms) when it answered. */
  serverTime: number
  /** Round trip of the exchange on the monotonic clock (ms). */
  rttMs: number
  /** The gateway's system clock (epoch ms) when the answer arrived. */
  systemAtReceive: number
}

export interface OffsetEstimate {
  /** Add this to the system clock to get the trusted clock's time (ms, rounded). */
  offsetMs: number
  rttMs: number
  /** Worst-case error of the estimate: half the round trip. */
  errorMs: number
}

/** The estimate, or a reason it cannot be trusted. */
export function estimateOffset(sample: TimeSample, maxRttMs: number): OffsetEstimate | { refused: string } {
  const { serverTime, rttMs, systemAtReceive } = sample
  if (!Number.isFinite(serverTime) || serverTime <= 0) return { refused: `serverTime ${serverTime} is not an epoch time` }
  if (!Number.isFinite(rttMs) || rttMs < 0) return { refused: `round trip ${rttMs} ms is not a duration` }
  if (rttMs > maxRttMs) return { refused: `round trip ${Math.round(rttMs)} ms is over ${maxRttMs} ms` }
  const systemAtMidpoint = systemAtReceive - rttMs / 2
  return { offsetMs: Math.round(serverTime - systemAtMidpoint), rttMs, errorMs: rttMs / 2 }
}

/**
 * Keeps the last few accepted estimates and answers with the one of the shortest round
 * trip: queueing delay only ever adds to a round trip, so the fastest exchange is the
 * most symmetric one (NTP's clock filter, simplified).
 */
export class OffsetFilter {
  private samples: OffsetEstimate[] = []

  constructor(private readonly size = 8) {}

  add(estimate: OffsetEstimate): OffsetEstimate {
    this.samples.push(estimate)
    if (this.samples.length > this.size) this.samples.shift()
    return this.best()!
  }

  best(): OffsetEstimate | undefined {
    let best: OffsetEstimate | undefined
    for (const s of this.samples) if (!best || s.rttMs < best.rttMs) best = s
    return best
  }

  /** The system clock stepped by `stepMs`: every kept offset is off by that much. */
  shift(stepMs: number): void {
    this.samples = this.samples.map((s) => ({ ...s, offsetMs: s.offsetMs - stepMs }))
  }
}

/**
 * The offset the gateway applies, given the one it applies now and a new estimate:
 * a system clock within `thresholdMs` of the trusted one is left alone (its own NTP
 * slewing beats our millisecond jitter), and an applied offset only moves when the new
 * estimate differs from it by more than the threshold, so the gateway's time does not
 * wobble with every sample.
 */
export function nextOffset(applied: number, estimate: number, thresholdMs: number): number {
  if (Math.abs(estimate - applied) <= thresholdMs) return applied
  return Math.abs(estimate) <= thresholdMs ? 0 : estimate
}

/**
 * The claim route is public, so it is rate-limited per client address, in memory, like
 * the login (auth/guard.ts): enough for a technician claiming a few gateways from one
 * shop, far too few to walk the code space. One instance's view; N instances give N
 * times the rate, which the code space still makes harmless.
 */
export interface ClaimGuardOptions {
  /** Attempts per address in any window. */
  perWindow: number
  windowMs: number
}

export const DEFAULT_CLAIM_GUARD: ClaimGuardOptions = { perWindow: 10, windowMs: 60_000 }

/** Addresses remembered at most; beyond it the oldest are forgotten (memory stays bounded). */
const MAX_ADDRESSES = 100_000

export class ClaimGuard {
  private readonly hits = new Map<string, number[]>()

  constructor(readonly options: ClaimGuardOptions = DEFAULT_CLAIM_GUARD) {}

  /** Counts an attempt; returns how long to wait when the address is over its rate, else 0. */
  attempt(ip: string, now: number): number {
    const { perWindow, windowMs } = this.options
    const recent = (this.hits.get(ip) ?? []).filter((t) => t > now - windowMs)
    this.hits.delete(ip)
    if (recent.length >= perWindow) {
      this.hits.set(ip, recent)
      return recent[0]! + windowMs - now
    }
    recent.push(now)
    this.hits.set(ip, recent)
    if (this.hits.size > MAX_ADDRESSES) this.hits.delete(this.hits.keys().next().value as string)
    return 0
  }
}

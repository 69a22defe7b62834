/**
 * Exponential backoff with full jitter for retries towards a peer that is down (the
 * cloud, InfluxDB): after an outage, many gateways and sinks do not retry in step. The
 * floor of half the base keeps a retry from spinning.
 */
export function jitteredBackoff(failures: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  const exp = Math.min(capMs, baseMs * 2 ** Math.min(Math.max(failures, 1) - 1, 16))
  return Math.max(baseMs / 2, random() * exp)
}

/** A sleep that `wake()` can cut short, so a loop between retries stops at once on shutdown. */
export class WakeableSleep {
  private wakeNow: (() => void) | undefined

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms)
      const self = this
      function done() {
        clearTimeout(timer)
        if (self.wakeNow === done) self.wakeNow = undefined
        resolve()
      }
      this.wakeNow = done
    })
  }

  wake(): void {
    this.wakeNow?.()
  }
}

import { pino, type Logger } from 'pino'
import { WakeableSleep, jitteredBackoff } from '../backoff.js'
import { GatewayError } from '../errors.js'
import { OffsetFilter, estimateOffset, nextOffset } from './offset.js'
import { fetchCloudTime, systemNtpStatus, type NtpStatus } from './sources.js'

/**
 * GATEWAY_CLOCK: `auto` trusts the cloud or NTP, whichever vouches first; `trusted`
 * assumes the system clock is right (the old GATEWAY_CLOCK_SYNCED=true); `cloud` and
 * `ntp` use only that source. `simulated` runs on the accelerated clock of
 * TENDERO_SIM_TIME (demos and tests, @tendero/protocol sim-time.ts): `systemNow` is that
 * clock, trusted as it is, and the cloud's time is ignored.
 */
export const CLOCK_MODES = ['auto', 'trusted', 'cloud', 'ntp', 'simulated'] as const
export type ClockMode = (typeof CLOCK_MODES)[number]
export type ClockSource = 'trusted' | 'cloud' | 'ntp' | 'simulated'

/** This boot's monotonic clock tied to true wall time, taken when the clock synced. */
export interface SyncAnchor {
  wallMs: number
  monoMs: number
}

export interface ClockStatus {
  mode: ClockMode
  /** Whether events are stamped `clockSynced`; once true it stays true for this boot. */
  synced: boolean
  /** What vouched for the clock; null while unsynced. */
  source: ClockSource | null
  /** Added to the system clock; non-zero only when the cloud found it off by more than the threshold. */
  offsetMs: number
  /** When the last time sample was accepted (gateway time), from the cloud or NTP. */
  lastSampleAt: number | null
  /** Round trip of the cloud sample the offset comes from. */
  rttMs: number | null
  syncedAt: number | null
  /** Why the last cloud time request failed; null after a success. */
  lastError: string | null
}

export interface ClockOptions {
  mode: ClockMode
  /** The system's wall clock (epoch ms). */
  systemNow?: () => number
  /** Monotonic ms since this process began; the log stamps the same clock on every event. */
  monoNow?: () => number
  logger?: Logger
  /** `GET <url>/api/time`; without it the cloud is a source only through uplink acks. */
  cloud?: { url: string; gatewayKey: string }
  fetch?: typeof fetch
  ntpStatus?: () => Promise<NtpStatus>
  /** A system clock within this of the cloud's is left as it is (ms). */
  thresholdMs?: number
  /** Cloud samples with a longer round trip are refused; the error is at most half of it (ms). */
  maxRttMs?: number
  /** Retry pacing of `GET /api/time` while unsynced (ms, jittered exponential). */
  cloudRetryBaseMs?: number
  cloudRetryCapMs?: number
  /** Once synced by the cloud, how often to sample again to follow drift (ms). */
  resyncMs?: number
  /** NTP status poll while NTP has not vouched (ms); slower (×6) when no status is available. */
  ntpPollMs?: number
  /** NTP status poll once it has vouched (ms). */
  ntpRecheckMs?: number
  /** On-demand samples (before an uplink batch) no more often than this (ms). */
  minSampleGapMs?: number
}

type Resolved = Required<Omit<ClockOptions, 'cloud' | 'logger'>> & Pick<ClockOptions, 'cloud'>

/**
 * The wall time the gateway stamps with: the system clock, plus an offset learned from
 * the cloud when the system clock is off by more than a small threshold (a gateway
 * without a real-time clock boots in the past). `synced()` says whether anything has
 * vouched for it yet; until then events are flagged, and `onSynced` listeners
 * re-stamp them (restamp.ts).
 *
 * The offset is relative to the system clock, so a later step of the system clock
 * (NTP finally syncing, someone running `date -s`) would double-count. Steps show up
 * as a change of `system − monotonic`, which is constant otherwise (on Linux both
 * clocks are slewed alike); such a step is taken out of the offset at once.
 */
export class GatewayClock {
  private readonly o: Resolved
  private readonly logger: Logger
  private offset = 0
  private source: ClockSource | null = null
  private anchor: SyncAnchor | null = null
  private syncedAt: number | null = null
  private lastSampleAt: number | null = null
  private lastSampleMono = -Infinity
  /** When the cloud last answered without a usable time (no route, bad body, slow): not asked again on demand for a while. */
  private lastUnusableMono = -Infinity
  private rttMs: number | null = null
  private lastError: string | null = null
  /** `system − monotonic` when the cloud offset was last set. */
  private reference: number | undefined
  /** The last NTP probe said synced: in `auto` the system clock then needs no offset. */
  private ntpSynced = false
  private ntpUnavailableWarned = false
  private readonly filter = new OffsetFilter()
  private readonly listeners: ((anchor: SyncAnchor) => void)[] = []
  private running = false
  private loops: Promise<void>[] = []
  private readonly cloudPause = new WakeableSleep()
  private readonly ntpPause = new WakeableSleep()
  private inflight: Promise<boolean> | undefined
  private abort = new AbortController()

  constructor(options: ClockOptions) {
    this.o = {
      systemNow: Date.now,
      monoNow: () => performance.now(),
      fetch: globalThis.fetch,
      ntpStatus: () => systemNtpStatus(),
      thresholdMs: 1000,
      // Error ≤ 2.5 s: far better than an unsynced clock hours off, and a slow mobile link still syncs.
      maxRttMs: 5000,
      cloudRetryBaseMs: 2000,
      cloudRetryCapMs: 60_000,
      resyncMs: 15 * 60_000,
      ntpPollMs: 10_000,
      ntpRecheckMs: 5 * 60_000,
      minSampleGapMs: 2000,
      ...options,
    }
    this.logger = options.logger ?? pino({ level: 'silent' })
    if (this.o.mode === 'trusted' || this.o.mode === 'simulated') {
      this.source = this.o.mode
      this.syncedAt = this.o.systemNow()
    }
  }

  /** Wall time, epoch ms. */
  now(): number {
    const system = this.o.systemNow()
    if (this.source === 'cloud' && this.reference !== undefined) {
      const step = system - this.o.monoNow() - this.reference
      if (Math.abs(step) > this.o.thresholdMs) this.systemClockStepped(step)
    }
    return system + this.offset
  }

  monoNow(): number {
    return this.o.monoNow()
  }

  synced(): boolean {
    return this.source !== null
  }

  /** Where this boot's monotonic clock meets true time; null until synced (and in `trusted` mode). */
  syncAnchor(): SyncAnchor | null {
    return this.anchor
  }

  /** Called once, when the clock becomes synced. */
  onSynced(listener: (anchor: SyncAnchor) => void): void {
    this.listeners.push(listener)
  }

  status(): ClockStatus {
    return {
      mode: this.o.mode,
      synced: this.synced(),
      source: this.source,
      offsetMs: this.offset,
      lastSampleAt: this.lastSampleAt,
      rttMs: this.rttMs,
      syncedAt: this.syncedAt,
      lastError: this.lastError,
    }
  }

  /**
   * A time sample from an uplink ack: the cloud's `serverTime` and the request's round
   * trip, handed over as soon as the answer arrived. Returns whether it was used.
   */
  offerAck(serverTime: number | undefined, rttMs: number): boolean {
    if (serverTime === undefined) return false
    return this.offer(serverTime, rttMs, 'ack')
  }

  /** Asks the cloud for its time now (one request at a time). Resolves with whether it was used. */
  sampleCloud(): Promise<boolean> {
    if (!this.o.cloud || !this.cloudCounts()) return Promise.resolve(false)
    this.inflight ??= this.requestCloudTime().finally(() => {
      this.inflight = undefined
    })
    return this.inflight
  }

  /**
   * For the uplink, before it sends events recorded unsynced: one cloud sample unless
   * synced already. A cloud that is down costs one failed connect per uplink retry,
   * paced by the uplink's backoff; one that answers without a usable time (an older
   * cloud without the route) is not asked again on demand for `minSampleGapMs`, so it
   * does not get two requests per batch. Resolves with `synced()`.
   */
  async trySync(): Promise<boolean> {
    if (this.synced()) return true
    if (!this.inflight && this.o.monoNow() - this.lastUnusableMono < this.o.minSampleGapMs) return false
    await this.sampleCloud()
    return this.synced()
  }

  start(): void {
    if (this.running || this.o.mode === 'trusted' || this.o.mode === 'simulated') return
    this.running = true
    if (this.o.mode !== 'ntp' && this.o.cloud) this.loops.push(this.cloudLoop())
    if (this.o.mode !== 'cloud') this.loops.push(this.ntpLoop())
  }

  async stop(): Promise<void> {
    this.running = false
    this.abort.abort()
    this.cloudPause.wake()
    this.ntpPause.wake()
    await Promise.all(this.loops)
    await this.inflight
    this.loops = []
    this.abort = new AbortController()
  }

  /** In `auto`, NTP vouching for the system clock outranks the cloud's estimate. */
  private cloudCounts(): boolean {
    return (this.o.mode === 'auto' && !this.ntpSynced) || this.o.mode === 'cloud'
  }

  private async requestCloudTime(): Promise<boolean> {
    const { cloud } = this.o
    const started = this.o.monoNow()
    let serverTime: number
    try {
      serverTime = await fetchCloudTime({
        cloudUrl: cloud!.url,
        gatewayKey: cloud!.gatewayKey,
        fetch: this.o.fetch,
        // Past maxRttMs the answer would be refused anyway.
        signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.o.maxRttMs + 500)]),
      })
    } catch (err) {
      this.lastError = (err as Error).message
      if (err instanceof GatewayError) this.lastUnusableMono = this.o.monoNow()
      this.logger.debug({ err: this.lastError }, 'cloud time sample failed')
      return false
    }
    this.lastError = null
    const used = this.offer(serverTime, this.o.monoNow() - started, 'time')
    if (!used) this.lastUnusableMono = this.o.monoNow()
    return used
  }

  private offer(serverTime: number, rttMs: number, via: 'time' | 'ack'): boolean {
    if (!this.cloudCounts()) return false
    const system = this.o.systemNow()
    const estimate = estimateOffset({ serverTime, rttMs, systemAtReceive: system }, this.o.maxRttMs)
    if ('refused' in estimate) {
      this.logger.debug({ via, reason: estimate.refused }, 'cloud time sample refused')
      return false
    }
    const best = this.filter.add(estimate)
    const before = this.offset
    this.offset = nextOffset(this.offset, best.offsetMs, this.o.thresholdMs)
    this.reference = system - this.o.monoNow()
    this.lastSampleMono = this.o.monoNow()
    this.lastSampleAt = system + this.offset
    this.rttMs = Math.round(best.rttMs)
    if (this.source !== null && this.offset !== before)
      this.logger.info({ offsetMs: this.offset, previousMs: before, rttMs: this.rttMs, via }, 'clock offset changed')
    if (this.source === null) this.becomeSynced('cloud', { offsetMs: this.offset, estimateMs: best.offsetMs, rttMs: this.rttMs, via })
    else if (this.source === 'ntp') this.source = 'cloud'
    return true
  }

  private applyNtp(status: NtpStatus): void {
    this.ntpSynced = status === 'synced'
    if (status === 'unavailable' && this.o.mode === 'ntp' && !this.ntpUnavailableWarned) {
      this.ntpUnavailableWarned = true
      this.logger.warn('GATEWAY_CLOCK=ntp but the system reports no NTP status (no timedatectl or timesyncd); events stay unsynced')
    }
    if (!this.ntpSynced || this.source === 'ntp') return
    // The system clock itself is right now; an offset learned before would count twice.
    const dropped = this.offset
    this.offset = 0
    this.reference = undefined
    this.lastSampleAt = this.o.systemNow()
    this.lastSampleMono = this.o.monoNow()
    if (this.source === null) this.becomeSynced('ntp', { offsetMs: 0 })
    else {
      this.source = 'ntp'
      this.logger.info({ droppedOffsetMs: dropped }, 'NTP synced the system clock; the cloud offset is no longer applied')
    }
  }

  private becomeSynced(source: ClockSource, details: Record<string, unknown>): void {
    this.source = source
    this.anchor = { wallMs: this.o.systemNow() + this.offset, monoMs: this.o.monoNow() }
    this.syncedAt = this.anchor.wallMs
    this.logger.info({ source, ...details }, 'clock synced')
    for (const listener of this.listeners) {
      try {
        listener(this.anchor)
      } catch (err) {
        this.logger.error({ err }, 'clock sync listener failed')
      }
    }
  }

  private systemClockStepped(step: number): void {
    const corrected = this.offset - step
    this.filter.shift(step)
    this.reference! += step
    this.offset = Math.abs(corrected) <= this.o.thresholdMs ? 0 : Math.round(corrected)
    this.logger.warn({ stepMs: Math.round(step), offsetMs: this.offset }, 'system clock stepped; offset adjusted to keep the cloud-synced time')
  }

  private async cloudLoop(): Promise<void> {
    let failures = 0
    while (this.running) {
      let delay: number
      const sinceSample = this.o.monoNow() - this.lastSampleMono
      if (!this.cloudCounts() || (this.synced() && sinceSample < this.o.resyncMs)) {
        // Uplink acks keep a busy link sampled; ask only when they have been quiet.
        delay = this.cloudCounts() ? this.o.resyncMs - sinceSample : this.o.resyncMs
      } else if (await this.sampleCloud()) {
        failures = 0
        delay = this.o.resyncMs
      } else {
        failures += 1
        delay = jitteredBackoff(failures, this.o.cloudRetryBaseMs, this.o.cloudRetryCapMs)
      }
      if (this.running) await this.cloudPause.sleep(delay)
    }
  }

  private async ntpLoop(): Promise<void> {
    while (this.running) {
      let status: NtpStatus
      try {
        status = await this.o.ntpStatus()
      } catch {
        status = 'unavailable'
      }
      if (!this.running) return
      this.applyNtp(status)
      const delay = status === 'synced' ? this.o.ntpRecheckMs : status === 'unavailable' ? 6 * this.o.ntpPollMs : this.o.ntpPollMs
      await this.ntpPause.sleep(delay)
    }
  }
}

import type { Logger } from 'pino'
import { validators, type UplinkBatch } from '@tendero/protocol'
import { GatewayError } from '../errors.js'
import type { EventLog } from '../log/event-log.js'

export const UPLINK_CURSOR = 'uplink'

export interface UploaderOptions {
  log: EventLog
  logger: Logger
  gatewayId: string
  cloudUrl: string
  gatewayKey: string
  fetch?: typeof fetch
  now?: () => number
  /** Events per POST; the protocol allows up to MAX_BATCH_EVENTS. */
  batchSize?: number
  /** Pause between polls when everything is uploaded (ms). */
  idleMs?: number
  /** First retry delay after a failure (ms); doubles per failure, with jitter. */
  backoffBaseMs?: number
  /** Longest retry delay (ms); also the pace of retries while the key is refused. */
  backoffCapMs?: number
  /** A request taking longer than this is aborted and retried (ms). */
  requestTimeoutMs?: number
}

export interface UplinkStatus {
  ackedSeq: number
  /** Events in the log the cloud has not acknowledged yet. */
  lag: number
  lastError: string | null
  lastSuccessAt: number | null
}

/**
 * The gateway side of the sync contract (ARCHITECTURE.md, point 3): send the log after
 * the `uplink` cursor in batches and move the cursor only to the `ackSeq` the cloud
 * answers. Anything not acknowledged is sent again, so the cloud's dedup on
 * (gatewayId, seq) turns these retries into exactly-once.
 */
export class Uploader {
  private readonly o: Required<UploaderOptions>
  private running = false
  private loop: Promise<void> | undefined
  private wake: (() => void) | undefined
  private abort: AbortController | undefined
  private failures = 0
  private lastError: string | null = null
  private lastSuccessAt: number | null = null

  constructor(options: UploaderOptions) {
    this.o = {
      fetch: globalThis.fetch,
      now: Date.now,
      batchSize: 500,
      idleMs: 500,
      backoffBaseMs: 500,
      backoffCapMs: 30_000,
      requestTimeoutMs: 15_000,
      ...options,
    }
  }

  start(): void {
    if (this.running) return
    this.running = true
    this.loop = this.run()
  }

  async stop(): Promise<void> {
    this.running = false
    this.abort?.abort()
    this.wake?.()
    await this.loop
  }

  status(): UplinkStatus {
    const ackedSeq = this.o.log.getCursor(UPLINK_CURSOR)
    return { ackedSeq, lag: Math.max(0, this.o.log.lastSeq() - ackedSeq), lastError: this.lastError, lastSuccessAt: this.lastSuccessAt }
  }

  private async run(): Promise<void> {
    while (this.running) {
      let delay: number
      try {
        delay = await this.step()
      } catch (err) {
        delay = this.failed(err as Error)
      }
      if (delay > 0) await this.sleep(delay)
    }
  }

  /** Sends one batch; returns how long to wait before the next step. */
  private async step(): Promise<number> {
    const cursor = this.o.log.getCursor(UPLINK_CURSOR)
    const events = this.o.log.read(cursor, this.o.batchSize)
    if (events.length === 0) return this.o.idleMs
    const batch: UplinkBatch = { gatewayId: this.o.gatewayId, sentAt: this.o.now(), events }
    this.abort = new AbortController()
    const timeout = setTimeout(() => this.abort?.abort(), this.o.requestTimeoutMs)
    let res: Response
    let text: string
    try {
      res = await this.o.fetch(`${this.o.cloudUrl}/api/ingest`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.o.gatewayKey}` },
        body: JSON.stringify(batch),
        signal: this.abort.signal,
      })
      text = await res.text()
    } finally {
      clearTimeout(timeout)
    }
    if (!res.ok) throw new GatewayError('UPLINK_ERR_HTTP', `cloud answered ${res.status}: ${text.slice(0, 200)}`, { status: res.status })
    let ack: unknown
    try {
      ack = JSON.parse(text)
    } catch {
      ack = undefined
    }
    if (!validators.uplinkAck.check(ack)) throw new GatewayError('UPLINK_ERR_BAD_ACK', `cloud answered 200 without a valid ack`)
    // Never past what this batch carried: an ackSeq beyond it cannot vouch for events we never sent.
    const ackSeq = Math.min(ack.ackSeq, events.at(-1)!.seq)
    if (ack.quarantined.length > 0) this.o.logger.warn({ quarantined: ack.quarantined }, 'cloud quarantined events')
    this.failures = 0
    this.lastError = null
    this.lastSuccessAt = this.o.now()
    if (ackSeq <= cursor) {
      // The cloud stored nothing contiguous: resending at once would spin, so wait.
      this.o.logger.warn({ cursor, ackSeq: ack.ackSeq }, 'cloud did not advance the uplink watermark')
      return this.o.idleMs
    }
    this.o.log.setCursor(UPLINK_CURSOR, ackSeq)
    this.o.logger.debug({ from: cursor + 1, ackSeq, sent: events.length }, 'uplink batch acknowledged')
    // More backlog: go again at once so history drains promptly.
    return ackSeq < this.o.log.lastSeq() ? 0 : this.o.idleMs
  }

  private failed(err: Error): number {
    if (!this.running) return 0
    this.failures += 1
    const status = err instanceof GatewayError ? err.details.status : undefined
    this.lastError = err.message
    if (status === 401 || status === 403) {
      // Retrying fast cannot fix a wrong key, but the operator may fix it without a restart.
      this.o.logger.error({ status }, 'cloud refused the gateway key: check GATEWAY_KEY; retrying slowly')
      return this.o.backoffCapMs
    }
    const exp = Math.min(this.o.backoffCapMs, this.o.backoffBaseMs * 2 ** Math.min(this.failures - 1, 16))
    // Full jitter, so many gateways coming back after one outage do not retry in step.
    const delay = Math.max(this.o.backoffBaseMs / 2, Math.random() * exp)
    this.o.logger.warn({ err: err.message, failures: this.failures, retryInMs: Math.round(delay) }, 'uplink failed')
    return delay
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms)
      function done() {
        clearTimeout(timer)
        resolve()
      }
      this.wake = done
    })
  }
}

import { InfluxDB, type IPoint } from 'influx'
import type { Logger } from 'pino'
import { WakeableSleep, jitteredBackoff } from '../backoff.js'
import type { EventLog } from '../log/event-log.js'
import { toPoint } from './influx-points.js'

/** The sink's cursor in the log; a guard cursor, so retention keeps what InfluxDB lacks. */
export const INFLUX_CURSOR = 'influx'

export interface InfluxTarget {
  /** Server base URL without the database, e.g. `http://127.0.0.1:8086`. */
  url: string
  database: string
  username?: string
  password?: string
}

export interface InfluxSinkOptions extends InfluxTarget {
  log: EventLog
  logger: Logger
  gatewayId: string
  now?: () => number
  /** Events per write; InfluxDB suggests 5,000 points per request at most. */
  batchSize?: number
  /** Pause between polls when InfluxDB has everything (ms). */
  idleMs?: number
  /** First retry delay after a failure (ms); doubles per failure, with full jitter. */
  backoffBaseMs?: number
  /** Longest retry delay (ms). */
  backoffCapMs?: number
  /** A write taking longer than this fails and is retried (ms). */
  requestTimeoutMs?: number
  /** Told the outcome of every batch write, for the metrics (src/metrics/). */
  onWrite?: (result: 'ok' | 'refused' | 'error', points: number) => void
}

export interface InfluxSinkStatus {
  /** Highest seq InfluxDB has confirmed. */
  cursor: number
  /** Events in the log not yet written. */
  lag: number
  /** Receive time of the first event not yet written; null when caught up. */
  oldestPendingAt: number | null
  lastError: string | null
  lastSuccessAt: number | null
  /** Batches in which InfluxDB refused points for good since this boot (e.g. a field type conflict). */
  refusedBatches: number
}

/**
 * Writes the durable log to an on-site InfluxDB 1.x, as its own cursor over the log
 * (like the uplink, and independent of it): read the events after the `influx` cursor,
 * write them as points, and move the cursor only once InfluxDB has answered 204. When
 * InfluxDB is down the events wait in the log, which will not prune them, and are
 * written when it is back. Points are idempotent (influx-points.ts), so the batch in
 * flight at a crash is simply written again.
 */
export class InfluxSink {
  private readonly o: Required<Omit<InfluxSinkOptions, 'username' | 'password'>>
  private readonly client: InfluxDB
  private running = false
  private loop: Promise<void> | undefined
  private readonly pause = new WakeableSleep()
  private databaseReady = false
  private failures = 0
  private lastError: string | null = null
  private lastSuccessAt: number | null = null
  private refusedBatches = 0
  private unpin: (() => void) | undefined
  /** Seqs of the batch being written, (from, to]; the disk budget leaves them alone. */
  private writing: { from: number; to: number } | undefined

  constructor(options: InfluxSinkOptions) {
    this.o = {
      now: Date.now,
      batchSize: 2000,
      idleMs: 500,
      backoffBaseMs: 500,
      backoffCapMs: 30_000,
      requestTimeoutMs: 10_000,
      onWrite: () => {},
      ...options,
    }
    const url = new URL(options.url)
    this.client = new InfluxDB({
      host: url.hostname,
      port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
      protocol: url.protocol === 'https:' ? 'https' : 'http',
      database: options.database,
      ...(options.username ? { username: options.username, password: options.password ?? '' } : {}),
      pool: {
        // Retries and backoff are this class's job. A zero delay keeps the client from
        // disabling the host on its own timer, which would delay the catch-up after
        // InfluxDB is back and keep a timer alive after stop().
        maxRetries: 0,
        requestTimeout: this.o.requestTimeoutMs,
        backoff: { getDelay: () => 0, next() { return this }, reset() { return this } },
      },
    })
  }

  start(): void {
    if (this.running) return
    this.running = true
    // A row folded into a rollup while its raw point is on the wire would reach InfluxDB
    // raw and never as the rollup: the cursor moves past it on this write's success.
    this.unpin ??= this.o.log.protectFromCompaction((seq) => this.writing !== undefined && seq > this.writing.from && seq <= this.writing.to)
    this.o.logger.info({ url: this.o.url, database: this.o.database, cursor: this.o.log.getCursor(INFLUX_CURSOR) }, 'influx sink started')
    this.loop = this.run()
  }

  /**
   * Stops polling. A write still in flight is not waited for beyond `graceMs`: its batch
   * is written again next start, and the cursor cannot move once the log is closed.
   */
  async stop(graceMs = 2000): Promise<void> {
    if (!this.running) return
    this.running = false
    this.pause.wake()
    let timer: NodeJS.Timeout | undefined
    await Promise.race([this.loop, new Promise((r) => (timer = setTimeout(r, graceMs)))])
    clearTimeout(timer)
  }

  status(): InfluxSinkStatus {
    const cursor = this.o.log.getCursor(INFLUX_CURSOR)
    const lag = Math.max(0, this.o.log.lastSeq() - cursor)
    return {
      cursor,
      lag,
      oldestPendingAt: lag > 0 ? (this.o.log.read(cursor, 1)[0]?.receivedAt ?? null) : null,
      lastError: this.lastError,
      lastSuccessAt: this.lastSuccessAt,
      refusedBatches: this.refusedBatches,
    }
  }

  private async run(): Promise<void> {
    while (this.running) {
      let delay: number
      try {
        delay = await this.step()
      } catch (err) {
        delay = this.failed(err as Error)
      }
      this.writing = undefined
      if (delay > 0 && this.running) await this.sleep(delay)
    }
  }

  /** Writes one batch; returns how long to wait before the next step. */
  private async step(): Promise<number> {
    const cursor = this.o.log.getCursor(INFLUX_CURSOR)
    const events = this.o.log.read(cursor, this.o.batchSize)
    if (events.length === 0) return this.o.idleMs
    const points = events.map((e) => toPoint(e, this.o.gatewayId)).filter((p): p is IPoint => p !== undefined)
    const last = events.at(-1)!.seq
    this.writing = { from: cursor, to: last }
    if (points.length > 0) {
      if (!this.databaseReady) {
        // CREATE DATABASE is a no-op when it exists; done per connection, not per batch.
        await this.client.createDatabase(this.o.database)
        this.databaseReady = true
      }
      try {
        await this.client.writePoints(points, { precision: 'n' })
        this.o.onWrite('ok', points.length)
      } catch (err) {
        const refused = this.refusedForGood(err as Error, cursor, last)
        this.o.onWrite(refused ? 'refused' : 'error', points.length)
        if (!refused) throw err
      }
    }
    if (!this.running) return 0
    this.o.log.setCursor(INFLUX_CURSOR, last)
    if (this.failures > 0)
      this.o.logger.info({ failures: this.failures, cursor: last, lag: this.o.log.lastSeq() - last }, 'influx reachable again, catching up')
    this.failures = 0
    this.lastError = null
    this.lastSuccessAt = this.o.now()
    this.o.logger.debug({ from: cursor + 1, to: last, points: points.length }, 'influx batch written')
    // More backlog: go again at once so history drains promptly.
    return last < this.o.log.lastSeq() ? 0 : this.o.idleMs
  }

  /**
   * A 400 is InfluxDB refusing points it will never take (a field type conflict, say a
   * state key that was a number and is now a string). InfluxDB 1.x writes the rest of
   * the batch in that case ("partial write"), so retrying cannot help and would stall
   * history behind one event: count it, say so loudly, and move on. A 404 means the
   * database was dropped under us; anything else (network, 5xx, auth) is retried.
   */
  private refusedForGood(err: Error, cursor: number, last: number): boolean {
    const status = (err as { res?: { statusCode?: number } }).res?.statusCode
    if (status === 404) this.databaseReady = false
    if (status !== 400) return false
    this.refusedBatches += 1
    this.o.logger.error({ from: cursor + 1, to: last, err: err.message }, 'influx refused points in this batch; the rest were written')
    return true
  }

  private failed(err: Error): number {
    if (!this.running) return 0
    this.failures += 1
    const status = (err as { res?: { statusCode?: number } }).res?.statusCode
    this.lastError = err.message || String(err)
    const delay = jitteredBackoff(this.failures, this.o.backoffBaseMs, this.o.backoffCapMs)
    this.o.logger.warn({ err: this.lastError, status, failures: this.failures, retryInMs: Math.round(delay), lag: this.o.log.lastSeq() - this.o.log.getCursor(INFLUX_CURSOR) }, 'influx write failed; events stay in the log')
    return delay
  }

  private sleep(ms: number): Promise<void> {
    return this.pause.sleep(ms)
  }
}

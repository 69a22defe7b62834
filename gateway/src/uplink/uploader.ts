import type { Logger } from 'pino'
import { MAX_BATCH_EVENTS, validators, type AbsentRange, type LogEvent, type UplinkAck } from '@tendero/protocol'
import { WakeableSleep, jitteredBackoff } from '../backoff.js'
import { GatewayError } from '../errors.js'
import { serializeEvent, type EventLog, type SerializedEvent } from '../log/event-log.js'
import { BatchPlanner, PRIORITY_KINDS, MAX_ABSENT_RANGES, type PlannedBatch, type PlannerLimits } from './planner.js'

export const UPLINK_CURSOR = 'uplink'

export interface UploaderOptions {
  log: EventLog
  logger: Logger
  gatewayId: string
  cloudUrl: string
  gatewayKey: string
  fetch?: typeof fetch
  now?: () => number
  /** Most events per POST (the protocol allows up to MAX_BATCH_EVENTS); the size adapts below it. */
  batchSize?: number
  /** Fewest events per POST the adaptive size shrinks to (capped at batchSize). */
  minBatchSize?: number
  /** A success slower than this counts as congestion and halves the batch (ms). */
  slowMs?: number
  /** Bounds of the priority planner (planner.ts). */
  planner?: Partial<PlannerLimits>
  /** Pause between polls when everything is uploaded (ms). */
  idleMs?: number
  /** First retry delay after a failure (ms); doubles per failure, with jitter. */
  backoffBaseMs?: number
  /** Longest retry delay (ms); also the pace of retries while the key is refused. */
  backoffCapMs?: number
  /** A request taking longer than this is aborted and retried (ms). */
  requestTimeoutMs?: number
  /**
   * Sees the events of each planned batch that were recorded while the clock was not
   * synced, the only ones whose stamps may still change, before the batch is sent, and
   * may return them re-stamped, same seqs (clock trust, src/clock/restamp.ts). Not called
   * for a batch without such events: the rest go as their rows are, never parsed.
   */
  beforeBatch?: (events: LogEvent[]) => Promise<LogEvent[]>
  /** Told every valid ack with the request's round trip on the monotonic clock: a time sample (src/clock/). */
  onAck?: (ack: UplinkAck, rttMs: number) => void
}

export interface QuarantinedEvent {
  seq: number
  reason: string
  /** When the cloud reported it (gateway clock). */
  at: number
}

export interface UplinkStatus {
  ackedSeq: number
  /** Events in the log the cloud has not acknowledged yet. */
  lag: number
  lastError: string | null
  lastSuccessAt: number | null
  /** Current adaptive batch size. */
  batchSize: number
  /** Seqs above ackedSeq the cloud already holds (sent ahead: priority and live events). */
  heldAhead: number
  /** Events the cloud refused and quarantined since this boot, and the last few with reasons. */
  quarantined: { total: number; recent: QuarantinedEvent[] }
}

/** A planned batch, run through the clock hook, ready to POST. */
interface Prepared {
  batch: PlannedBatch
  /** The adaptive size it was planned with: a full batch of that size may grow the next. */
  size: number
  /** Its events' JSON, joined ahead of the send while the previous request is out. */
  eventsJson: string
}

interface Answer {
  status: number
  ok: boolean
  text: string
  /** Wall time from the request to the whole answer (ms), for the adaptive size. */
  elapsedMs: number
  /** The same on the monotonic clock: the round trip of a time sample. */
  rttMs: number
  /** The cloud's `retry-after` (on 429 or 503), in ms. */
  retryAfterMs?: number | undefined
}

/** How many quarantined events /health keeps with their reasons. */
export const RECENT_QUARANTINED = 20

/**
 * The gateway side of the sync contract (ARCHITECTURE.md, point 3): send the log after
 * the `uplink` cursor in batches and move the cursor only to the `ackSeq` the cloud
 * answers. Anything not acknowledged is sent again, so the cloud's dedup on
 * (gatewayId, seq) turns these retries into exactly-once.
 */
export class Uploader {
  private readonly o: Required<UploaderOptions>
  private readonly planner: BatchPlanner
  private readonly minBatch: number
  private size: number
  private quarantinedTotal = 0
  private readonly recentQuarantined: QuarantinedEvent[] = []
  private running = false
  private loop: Promise<void> | undefined
  private readonly pause = new WakeableSleep()
  /** Sleeping because everything was sent, not backing off after a failure. */
  private idle = false
  private abort: AbortController | undefined
  private failures = 0
  private lastError: string | null = null
  private lastSuccessAt: number | null = null

  constructor(options: UploaderOptions) {
    this.o = {
      fetch: globalThis.fetch,
      now: Date.now,
      batchSize: MAX_BATCH_EVENTS,
      minBatchSize: 50,
      slowMs: 3000,
      planner: {},
      idleMs: 500,
      backoffBaseMs: 500,
      backoffCapMs: 30_000,
      requestTimeoutMs: 15_000,
      beforeBatch: async (events) => events,
      onAck: () => {},
      ...options,
    }
    this.o.batchSize = Math.max(1, Math.min(this.o.batchSize, MAX_BATCH_EVENTS))
    this.minBatch = Math.max(1, Math.min(this.o.minBatchSize, this.o.batchSize))
    // Start below the top: the first batches after an outage probe the link before growing.
    this.size = Math.max(this.minBatch, Math.floor(this.o.batchSize / 4))
    this.planner = new BatchPlanner(this.o.log, this.o.planner)
    // An alarm, a door or a payment should not wait out the idle poll: it goes at once.
    // Telemetry keeps the poll's pace, so an idle gateway sends a few batches a second, not one per reading.
    this.o.log.onCommit((events) => {
      if (this.idle && events.some((e) => PRIORITY_KINDS.has(e.kind))) this.pause.wake()
    })
  }

  /**
   * The cloud is reachable again (e.g. the downlink channel just opened): end the current
   * wait, idle or backoff, so a backlog starts draining now instead of at the next retry,
   * up to `backoffCapMs` later. One wake is one attempt; a failure backs off again.
   */
  wake(): void {
    this.pause.wake()
  }

  start(): void {
    if (this.running) return
    this.running = true
    this.loop = this.run()
  }

  async stop(): Promise<void> {
    this.running = false
    this.abort?.abort()
    this.pause.wake()
    await this.loop
  }

  status(): UplinkStatus {
    const ackedSeq = this.o.log.getCursor(UPLINK_CURSOR)
    return {
      ackedSeq,
      lag: Math.max(0, this.o.log.lastSeq() - ackedSeq - this.o.log.absentCount(ackedSeq, this.o.log.lastSeq())),
      lastError: this.lastError,
      lastSuccessAt: this.lastSuccessAt,
      batchSize: this.size,
      heldAhead: this.planner.heldCount(),
      quarantined: { total: this.quarantinedTotal, recent: [...this.recentQuarantined] },
    }
  }

  private async run(): Promise<void> {
    let next: Prepared | undefined
    while (this.running) {
      let delay: number
      const prepared = next
      next = undefined
      try {
        ;({ delay, next } = await this.step(prepared))
      } catch (err) {
        delay = this.failed(err as Error)
      }
      if (delay > 0) {
        this.idle = delay === this.o.idleMs && this.failures === 0
        await this.sleep(delay)
        this.idle = false
      }
    }
    if (next) this.planner.settled(next.batch)
  }

  /**
   * Sends one batch, the one prepared during the previous request or a new one, and
   * prepares the next while it is out. Returns how long to wait before the next step, and
   * the prepared batch when it may go as it is: only after a clean success. After a
   * failure it is dropped and planned again, so a batch never goes ahead of an earlier
   * one that failed (its live alarms would reach the cloud after newer ones).
   */
  private async step(prepared: Prepared | undefined): Promise<{ delay: number; next?: Prepared | undefined }> {
    const cursor = this.o.log.getCursor(UPLINK_CURSOR)
    const current = prepared ? await this.toppedUp(prepared).catch((err: unknown) => (this.planner.settled(prepared.batch), Promise.reject(err))) : await this.prepare(cursor)
    if (!current) return { delay: this.o.idleMs }
    let next: Prepared | undefined
    try {
      const sizeBefore = this.size
      const [answer, following] = await Promise.allSettled([this.post(current, cursor), this.prepareWhileOut(cursor)])
      if (following.status === 'fulfilled') next = following.value
      if (answer.status === 'rejected') throw answer.reason
      const more = this.acknowledged(current, cursor, answer.value)
      if (!more || this.size < sizeBefore) {
        if (next) this.planner.settled(next.batch)
        next = undefined
      }
      return { delay: more ? 0 : this.o.idleMs, next }
    } catch (err) {
      if (next) this.planner.settled(next.batch)
      throw err
    } finally {
      // Answered or failed, the batch is no longer out: the disk budget may have its rows.
      this.planner.settled(current.batch)
    }
  }

  /** Plans a batch and runs it through the clock hook; undefined when there is nothing to send. */
  private async prepare(cursor: number): Promise<Prepared | undefined> {
    const size = this.size
    const batch = this.planner.plan(cursor, size)
    if (batch.events.length === 0) return undefined
    try {
      batch.events = await this.restamped(batch.events)
    } catch (err) {
      this.planner.settled(batch)
      throw err
    }
    return { batch, size, eventsJson: eventsJson(batch.events) }
  }

  /**
   * The next batch, planned while the current one is out: the cloud takes one batch of a
   * gateway at a time, so one more ready to go is all that helps. Planned after a turn
   * of the event loop, so the request goes out first.
   */
  private async prepareWhileOut(cursor: number): Promise<Prepared | undefined> {
    await new Promise((r) => setImmediate(r))
    if (!this.running || this.o.log.lastSeq() - cursor <= this.size) return undefined
    return this.prepare(cursor)
  }

  /** A prepared batch about to go, with the live priority events committed since it was planned. */
  private async toppedUp(prepared: Prepared): Promise<Prepared> {
    const added = this.planner.topUp(prepared.batch, this.o.batchSize)
    if (added.length === 0) return prepared
    if (added.some((e) => !e.clockSynced)) {
      const restamped = new Map((await this.restamped(added)).map((e) => [e.seq, e]))
      prepared.batch.events = prepared.batch.events.map((e) => restamped.get(e.seq) ?? e)
    }
    prepared.eventsJson = eventsJson(prepared.batch.events)
    return prepared
  }

  /** POSTs a batch; resolves with the answer's status, body and round trip, or rejects. */
  private async post({ batch, eventsJson }: Prepared, cursor: number): Promise<Answer> {
    const events = batch.events
    // Seqs the disk budget removed below the batch's top, so the cloud's watermark can pass them.
    const absent = this.o.log.absentRanges(cursor, events.at(-1)!.seq, MAX_ABSENT_RANGES)
    this.abort = new AbortController()
    const timeout = setTimeout(() => this.abort?.abort(), this.o.requestTimeoutMs)
    const started = Date.now()
    const startedMono = performance.now()
    try {
      const res = await this.o.fetch(`${this.o.cloudUrl}/api/ingest`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.o.gatewayKey}` },
        body: batchJson(this.o.gatewayId, this.o.now(), eventsJson, absent),
        signal: this.abort.signal,
      })
      const text = await res.text()
      return {
        status: res.status,
        ok: res.ok,
        text,
        elapsedMs: Date.now() - started,
        rttMs: performance.now() - startedMono,
        retryAfterMs: parseRetryAfter(res.headers.get('retry-after'), Date.now()),
      }
    } catch (err) {
      // A timeout is congestion as much as an outage: retry with less.
      if (this.running && (err as Error).name === 'AbortError') this.shrink('timeout')
      throw err
    } finally {
      clearTimeout(timeout)
    }
  }

  /** Takes the cloud's answer to a batch; returns whether more is waiting to be sent. */
  private acknowledged({ batch, size }: Prepared, cursor: number, res: Answer): boolean {
    const events = batch.events
    if (res.status === 413) this.shrink('413')
    if (!res.ok) {
      throw new GatewayError('UPLINK_ERR_HTTP', `cloud answered ${res.status}: ${res.text.slice(0, 200)}`, {
        status: res.status,
        ...(res.retryAfterMs !== undefined ? { retryAfterMs: res.retryAfterMs } : {}),
      })
    }
    let ack: unknown
    try {
      ack = JSON.parse(res.text)
    } catch {
      ack = undefined
    }
    if (!validators.uplinkAck.check(ack)) throw new GatewayError('UPLINK_ERR_BAD_ACK', `cloud answered 200 without a valid ack`)
    this.o.onAck(ack, res.rttMs)
    // A 200 means the whole batch is stored or quarantined, in one transaction.
    this.planner.stored(events, batch.tailTop)
    // Never past what the cloud is known to hold: an ackSeq beyond it cannot vouch for events we never sent.
    const ackSeq = Math.max(cursor, Math.min(ack.ackSeq, this.planner.contiguousHeld(cursor)))
    // A watermark of A says the cloud lacks A+1: whatever we believed, send that run again.
    this.planner.forgetRunAfter(ackSeq)
    this.noteQuarantined(ack.quarantined)
    this.adapt(res.elapsedMs, events.length, size)
    this.failures = 0
    this.lastError = null
    this.lastSuccessAt = this.o.now()
    if (ackSeq > cursor) {
      this.o.log.setCursor(UPLINK_CURSOR, ackSeq)
      this.planner.advanced(ackSeq)
    }
    this.o.logger.debug({ from: cursor + 1, ackSeq, sent: events.length, batchSize: this.size }, 'uplink batch acknowledged')
    // More to send: go again at once so history drains promptly.
    return this.planner.contiguousHeld(ackSeq) < this.o.log.lastSeq()
  }

  /** The batch with the clock hook's answer for its unsynced events (UploaderOptions.beforeBatch). */
  private async restamped(planned: SerializedEvent[]): Promise<SerializedEvent[]> {
    const unsynced = planned.filter((e) => !e.clockSynced)
    if (unsynced.length === 0) return planned
    const seen = await this.o.beforeBatch(unsynced.map((e) => JSON.parse(e.json) as LogEvent))
    const bySeq = new Map(seen.map((e) => [e.seq, e]))
    return planned.map((e) => {
      const after = bySeq.get(e.seq)
      return after ? serializeEvent(after) : e
    })
  }

  /** AIMD: a fast full batch (of the size it was planned with) grows the next one a little; a slow one halves it. */
  private adapt(elapsedMs: number, sent: number, plannedSize: number): void {
    if (elapsedMs > this.o.slowMs) this.shrink('slow')
    else if (sent >= Math.min(plannedSize, this.size)) this.size = Math.min(this.o.batchSize, this.size + Math.max(1, Math.ceil(this.o.batchSize / 20)))
  }

  private shrink(why: string): void {
    const next = Math.max(this.minBatch, Math.floor(this.size / 2))
    if (next < this.size) this.o.logger.info({ why, batchSize: next }, 'uplink batch size reduced')
    this.size = next
  }

  private noteQuarantined(list: readonly { seq: number; reason: string }[]): void {
    if (list.length === 0) return
    this.quarantinedTotal += list.length
    const at = this.o.now()
    for (const q of list) this.recentQuarantined.push({ seq: q.seq, reason: q.reason, at })
    this.recentQuarantined.splice(0, Math.max(0, this.recentQuarantined.length - RECENT_QUARANTINED))
    this.o.logger.warn({ quarantined: list }, 'cloud quarantined events')
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
    let delay = jitteredBackoff(this.failures, this.o.backoffBaseMs, this.o.backoffCapMs)
    // A busy cloud (429 over its budget, 503) says when to come back: not before, and not
    // much later than that, so a long wait does not stack on top of the backoff.
    const retryAfterMs = err instanceof GatewayError ? err.details.retryAfterMs : undefined
    if ((status === 429 || status === 503) && typeof retryAfterMs === 'number') delay = Math.max(delay, Math.min(retryAfterMs, MAX_RETRY_AFTER_MS))
    this.o.logger.warn({ err: err.message, failures: this.failures, retryInMs: Math.round(delay) }, 'uplink failed')
    return delay
  }

  private sleep(ms: number): Promise<void> {
    return this.pause.sleep(ms)
  }
}

/**
 * An UplinkBatch as JSON, spliced from the events' own JSON: the rows' bodies go out as
 * the log stored them, with no parse and stringify round trip.
 */
function batchJson(gatewayId: string, sentAt: number, eventsJson: string, absent: readonly AbsentRange[]): string {
  const tail = absent.length > 0 ? `],"absent":${JSON.stringify(absent)}}` : ']}'
  return `{"gatewayId":${JSON.stringify(gatewayId)},"sentAt":${sentAt},"events":[${eventsJson}${tail}`
}

/** The events of a batch as the inside of a JSON array. */
function eventsJson(events: readonly SerializedEvent[]): string {
  return events.map((e) => e.json).join(',')
}

/** The longest `retry-after` the uplink honours: a cloud asking for more is probably wrong. */
const MAX_RETRY_AFTER_MS = 5 * 60_000

/** `retry-after` as delta seconds or an HTTP date, in ms from `now`; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null || value.trim() === '') return undefined
  const trimmed = value.trim()
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000
  const at = Date.parse(trimmed)
  return Number.isNaN(at) ? undefined : Math.max(0, at - now)
}

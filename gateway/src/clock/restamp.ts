import type { Logger } from 'pino'
import type { LogEvent } from '@tendero/protocol'
import type { EventLog } from '../log/event-log.js'
import type { GatewayClock, SyncAnchor } from './clock.js'

export interface RestamperOptions {
  log: EventLog
  clock: GatewayClock
  /** This process's boot id: only its events share the monotonic clock of the anchor. */
  bootId: string
  /** The uplink cursor: events at or below it are in the cloud already and are left as sent. */
  cursor: () => number
  logger: Logger
  /** Seq range rewritten per transaction. */
  chunkRows?: number
}

/**
 * Kinds whose bodies hold times from the clock of the moment (a rollup's first and last
 * reading, a gap's time range): re-stamping the envelope would not fix those, so they
 * stay flagged. EventLog.restamp skips the same kinds.
 */
export const NOT_RESTAMPED: ReadonlySet<LogEvent['kind']> = new Set(['rollup', 'gap'])

/** The wall time an event's monotonic stamp maps to; the same arithmetic as EventLog.restamp's SQL. */
export function restampedTime(anchor: SyncAnchor, monoMs: number): number {
  return Math.round(anchor.wallMs - (anchor.monoMs - monoMs))
}

/** An event of this boot recorded unsynced, stamped as if the clock had been synced all along. */
export function restampEvent(event: LogEvent, anchor: SyncAnchor): LogEvent {
  const receivedAt = restampedTime(anchor, event.monoMs)
  const time = event.time === event.receivedAt ? receivedAt : event.time
  return { ...event, time, receivedAt, clockSynced: true }
}

/**
 * Re-stamps events recorded before the clock synced (issue 4, clock trust), once it has.
 * Only events of this boot can be: their monotonic stamp and the clock's sync anchor are
 * on the same clock. Events of earlier boots have no such link and stay flagged.
 *
 * Which rows are rewritten:
 * - above the uplink cursor only. What the cloud has acknowledged stays as it was sent,
 *   flagged, so the log and the cloud agree on it;
 * - including rows the InfluxDB sink has passed. The cloud copy matters more than the
 *   on-site one, and rewinding the sink would not fix InfluxDB: points are keyed by
 *   time, so a re-send would add a second point instead of moving the first. Those
 *   points keep the unsynced time;
 * - not rollups and gaps (the disk budget's): they stay flagged (NOT_RESTAMPED).
 *
 * The uplink also passes each batch through `beforeBatch`, which first asks the cloud
 * for a time sample when the batch holds unsynced events of this boot (so the first
 * batch after an outage leaves re-stamped) and re-stamps its copies in memory with the
 * same arithmetic: the planner may hold copies it read before the log was rewritten.
 */
export class Restamper {
  private readonly chunkRows: number
  private pass: Promise<void> | undefined
  private again = false
  private stopped = false
  private restamped = 0

  constructor(private readonly o: RestamperOptions) {
    this.chunkRows = o.chunkRows ?? 5000
    o.clock.onSynced(() => this.schedule())
  }

  /** Rows rewritten in the log since this boot. */
  count(): number {
    return this.restamped
  }

  /** For the uploader (UploaderOptions.beforeBatch). */
  async beforeBatch(events: LogEvent[]): Promise<LogEvent[]> {
    const unsynced = (e: LogEvent) => !e.clockSynced && e.bootId === this.o.bootId && !NOT_RESTAMPED.has(e.kind)
    if (!events.some(unsynced)) return events
    if (!(await this.o.clock.trySync())) return events
    const anchor = this.o.clock.syncAnchor()
    if (!anchor) return events
    // Rows that were still unsynced in the batch may have committed after the last pass.
    this.schedule()
    return events.map((e) => (unsynced(e) ? restampEvent(e, anchor) : e))
  }

  /** Runs a pass over the log, or one more after the running pass. */
  schedule(): void {
    if (this.stopped) return
    if (this.pass) {
      this.again = true
      return
    }
    this.pass = this.run().finally(() => {
      this.pass = undefined
      if (this.again) {
        this.again = false
        this.schedule()
      }
    })
  }

  /** Resolves once the log is re-stamped as far as it can be now (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.pass) await this.pass
  }

  async stop(): Promise<void> {
    this.stopped = true
    await this.settled()
  }

  private async run(): Promise<void> {
    const anchor = this.o.clock.syncAnchor()
    if (!anchor) return
    // Yield first: appends stamped just before the sync commit on this turn's group commit.
    await new Promise((r) => setImmediate(r))
    let after = this.o.cursor()
    let updated = 0
    try {
      while (!this.stopped && after < this.o.log.lastSeq()) {
        const chunk = this.o.log.restamp({ bootId: this.o.bootId, afterSeq: after, maxRows: this.chunkRows, ...anchor })
        updated += chunk.updated
        after = chunk.throughSeq
        await new Promise((r) => setImmediate(r))
      }
    } catch (err) {
      this.o.logger.error({ err }, 're-stamping events recorded before the clock synced failed')
    }
    this.restamped += updated
    if (updated > 0) this.o.logger.info({ events: updated, throughSeq: after }, 're-stamped events recorded before the clock synced')
  }
}

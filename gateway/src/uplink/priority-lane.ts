import type { LogEvent, LogEventKind } from '@tendero/protocol'
import { serializeEvent, type EventLog, type SerializedEvent } from '../log/event-log.js'

/**
 * The priority events of one seq range above the uplink cursor, oldest first, waiting to
 * jump the queue (planner.ts). At most `max` are kept in memory. `seen` is how far the
 * lane has looked: every priority event in (cursor, seen] is queued here or already
 * stored by the cloud. Past `seen` the lane reads the log by kind, a bounded seq range at
 * a time, so a long outage's worth never has to fit in memory.
 *
 * A lane whose `seen` is the log's last seq is caught up: it takes what `committed()`
 * hands it as the log commits, and needs no reading at all. That is how live events reach
 * the next batch whatever the backlog.
 */
export class PriorityLane {
  /** Insertion order is seq order: events only ever go in above `seen`. */
  private readonly queued = new Map<number, SerializedEvent>()

  constructor(
    private readonly log: EventLog,
    private readonly kinds: ReadonlySet<LogEventKind>,
    /** Everything up to here is accounted for when the lane starts (the cursor, or the last seq at boot). */
    private seen: number,
    /** The lane's top seq; Infinity for a lane that follows the log. */
    private readonly end: number,
    private readonly max: number,
    /** Seqs the cloud already holds ahead of the cursor: never queued, never taken. */
    private readonly held: (seq: number) => boolean,
  ) {}

  /** Events just committed, in seq order: queued while the lane is caught up and has room. */
  committed(events: readonly LogEvent[]): void {
    for (const e of events) {
      if (e.seq <= this.seen) continue
      // Behind (full, or some seqs not looked at yet): `refill` reads these from the log later.
      if (e.seq !== this.seen + 1 || e.seq > this.end || this.queued.size >= this.max) return
      if (this.kinds.has(e.kind)) this.queued.set(e.seq, serializeEvent(e))
      this.seen = e.seq
    }
  }

  /** Reads up to `scanRows` seqs past `seen` (no further than `lastSeq`) when there is room. */
  refill(cursor: number, lastSeq: number, scanRows: number): void {
    if (this.seen < cursor) this.seen = cursor
    const top = Math.min(this.end, lastSeq)
    const room = this.max - this.queued.size
    if (this.seen >= top || room <= 0) return
    const upTo = Math.min(top, this.seen + scanRows)
    const rows = this.log.readKinds(this.seen, upTo, [...this.kinds], room)
    for (const row of rows) if (!this.held(row.seq)) this.queued.set(row.seq, row)
    this.seen = rows.length === room ? rows.at(-1)!.seq : upTo
  }

  /**
   * Adds the oldest queued events to `picked` until it holds `upTo` events, passing over
   * those `isOut` (in a batch not answered yet: they stay queued in case it fails).
   */
  take(picked: Map<number, SerializedEvent>, upTo: number, isOut: (seq: number) => boolean): void {
    for (const [seq, event] of this.queued) {
      if (picked.size >= upTo) return
      if (this.held(seq)) this.queued.delete(seq)
      else if (!isOut(seq) && !picked.has(seq)) picked.set(seq, event)
    }
  }

  /** The cloud has it. */
  stored(seq: number): void {
    this.queued.delete(seq)
  }

  /** The cursor passed these. */
  dropUpTo(cursor: number): void {
    for (const seq of this.queued.keys()) {
      if (seq > cursor) return
      this.queued.delete(seq)
    }
  }

  size(): number {
    return this.queued.size
  }
}

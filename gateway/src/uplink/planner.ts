import { MAX_BATCH_EVENTS, type LogEvent, type LogEventKind } from '@tendero/protocol'
import type { EventLog } from '../log/event-log.js'

/**
 * Kinds that jump the queue (ARCHITECTURE.md, sync contract 4): what an operator acts on
 * (alarms, state, door and money decisions, commands and their acks, notifications), and
 * the gap events that tell them history was thinned. Telemetry, rollups and raw device
 * events are history and go oldest first.
 */
export const PRIORITY_KINDS: ReadonlySet<LogEventKind> = new Set(['alarm', 'state', 'access', 'payment', 'command', 'ack', 'notify', 'gap'])

/** Most absent ranges one batch may carry (UplinkBatch.absent). */
export const MAX_ABSENT_RANGES = 2 * MAX_BATCH_EVENTS

export interface PlannerLimits {
  /** Log rows the priority scan reads per batch, so a huge backlog is scanned a bit per batch. */
  scanPerBatch: number
  /** Priority events found but not sent yet, kept in memory. The scan pauses when full. */
  maxQueued: number
  /** Seqs above the cursor the cloud holds; past this, batches go strictly oldest first until it drains. */
  maxHeld: number
}

const DEFAULT_LIMITS: PlannerLimits = { scanPerBatch: 5000, maxQueued: 2000, maxHeld: 50_000 }

/**
 * Chooses what the next batch carries. The cloud's ack is a contiguous watermark over seq
 * and it stores any seq it gets, so the gateway may send out of seq order as long as it
 * remembers which seqs above its cursor the cloud already holds (`held`, in memory only:
 * after a restart they are resent and the cloud's dedup absorbs them).
 *
 * A batch is: queued priority events (at most half the batch, so history keeps moving),
 * then the newest unsent events (a quarter, so the live view is current during a
 * backlog), then the oldest unsent events after the cursor to fill it. The cursor still
 * moves only to the cloud's ackSeq, and never past a seq that is neither held nor sent,
 * nor absent: removed by the disk budget (log/budget.ts) and reported to the cloud in
 * `UplinkBatch.absent`.
 *
 * The planner also pins what it has out for the disk budget (`isPinned`): the batch in
 * flight and the held seqs. Folding a row into a rollup under a seq the cloud already
 * stores would lose the rollup to the cloud's dedup.
 */
export class BatchPlanner {
  private readonly held = new Set<number>()
  /** Seqs of the batch being sent, until `settled()`. */
  private inFlight = new Set<number>()
  private readonly queued = new Map<number, LogEvent>()
  private scanPos = 0
  private readonly limits: PlannerLimits

  constructor(private readonly log: EventLog, limits: Partial<PlannerLimits> = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...limits }
    log.protectFromCompaction((seq) => this.isPinned(seq))
  }

  /** Out of the log's hands for the disk budget: in flight, or stored in the cloud ahead of the cursor. */
  isPinned(seq: number): boolean {
    return this.inFlight.has(seq) || this.held.has(seq)
  }

  /** The batch from the last `plan()` is answered or failed. */
  settled(): void {
    this.inFlight.clear()
  }

  /** Events for the next batch, in seq order; empty when everything after `cursor` is held. */
  plan(cursor: number, size: number): LogEvent[] {
    const lastSeq = this.log.lastSeq()
    if (lastSeq <= cursor) return []
    const picked = new Map<number, LogEvent>()
    const unsent = (e: LogEvent) => !this.held.has(e.seq) && !picked.has(e.seq)
    const backlog = lastSeq - cursor > size
    if (backlog && this.held.size < this.limits.maxHeld) {
      this.scan(cursor, lastSeq)
      for (const [seq, event] of this.queued) {
        if (picked.size >= Math.floor(size / 2)) break
        if (seq > cursor && !this.held.has(seq)) picked.set(seq, event)
      }
      const live = Math.max(1, Math.floor(size / 4))
      const tail = this.log.read(Math.max(cursor, lastSeq - 2 * live), 2 * live).filter(unsent).slice(-live)
      for (const event of tail) picked.set(event.seq, event)
    }
    // Skips what is held; with out-of-order sends, held seqs are scattered above the cursor.
    let from = cursor
    while (picked.size < size) {
      const rows = this.log.read(from, 2 * size)
      if (rows.length === 0) break
      for (const event of rows) {
        if (picked.size >= size) break
        if (unsent(event)) picked.set(event.seq, event)
      }
      from = rows.at(-1)!.seq
    }
    const batch = picked.size > 0 ? [...picked.values()].sort((a, b) => a.seq - b.seq) : this.coverAbsent(cursor)
    this.inFlight = new Set(batch.map((e) => e.seq))
    return batch
  }

  /**
   * Absent seq ranges reach the cloud only inside a batch, up to its highest seq. When
   * everything after the cursor is held or absent, there may be ranges the cloud was
   * never told about (removed after the batches around them went), and nothing left to
   * carry them: resend one held event above them, a duplicate the cloud ignores, so the
   * ranges ride along and the watermark can pass them.
   */
  private coverAbsent(cursor: number): LogEvent[] {
    const top = this.contiguousHeld(cursor)
    const ranges = this.log.absentRanges(cursor, top, MAX_ABSENT_RANGES)
    for (let k = ranges.length - 1; k >= 0; k--) {
      const [carrier] = this.log.read(ranges[k]![1], 1)
      if (carrier && carrier.seq <= top) return [carrier]
    }
    return []
  }

  /** The cloud has stored (or quarantined) every event of a batch it answered 200 to. */
  stored(events: readonly LogEvent[]): void {
    for (const e of events) {
      this.held.add(e.seq)
      this.queued.delete(e.seq)
    }
  }

  /**
   * The highest seq up to which every seq after `cursor` is held or absent: the cursor may
   * move to the cloud's ackSeq but not beyond this (an ack cannot vouch for events never
   * sent). Absent seqs count because the log will never have them to send; the cloud
   * counts them too once a batch has listed them.
   */
  contiguousHeld(cursor: number): number {
    const absent = this.log.absentRanges(cursor, this.log.lastSeq(), MAX_ABSENT_RANGES)
    let seq = cursor
    let i = 0
    for (;;) {
      if (this.held.has(seq + 1)) {
        seq++
        continue
      }
      while (i < absent.length && absent[i]![1] <= seq) i++
      const range = absent[i]
      if (!range || range[0] > seq + 1) return seq
      seq = range[1]
    }
  }

  /** The cloud says it lacks `ackSeq + 1`: forget the held run from there so it is sent again. */
  forgetRunAfter(ackSeq: number): void {
    for (let seq = ackSeq + 1; this.held.delete(seq); seq++);
  }

  /** Forgets what the cursor has passed. */
  advanced(cursor: number): void {
    for (const seq of this.held) if (seq <= cursor) this.held.delete(seq)
    for (const seq of this.queued.keys()) if (seq <= cursor) this.queued.delete(seq)
  }

  heldCount(): number {
    return this.held.size
  }

  private scan(cursor: number, lastSeq: number): void {
    if (this.scanPos < cursor) this.scanPos = cursor
    let budget = this.limits.scanPerBatch
    while (budget > 0 && this.scanPos < lastSeq && this.queued.size < this.limits.maxQueued) {
      const rows = this.log.read(this.scanPos, Math.min(1000, budget))
      if (rows.length === 0) break
      for (const event of rows) {
        if (PRIORITY_KINDS.has(event.kind) && !this.held.has(event.seq)) this.queued.set(event.seq, event)
      }
      this.scanPos = rows.at(-1)!.seq
      budget -= rows.length
    }
  }
}

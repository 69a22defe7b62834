import { MAX_BATCH_EVENTS, type LogEventKind } from '@tendero/protocol'
import type { EventLog, SerializedEvent } from '../log/event-log.js'
import { PriorityLane } from './priority-lane.js'

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
  /** Log seqs the lane of events from before this boot looks at per batch (SQLite filters them by kind). */
  scanPerBatch: number
  /** Priority events kept in memory per lane; past that a lane reads the rest back from the log as it drains. */
  maxQueued: number
  /** Seqs above the cursor the cloud holds; past this, only live priority events go ahead of strictly oldest first. */
  maxHeld: number
}

const DEFAULT_LIMITS: PlannerLimits = { scanPerBatch: 50_000, maxQueued: 2000, maxHeld: 50_000 }

/** One planned batch: its events in seq order, and how far its newest-telemetry read went. */
export interface PlannedBatch {
  events: SerializedEvent[]
  /** Becomes the planner's `tailSeen` once the cloud has stored the batch. */
  tailTop: number
}

/**
 * Chooses what the next batch carries. The cloud's ack is a contiguous watermark over seq
 * and it stores any seq it gets, so the gateway may send out of seq order as long as it
 * remembers which seqs above its cursor the cloud already holds (`held`, in memory only:
 * after a restart they are resent and the cloud's dedup absorbs them).
 *
 * A batch is, during a backlog:
 * - live priority events: those committed since this process started, handed over by the
 *   log as they commit (EventLog.onCommit), oldest first, so each goes in the batch
 *   planned right after its commit, and never after a newer one: the cloud keeps the
 *   newest state of an alarm by event time and pushes only what moves it forward;
 * - priority events that were in the log before this boot (a restart with a backlog),
 *   read from the log by kind, oldest first;
 * - both together at most half the batch, so history keeps moving;
 * - the newest unsent telemetry (a quarter, so the live view is current during a
 *   backlog). Never priority events: sent out of their lane, one could overtake an
 *   older one still waiting there;
 * - the oldest unsent events after the cursor to fill it.
 * Without a backlog a batch is simply everything after the cursor, in order.
 *
 * The cursor still moves only to the cloud's ackSeq, and never past a seq that is neither
 * held nor sent, nor absent: removed by the disk budget (log/budget.ts) and reported to
 * the cloud in `UplinkBatch.absent`.
 *
 * Two batches may be out at once (one in flight, the next prepared meanwhile): a plan
 * skips whatever an earlier unsettled plan took.
 *
 * The planner also pins what it has out for the disk budget (`isPinned`): the batches
 * planned and not settled, and the held seqs. Folding a row into a rollup under a seq the cloud already
 * stores would lose the rollup to the cloud's dedup.
 */
export class BatchPlanner {
  private readonly held = new Set<number>()
  /** Seqs of the batches planned and not settled yet (a carrier may be in two: counted). */
  private readonly inFlight = new Map<number, number>()
  private readonly live: PriorityLane
  private readonly preBoot: PriorityLane
  /** Every row up to here was looked at by a tail read of a batch the cloud stored. */
  private tailSeen = 0
  private readonly limits: PlannerLimits

  constructor(private readonly log: EventLog, limits: Partial<PlannerLimits> = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...limits }
    const bootSeq = log.lastSeq()
    const held = (seq: number) => this.held.has(seq)
    this.live = new PriorityLane(log, PRIORITY_KINDS, bootSeq, Infinity, this.limits.maxQueued, held)
    this.preBoot = new PriorityLane(log, PRIORITY_KINDS, 0, bootSeq, this.limits.maxQueued, held)
    log.onCommit((events) => this.live.committed(events))
    log.protectFromCompaction((seq) => this.isPinned(seq))
  }

  /** Out of the log's hands for the disk budget: in flight, or stored in the cloud ahead of the cursor. */
  isPinned(seq: number): boolean {
    return this.inFlight.has(seq) || this.held.has(seq)
  }

  /** A planned batch is answered or failed: it is no longer out. */
  settled(batch: PlannedBatch): void {
    for (const { seq } of batch.events) this.unpin(seq)
  }

  private unpin(seq: number): void {
    const n = this.inFlight.get(seq) ?? 0
    if (n > 1) this.inFlight.set(seq, n - 1)
    else this.inFlight.delete(seq)
  }

  /**
   * The next batch, in seq order; no events when everything after `cursor` is held or
   * out. It stays out (pinned, and skipped by later plans) until `settled()`.
   */
  plan(cursor: number, size: number): PlannedBatch {
    const lastSeq = this.log.lastSeq()
    if (lastSeq <= cursor) return { events: [], tailTop: 0 }
    const picked = new Map<number, SerializedEvent>()
    const isOut = (seq: number) => this.inFlight.has(seq)
    const isHeld = (seq: number) => this.held.has(seq) || isOut(seq)
    let tailTop = 0
    if (lastSeq - cursor > size) {
      const half = Math.max(1, Math.floor(size / 2))
      this.live.refill(cursor, lastSeq, this.limits.scanPerBatch)
      this.live.take(picked, half, isOut)
      if (this.held.size < this.limits.maxHeld) {
        this.preBoot.refill(cursor, lastSeq, this.limits.scanPerBatch)
        this.preBoot.take(picked, half, isOut)
        tailTop = this.takeTail(cursor, lastSeq, Math.max(1, Math.floor(size / 4)), picked)
      }
    }
    // Skips what is held; with out-of-order sends, held seqs are scattered above the cursor.
    let from = cursor
    while (picked.size < size) {
      const want = size - picked.size
      let last = from
      const rows = this.log.readSerialized(from, want, (seq) => {
        last = seq
        return isHeld(seq) || picked.has(seq)
      })
      for (const event of rows) picked.set(event.seq, event)
      if (last === from || last >= lastSeq) break
      from = last
    }
    const events = picked.size > 0 ? [...picked.values()].sort((a, b) => a.seq - b.seq) : this.coverAbsent(cursor)
    for (const { seq } of events) this.inFlight.set(seq, (this.inFlight.get(seq) ?? 0) + 1)
    return { events, tailTop }
  }

  /**
   * A batch planned a while ago is about to go: adds the live priority events committed
   * since, which the lane would otherwise hold for the batch after, making room under
   * `upTo` by leaving out the batch's newest history (a later batch takes it). Only ever
   * the lane's oldest, so nothing overtakes an older one still waiting. Returns the
   * events added.
   */
  topUp(batch: PlannedBatch, upTo: number): SerializedEvent[] {
    const picked = new Map<number, SerializedEvent>()
    this.live.take(picked, Math.max(1, Math.floor(upTo / 2)), (seq) => this.inFlight.has(seq))
    if (picked.size === 0) return []
    let over = batch.events.length + picked.size - upTo
    const kept: SerializedEvent[] = []
    for (let i = batch.events.length - 1; i >= 0; i--) {
      const event = batch.events[i]!
      if (over > 0 && !PRIORITY_KINDS.has(event.kind)) {
        over--
        this.unpin(event.seq)
      } else kept.push(event)
    }
    // Still no room for all: the newest stay in the lane, in order, for the next batch.
    const added = [...picked.values()].slice(0, picked.size - Math.max(0, over))
    for (const { seq } of added) this.inFlight.set(seq, (this.inFlight.get(seq) ?? 0) + 1)
    batch.events = [...kept, ...added].sort((a, b) => a.seq - b.seq)
    return added
  }

  /** The newest unsent telemetry and other history, up to `count`, read past what earlier tails saw; returns how far it read. */
  private takeTail(cursor: number, lastSeq: number, count: number, picked: Map<number, SerializedEvent>): number {
    const from = Math.max(cursor, lastSeq - 2 * count, this.tailSeen)
    if (from >= lastSeq) return 0
    const rows = this.log.readSerialized(from, 2 * count, (seq) => this.held.has(seq) || this.inFlight.has(seq) || picked.has(seq))
    for (const event of rows.filter((e) => !PRIORITY_KINDS.has(e.kind)).slice(-count)) picked.set(event.seq, event)
    return Math.min(lastSeq, from + 2 * count)
  }

  /**
   * Absent seq ranges reach the cloud only inside a batch, up to its highest seq. When
   * everything after the cursor is held or absent, there may be ranges the cloud was
   * never told about (removed after the batches around them went), and nothing left to
   * carry them: resend one held event above them, a duplicate the cloud ignores, so the
   * ranges ride along and the watermark can pass them.
   */
  private coverAbsent(cursor: number): SerializedEvent[] {
    const top = this.contiguousHeld(cursor)
    const ranges = this.log.absentRanges(cursor, top, MAX_ABSENT_RANGES)
    for (let k = ranges.length - 1; k >= 0; k--) {
      const [carrier] = this.log.readSerialized(ranges[k]![1], 1)
      if (carrier && carrier.seq <= top) return [carrier]
    }
    return []
  }

  /** The cloud has stored (or quarantined) every event of a batch it answered 200 to. */
  stored(events: readonly { seq: number }[], tailTop = 0): void {
    for (const e of events) {
      this.held.add(e.seq)
      this.live.stored(e.seq)
      this.preBoot.stored(e.seq)
    }
    this.tailSeen = Math.max(this.tailSeen, tailTop)
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
    this.live.dropUpTo(cursor)
    this.preBoot.dropUpTo(cursor)
  }

  heldCount(): number {
    return this.held.size
  }
}

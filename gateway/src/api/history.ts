import type { LogEvent } from '@tendero/protocol'
import type { EventLog } from '../log/event-log.js'

export interface HistoryOptions {
  /** Event time window, epoch ms, both ends included. */
  from: number
  to: number
  /** Most events returned; past it `truncated` is set (default 500k). */
  maxEvents?: number
  /** Rows read per query; the event loop gets a turn between chunks so the broker keeps going. */
  chunk?: number
}

// A device may stamp a reading up to a few minutes ahead of the gateway's clock
// (GATEWAY_TS_MAX_AHEAD_S); start reading that much before `from` by receive time.
const AHEAD_SLACK_MS = 10 * 60_000

/**
 * Recorded events whose `time` falls in [from, to], in log order, read from the durable
 * log in chunks. Starts at the first event received near `from` (binary search on seq:
 * receive times follow seq) and reads to the end, because a device replaying its ring
 * buffer logs old readings late.
 */
export async function readHistory(log: EventLog, opts: HistoryOptions): Promise<{ events: LogEvent[]; truncated: boolean }> {
  const maxEvents = opts.maxEvents ?? 500_000
  const chunk = opts.chunk ?? 2000
  const events: LogEvent[] = []
  let after = firstSeqReceivedFrom(log, opts.from - AHEAD_SLACK_MS) - 1
  for (;;) {
    const rows = log.read(after, chunk)
    for (const e of rows) {
      if (e.time < opts.from || e.time > opts.to) continue
      if (events.length >= maxEvents) return { events, truncated: true }
      events.push(e)
    }
    if (rows.length < chunk) return { events, truncated: false }
    after = rows.at(-1)!.seq
    await new Promise((resolve) => setImmediate(resolve))
  }
}

/** The lowest seq received at or after `t` (lastSeq + 1 when none is). */
function firstSeqReceivedFrom(log: EventLog, t: number): number {
  // read(s - 1, 1) is the first event with seq >= s: retention may have pruned below it.
  const at = (s: number) => log.read(s - 1, 1)[0]
  const first = at(1)
  if (!first || first.receivedAt >= t) return first?.seq ?? 1
  let lo = first.seq // received before t
  let hi = log.lastSeq() + 1 // treated as received at or after t
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2)
    const e = at(mid)
    if (e && e.receivedAt < t) lo = e.seq
    else hi = mid
  }
  return hi
}

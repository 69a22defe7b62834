import type { Validator } from '@tendero/protocol'
import type { RejectReason } from './rejections.js'

export interface MessageCheckOptions {
  maxPayloadBytes: number
  /** Gateway wall clock, epoch ms. */
  now: number
  /** Timestamps are judged only against a clock that is itself trustworthy. */
  clockSynced: boolean
  maxAheadMs: number
  maxBehindMs: number
}

export type MessageCheck = { ok: true; value: unknown } | { ok: false; reason: RejectReason; detail: string }

/**
 * Everything a payload must pass after the topic ACL, cheapest first, each failure with
 * its own reason: size, JSON, protocol schema (non-finite numbers told apart), then the
 * device timestamp against the gateway clock.
 *
 * Why not the protocol's `parsePayload`: it has one fixed size limit and one reason
 * string; the gateway needs a per-device limit and a countable reason.
 */
export function checkMessage(payload: Buffer, validator: Validator<unknown>, o: MessageCheckOptions): MessageCheck {
  if (payload.byteLength > o.maxPayloadBytes)
    return { ok: false, reason: 'too_large', detail: `${payload.byteLength} bytes > ${o.maxPayloadBytes}` }
  let value: unknown
  try {
    value = JSON.parse(payload.toString('utf8'))
  } catch {
    return { ok: false, reason: 'bad_json', detail: 'payload is not valid JSON' }
  }
  if (!validator.check(value)) {
    // JSON has no NaN or Infinity literals, but `1e999` parses to Infinity. The schemas
    // already refuse non-finite numbers; this only names the reason.
    if (hasNonFinite(value)) return { ok: false, reason: 'non_finite', detail: 'number out of range (NaN or Infinity)' }
    return { ok: false, reason: 'bad_payload', detail: validator.explain(value).join('; ') || 'schema violation' }
  }
  const ts = (value as { ts?: unknown }).ts
  if (typeof ts === 'number' && o.clockSynced) {
    if (ts > o.now + o.maxAheadMs) return { ok: false, reason: 'bad_timestamp', detail: `ts ${ts} is ${ts - o.now} ms ahead of the gateway clock` }
    if (ts < o.now - o.maxBehindMs) return { ok: false, reason: 'bad_timestamp', detail: `ts ${ts} is ${o.now - ts} ms behind the gateway clock` }
  }
  return { ok: true, value }
}

/** Iterative, so a deeply nested payload cannot overflow the stack. */
function hasNonFinite(root: unknown): boolean {
  const stack: unknown[] = [root]
  while (stack.length > 0) {
    const v = stack.pop()
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) return true
    } else if (v !== null && typeof v === 'object') {
      for (const child of Object.values(v)) stack.push(child)
    }
  }
  return false
}

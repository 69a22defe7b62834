import type { LogEvent } from '@tendero/protocol'
import type { Quarantined } from './derive.js'

/**
 * Text PostgreSQL cannot hold: U+0000 fits neither text nor jsonb, and jsonb refuses a
 * UTF-16 surrogate without its pair. The schema lets both through in any string, and one
 * such event would fail its whole batch on every retry, so it is quarantined instead
 * (ARCHITECTURE.md sync contract 5).
 */
const UNSTORABLE_CHAR = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/
const UNSTORABLE_CHARS = new RegExp(UNSTORABLE_CHAR.source, 'g')
// In JSON.stringify's output both appear only as lowercase \u escapes (it writes paired
// surrogates as they are): a backslash, u and the code, after an even run of backslashes.
const UNSTORABLE_ESCAPE = /(?<!\\)((?:\\\\)*)\\u(?:0000|d[89a-f][0-9a-f]{2})/
const UNSTORABLE_ESCAPES = new RegExp(UNSTORABLE_ESCAPE.source, 'g')
// May also match an escaped backslash followed by such text; the exact check sorts that out.
const MAYBE_UNSTORABLE_ESCAPE = /\\u(?:0000|d[89a-f])/

export const UNSTORABLE_REASON = 'text the cloud cannot store (U+0000 or an unpaired UTF-16 surrogate)'

export interface StorableEvents {
  events: LogEvent[]
  /** The events' bodies as one JSON array, in the same order: serialized once, for the insert. */
  bodiesJson: string
  quarantined: Quarantined[]
}

/**
 * Splits off events holding text PostgreSQL cannot store. The common case costs one scan
 * of the bodies' JSON, which the insert needs anyway, and of the two envelope strings
 * (`kind` is one of a fixed set).
 */
export function storableEvents(valid: LogEvent[]): StorableEvents {
  const bodiesJson = JSON.stringify(valid.map((e) => e.body))
  const suspect = MAYBE_UNSTORABLE_ESCAPE.test(bodiesJson) ||
    valid.some((e) => UNSTORABLE_CHAR.test(e.deviceId) || UNSTORABLE_CHAR.test(e.bootId))
  if (!suspect) return { events: valid, bodiesJson, quarantined: [] }
  const events: LogEvent[] = []
  const quarantined: Quarantined[] = []
  for (const event of valid) {
    if (UNSTORABLE_ESCAPE.test(JSON.stringify(event))) quarantined.push({ seq: event.seq, reason: UNSTORABLE_REASON, raw: event })
    else events.push(event)
  }
  return { events, bodiesJson: JSON.stringify(events.map((e) => e.body)), quarantined }
}

/** JSON that jsonb accepts: what it cannot hold becomes U+FFFD. For quarantined raw events. */
export const storableJson = (json: string): string => json.replace(UNSTORABLE_ESCAPES, '$1\\ufffd')

/** Text that PostgreSQL accepts: what it cannot hold becomes U+FFFD. */
export const storableText = (text: string): string => text.replace(UNSTORABLE_CHARS, '\ufffd')

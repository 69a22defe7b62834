import { describe, expect, it } from 'vitest'
import type { LogEvent } from '@tendero/protocol'
import { storableEvents, storableJson, storableText, UNSTORABLE_REASON } from './storable.js'

const event = (seq: number, deviceId: string, label: string): LogEvent =>
  ({ seq, deviceId, time: 1, receivedAt: 1, bootId: 'b', monoMs: 0, clockSynced: true, kind: 'state', body: { state: { label } } })

describe('storableEvents', () => {
  it('passes ordinary text through, with the bodies serialized once', () => {
    // Backslashes and the letters of an escape are fine as long as they are not one.
    const events = [event(1, 'camara-1', 'a \\u0000 b \\\\ud800'), event(2, 'cámara 🧊', 'ñ "x"')]
    const storable = storableEvents(events)
    expect(storable.events).toEqual(events)
    expect(storable.quarantined).toEqual([])
    expect(JSON.parse(storable.bodiesJson)).toEqual(events.map((e) => e.body))
  })

  it('quarantines events with U+0000 or an unpaired surrogate anywhere, and keeps the rest in order', () => {
    const events = [
      event(1, 'ok', 'fine'),
      event(2, 'ok', 'a\u0000b'),
      event(3, 'a\u0000b', 'fine'),
      event(4, 'ok', 'x\ud800'),
      event(5, '\udc00x', 'fine'),
      event(6, 'ok', '\\\ud800'),
      event(7, 'ok', 'pair \ud83e\uddca'),
    ]
    const storable = storableEvents(events)
    expect(storable.events.map((e) => e.seq)).toEqual([1, 7])
    expect(storable.quarantined.map((q) => [q.seq, q.reason])).toEqual([2, 3, 4, 5, 6].map((seq) => [seq, UNSTORABLE_REASON]))
    expect(JSON.parse(storable.bodiesJson)).toEqual([events[0]!.body, events[6]!.body])
  })
})

describe('storableJson and storableText', () => {
  it('replace only what PostgreSQL cannot hold with U+FFFD', () => {
    const raw = { a: 'x\u0000y', b: '\\u0000 stays', c: 'lone \ud800', d: 'pair \ud83e\uddca' }
    expect(JSON.parse(storableJson(JSON.stringify(raw)))).toEqual({ a: 'x\ufffdy', b: '\\u0000 stays', c: 'lone \ufffd', d: 'pair \ud83e\uddca' })
    expect(storableText('/body/\u0000: bad \udc00 \ud83e\uddca')).toBe('/body/\ufffd: bad \ufffd \ud83e\uddca')
  })
})

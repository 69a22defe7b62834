import { describe, expect, it } from 'vitest'
import { blockedSpan, freeStarts, openSpans, wallToInstant, type WeeklyRange } from './availability.js'

const iso = (ms: number) => new Date(ms).toISOString()
const at = (s: string) => Date.parse(s)

describe('wall clock to instants', () => {
  it('reads Buenos Aires and Bogotá at their fixed offsets', () => {
    expect(iso(wallToInstant('2026-11-23', 9 * 60, 'America/Argentina/Buenos_Aires'))).toBe('2026-11-23T12:00:00.000Z')
    expect(iso(wallToInstant('2026-11-23', 9 * 60, 'America/Bogota'))).toBe('2026-11-23T14:00:00.000Z')
    expect(iso(wallToInstant('2026-11-23', 1440, 'America/Bogota'))).toBe('2026-11-24T05:00:00.000Z')
  })

  it('keeps 09:00 local on both sides of a DST change (New York, March and November)', () => {
    expect(iso(wallToInstant('2026-03-07', 9 * 60, 'America/New_York'))).toBe('2026-03-07T14:00:00.000Z')
    expect(iso(wallToInstant('2026-03-09', 9 * 60, 'America/New_York'))).toBe('2026-03-09T13:00:00.000Z')
    expect(iso(wallToInstant('2026-10-31', 9 * 60, 'America/New_York'))).toBe('2026-10-31T13:00:00.000Z')
    expect(iso(wallToInstant('2026-11-02', 9 * 60, 'America/New_York'))).toBe('2026-11-02T14:00:00.000Z')
  })

  it('reads a skipped time after the jump and an ambiguous one at its first occurrence', () => {
    // 2026-03-08 02:30 does not exist in New York (02:00 -> 03:00): 03:30 EDT.
    expect(iso(wallToInstant('2026-03-08', 150, 'America/New_York'))).toBe('2026-03-08T07:30:00.000Z')
    // 2026-11-01 01:30 happens twice: the first is still EDT.
    expect(iso(wallToInstant('2026-11-01', 90, 'America/New_York'))).toBe('2026-11-01T05:30:00.000Z')
    // Santiago springs forward at local midnight (2026-09-06 00:00 -> 01:00).
    expect(iso(wallToInstant('2026-09-06', 9 * 60, 'America/Santiago'))).toBe('2026-09-06T12:00:00.000Z')
    expect(iso(wallToInstant('2026-09-05', 9 * 60, 'America/Santiago'))).toBe('2026-09-05T13:00:00.000Z')
  })
})

describe('open spans and free starts', () => {
  const week: WeeklyRange[] = [
    { weekday: 1, startMin: 9 * 60, endMin: 12 * 60 },
    { weekday: 1, startMin: 14 * 60, endMin: 16 * 60 },
    { weekday: 7, startMin: 0, endMin: 4 * 60 },
  ]

  it('gives a Monday two ranges, less a day off, plus extra hours', () => {
    const tz = 'America/Argentina/Buenos_Aires'
    const window = { from: at('2026-11-23T00:00:00-03:00'), to: at('2026-12-01T00:00:00-03:00') }
    const spans = openSpans(window, tz, week, [
      { date: '2026-11-30', kind: 'off', startMin: null, endMin: null },
      { date: '2026-11-25', kind: 'extra', startMin: 18 * 60, endMin: 19 * 60 },
      { date: '2026-11-23', kind: 'off', startMin: 10 * 60, endMin: 11 * 60 },
    ]).map((s) => [iso(s.from), iso(s.to)])
    expect(spans).toEqual([
      ['2026-11-23T12:00:00.000Z', '2026-11-23T13:00:00.000Z'],
      ['2026-11-23T14:00:00.000Z', '2026-11-23T15:00:00.000Z'],
      ['2026-11-23T17:00:00.000Z', '2026-11-23T19:00:00.000Z'],
      ['2026-11-25T21:00:00.000Z', '2026-11-25T22:00:00.000Z'],
      ['2026-11-29T03:00:00.000Z', '2026-11-29T07:00:00.000Z'],
    ])
  })

  it('lasts one real hour less on the night New York springs forward', () => {
    const spans = openSpans({ from: at('2026-03-08T00:00:00Z'), to: at('2026-03-09T12:00:00Z') }, 'America/New_York', week, [])
    // Sunday 00:00-04:00 local is 3 real hours (02:00-03:00 does not exist).
    expect(spans.map((s) => [iso(s.from), iso(s.to)])).toEqual([['2026-03-08T05:00:00.000Z', '2026-03-08T08:00:00.000Z']])
  })

  it('honours durations, buffers and busy spans exactly', () => {
    const open = [{ from: at('2026-11-23T12:00:00Z'), to: at('2026-11-23T14:00:00Z') }]
    const timing = { durationMin: 30, bufferBeforeMin: 10, bufferAfterMin: 15 }
    // A booking 13:00-13:30 with the same buffers blocks 12:50-13:45.
    const busy = [blockedSpan(at('2026-11-23T13:00:00Z'), timing).blocked]
    const starts = freeStarts(open, busy, timing, 15, 0).map(iso)
    // 12:00 blocks 11:50-12:45 (free); 12:15 blocks 12:05-13:00 and runs into 12:50.
    // After it: a start s blocks [s-10, s+45) and must begin at 13:45 or later, s >= 13:55: 14:00 would end past closing.
    expect(starts).toEqual(['2026-11-23T12:00:00.000Z'])
    // With no buffers on the booking but the same on the service, 13:45 is free again.
    const lean = [blockedSpan(at('2026-11-23T13:00:00Z'), { durationMin: 30, bufferBeforeMin: 0, bufferAfterMin: 0 }).blocked]
    expect(freeStarts(open, lean, timing, 15, 0).map(iso)).toEqual(['2026-11-23T12:00:00.000Z', '2026-11-23T12:15:00.000Z'])
    expect(freeStarts(open, [], timing, 30, at('2026-11-23T12:31:00Z')).map(iso)).toEqual(['2026-11-23T13:00:00.000Z', '2026-11-23T13:30:00.000Z'])
  })
})

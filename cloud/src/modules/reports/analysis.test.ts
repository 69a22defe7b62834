import { describe, expect, it } from 'vitest'
import { analyzeFridge, findExcursions, gapThreshold, MIN_GAP_MS, silentGaps, unionLength, type Reading } from './analysis.js'
import { CHILLED_BAND, defaultBand, effectiveBand, FROZEN_BAND } from './bands.js'
import { localDayBounds, localIso } from './zone.js'

const MIN = 60_000
const HOUR = 60 * MIN
const reading = (time: number, value: number): Reading => ({ time, value, min: value, max: value, samples: 1 })
const every = (from: number, to: number, stepMs: number, value: (t: number) => number | null): Reading[] => {
  const out: Reading[] = []
  for (let t = from; t < to; t += stepMs) {
    const v = value(t)
    if (v !== null) out.push(reading(t, v))
  }
  return out
}

describe('cold bands', () => {
  it('holds chilled kinds to 0-5 °C and freezers to -18 °C or colder, other kinds to nothing', () => {
    expect(defaultBand('cold_room')).toEqual({ minC: 0, maxC: 5 })
    expect(defaultBand('display_fridge')).toEqual(CHILLED_BAND)
    expect(defaultBand('freezer')).toEqual({ minC: null, maxC: -18 })
    expect(defaultBand('oven')).toBeNull()
    expect(defaultBand('door_contact')).toBeNull()
  })

  it("prefers the device's own band, and says where the band came from", () => {
    expect(effectiveBand('cold_room', null)).toEqual({ minC: 0, maxC: 5, origin: 'default' })
    expect(effectiveBand('cold_room', { minC: 0, maxC: 4 })).toEqual({ minC: 0, maxC: 4, origin: 'device' })
    expect(effectiveBand('freezer', { minC: null, maxC: null })).toEqual({ ...FROZEN_BAND, origin: 'default' })
    // A device of any kind becomes a fridge for the report once it has a band.
    expect(effectiveBand('sensor', { minC: null, maxC: -10 })).toEqual({ minC: null, maxC: -10, origin: 'device' })
    expect(effectiveBand('oven', null)).toBeNull()
  })
})

describe('gap detection', () => {
  it('is a silence over three median intervals, and never under five minutes', () => {
    expect(gapThreshold(10_000)).toBe(MIN_GAP_MS)
    expect(gapThreshold(5 * MIN)).toBe(15 * MIN)
    expect(gapThreshold(null)).toBe(MIN_GAP_MS)
  })

  it('finds silences at the start, in the middle and at the end, and a whole empty window', () => {
    const times = [10 * MIN, 11 * MIN, 30 * MIN, 31 * MIN]
    expect(silentGaps(times, 0, 60 * MIN, 5 * MIN).map((g) => [g.start / MIN, g.end / MIN])).toEqual([[0, 10], [11, 30], [31, 60]])
    expect(silentGaps([], 0, HOUR, 5 * MIN)).toEqual([{ start: 0, end: HOUR, durationMs: HOUR, source: 'silent', kind: 'no_readings' }])
    // Exactly the threshold is the sensor's rhythm.
    expect(silentGaps([0, 5 * MIN], 0, 5 * MIN, 5 * MIN)).toEqual([])
  })

  it('counts overlapping gaps once', () => {
    expect(unionLength([{ start: 0, end: 10 }, { start: 5, end: 20 }, { start: 30, end: 40 }, { start: 32, end: 35 }])).toBe(30)
  })
})

describe('a fridge over a window', () => {
  const band = { minC: 0, maxC: 5 }

  it('lists an excursion, a silent gap and a gateway gap, and fails the day', () => {
    const readings = every(0, 24 * HOUR, MIN, (t) => (t >= 14 * HOUR && t < 14 * HOUR + 40 * MIN ? null
      : t >= 10 * HOUR && t < 10 * HOUR + 20 * MIN ? (t === 10 * HOUR + 10 * MIN ? 8.2 : 7.5) : 3))
    const a = analyzeFridge({ from: 0, to: 24 * HOUR, band, readings, gatewayGaps: [{ from: 18 * HOUR, to: 18 * HOUR + 30 * MIN, reason: 'downsampled' }],
      alarms: [{ alarmId: 'camara-alta:camara-1', from: 10 * HOUR + 2 * MIN, to: 10 * HOUR + 25 * MIN }] })
    expect(a.verdict).toBe('excursion')
    expect(a.excursions).toEqual([{ start: 10 * HOUR, end: 10 * HOUR + 20 * MIN, durationMs: 20 * MIN, direction: 'high', peakC: 8.2,
      closedBy: 'reading', alarmCovered: true, alarmIds: ['camara-alta:camara-1'] }])
    expect(a.gaps.map((g) => [g.kind, (g.start - 0) / MIN, g.end / MIN])).toEqual([['no_readings', 14 * 60 - 1, 14 * 60 + 40], ['downsampled', 18 * 60, 18 * 60 + 30]])
    // Downsampled history is still there: only the silence is missing.
    expect(a.missingMs).toBe(41 * MIN)
    expect(a.readings).toBe(1440 - 40)
    expect(a.expected).toBe(1440)
    expect(a.inBandPct).toBe(Math.round((1400 - 20) / 1400 * 1000) / 10)
  })

  it('passes a clean day, and calls an empty or a mostly silent day incomplete, never ok', () => {
    const clean = analyzeFridge({ from: 0, to: 24 * HOUR, band, readings: every(0, 24 * HOUR, MIN, () => 3), gatewayGaps: [], alarms: [] })
    expect(clean).toMatchObject({ verdict: 'ok', coveragePct: 100, gaps: [], excursions: [], inBandPct: 100 })
    const empty = analyzeFridge({ from: 0, to: 24 * HOUR, band, readings: [], gatewayGaps: [], alarms: [] })
    expect(empty).toMatchObject({ verdict: 'incomplete', readings: 0, coveragePct: 0, missingPct: 100, minC: null })
    const silent = analyzeFridge({ from: 0, to: 24 * HOUR, band, readings: every(0, 20 * HOUR, MIN, () => 3), gatewayGaps: [], alarms: [] })
    expect(silent.verdict).toBe('incomplete')
    const dropped = analyzeFridge({ from: 0, to: 24 * HOUR, band, readings: every(0, 24 * HOUR, MIN, () => 3),
      gatewayGaps: [{ from: 2 * HOUR, to: 6 * HOUR, reason: 'dropped' }], alarms: [] })
    expect(dropped).toMatchObject({ verdict: 'incomplete', missingMs: 4 * HOUR })
  })

  it('ends an excursion at a gap, and starts a new one after it; a rollup counts by its max', () => {
    const readings = [reading(0, 6), reading(MIN, 7), reading(30 * MIN, 7), { time: 31 * MIN, value: 4, min: 3, max: 6, samples: 60 }, reading(32 * MIN, 4)]
    const x = findExcursions(readings, band, 5 * MIN, [], 40 * MIN)
    expect(x.map((e) => [e.start / MIN, e.end / MIN, e.closedBy, e.alarmCovered])).toEqual([[0, 1, 'gap', false], [30, 32, 'reading', false]])
    expect(x[1]!.peakC).toBe(7)
    const cold = findExcursions([reading(0, -1), reading(MIN, 2)], band, 5 * MIN)
    expect(cold).toMatchObject([{ direction: 'low', peakC: -1, closedBy: 'reading' }])
  })
})

describe('local days', () => {
  it('are 24 h in Buenos Aires and 23 or 25 h across a DST change', () => {
    expect(localDayBounds('2026-11-20', 'America/Argentina/Buenos_Aires')).toEqual({ from: Date.parse('2026-11-20T03:00:00Z'), to: Date.parse('2026-11-21T03:00:00Z') })
    expect(localDayBounds('2026-03-08', 'America/New_York')).toEqual({ from: Date.parse('2026-03-08T05:00:00Z'), to: Date.parse('2026-03-09T04:00:00Z') })
    expect(localDayBounds('2026-11-01', 'America/New_York')).toEqual({ from: Date.parse('2026-11-01T04:00:00Z'), to: Date.parse('2026-11-02T05:00:00Z') })
    expect(localDayBounds('2026-03-29', 'Europe/Madrid')).toEqual({ from: Date.parse('2026-03-28T23:00:00Z'), to: Date.parse('2026-03-29T22:00:00Z') })
    expect(localIso(Date.parse('2026-11-01T12:00:00Z'), 'America/New_York')).toBe('2026-11-01T07:00:00-05:00')
  })

  it('start when the clock jumps where midnight does not exist', () => {
    // Santiago springs forward at 24:00 on the first Saturday of September: 2026-09-06 starts at 01:00 local.
    const { from } = localDayBounds('2026-09-06', 'America/Santiago')
    expect(localIso(from, 'America/Santiago')).toBe('2026-09-06T01:00:00-03:00')
  })
})

import { describe, expect, it } from 'vitest'
import type { DataGap } from '../../api/types.js'
import { bandAt, GAP_DEVICES_LISTED_MAX, gapBands, sameBands, upsertGap } from './gaps.js'

const T0 = Date.UTC(2025, 0, 15, 15, 0, 0)
const MIN = 60_000

const gap = (overrides: Partial<DataGap> = {}): DataGap => ({
  gatewayId: 'gw-demo-01',
  reason: 'downsampled',
  fromSeq: 100,
  toSeq: 200,
  fromTime: T0 + 10 * MIN,
  toTime: T0 + 20 * MIN,
  removed: 600,
  written: 10,
  devices: ['camara-1'],
  ...overrides,
})

const window = { from: T0, to: T0 + 60 * MIN }

describe('gapBands', () => {
  it('clips gaps to the chart window and drops those outside it', () => {
    const bands = gapBands(
      [
        gap({ fromTime: T0 - 30 * MIN, toTime: T0 + 5 * MIN }),
        gap({ fromSeq: 300, toSeq: 400, fromTime: T0 + 50 * MIN, toTime: T0 + 90 * MIN }),
        gap({ fromSeq: 1, toSeq: 50, fromTime: T0 - 90 * MIN, toTime: T0 - 61 * MIN }),
      ],
      window,
    )
    expect(bands).toEqual([
      { reason: 'downsampled', from: T0, to: T0 + 5 * MIN },
      { reason: 'downsampled', from: T0 + 50 * MIN, to: T0 + 60 * MIN },
    ])
  })

  it('merges overlapping and touching gaps of one reason, keeps reasons apart', () => {
    const bands = gapBands(
      [
        gap({ fromTime: T0 + 10 * MIN, toTime: T0 + 20 * MIN }),
        gap({ fromSeq: 201, toSeq: 300, fromTime: T0 + 20 * MIN, toTime: T0 + 25 * MIN }),
        gap({ fromSeq: 301, toSeq: 310, fromTime: T0 + 12 * MIN, toTime: T0 + 15 * MIN }),
        gap({ reason: 'dropped', fromSeq: 50, toSeq: 99, fromTime: T0 + 14 * MIN, toTime: T0 + 30 * MIN }),
        gap({ fromSeq: 400, toSeq: 410, fromTime: T0 + 40 * MIN, toTime: T0 + 41 * MIN }),
      ],
      window,
    )
    expect(bands).toEqual([
      { reason: 'downsampled', from: T0 + 10 * MIN, to: T0 + 25 * MIN },
      { reason: 'dropped', from: T0 + 14 * MIN, to: T0 + 30 * MIN },
      { reason: 'downsampled', from: T0 + 40 * MIN, to: T0 + 41 * MIN },
    ])
    expect(bandAt(bands, T0 + 20 * MIN)?.reason).toBe('dropped')
    expect(bandAt(bands, T0 + 11 * MIN)?.reason).toBe('downsampled')
    expect(bandAt(bands, T0 + 35 * MIN)).toBeUndefined()
  })

  it('keeps a gap of a single instant', () => {
    expect(gapBands([gap({ fromTime: T0 + MIN, toTime: T0 + MIN })], window)).toEqual([
      { reason: 'downsampled', from: T0 + MIN, to: T0 + MIN },
    ])
  })

  it('shows only gaps that touched the device, unless the device list cannot tell', () => {
    const other = gap({ devices: ['heladera-2'] })
    const unlisted = gap({ fromSeq: 500, toSeq: 600, devices: [] })
    const truncated = gap({
      fromSeq: 700,
      toSeq: 800,
      fromTime: T0 + 30 * MIN,
      toTime: T0 + 31 * MIN,
      devices: Array.from({ length: GAP_DEVICES_LISTED_MAX }, (_, i) => `d-${i}`),
    })
    expect(gapBands([other], { ...window, deviceId: 'camara-1' })).toEqual([])
    expect(gapBands([other, unlisted, truncated], { ...window, deviceId: 'camara-1' })).toHaveLength(2)
    expect(gapBands([other], window)).toHaveLength(1)
  })

  it('does not change the gaps it was given', () => {
    const gaps = [gap(), gap({ fromSeq: 201, toSeq: 300, fromTime: T0 + 15 * MIN, toTime: T0 + 30 * MIN })]
    const before = structuredClone(gaps)
    gapBands(gaps, window)
    expect(gaps).toEqual(before)
  })
})

describe('sameBands', () => {
  it('compares bands by value', () => {
    const a = gapBands([gap()], window)
    expect(sameBands(a, gapBands([gap()], window))).toBe(true)
    expect(sameBands(a, gapBands([gap({ toTime: T0 + 21 * MIN })], window))).toBe(false)
    expect(sameBands(a, gapBands([gap({ reason: 'dropped' })], window))).toBe(false)
    expect(sameBands(a, [])).toBe(false)
  })
})

describe('upsertGap', () => {
  it('keeps one copy of a gap seen in the fetch and in the push, newest first', () => {
    let gaps = upsertGap([], gap())
    gaps = upsertGap(gaps, gap({ fromSeq: 300, toSeq: 400, fromTime: T0 + 30 * MIN, toTime: T0 + 40 * MIN }))
    gaps = upsertGap(gaps, gap({ removed: 601 }))
    expect(gaps.map((g) => [g.fromSeq, g.removed])).toEqual([
      [300, 600],
      [100, 601],
    ])
  })

  it("identifies a gap by its own seq when the cloud sends it", () => {
    const gaps = upsertGap(upsertGap([], gap({ seq: 900 })), gap({ seq: 900, toSeq: 250, removed: 700 }))
    expect(gaps).toHaveLength(1)
    expect(gaps[0]!.removed).toBe(700)
    expect(upsertGap(gaps, gap({ seq: 901 }))).toHaveLength(2)
  })

  it('keeps a downsampled and a dropped gap over the same seq range apart', () => {
    const gaps = upsertGap(upsertGap([], gap()), gap({ reason: 'dropped' }))
    expect(gaps).toHaveLength(2)
  })

  it('caps the list, forgetting the oldest gaps', () => {
    let gaps: DataGap[] = []
    for (let i = 0; i < 5; i++) gaps = upsertGap(gaps, gap({ fromSeq: i * 10 + 1, toSeq: i * 10 + 9, toTime: T0 + i * MIN }), 3)
    expect(gaps.map((g) => g.fromSeq)).toEqual([41, 31, 21])
  })
})

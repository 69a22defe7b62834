import { describe, expect, it } from 'vitest'
import { compile, TelemetryRollup } from '@tendero/protocol'
import { foldableReadings, groupForRollup, rollupOf, type RawReading } from './rollup.js'

const rollupSchema = compile(TelemetryRollup)
const T0 = Date.UTC(2026, 0, 5, 10, 0)
const raw = (seq: number, time: number, readings: Record<string, number>, over: Partial<RawReading> = {}): RawReading => ({
  seq, deviceId: 'camara-1', time, bootId: 'b1', clockSynced: true, readings, ...over,
})

describe('rollups', () => {
  it('folds a minute of readings into min/avg/max per metric, count and time span', () => {
    const rollup = rollupOf([
      raw(1, T0 + 1000, { temperature_c: 4, door_open: 0 }),
      raw(3, T0 + 2000, { temperature_c: 7 }),
      raw(5, T0 + 59_000, { temperature_c: 1, door_open: 1 }),
    ])
    expect(rollup).toEqual({
      periodMs: 60_000,
      from: T0 + 1000,
      to: T0 + 59_000,
      count: 3,
      min: { temperature_c: 1, door_open: 0 },
      avg: { temperature_c: 4, door_open: 0.5 },
      max: { temperature_c: 7, door_open: 1 },
    })
    expect(rollupSchema.explain(rollup)).toEqual([])
  })

  it('keeps avg to twelve significant digits', () => {
    const rollup = rollupOf([raw(1, T0, { t: 1 }), raw(2, T0, { t: 2 }), raw(3, T0, { t: 4 })])
    expect(rollup!.avg.t).toBe(2.33333333333)
  })

  it('groups by device, minute, boot and clock trust, and leaves single readings alone', () => {
    const groups = groupForRollup([
      raw(1, T0 + 1000, { t: 1 }),
      raw(2, T0 + 1000, { t: 10 }, { deviceId: 'camara-2' }),
      raw(3, T0 + 2000, { t: 3 }),
      raw(4, T0 + 61_000, { t: 5 }), // next minute, alone
      raw(5, T0 + 3000, { t: 9 }, { clockSynced: false }), // unsynced, alone
      raw(6, T0 + 4000, { t: 11 }, { deviceId: 'camara-2' }),
      raw(7, T0 + 5000, { t: 6 }, { bootId: 'b2' }),
      raw(8, T0 + 6000, { t: 8 }, { bootId: 'b2' }),
    ])
    expect(groups.map((g) => g.rows.map((r) => r.seq))).toEqual([
      [1, 3],
      [2, 6],
      [7, 8],
    ])
    expect(groups.map((g) => g.rollup.avg.t)).toEqual([2, 10.5, 7])
  })

  it('leaves a group raw when its metrics would not fit one Readings object', () => {
    const wide = (seq: number, offset: number) =>
      raw(seq, T0, Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`m${i + offset}`, i])))
    expect(groupForRollup([wide(1, 0), wide(2, 40)])).toEqual([])
  })

  it('folds only bodies the cloud would accept as telemetry', () => {
    expect(foldableReadings({ readings: { temperature_c: 4 } })).toEqual({ temperature_c: 4 })
    expect(foldableReadings({ readings: { temperature_c: 'hot' } })).toBeUndefined()
    expect(foldableReadings({ readings: {} })).toBeUndefined()
    expect(foldableReadings({ n: 1 })).toBeUndefined()
  })
})

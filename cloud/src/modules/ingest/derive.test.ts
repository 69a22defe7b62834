import { describe, expect, it } from 'vitest'
import type { LogEvent } from '@tendero/protocol'
import { absentRangeError, deriveReadModels, isTimeSuspect, LIVE_TELEMETRY_MAX_AGE_MS, triageBatch, type TelemetryColumns } from './derive.js'

const envelope = { deviceId: 'camara-1', receivedAt: 1, bootId: 'b', monoMs: 0, clockSynced: true }
const scope = { gatewayId: 'gw-1', siteId: 'site-1' }

/** The columns back as one object per row, to compare rows whole. */
const rowsOf = (t: TelemetryColumns) =>
  t.seq.map((seq, i) => ({ deviceId: t.deviceId[i], metric: t.metric[i], time: t.time[i], value: t.value[i], seq,
    min: t.min[i], max: t.max[i], samples: t.samples[i] }))

describe('triageBatch', () => {
  it('splits valid from quarantined with a reason naming the field, and drops in-batch repeats', () => {
    const good = { ...envelope, seq: 1, time: 10, kind: 'telemetry', body: { readings: { temperature_c: 4 } } }
    const bad = { ...envelope, seq: 2, time: 10, kind: 'telemetry', body: { readings: { temperature_c: 'hot' } } }
    const unknown = { ...envelope, seq: 3, time: 10, kind: 'teleport', body: {} }
    const result = triageBatch([good, bad, unknown, good])
    expect(result.valid).toEqual([good])
    expect(result.repeatedInBatch).toBe(1)
    expect(result.quarantined.map((q) => q.seq)).toEqual([2, 3])
    expect(result.quarantined[0]?.reason).toMatch(/^\/body\/readings\/temperature_c: /)
    expect(result.quarantined[1]?.reason).toBe('/kind: unknown event kind "teleport"')
  })
})

describe('deriveReadModels', () => {
  it('makes one telemetry row per reading and a live push of the reading', () => {
    const events: LogEvent[] = [
      { ...envelope, seq: 7, time: 1000, kind: 'telemetry', body: { readings: { temperature_c: 4.6, door_open: 0 } } },
    ]
    const derived = deriveReadModels(scope, events, 10_000)
    expect(rowsOf(derived.telemetry)).toEqual([
      { deviceId: 'camara-1', metric: 'temperature_c', time: 1000, value: 4.6, seq: 7, min: null, max: null, samples: null },
      { deviceId: 'camara-1', metric: 'door_open', time: 1000, value: 0, seq: 7, min: null, max: null, samples: null },
    ])
    expect(derived.pushes).toEqual([{ event: 'telemetry', payload: { siteId: 'site-1', gatewayId: 'gw-1',
      deviceId: 'camara-1', time: 1000, readings: { temperature_c: 4.6, door_open: 0 } } }])
  })

  it('pushes only the newest live value of each device metric, and no history', () => {
    const now = Date.UTC(2025, 5, 1)
    const reading = (seq: number, deviceId: string, time: number, readings: Record<string, number>): LogEvent =>
      ({ ...envelope, seq, deviceId, time, kind: 'telemetry', body: { readings } })
    const derived = deriveReadModels(scope, [
      reading(1, 'camara-1', now - 3000, { temperature_c: 4.1, humidity_pct: 80 }),
      reading(2, 'horno-1', now - 2500, { temperature_c: 180 }),
      reading(3, 'camara-1', now - 2000, { temperature_c: 4.2, humidity_pct: 81 }),
      // Only one of the two metrics: the other keeps its newest value from seq 3.
      reading(4, 'camara-1', now - 1000, { temperature_c: 4.3 }),
      // Out of order in time: an older reading does not replace a newer one.
      reading(5, 'horno-1', now - 2600, { temperature_c: 170 }),
      reading(6, 'riego-1', now - LIVE_TELEMETRY_MAX_AGE_MS - 1, { flow_lpm: 12 }),
    ], now)
    expect(derived.telemetry.seq).toEqual([1, 1, 2, 3, 3, 4, 5, 6])
    expect(derived.pushes.map((p) => p.payload)).toEqual([
      { siteId: 'site-1', gatewayId: 'gw-1', deviceId: 'camara-1', time: now - 1000, readings: { temperature_c: 4.3 } },
      { siteId: 'site-1', gatewayId: 'gw-1', deviceId: 'camara-1', time: now - 2000, readings: { humidity_pct: 81 } },
      { siteId: 'site-1', gatewayId: 'gw-1', deviceId: 'horno-1', time: now - 2500, readings: { temperature_c: 180 } },
    ])
  })

  it('keeps only the last state value per key in seq order, even when its time is earlier', () => {
    const derived = deriveReadModels(scope, [
      // Re-stamped after a clock sync: later in seq, earlier in time. The gateway's seq is its order.
      { ...envelope, seq: 2, time: 500, kind: 'state', body: { state: { compressor: false } } },
      { ...envelope, seq: 1, time: 900, kind: 'state', body: { state: { compressor: true, fw: '1' } } },
    ], 10_000)
    expect(derived.state.map((s) => [s.key, s.value, s.updated_at.getTime(), s.gateway_id, s.seq])).toEqual([
      ['compressor', 'false', 500, 'gw-1', 2],
      ['fw', '"1"', 900, 'gw-1', 1],
    ])
    // Every state event is pushed, in seq order, with what a client needs to order it.
    expect(derived.pushes.map((p) => [p.event, p.event === 'state' && p.payload.seq, p.event === 'state' && p.payload.gatewayId])).toEqual([['state', 1, 'gw-1'], ['state', 2, 'gw-1']])
  })

  it('passes alarm changes through in seq order and ignores kinds without a read model', () => {
    const change = { alarmId: 'r:camara-1', ruleId: 'r', deviceId: 'camara-1', severity: 'critical' as const,
      state: 'raised' as const, message: 'x' }
    const derived = deriveReadModels(scope, [
      { ...envelope, seq: 4, time: 4, kind: 'alarm', body: { ...change, state: 'cleared' } },
      { ...envelope, seq: 3, time: 3, kind: 'alarm', body: change },
      { ...envelope, seq: 5, time: 5, kind: 'event', body: { kind: 'door.opened' } },
    ], 10_000)
    expect(derived.alarms.map((a) => [a.change.state, a.gatewayId, a.seq])).toEqual([['raised', 'gw-1', 3], ['cleared', 'gw-1', 4]])
    expect(derived.telemetry.seq).toEqual([])
    expect(derived.pushes).toEqual([])
  })
})

describe('clock trust', () => {
  const now = Date.UTC(2025, 5, 1)
  it('keeps events far in the future or past out of the read models, and gives a suspect alarm the cloud\'s time', () => {
    const change = { alarmId: 'r:camara-1', ruleId: 'r', deviceId: 'camara-1', severity: 'critical' as const,
      state: 'raised' as const, message: 'x' }
    const derived = deriveReadModels(scope, [
      { ...envelope, seq: 1, time: now + 10 * 60_000, kind: 'telemetry', body: { readings: { t: 1 } } },
      { ...envelope, seq: 2, time: 0, kind: 'state', body: { state: { on: true } } },
      { ...envelope, seq: 3, time: now + 60_000, kind: 'telemetry', body: { readings: { t: 2 } } },
      { ...envelope, seq: 4, time: 0, kind: 'alarm', body: change },
    ], now)
    expect(derived.telemetry.seq).toEqual([3])
    expect(derived.state).toEqual([])
    expect(derived.alarms.map((a) => a.time.getTime())).toEqual([now])
    expect(isTimeSuspect(now - 366 * 24 * 3600_000, now)).toBe(true)
    expect(isTimeSuspect(now - 364 * 24 * 3600_000, now)).toBe(false)
  })
})

describe('rollups and gaps', () => {
  const now = Date.UTC(2025, 5, 1)
  const gap = { reason: 'dropped' as const, fromSeq: 3, toSeq: 90, fromTime: now - 3_600_000, toTime: now - 60_000,
    removed: 80, written: 0, devices: ['camara-1', 'camara-2'] }

  it('turns a rollup into one downsampled point per metric (avg, with min, max and samples) and pushes nothing', () => {
    const derived = deriveReadModels(scope, [
      { ...envelope, seq: 9, time: now - 120_000, kind: 'rollup', body: { periodMs: 60_000, from: now - 120_000,
        to: now - 61_000, count: 58, min: { temperature_c: 3.9 }, avg: { temperature_c: 4.2, door_open: 0.1 },
        max: { temperature_c: 4.8 } } },
    ], now)
    expect(rowsOf(derived.telemetry)).toEqual([
      { deviceId: 'camara-1', metric: 'temperature_c', time: now - 120_000, value: 4.2, seq: 9, min: 3.9, max: 4.8, samples: 58 },
      { deviceId: 'camara-1', metric: 'door_open', time: now - 120_000, value: 0.1, seq: 9, min: null, max: null, samples: 58 },
    ])
    expect(derived.pushes).toEqual([])
  })

  it('turns a gap into a data_gaps row, and keeps a gap with suspect times out like a suspect reading', () => {
    const derived = deriveReadModels(scope, [
      { ...envelope, seq: 91, time: now, kind: 'gap', body: gap },
      { ...envelope, seq: 92, time: now, kind: 'gap', body: { ...gap, toTime: now + 3_600_000 } },
      { ...envelope, seq: 93, time: now + 3_600_000, kind: 'gap', body: gap },
      { ...envelope, seq: 94, time: now - 120_000, kind: 'rollup', body: { periodMs: 60_000, from: now + 3_600_000,
        to: now + 3_600_000, count: 2, min: { t: 1 }, avg: { t: 1 }, max: { t: 1 } } },
    ], now)
    expect(derived.gaps).toEqual([{ site_id: 'site-1', gateway_id: 'gw-1', seq: 91, reason: 'dropped', from_seq: 3,
      to_seq: 90, from_time: new Date(gap.fromTime), to_time: new Date(gap.toTime), removed: 80, written: 0,
      devices: '["camara-1","camara-2"]', recorded_at: new Date(now) }])
    // The rollup is judged by its event time (the gateway stamps it with the period's start).
    expect(derived.telemetry.seq).toEqual([94])
  })
})

describe('absentRangeError', () => {
  const events = [{ seq: 4 }, { seq: 20 }, { seq: 11 }]
  it('accepts ranges at or below the batch\'s highest seq, overlapping or not', () => {
    expect(absentRangeError([], events)).toBeNull()
    expect(absentRangeError([[1, 3], [5, 10], [5, 10], [12, 20], [2, 2]], events)).toBeNull()
  })
  it('names the first bad range and why', () => {
    expect(absentRangeError([[1, 3], [9, 5]], events)).toBe('absent[1]: from 9 is after to 5')
    expect(absentRangeError([[12, 21]], events)).toBe("absent[0]: to 21 is above the batch's highest seq 20")
  })
})

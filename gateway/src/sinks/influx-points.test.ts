import { describe, expect, it } from 'vitest'
import type { LogEvent } from '@tendero/protocol'
import { pointTime, toPoint } from './influx-points.js'

const envelope = { deviceId: 'camara-1', time: 1_700_000_000_123, receivedAt: 1_700_000_000_123, bootId: 'b', monoMs: 1, clockSynced: true }
const ev = (seq: number, kind: string, body: unknown) => ({ ...envelope, seq, kind, body }) as LogEvent

describe('influx points', () => {
  it('keeps the event time in ms and tells apart events of the same millisecond by seq', () => {
    expect(pointTime({ time: 1_700_000_000_123, seq: 7 })).toBe('1700000000123000007')
    expect(pointTime({ time: 1_700_000_000_123, seq: 8 })).not.toBe(pointTime({ time: 1_700_000_000_123, seq: 7 }))
    // Only the sub-millisecond digits carry seq, so the ms part never shifts.
    expect(pointTime({ time: 5, seq: 3_999_999 })).toBe('5999999')
  })

  it('maps telemetry to one point per event with a field per metric and the log seq', () => {
    expect(toPoint(ev(3, 'telemetry', { readings: { temperature_c: 4.5, door_open: 0 } }), 'gw-1')).toEqual({
      measurement: 'telemetry',
      tags: { gateway: 'gw-1', device: 'camara-1' },
      fields: { temperature_c: 4.5, door_open: 0, log_seq: 3 },
      timestamp: '1700000000123000003',
    })
  })

  it('maps alarms, access and payments to their own measurements with low-cardinality tags', () => {
    const alarm = toPoint(
      ev(4, 'alarm', { alarmId: 'a:camara-1', ruleId: 'camara-alta', deviceId: 'camara-1', severity: 'critical', state: 'raised', message: 'hot', value: 9 }),
      'gw-1',
    )
    expect(alarm).toMatchObject({
      measurement: 'alarm',
      tags: { device: 'camara-1', rule: 'camara-alta', severity: 'critical', state: 'raised' },
      fields: { alarm_id: 'a:camara-1', message: 'hot', value: 9, log_seq: 4 },
    })
    expect(alarm!.fields).not.toHaveProperty('by')
    expect(toPoint(ev(5, 'access', { cardId: 'ABCD1234', doorId: 'front', allow: false, reason: 'card_blocked' }), 'gw-1')).toMatchObject({
      measurement: 'access',
      tags: { door: 'front', allow: 'false', reason: 'card_blocked' },
      fields: { card: 'ABCD1234', log_seq: 5 },
    })
    const payment = {
      txId: 't1', cardId: 'ABCD1234', terminalId: 'barra-1', kind: 'charge', amountMinor: 1500, currency: 'ARS',
      approved: true, reason: 'approved', balanceAfterMinor: 8500, entries: [],
    }
    expect(toPoint(ev(6, 'payment', payment), 'gw-1')).toMatchObject({
      measurement: 'payment',
      tags: { terminal: 'barra-1', kind: 'charge', currency: 'ARS', approved: 'true' },
      fields: { tx_id: 't1', amount_minor: 1500, balance_after_minor: 8500, log_seq: 6 },
    })
  })

  it('writes state and device events, and leaves commands and acks to the cloud', () => {
    expect(toPoint(ev(7, 'state', { state: { compressor: true, mode: 'auto' } }), 'gw-1')).toMatchObject({
      measurement: 'state',
      fields: { compressor: true, mode: 'auto', log_seq: 7 },
    })
    expect(toPoint(ev(8, 'event', { kind: 'door.opened' }), 'gw-1')).toMatchObject({ measurement: 'event', tags: { kind: 'door.opened' } })
    expect(toPoint(ev(9, 'ack', { id: 'c1', ok: true }), 'gw-1')).toBeUndefined()
  })

  it('writes a rollup into the telemetry series (avg under the metric name) and a gap as an annotation', () => {
    const rollup = { periodMs: 60_000, from: 1_700_000_000_123, to: 1_700_000_059_000, count: 60, min: { temperature_c: 3 }, avg: { temperature_c: 4.25 }, max: { temperature_c: 6 } }
    expect(toPoint(ev(10, 'rollup', rollup), 'gw-1')).toEqual({
      measurement: 'telemetry',
      tags: { gateway: 'gw-1', device: 'camara-1' },
      fields: { temperature_c: 4.25, temperature_c_min: 3, temperature_c_max: 6, rollup_count: 60, log_seq: 10 },
      timestamp: '1700000000123000010',
    })
    const gap = { reason: 'downsampled', fromSeq: 1, toSeq: 9, fromTime: 1, toTime: 2, removed: 7, written: 2, devices: ['camara-1', 'camara-2'] }
    expect(toPoint({ ...ev(11, 'gap', gap), deviceId: 'gw-1' } as LogEvent, 'gw-1')).toEqual({
      measurement: 'data_gap',
      tags: { gateway: 'gw-1', reason: 'downsampled' },
      fields: { from_seq: 1, to_seq: 9, from_time: 1, to_time: 2, removed: 7, written: 2, devices: 'camara-1,camara-2', log_seq: 11 },
      timestamp: '1700000000123000011',
    })
  })
})

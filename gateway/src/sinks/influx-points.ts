import type { IPoint } from 'influx'
import type { LogEvent } from '@tendero/protocol'

/**
 * How log events become InfluxDB 1.x points. One point per event, so a point is as
 * durable and as idempotent as the event it came from:
 *
 * - The timestamp is the event time in ms, with the event's seq (mod 10^6) in the
 *   sub-millisecond digits (written with precision `n`). InfluxDB keeps one point per
 *   measurement + tag set + time, so two readings of one device in the same millisecond
 *   (common: devices without a clock are stamped at receive time, per group commit)
 *   stay two points, while writing the same event again after a crash overwrites it
 *   with itself. Queried with `epoch=ms` the time is exactly the event time.
 * - Every point carries `log_seq`, the gateway's seq, so history can be counted and
 *   matched against the log and the cloud. Not `seq`: telemetry bodies have their own
 *   device counter by that name.
 * - Tags are the few low-cardinality values one filters by (device, rule, door...);
 *   ids, cards, messages and amounts are fields, so series counts stay small.
 *
 * - A `rollup` (the disk budget folded a minute of raw readings, log/budget.ts) goes to
 *   `telemetry` like the readings it replaces, so a chart keeps one series: the average
 *   under the metric's own name, plus `<metric>_min`, `<metric>_max` and `rollup_count`.
 * - A `gap` is written to `data_gap` as an annotation of what the budget removed.
 *
 * `command`, `ack` and `notify` events are operational records, not site history;
 * they go to the cloud only.
 */
export const INFLUX_MEASUREMENTS = ['telemetry', 'state', 'event', 'alarm', 'access', 'payment', 'data_gap'] as const

/** ms event time + seq in the nanosecond digits, as the decimal string the client passes through. */
export function pointTime(event: Pick<LogEvent, 'time' | 'seq'>): string {
  return (BigInt(event.time) * 1_000_000n + BigInt(event.seq % 1_000_000)).toString()
}

type Fields = Record<string, number | string | boolean>

/** Drops undefined values: InfluxDB has no null, and an absent field is the honest encoding. */
function defined(fields: Record<string, number | string | boolean | undefined>): Fields {
  const out: Fields = {}
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) out[k] = v
  return out
}

/** The point for one log event, or undefined for kinds that are not written. */
export function toPoint(event: LogEvent, gatewayId: string): IPoint | undefined {
  const timestamp = pointTime(event)
  const base = { gateway: gatewayId, device: event.deviceId }
  switch (event.kind) {
    case 'telemetry':
      return { measurement: 'telemetry', tags: base, fields: { ...event.body.readings, log_seq: event.seq }, timestamp }
    case 'rollup': {
      const r = event.body
      const fields: Fields = { rollup_count: r.count, log_seq: event.seq }
      for (const [metric, avg] of Object.entries(r.avg)) {
        fields[metric] = avg
        if (r.min[metric] !== undefined) fields[`${metric}_min`] = r.min[metric]
        if (r.max[metric] !== undefined) fields[`${metric}_max`] = r.max[metric]
      }
      return { measurement: 'telemetry', tags: base, fields, timestamp }
    }
    case 'gap': {
      const g = event.body
      return {
        measurement: 'data_gap',
        tags: { gateway: gatewayId, reason: g.reason },
        fields: {
          from_seq: g.fromSeq,
          to_seq: g.toSeq,
          from_time: g.fromTime,
          to_time: g.toTime,
          removed: g.removed,
          written: g.written,
          // A field, not a tag: the list varies per gap and would multiply series.
          devices: g.devices.join(',').slice(0, 4096),
          log_seq: event.seq,
        },
        timestamp,
      }
    }
    case 'state':
      return { measurement: 'state', tags: base, fields: { ...event.body.state, log_seq: event.seq }, timestamp }
    case 'event':
      return {
        measurement: 'event',
        tags: { ...base, kind: event.body.kind },
        fields: { ...event.body.data, log_seq: event.seq },
        timestamp,
      }
    case 'alarm': {
      const a = event.body
      return {
        measurement: 'alarm',
        tags: { gateway: gatewayId, device: a.deviceId, rule: a.ruleId, severity: a.severity, state: a.state },
        fields: defined({ alarm_id: a.alarmId, message: a.message, value: a.value, level: a.level, by: a.by, log_seq: event.seq }),
        timestamp,
      }
    }
    case 'access': {
      const d = event.body
      return {
        measurement: 'access',
        tags: { ...base, door: d.doorId, allow: String(d.allow), reason: d.reason },
        fields: defined({ card: d.cardId, holder: d.holder, log_seq: event.seq }),
        timestamp,
      }
    }
    case 'payment': {
      const p = event.body
      return {
        measurement: 'payment',
        tags: { ...base, terminal: p.terminalId, kind: p.kind, currency: p.currency, approved: String(p.approved), reason: p.reason },
        fields: defined({
          tx_id: p.txId,
          card: p.cardId,
          amount_minor: p.amountMinor,
          balance_after_minor: p.balanceAfterMinor,
          offline: p.offline,
          log_seq: event.seq,
        }),
        timestamp,
      }
    }
    default:
      return undefined
  }
}

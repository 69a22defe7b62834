import {
  compile,
  LOG_EVENT_SCHEMAS,
  validators,
  type AlarmChange,
  type LogEvent,
  type Validator,
} from '@tendero/protocol'
import type { NewDataGap } from '../../plugins/db/tables.js'

/**
 * Pure steps of ingest, kept apart from SQL so they are tested without a database:
 * sorting a batch into valid and quarantined events, checking its absent seq ranges, and
 * turning newly stored log events into the read models (telemetry, device state, alarms,
 * data gaps) and live pushes.
 */

export interface Quarantined {
  seq: number
  reason: string
  raw: unknown
}

// Only to explain a rejection: the union's own errors list every kind's mismatch, while
// the schema for the event's declared kind names the field that is actually wrong.
const byKind: Record<string, Validator<unknown>> = Object.fromEntries(
  Object.entries(LOG_EVENT_SCHEMAS).map(([kind, schema]) => [kind, compile(schema)]),
)

export function rejectionReason(event: unknown): string {
  const kind = (event as { kind?: unknown }).kind
  const validator = typeof kind === 'string' ? byKind[kind] : undefined
  if (!validator) return `/kind: unknown event kind ${JSON.stringify(kind ?? null)}`
  return [...new Set(validator.explain(event))].join('; ') || 'schema violation'
}

/** How far an event's time may be from the cloud's clock before it is not trusted. */
export const CLOCK_TRUST = { maxAheadMs: 5 * 60_000, maxBehindMs: 365 * 24 * 3600_000 }

/** A time the cloud will not put on charts or let win a last-writer-by-time race. */
export function isTimeSuspect(time: number, now: number, limits = CLOCK_TRUST): boolean {
  return time > now + limits.maxAheadMs || time < now - limits.maxBehindMs
}

export interface Triage {
  valid: LogEvent[]
  quarantined: Quarantined[]
  /** Repeats of a seq already seen earlier in the same batch. */
  repeatedInBatch: number
}

export function triageBatch(events: readonly unknown[]): Triage {
  const seen = new Set<number>()
  const valid: LogEvent[] = []
  const quarantined: Quarantined[] = []
  let repeatedInBatch = 0
  for (const event of events) {
    // The envelope schema already guarantees an integer seq >= 1 on every element.
    const seq = (event as { seq: number }).seq
    if (seen.has(seq)) {
      repeatedInBatch++
      continue
    }
    seen.add(seq)
    if (validators.logEvent.check(event)) valid.push(event)
    else quarantined.push({ seq, reason: rejectionReason(event), raw: event })
  }
  return { valid, quarantined, repeatedInBatch }
}

/**
 * Device state and alarm transitions carry the event's (gateway, seq): one gateway's
 * writes are applied in seq order, whatever their times (repository.ts).
 */
export interface StateUpsert {
  site_id: string
  device_id: string
  key: string
  value: string
  updated_at: Date
  gateway_id: string
  seq: number
}

export interface AlarmUpsert {
  siteId: string
  gatewayId: string
  seq: number
  time: Date
  change: AlarmChange
}

export type Push =
  | {
      event: 'telemetry'
      payload: { siteId: string; gatewayId: string; deviceId: string; time: number; readings: Record<string, number> }
    }
  | {
      event: 'state'
      payload: {
        siteId: string
        deviceId: string
        time: number
        state: Record<string, boolean | number | string>
        /** A client orders one gateway's state by seq, not time (as upsertDeviceState does). */
        gatewayId: string
        seq: number
      }
    }
  | { event: 'alarm'; payload: { siteId: string } & Record<string, unknown> }
  | { event: 'gap'; payload: { siteId: string } & Record<string, unknown> }

/**
 * Telemetry rows of one batch, column by column: the insert takes one array parameter
 * per column, so no object per row is built twice. `siteId` and `gatewayId` are the
 * batch's. Times are epoch ms.
 */
export interface TelemetryColumns {
  deviceId: string[]
  metric: string[]
  time: number[]
  value: number[]
  seq: number[]
  /** Set only on points made from a rollup, like `samples`. */
  min: (number | null)[]
  max: (number | null)[]
  samples: (number | null)[]
}

export const emptyTelemetryColumns = (): TelemetryColumns =>
  ({ deviceId: [], metric: [], time: [], value: [], seq: [], min: [], max: [], samples: [] })

export interface Derived {
  telemetry: TelemetryColumns
  state: StateUpsert[]
  alarms: AlarmUpsert[]
  /** Inserted idempotently; the `gap` push is built from what was actually inserted. */
  gaps: NewDataGap[]
  pushes: Push[]
}

export interface GatewayScope {
  gatewayId: string
  siteId: string
}

/**
 * How old a reading may be and still go out as a live `telemetry` push. Older readings
 * are history (a backlog catching up): the dashboard fetches history by API, and a push
 * per old reading cost the cloud as much CPU as storing it.
 */
export const LIVE_TELEMETRY_MAX_AGE_MS = 5 * 60_000

/** The newest value of one device's metric among a batch's live readings. */
interface LiveReading {
  deviceId: string
  metric: string
  time: number
  value: number
}

/** Read-model rows and pushes for events stored for the first time (never for duplicates). */
export function deriveReadModels(scope: GatewayScope, events: readonly LogEvent[], now = Date.now()): Derived {
  const { gatewayId, siteId } = scope
  const telemetry = emptyTelemetryColumns()
  const derived: Derived = { telemetry, state: [], alarms: [], gaps: [], pushes: [] }
  const addPoint = (deviceId: string, metric: string, time: number, value: number, seq: number,
    min: number | null = null, max: number | null = null, samples: number | null = null) => {
    telemetry.deviceId.push(deviceId)
    telemetry.metric.push(metric)
    telemetry.time.push(time)
    telemetry.value.push(value)
    telemetry.seq.push(seq)
    telemetry.min.push(min)
    telemetry.max.push(max)
    telemetry.samples.push(samples)
  }
  // One upsert statement cannot touch a row twice, so keep only the last value per key:
  // the last in seq order, as the gateway decided it, even if its time is earlier.
  const newestState = new Map<string, StateUpsert>()
  // A batch carries several seconds of a device's readings; the live view needs the last.
  const newestReading = new Map<string, LiveReading>()
  const liveSince = now - LIVE_TELEMETRY_MAX_AGE_MS
  const ordered = [...events].sort((a, b) => a.seq - b.seq)

  for (const event of ordered) {
    const suspect = isTimeSuspect(event.time, now)
    // An alarm must still show, so a suspect one takes the cloud's time; a suspect
    // reading or state would sit on a chart at the wrong time, or win every later
    // last-writer-by-time race from the future: those stay in the raw log only. A gap
    // is judged by the times it covers as well: it marks a chart, like the readings.
    if (suspect && event.kind !== 'alarm') continue
    if (event.kind === 'gap' && (isTimeSuspect(event.body.fromTime, now) || isTimeSuspect(event.body.toTime, now))) continue
    const time = suspect ? now : event.time
    switch (event.kind) {
      case 'telemetry': {
        const live = time >= liveSince
        for (const metric in event.body.readings) {
          const value = event.body.readings[metric]!
          addPoint(event.deviceId, metric, time, value, event.seq)
          if (!live) continue
          const id = `${event.deviceId}\u0000${metric}`
          const current = newestReading.get(id)
          // Seq order: on equal times the later event wins, as it would on the dashboard.
          if (!current || current.time <= time) newestReading.set(id, { deviceId: event.deviceId, metric, time, value })
        }
        break
      }
      case 'state':
        for (const [key, value] of Object.entries(event.body.state)) {
          newestState.set(`${event.deviceId}\u0000${key}`, { site_id: siteId, device_id: event.deviceId, key,
            value: JSON.stringify(value), updated_at: new Date(time), gateway_id: gatewayId, seq: event.seq })
        }
        derived.pushes.push({
          event: 'state',
          payload: { siteId, deviceId: event.deviceId, time: event.time, state: event.body.state, gatewayId, seq: event.seq },
        })
        break
      case 'rollup': {
        // A rollup stands for `count` raw readings the disk budget folded together: the
        // chart gets the average at the rollup's time, and min/max say what it hides.
        // No live push: a rollup is history by definition, never the current value.
        const { min, avg, max, count } = event.body
        for (const [metric, value] of Object.entries(avg)) {
          addPoint(event.deviceId, metric, time, value, event.seq, min[metric] ?? null, max[metric] ?? null, count)
        }
        break
      }
      case 'alarm':
        // Applied one by one in this (seq) order; the push is built from the row after
        // each upsert, so it carries raisedAt etc.
        derived.alarms.push({ siteId, gatewayId, seq: event.seq, time: new Date(time), change: event.body })
        break
      case 'gap':
        derived.gaps.push({
          site_id: siteId,
          gateway_id: gatewayId,
          seq: event.seq,
          reason: event.body.reason,
          from_seq: event.body.fromSeq,
          to_seq: event.body.toSeq,
          from_time: new Date(event.body.fromTime),
          to_time: new Date(event.body.toTime),
          removed: event.body.removed,
          written: event.body.written,
          devices: JSON.stringify(event.body.devices),
          recorded_at: new Date(time),
        })
        break
      default:
        // event, command, ack, access, payment and notify entries stay in the raw log only (for now).
        break
    }
  }
  derived.state = [...newestState.values()]
  derived.pushes.push(...telemetryPushes(scope, newestReading.values()))
  return derived
}

/** One push per device and time: the shape a single reading's push always had. */
function telemetryPushes({ siteId, gatewayId }: GatewayScope, readings: Iterable<LiveReading>): Push[] {
  const pushes = new Map<string, Extract<Push, { event: 'telemetry' }>>()
  for (const { deviceId, metric, time, value } of readings) {
    const id = `${deviceId}\u0000${time}`
    let push = pushes.get(id)
    if (!push) {
      push = { event: 'telemetry', payload: { siteId, gatewayId, deviceId, time, readings: {} } }
      pushes.set(id, push)
    }
    push.payload.readings[metric] = value
  }
  return [...pushes.values()]
}

/**
 * Checks `UplinkBatch.absent` against the batch: each range is `[from, to]` with
 * from <= to, at or below the batch's highest seq (the gateway reports only what it
 * skipped up to what it sends). Returns why the first bad range is bad, or null.
 */
export function absentRangeError(absent: readonly (readonly [number, number])[], events: readonly { seq: number }[]): string | null {
  let highest = 0
  for (const e of events) if (e.seq > highest) highest = e.seq
  for (const [i, [from, to]] of absent.entries()) {
    if (from > to) return `absent[${i}]: from ${from} is after to ${to}`
    if (to > highest) return `absent[${i}]: to ${to} is above the batch's highest seq ${highest}`
  }
  return null
}

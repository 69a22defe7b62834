import Type from 'typebox'
import { EpochMs, Readings } from './telemetry.js'

/**
 * Bodies the gateway writes into its own log when the disk budget forces it to shrink
 * history (ARCHITECTURE.md, sync contract 6).
 *
 * A `rollup` replaces the raw telemetry of one device over one period (a minute) with
 * min/avg/max per metric. It keeps the seq of one of the raw events it replaces; the
 * other seqs are gone for good and are reported to the cloud as `absent` ranges in the
 * uplink batch, so the cloud's contiguous watermark can step over them.
 */
export const TelemetryRollup = Type.Object(
  {
    periodMs: Type.Integer({ minimum: 1000, maximum: 86_400_000 }),
    /** Time of the first and last raw reading folded in. */
    from: EpochMs,
    to: EpochMs,
    /** Raw readings folded in. */
    count: Type.Integer({ minimum: 1 }),
    min: Readings,
    avg: Readings,
    max: Readings,
  },
  { additionalProperties: false },
)
export type TelemetryRollup = Type.Static<typeof TelemetryRollup>

/**
 * Every removal of unsynced history is itself logged as a `gap` (a priority event), so
 * the cloud shows a marked gap instead of silence. `downsampled`: raw telemetry in the
 * seq range was folded into rollups. `dropped`: telemetry (raw or rollups) in the range
 * was deleted. Alarms, state, access, money, commands and notifications are never removed.
 */
export const DataGap = Type.Object(
  {
    reason: Type.Union([Type.Literal('downsampled'), Type.Literal('dropped')]),
    fromSeq: Type.Integer({ minimum: 1 }),
    toSeq: Type.Integer({ minimum: 1 }),
    /** Event times covered by what was removed. */
    fromTime: EpochMs,
    toTime: EpochMs,
    /** Events removed from the log, and rollups written in their place. */
    removed: Type.Integer({ minimum: 0 }),
    written: Type.Integer({ minimum: 0 }),
    /** Devices whose history was touched (at most 1000 listed). */
    devices: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 1000 }),
  },
  { additionalProperties: false },
)
export type DataGap = Type.Static<typeof DataGap>

/**
 * A seq range `[from, to]` (inclusive) the gateway no longer holds and will never send:
 * removed by the disk budget and covered by a `gap` event. Sent in `UplinkBatch.absent`.
 */
export const AbsentRange = Type.Tuple([Type.Integer({ minimum: 1 }), Type.Integer({ minimum: 1 })])
export type AbsentRange = Type.Static<typeof AbsentRange>

/**
 * What the gateway reports about its sync on the downlink channel (`sync.status`, about
 * every 10 s and on connect), so the cloud API and the dashboard show lag, the oldest
 * unsent event, buffer days left and disk use (sync contract 8). The cloud adds last
 * contact itself.
 */
export const SyncStatus = Type.Object(
  {
    /** Gateway clock when measured. */
    at: EpochMs,
    lastSeq: Type.Integer({ minimum: 0 }),
    /** Events the cloud has not acknowledged yet, and how old the oldest of them is. */
    lagEvents: Type.Integer({ minimum: 0 }),
    lagSeconds: Type.Union([Type.Number({ minimum: 0 }), Type.Null()]),
    oldestUnsentAt: Type.Union([EpochMs, Type.Null()]),
    eventsPerDay: Type.Union([Type.Number({ minimum: 0 }), Type.Null()]),
    bufferDaysLeft: Type.Union([Type.Number({ minimum: 0 }), Type.Null()]),
    usedBytes: Type.Integer({ minimum: 0 }),
    maxBytes: Type.Integer({ minimum: 0 }),
    quarantinedTotal: Type.Integer({ minimum: 0 }),
    /** Events removed by the disk budget since the log was created. */
    droppedTotal: Type.Integer({ minimum: 0 }),
    clockSynced: Type.Boolean(),
    /** The InfluxDB sink's lag, when one is configured. */
    influxLagEvents: Type.Optional(Type.Union([Type.Integer({ minimum: 0 }), Type.Null()])),
  },
  { additionalProperties: false },
)
export type SyncStatus = Type.Static<typeof SyncStatus>

import type { SyncStatus } from '@tendero/protocol'
import type { EventLogStatus } from '../log/event-log.js'
import type { UplinkStatus } from '../uplink/uploader.js'
import type { InfluxSinkStatus } from '../sinks/influx.js'

/** What the gateway knows about its sync at one moment; gateway.ts gathers it. */
export interface SyncStatusInput {
  at: number
  log: EventLogStatus
  /** The log cursor the uplink moves on the cloud's ack. */
  uplinkCursor: string
  uplink: Pick<UplinkStatus, 'heldAhead' | 'quarantined'>
  /** Present when an InfluxDB sink is configured. */
  influx?: Pick<InfluxSinkStatus, 'lag'> | undefined
  clockSynced: boolean
}

/**
 * The `sync.status` the cloud shows (sync contract 8), from the log, the uplink and the
 * InfluxDB sink. The lag counts what the cloud is still missing: events past its ack
 * watermark minus those it already holds because they were sent ahead (priority and live
 * events), so a backlog of history does not look like lost alarms.
 */
export function buildSyncStatus(input: SyncStatusInput): SyncStatus {
  const { at, log } = input
  const cursor = log.cursors[input.uplinkCursor]
  const behind = cursor ? cursor.lag : log.lastSeq
  const lagEvents = Math.max(0, behind - input.uplink.heldAhead)
  const oldestUnsentAt = lagEvents > 0 ? (cursor?.oldestPendingAt ?? null) : null
  return {
    at,
    lastSeq: log.lastSeq,
    lagEvents,
    // Caught up is zero seconds behind; behind with no known oldest event is unknown.
    lagSeconds: lagEvents === 0 ? 0 : oldestUnsentAt === null ? null : Math.max(0, Math.round((at - oldestUnsentAt) / 100) / 10),
    oldestUnsentAt,
    eventsPerDay: nonNegative(log.eventsPerDay),
    bufferDaysLeft: nonNegative(log.bufferDaysLeft),
    usedBytes: Math.max(0, Math.round(log.usedBytes)),
    maxBytes: Math.max(0, Math.round(log.maxBytes)),
    quarantinedTotal: input.uplink.quarantined.total,
    // Seqs the disk budget removed for good since the log was created (log/budget.ts).
    droppedTotal: log.budget.droppedTotal,
    clockSynced: input.clockSynced,
    ...(input.influx ? { influxLagEvents: input.influx.lag } : {}),
  }
}

const nonNegative = (n: number | null) => (n === null || !Number.isFinite(n) ? null : Math.max(0, n))

import type { SyncStatus } from '@tendero/protocol'
import { gatewayNotFound } from '../../errors.js'
import type { Db } from '../../plugins/db/database.js'
import { toEpochMs } from '../../plugins/db/timestamps.js'
import type { GatewayPresence } from './presence.js'
import * as repo from './repository.js'
import type { GatewayStatus, GatewaySync } from './schema.js'

/**
 * Sync visibility (ARCHITECTURE.md sync contract 8): what each gateway last reported
 * about its lag and buffer, joined with what only the cloud knows (channel connected,
 * last contact, ack watermark, events it quarantined).
 */

function syncView(status: SyncStatus, reportedAt: Date): GatewaySync {
  return {
    reportedAt: reportedAt.getTime(),
    gatewayTime: status.at,
    lastSeq: status.lastSeq,
    lagEvents: status.lagEvents,
    lagSeconds: status.lagSeconds,
    oldestUnsentAt: status.oldestUnsentAt,
    eventsPerDay: status.eventsPerDay,
    bufferDaysLeft: status.bufferDaysLeft,
    usedBytes: status.usedBytes,
    maxBytes: status.maxBytes,
    quarantinedTotal: status.quarantinedTotal,
    droppedTotal: status.droppedTotal,
    clockSynced: status.clockSynced,
    influxLagEvents: status.influxLagEvents ?? null,
  }
}

function statusView(row: repo.GatewayStatusRow, presence: GatewayPresence): GatewayStatus {
  return {
    id: row.id,
    siteId: row.site_id,
    name: row.name,
    online: presence.isOnline(row.id),
    lastSeenAt: toEpochMs(row.last_seen_at),
    lastContactAt: toEpochMs(row.last_contact_at),
    ackSeq: row.ack_seq,
    quarantinedTotal: Number(row.quarantined_total ?? 0),
    sync: row.sync_status && row.sync_status_at ? syncView(row.sync_status, row.sync_status_at) : null,
  }
}

/** The site has already passed the tenancy check (sites/service.ts). */
export async function listSiteGateways(db: Db, presence: GatewayPresence, siteId: string): Promise<GatewayStatus[]> {
  const rows = await repo.gatewayStatusesForSite(db, siteId)
  return rows.map((row) => statusView(row, presence))
}

/** Another organization's gateway and an unknown id look the same (GATEWAY_NOT_FOUND). */
export async function getGatewaySync(db: Db, presence: GatewayPresence, orgId: string, gatewayId: string): Promise<GatewayStatus> {
  const row = await repo.gatewayStatus(db, gatewayId, orgId)
  if (!row) throw gatewayNotFound()
  return statusView(row, presence)
}

/** For the `gateway.sync` push: the gateway is known from its own channel, not a user. */
export async function gatewayStatusForPush(db: Db, presence: GatewayPresence, gatewayId: string): Promise<GatewayStatus | undefined> {
  const row = await repo.gatewayStatus(db, gatewayId)
  return row ? statusView(row, presence) : undefined
}

export async function recordSyncStatus(db: Db, gatewayId: string, status: SyncStatus): Promise<void> {
  await repo.recordSyncStatus(db, gatewayId, status)
}

export async function recordContact(db: Db, gatewayId: string): Promise<void> {
  await repo.markContact(db, gatewayId)
}

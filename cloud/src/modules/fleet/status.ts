import { sql } from 'kysely'
import type { Db } from '../../plugins/db/database.js'
import { toEpochMs } from '../../plugins/db/timestamps.js'
import { DEFAULT_LIMIT, decodeCursor, pageOf, type PageOf } from '../common/pagination.js'
import { findSiteForOrg } from '../sites/service.js'
import type { GatewayPresence } from '../sync/presence.js'
import { getGatewaySync } from '../sync/service.js'
import { gatewayForOrg } from './service.js'
import type { GatewaySummary, GatewaysQuery } from './schema.js'
import { fleetDb } from './tables.js'

/**
 * The fleet view: each gateway's sync health (the same figures as the site detail and
 * GET /gateways/:id/sync, from sync/service.ts) plus its provisioning facts and whether it
 * runs the latest desired config.
 */

const isGatewayCursor = (v: unknown): v is { id: string } =>
  typeof v === 'object' && v !== null && typeof (v as { id?: unknown }).id === 'string'

/** Fleet columns the sync view does not carry, with the latest desired version. */
function fleetColumns(db: Db) {
  return fleetDb(db)
    .selectFrom('gateways')
    .select([
      'gateways.id',
      'reported_config_version',
      'config_error',
      'config_reported_at',
      'hardware_id',
      'claimed_at',
      'created_at',
      sql<number | null>`(select max(version) from gateway_configs where gateway_configs.gateway_id = gateways.id)`.as('desired_version'),
    ])
}

type FleetColumns = Awaited<ReturnType<ReturnType<typeof fleetColumns>['executeTakeFirstOrThrow']>>

async function summary(db: Db, presence: GatewayPresence, orgId: string, row: FleetColumns): Promise<GatewaySummary> {
  const status = await getGatewaySync(db, presence, orgId, row.id)
  const desired = row.desired_version === null ? null : Number(row.desired_version)
  return {
    ...status,
    lagEvents: status.sync?.lagEvents ?? null,
    lagSeconds: status.sync?.lagSeconds ?? null,
    config: {
      desiredVersion: desired,
      reportedVersion: row.reported_config_version,
      reportedAt: toEpochMs(row.config_reported_at),
      upToDate: desired === null || row.reported_config_version === desired,
      error: row.config_error,
    },
    hardwareId: row.hardware_id,
    claimedAt: toEpochMs(row.claimed_at),
    createdAt: row.created_at.getTime(),
  }
}

/** The organization's gateways by id (keyset), optionally one site's. */
export async function listGateways(db: Db, presence: GatewayPresence, orgId: string, query: GatewaysQuery): Promise<PageOf<GatewaySummary>> {
  const limit = query.limit ?? DEFAULT_LIMIT
  const after = decodeCursor(query.cursor, isGatewayCursor)
  let q = fleetColumns(db).where('org_id', '=', orgId)
  if (query.siteId !== undefined) q = q.where('site_id', '=', (await findSiteForOrg(db, orgId, query.siteId)).id)
  if (after) q = q.where('gateways.id', '>', after.id)
  const rows = await q.orderBy('gateways.id').limit(limit + 1).execute()
  const page = pageOf(rows, limit, (r) => r, (r) => ({ id: r.id }))
  return { items: await Promise.all(page.items.map((r) => summary(db, presence, orgId, r))), nextCursor: page.nextCursor }
}

export async function getGateway(db: Db, presence: GatewayPresence, orgId: string, gatewayId: string): Promise<GatewaySummary> {
  const gateway = await gatewayForOrg(db, orgId, gatewayId)
  const row = await fleetColumns(db).where('gateways.id', '=', gateway.id).executeTakeFirstOrThrow()
  return summary(db, presence, orgId, row)
}

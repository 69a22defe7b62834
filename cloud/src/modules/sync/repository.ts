import { sql, type ExpressionBuilder } from 'kysely'
import type { SyncStatus } from '@tendero/protocol'
import type { Db } from '../../plugins/db/database.js'
import type { Database } from '../../plugins/db/tables.js'

const quarantinedTotal = (eb: ExpressionBuilder<Database, 'gateways'>) =>
  eb
    .selectFrom('quarantined_events')
    .select(eb.fn.countAll<number>().as('n'))
    .whereRef('quarantined_events.gateway_id', '=', 'gateways.id')
    .as('quarantined_total')

const STATUS_COLUMNS = [
  'id', 'site_id', 'name', 'last_seen_at', 'last_contact_at', 'ack_seq', 'sync_status', 'sync_status_at',
] as const

export async function gatewayStatusesForSite(db: Db, siteId: string) {
  return db
    .selectFrom('gateways')
    .select([...STATUS_COLUMNS, quarantinedTotal])
    .where('site_id', '=', siteId)
    .orderBy('id')
    .execute()
}

/** Without orgId: only for a gateway the caller already authenticated (its channel). */
export async function gatewayStatus(db: Db, gatewayId: string, orgId?: string) {
  let query = db.selectFrom('gateways').select([...STATUS_COLUMNS, quarantinedTotal]).where('id', '=', gatewayId)
  if (orgId !== undefined) query = query.where('org_id', '=', orgId)
  return query.executeTakeFirst()
}

export type GatewayStatusRow = NonNullable<Awaited<ReturnType<typeof gatewayStatus>>>

/** Keeps only the latest status: history of lag lives in the gateway's own metrics. */
export async function recordSyncStatus(db: Db, gatewayId: string, status: SyncStatus): Promise<void> {
  await db
    .updateTable('gateways')
    .set({ sync_status: JSON.stringify(status), sync_status_at: sql`now()`, last_contact_at: sql`now()` })
    .where('id', '=', gatewayId)
    .execute()
}

export async function markContact(db: Db, gatewayId: string): Promise<void> {
  await db.updateTable('gateways').set({ last_contact_at: sql`now()` }).where('id', '=', gatewayId).execute()
}

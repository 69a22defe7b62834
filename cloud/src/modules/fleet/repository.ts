import { sql, type ColumnType, type Generated, type Selectable } from 'kysely'
import type { Db } from '../../plugins/db/database.js'
import { hashGatewayKey } from '../../modules/ingest/repository.js'
import type { CommandStatus } from './schema.js'

type Timestamp = ColumnType<Date, Date | string, Date | string>
type Json<T = unknown> = ColumnType<T, string, string>

/** The tables of migration 0003_fleet, kept here so the shared tables.ts needs no edit. */
export type FleetTables = {
  gateways: {
    reported_config_version: Generated<number>
    config_error: Json<{ version: number; reason: string }> | null
    config_reported_at: Timestamp | null
  }
  gateway_configs: {
    gateway_id: string
    version: number
    config: Json
    created_by: string | null
    created_at: Generated<Date>
  }
  cloud_commands: {
    id: string
    gateway_id: string
    device_id: string
    command: Json
    expires_at: Timestamp
    status: Generated<CommandStatus>
    result: string | null
    created_by: string | null
    created_at: Generated<Date>
    sent_at: Timestamp | null
    done_at: Timestamp | null
  }
}

export type CommandRow = Selectable<FleetTables['cloud_commands']>

const fleet = (db: Db) => db.withTables<FleetTables>()

export async function findGatewayByKey(db: Db, key: string) {
  return db.selectFrom('gateways').select(['id', 'org_id', 'site_id']).where('key_hash', '=', hashGatewayKey(key)).executeTakeFirst()
}

export async function findGateway(db: Db, orgId: string, gatewayId: string) {
  return fleet(db)
    .selectFrom('gateways')
    .select(['id', 'org_id', 'site_id', 'reported_config_version', 'config_error', 'config_reported_at'])
    .where('org_id', '=', orgId)
    .where('id', '=', gatewayId)
    .executeTakeFirst()
}

export async function latestConfig(db: Db, gatewayId: string) {
  return fleet(db)
    .selectFrom('gateway_configs')
    .selectAll()
    .where('gateway_id', '=', gatewayId)
    .orderBy('version', 'desc')
    .limit(1)
    .executeTakeFirst()
}

/**
 * Next version under a row lock on the gateway, so concurrent PUTs queue up and each gets
 * its own version; the primary key (gateway_id, version) stays as the backstop.
 */
export async function insertConfig(
  db: Db,
  gatewayId: string,
  config: unknown,
  createdBy: string | null,
  /** Runs in the same transaction (the audit entry). */
  alongside?: (trx: Db, row: { version: number }) => Promise<void>,
) {
  return db.transaction().execute(async (trx) => {
    await trx.selectFrom('gateways').select('id').where('id', '=', gatewayId).forUpdate().execute()
    const row = await fleet(trx)
      .insertInto('gateway_configs')
      .values({
        gateway_id: gatewayId,
        version: sql<number>`(select coalesce(max(version), 0) + 1 from gateway_configs where gateway_id = ${gatewayId})`,
        config: JSON.stringify(config),
        created_by: createdBy,
      })
      .returningAll()
      .executeTakeFirstOrThrow()
    await alongside?.(trx, row)
    return row
  })
}

export async function recordConfigStatus(db: Db, gatewayId: string, running: number, error: { version: number; reason: string } | null) {
  await fleet(db)
    .updateTable('gateways')
    .set({ reported_config_version: running, config_error: error ? JSON.stringify(error) : null, config_reported_at: new Date() })
    .where('id', '=', gatewayId)
    .execute()
}

export async function insertCommand(
  db: Db,
  row: { id: string; gatewayId: string; deviceId: string; command: unknown; expiresAt: Date; createdBy: string | null },
) {
  return fleet(db)
    .insertInto('cloud_commands')
    .values({
      id: row.id,
      gateway_id: row.gatewayId,
      device_id: row.deviceId,
      command: JSON.stringify(row.command),
      expires_at: row.expiresAt,
      created_by: row.createdBy,
    })
    .returningAll()
    .executeTakeFirstOrThrow()
}

export async function findCommand(db: Db, gatewayId: string, commandId: string) {
  return fleet(db).selectFrom('cloud_commands').selectAll().where('gateway_id', '=', gatewayId).where('id', '=', commandId).executeTakeFirst()
}

/** Commands the gateway has not answered yet and that may still run. */
export async function openCommands(db: Db, gatewayId: string, now: Date) {
  return fleet(db)
    .selectFrom('cloud_commands')
    .selectAll()
    .where('gateway_id', '=', gatewayId)
    .where('status', 'in', ['pending', 'sent'])
    .where('expires_at', '>', now)
    .orderBy('created_at')
    .execute()
}

/** Unanswered commands past their expiry: they will never run, so they say so. */
export async function expireCommands(db: Db, gatewayId: string, now: Date) {
  await fleet(db)
    .updateTable('cloud_commands')
    .set({ status: 'expired', result: 'expired before the gateway received it', done_at: now })
    .where('gateway_id', '=', gatewayId)
    .where('status', '=', 'pending')
    .where('expires_at', '<=', now)
    .execute()
}

export async function markSent(db: Db, ids: string[]) {
  if (ids.length === 0) return
  await fleet(db).updateTable('cloud_commands').set({ status: 'sent', sent_at: new Date() }).where('id', 'in', ids).where('status', '=', 'pending').execute()
}

/** Only an open command takes an answer: a late duplicate ack cannot rewrite a final status. */
export async function recordAck(db: Db, gatewayId: string, commandId: string, status: CommandStatus, result: string | null) {
  await fleet(db)
    .updateTable('cloud_commands')
    .set({ status, result, done_at: new Date() })
    .where('gateway_id', '=', gatewayId)
    .where('id', '=', commandId)
    .where('status', 'in', ['pending', 'sent'])
    .execute()
}

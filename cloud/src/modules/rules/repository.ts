import type { ColumnType } from 'kysely'
import type { Db } from '../../plugins/db/database.js'

/** The columns of migration 0013, kept here so the shared tables.ts needs no edit. */
type RunningConfigTables = {
  gateways: {
    running_config: ColumnType<unknown, string | null, string | null> | null
    running_config_version: number | null
    running_config_at: ColumnType<Date, Date, Date> | null
  }
}

const withRunning = (db: Db) => db.withTables<RunningConfigTables>()

/** Stores what the gateway reports it runs, replacing the previous report. */
export async function recordRunningConfig(db: Db, gatewayId: string, running: number, config: unknown, at: Date): Promise<void> {
  await withRunning(db)
    .updateTable('gateways')
    .set({ running_config: JSON.stringify(config), running_config_version: running, running_config_at: at })
    .where('id', '=', gatewayId)
    .execute()
}

export async function runningConfig(db: Db, gatewayId: string) {
  const row = await withRunning(db)
    .selectFrom('gateways')
    .select(['running_config', 'running_config_version', 'running_config_at'])
    .where('id', '=', gatewayId)
    .executeTakeFirst()
  return row?.running_config ? { config: row.running_config, version: row.running_config_version ?? 0, at: row.running_config_at } : undefined
}

export async function siteTimeZone(db: Db, siteId: string): Promise<string | undefined> {
  const row = await db.selectFrom('sites').select('timezone').where('id', '=', siteId).executeTakeFirst()
  return row?.timezone
}

/** The first event of the gateway with seq >= `seq`: one primary-key lookup. */
async function eventAtOrAfter(db: Db, gatewayId: string, seq: number) {
  return db
    .selectFrom('events')
    .select(['seq', 'received_at'])
    .where('gateway_id', '=', gatewayId)
    .where('seq', '>=', seq)
    .orderBy('seq')
    .limit(1)
    .executeTakeFirst()
}

/**
 * The lowest seq the gateway received at or after `t` (0 when none was), by binary search
 * on the primary key: receive times follow seq, and `events` has no index on time, so
 * this is a few dozen index lookups instead of a scan of the gateway's whole history.
 * The gateway's local dry run finds its start the same way.
 */
export async function firstSeqReceivedFrom(db: Db, gatewayId: string, t: Date): Promise<number> {
  const first = await eventAtOrAfter(db, gatewayId, 0)
  if (!first) return 0
  if (first.received_at >= t) return Number(first.seq)
  const last = await db
    .selectFrom('events')
    .select('seq')
    .where('gateway_id', '=', gatewayId)
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirstOrThrow()
  let lo = Number(first.seq) // received before t
  let hi = Number(last.seq) + 1 // treated as received at or after t
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2)
    const e = await eventAtOrAfter(db, gatewayId, mid)
    if (e && e.received_at < t) lo = Number(e.seq)
    else hi = mid
  }
  return hi
}

export interface EventRow {
  seq: number
  kind: string
  device_id: string
  time: Date
  received_at: Date
  boot_id: string
  clock_synced: boolean
  body: unknown
}

/**
 * One page of the gateway's events after `afterSeq` in seq order, kept to those whose
 * time is in [from, to] and whose device is one of `deviceIds`. Keyset on the primary
 * key, so every page costs the same.
 */
export async function eventsPage(
  db: Db,
  q: { gatewayId: string; afterSeq: number; from: Date; to: Date; deviceIds: string[]; limit: number },
): Promise<EventRow[]> {
  const rows = await db
    .selectFrom('events')
    .select(['seq', 'kind', 'device_id', 'time', 'received_at', 'boot_id', 'clock_synced', 'body'])
    .where('gateway_id', '=', q.gatewayId)
    .where('seq', '>', q.afterSeq)
    .where('time', '>=', q.from)
    .where('time', '<=', q.to)
    .where('device_id', 'in', q.deviceIds)
    .orderBy('seq')
    .limit(q.limit)
    .execute()
  return rows.map((r) => ({ ...r, seq: Number(r.seq) }))
}

import type { Kysely } from 'kysely'

// Migrations are frozen history: they use Kysely<any>, not today's table types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>

/**
 * Read models ordered by the gateway's seq (issue 4, catch-up benchmark): alarms and
 * device state remember which gateway event last wrote them. A gateway decides in seq
 * order, but its event times are not monotonic in seq (events from before a clock sync
 * are re-stamped with an estimated offset, devices send their own times, NTP steps), so
 * a later transition from the same gateway must win even when its time is earlier.
 * Writes from another gateway (a replaced one with a fresh log, two on one site) are
 * still ordered by time. Rows written before this migration have no gateway and seq,
 * and are ordered by time too (ingest/repository.ts). No foreign key: a row keeps the
 * id of a gateway that was deleted, which only makes time decide against it.
 */
export async function up(db: AnyDb): Promise<void> {
  for (const table of ['alarms', 'device_state']) {
    await db.schema.alterTable(table).addColumn('gateway_id', 'text').addColumn('seq', 'bigint').execute()
  }
}

export async function down(db: AnyDb): Promise<void> {
  for (const table of ['alarms', 'device_state']) {
    await db.schema.alterTable(table).dropColumn('gateway_id').dropColumn('seq').execute()
  }
}

import { sql, type Kysely } from 'kysely'

// Migrations are frozen history: they use Kysely<any>, not today's table types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>

/**
 * Store-and-forward (issue 4): seq ranges the gateway's disk budget removed, per-minute
 * rollups next to raw telemetry, the marked gaps they leave, and each gateway's reported
 * sync status and last contact (ARCHITECTURE.md sync contract 6 and 8).
 */
export async function up(db: AnyDb): Promise<void> {
  // Ranges count as accounted for in the ack watermark. The key leads with to_seq so the
  // watermark query reads only ranges above the current ack, however many lie below.
  await db.schema
    .createTable('absent_ranges')
    .addColumn('gateway_id', 'text', (c) => c.notNull().references('gateways.id').onDelete('cascade'))
    .addColumn('from_seq', 'bigint', (c) => c.notNull())
    .addColumn('to_seq', 'bigint', (c) => c.notNull())
    .addColumn('stored_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('absent_ranges_pk', ['gateway_id', 'to_seq', 'from_seq'])
    .addCheckConstraint('absent_ranges_order', sql`from_seq >= 1 and from_seq <= to_seq`)
    .execute()

  // Null on raw readings; set on points made from a rollup (value is then the average).
  // Nullable columns without a default are a catalog-only change on PostgreSQL.
  await db.schema.alterTable('telemetry').addColumn('min_value', 'double precision').execute()
  await db.schema.alterTable('telemetry').addColumn('max_value', 'double precision').execute()
  await db.schema.alterTable('telemetry').addColumn('samples', 'integer').execute()

  await db.schema
    .createTable('data_gaps')
    .addColumn('site_id', 'uuid', (c) => c.notNull().references('sites.id').onDelete('cascade'))
    .addColumn('gateway_id', 'text', (c) => c.notNull().references('gateways.id').onDelete('cascade'))
    // The seq of the gap event itself: a resent gap is stored once.
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('from_seq', 'bigint', (c) => c.notNull())
    .addColumn('to_seq', 'bigint', (c) => c.notNull())
    .addColumn('from_time', 'timestamptz', (c) => c.notNull())
    .addColumn('to_time', 'timestamptz', (c) => c.notNull())
    .addColumn('removed', 'bigint', (c) => c.notNull())
    .addColumn('written', 'bigint', (c) => c.notNull())
    .addColumn('devices', 'jsonb', (c) => c.notNull())
    .addColumn('recorded_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('data_gaps_pk', ['gateway_id', 'seq'])
    .execute()
  await db.schema.createIndex('data_gaps_site_time_idx').on('data_gaps').columns(['site_id', 'to_time']).execute()

  await db.schema.alterTable('gateways').addColumn('sync_status', 'jsonb').execute()
  await db.schema.alterTable('gateways').addColumn('sync_status_at', 'timestamptz').execute()
  await db.schema.alterTable('gateways').addColumn('last_contact_at', 'timestamptz').execute()
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.alterTable('gateways').dropColumn('last_contact_at').execute()
  await db.schema.alterTable('gateways').dropColumn('sync_status_at').execute()
  await db.schema.alterTable('gateways').dropColumn('sync_status').execute()
  await db.schema.dropTable('data_gaps').execute()
  await db.schema.alterTable('telemetry').dropColumn('samples').execute()
  await db.schema.alterTable('telemetry').dropColumn('max_value').execute()
  await db.schema.alterTable('telemetry').dropColumn('min_value').execute()
  await db.schema.dropTable('absent_ranges').execute()
}

import { sql, type Kysely } from 'kysely'

// Migrations are frozen history: they use Kysely<any>, not today's table types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>

/**
 * The temperature band a fridge must hold (issue 7, cold-chain report). Both bounds null
 * means "use the default of the device's kind"; a freezer usually has only an upper bound.
 * The check keeps a band that no reading could satisfy out of the registry.
 */
export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .alterTable('devices')
    .addColumn('cold_band_min_c', 'double precision')
    .addColumn('cold_band_max_c', 'double precision')
    .execute()
  await db.schema
    .alterTable('devices')
    .addCheckConstraint('devices_cold_band_order', sql`cold_band_min_c is null or cold_band_max_c is null or cold_band_min_c < cold_band_max_c`)
    .execute()
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.alterTable('devices').dropConstraint('devices_cold_band_order').execute()
  await db.schema.alterTable('devices').dropColumn('cold_band_max_c').dropColumn('cold_band_min_c').execute()
}

import type { Kysely } from 'kysely'

// Migrations are frozen history: they use Kysely<any>, not today's table types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>

/**
 * The site config a gateway reports it runs (`config.report` on its channel): the whole
 * validated JSON and the desired version it came from (0 = its own site file). Before
 * the cloud stores a desired version, this is what the rules editor starts from.
 */
export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .alterTable('gateways')
    .addColumn('running_config', 'jsonb')
    .addColumn('running_config_version', 'integer')
    .addColumn('running_config_at', 'timestamptz')
    .execute()
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.alterTable('gateways').dropColumn('running_config').dropColumn('running_config_version').dropColumn('running_config_at').execute()
}

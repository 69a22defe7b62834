import { sql, type Kysely } from 'kysely'

// Migrations are frozen history: they use Kysely<any>, not today's table types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>

/** The downlink (ARCHITECTURE.md sync contract 7): desired configs per gateway and cloud commands. */
export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('gateway_configs')
    .addColumn('gateway_id', 'text', (c) => c.notNull().references('gateways.id').onDelete('cascade'))
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('config', 'jsonb', (c) => c.notNull())
    .addColumn('created_by', 'uuid', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    // Versions are never reused: two concurrent PUTs cannot both become version n.
    .addPrimaryKeyConstraint('gateway_configs_pk', ['gateway_id', 'version'])
    .execute()

  await db.schema
    .alterTable('gateways')
    .addColumn('reported_config_version', 'integer', (c) => c.notNull().defaultTo(0))
    .execute()
  await db.schema.alterTable('gateways').addColumn('config_error', 'jsonb').execute()
  await db.schema.alterTable('gateways').addColumn('config_reported_at', 'timestamptz').execute()

  await db.schema
    .createTable('cloud_commands')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('gateway_id', 'text', (c) => c.notNull().references('gateways.id').onDelete('cascade'))
    .addColumn('device_id', 'text', (c) => c.notNull())
    .addColumn('command', 'jsonb', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('pending'))
    .addColumn('result', 'text')
    .addColumn('created_by', 'uuid', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('sent_at', 'timestamptz')
    .addColumn('done_at', 'timestamptz')
    .execute()
  // What a (re)connecting gateway is sent: its not-yet-acknowledged commands.
  await db.schema.createIndex('cloud_commands_open_idx').on('cloud_commands').columns(['gateway_id', 'status']).execute()
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('cloud_commands').execute()
  await db.schema.alterTable('gateways').dropColumn('config_reported_at').execute()
  await db.schema.alterTable('gateways').dropColumn('config_error').execute()
  await db.schema.alterTable('gateways').dropColumn('reported_config_version').execute()
  await db.schema.dropTable('gateway_configs').execute()
}

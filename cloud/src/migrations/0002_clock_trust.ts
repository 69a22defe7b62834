import type { Kysely } from 'kysely'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>

/**
 * Clock trust (issue 4): an event whose time is far ahead of the cloud's clock or far in
 * the past is stored as sent but flagged, and kept out of the read models (ingest/derive.ts).
 */
export async function up(db: AnyDb): Promise<void> {
  await db.schema.alterTable('events').addColumn('time_suspect', 'boolean', (c) => c.notNull().defaultTo(false)).execute()
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.alterTable('events').dropColumn('time_suspect').execute()
}

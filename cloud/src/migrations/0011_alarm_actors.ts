import type { Kysely } from 'kysely'

// Migrations are frozen history: they use Kysely<any>, not today's table types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>

/**
 * Who acknowledged or cleared an alarm from the cloud (issue 6). The gateway's event says
 * `by` as a label; these columns name the cloud user, so the dashboard can show a person
 * and the name follows the user's profile. A deleted user leaves the alarm, unnamed.
 */
export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .alterTable('alarms')
    .addColumn('acknowledged_by', 'uuid', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('acknowledged_at', 'timestamptz')
    .addColumn('cleared_by', 'uuid', (c) => c.references('users.id').onDelete('set null'))
    .execute()
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.alterTable('alarms').dropColumn('cleared_by').dropColumn('acknowledged_at').dropColumn('acknowledged_by').execute()
}

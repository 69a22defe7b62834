import { sql, type Kysely } from 'kysely'

// Migrations are frozen history: they use Kysely<any>, not today's table types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>

/**
 * Admins must use two-factor login (issue 6): an organization setting, on for every
 * organization created from now on.
 *
 * Organizations that already exist get it off. Turning it on here would, within one access
 * token lifetime of the deploy (15 min), drop every admin without an authenticator into an
 * enrolment-only session in the middle of their work, with nobody told beforehand; their
 * admin turns it on (PATCH /api/orgs/current/security) when the people are ready. Tendero's
 * own staff (platform_admin) need it regardless of this column (PLATFORM_ADMIN_TOTP).
 */
export async function up(db: AnyDb): Promise<void> {
  // Added with false so the existing rows take it, then the default flips for new rows.
  await db.schema
    .alterTable('organizations')
    .addColumn('require_admin_totp', 'boolean', (c) => c.notNull().defaultTo(false))
    .execute()
  await db.schema
    .alterTable('organizations')
    .alterColumn('require_admin_totp', (c) => c.setDefault(sql`true`))
    .execute()
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.alterTable('organizations').dropColumn('require_admin_totp').execute()
}

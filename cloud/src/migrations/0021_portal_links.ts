import { sql, type Kysely } from 'kysely'

// Migrations are frozen history: they use Kysely<any>, not today's table types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>

/**
 * Portal links (issue 8): how a mall's (or any supplier's) contact becomes a shop on
 * Tendero. The mall creates a one-time invitation code for the contact (stored as its
 * SHA-256 only); an admin of the shop organization redeems it, which sets the contact's
 * `linked_org_id`. Wrong guesses are kept per redeeming organization and client address
 * for the rate limit. Incidents get a `source`: reported by the tenant, or logged by the mall.
 */
export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('crm_portal_invitations')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('contact_id', 'uuid', (c) => c.notNull().references('contacts.id').onDelete('cascade'))
    .addColumn('code_hash', 'text', (c) => c.notNull().unique().check(sql`code_hash ~ '^[0-9a-f]{64}$'`))
    .addColumn('mailed_to', 'text')
    .addColumn('created_by', 'uuid')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('redeemed_at', 'timestamptz')
    .addColumn('redeemed_org_id', 'uuid', (c) => c.references('organizations.id').onDelete('set null'))
    .addColumn('redeemed_by', 'uuid')
    .addColumn('revoked_at', 'timestamptz')
    .addCheckConstraint('crm_portal_invitations_once', sql`redeemed_at is null or revoked_at is null`)
    .execute()
  await db.schema.createIndex('crm_portal_invitations_contact_idx').on('crm_portal_invitations').columns(['org_id', 'contact_id', 'created_at']).execute()

  await db.schema
    .createTable('crm_portal_link_attempts')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('address_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
  await db.schema.createIndex('crm_portal_link_attempts_org_idx').on('crm_portal_link_attempts').columns(['org_id', 'created_at']).execute()
  await db.schema.createIndex('crm_portal_link_attempts_address_idx').on('crm_portal_link_attempts').columns(['address_hash', 'created_at']).execute()

  await db.schema
    .alterTable('leasing_incidents')
    .addColumn('source', 'text', (c) => c.notNull().defaultTo('tenant').check(sql`source in ('tenant', 'mall')`))
    .execute()
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.alterTable('leasing_incidents').dropColumn('source').execute()
  await db.schema.dropTable('crm_portal_link_attempts').execute()
  await db.schema.dropTable('crm_portal_invitations').execute()
}

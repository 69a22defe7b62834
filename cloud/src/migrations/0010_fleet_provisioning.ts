import { sql, type Kysely } from 'kysely'

// Migrations are frozen history: they use Kysely<any>, not today's table types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>

/**
 * Claim-code provisioning (issue 6, fleet): a technician creates a short code for a site;
 * a new gateway presents it once and gets its id and key. Only the code's hash is kept,
 * so a leaked table holds no code that still works.
 */
export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('gateway_claim_codes')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('site_id', 'uuid', (c) => c.notNull().references('sites.id').onDelete('cascade'))
    // sha256 of the normalized code (upper case, no separators).
    .addColumn('code_hash', 'text', (c) => c.notNull().unique())
    // The name the technician gave the gateway-to-be; the claim may propose one otherwise.
    .addColumn('gateway_name', 'text')
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    // A user or an API key; no foreign key: the audit trail names who it was either way.
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('used_at', 'timestamptz')
    // sha256 of a secret the claiming gateway made up: the same gateway retrying after a lost
    // reply (or a crash before it saved its key) gets its gateway back with a fresh key.
    .addColumn('claim_nonce_hash', 'text')
    .addColumn('gateway_id', 'text', (c) => c.references('gateways.id').onDelete('set null'))
    .execute()
  await db.schema.createIndex('gateway_claim_codes_site_idx').on('gateway_claim_codes').columns(['site_id', 'created_at']).execute()

  // What the gateway said it is when it claimed (serial number, MAC), for the technician.
  await db.schema.alterTable('gateways').addColumn('hardware_id', 'text').execute()
  await db.schema.alterTable('gateways').addColumn('claimed_at', 'timestamptz').execute()
  // Keyset pages of an organization's gateways, by id.
  await db.schema.createIndex('gateways_org_id_idx').on('gateways').columns(['org_id', 'id']).execute()
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropIndex('gateways_org_id_idx').execute()
  await db.schema.alterTable('gateways').dropColumn('claimed_at').execute()
  await db.schema.alterTable('gateways').dropColumn('hardware_id').execute()
  await db.schema.dropTable('gateway_claim_codes').execute()
}

import { sql, type Kysely } from 'kysely'

// Migrations are frozen history: they use Kysely<any>, not today's table types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>

/**
 * What the commercial modules of issue 8 share: contacts (the CRM's people and companies,
 * who are also the billed customers, the lessees and the patients) and the mail queue for
 * people who are not users (modules/mail).
 */
export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('contacts')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('customer', 'lead', 'supplier', 'staff')`))
    .addColumn('name', 'text', (c) => c.notNull().check(sql`length(name) between 1 and 200`))
    .addColumn('company', 'text')
    .addColumn('email', 'text')
    .addColumn('phone', 'text')
    // CUIT (AR), NIT (CO), RUT...: who an invoice is made out to.
    .addColumn('tax_id', 'text')
    .addColumn('vertical', 'text')
    .addColumn('city', 'text')
    .addColumn('country', 'text')
    .addColumn('annual_revenue_minor', 'bigint')
    .addColumn('revenue_currency', 'text')
    // The contact is a shop on Tendero: its users see what is theirs (the tenant portal).
    .addColumn('linked_org_id', 'uuid', (c) => c.references('organizations.id').onDelete('set null'))
    .addColumn('owner_user_id', 'uuid', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('source', 'text')
    .addColumn('tags', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('notes', 'text')
    .addColumn('score', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_interaction_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('archived_at', 'timestamptz')
    .execute()
  await db.schema.createIndex('contacts_org_created_idx').on('contacts').columns(['org_id', 'created_at', 'id']).execute()
  await db.schema.createIndex('contacts_org_email_idx').on('contacts').columns(['org_id', 'email']).execute()
  await db.schema.createIndex('contacts_linked_org_idx').on('contacts').column('linked_org_id').where(sql.ref('linked_org_id'), 'is not', null).execute()

  await db.schema
    .createTable('mail_outbox')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('to_address', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('dedup_key', 'text', (c) => c.notNull())
    .addColumn('send_after', 'timestamptz', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('pending').check(sql`status in ('pending', 'sent', 'failed', 'cancelled')`))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'timestamptz')
    .addColumn('last_error', 'text')
    .addColumn('sent_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('mail_outbox_dedup_uq', ['org_id', 'dedup_key'])
    .execute()
  await db.schema.createIndex('mail_outbox_due_idx').on('mail_outbox').columns(['send_after']).where(sql.ref('status'), '=', 'pending').execute()
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('mail_outbox').execute()
  await db.schema.dropTable('contacts').execute()
}

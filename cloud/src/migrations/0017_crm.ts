import { sql, type Kysely } from 'kysely'

// Migrations are frozen history: they use Kysely<any>, not today's table types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>

/**
 * The CRM module of issue 8 (contacts themselves are 0016's): the pipeline's stages per
 * organization, deals and their stage history (what the funnel report counts),
 * interactions, lead-capture forms and their attempts (the per form and address limit),
 * scoring rules and saved segments.
 */
export async function up(db: AnyDb): Promise<void> {
  // One row per organization once its default stages were seeded, so two first uses at
  // once seed them once (the loser of the insert finds the row) and deleting every stage
  // does not bring the defaults back.
  await db.schema
    .createTable('crm_org_state')
    .addColumn('org_id', 'uuid', (c) => c.primaryKey().references('organizations.id').onDelete('cascade'))
    .addColumn('stages_seeded_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()

  await db.schema
    .createTable('crm_stages')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull().check(sql`length(name) between 1 and 80`))
    .addColumn('position', 'integer', (c) => c.notNull())
    // The stage where deals get their outcome (won or lost): "Cierre" by default.
    .addColumn('closing', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    // Stages with history are never removed: the funnel still names them.
    .addColumn('deleted_at', 'timestamptz')
    .execute()
  await sql`create unique index crm_stages_org_name_uq on crm_stages (org_id, lower(name)) where deleted_at is null`.execute(db)
  await db.schema.createIndex('crm_stages_org_position_idx').on('crm_stages').columns(['org_id', 'position']).execute()

  await db.schema
    .createTable('crm_deals')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('contact_id', 'uuid', (c) => c.notNull().references('contacts.id').onDelete('cascade'))
    .addColumn('title', 'text', (c) => c.notNull().check(sql`length(title) between 1 and 200`))
    .addColumn('value_minor', 'bigint', (c) => c.notNull().check(sql`value_minor >= 0`))
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('stage_id', 'uuid', (c) => c.notNull().references('crm_stages.id'))
    .addColumn('expected_close_date', 'date')
    .addColumn('owner_user_id', 'uuid', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('open').check(sql`status in ('open', 'won', 'lost')`))
    .addColumn('close_reason', 'text')
    .addColumn('closed_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('crm_deals_closed_ck', sql`(status = 'open') = (closed_at is null)`)
    .addCheckConstraint('crm_deals_lost_reason_ck', sql`status <> 'lost' or close_reason is not null`)
    .execute()
  await db.schema.createIndex('crm_deals_org_created_idx').on('crm_deals').columns(['org_id', 'created_at', 'id']).execute()
  await db.schema.createIndex('crm_deals_stage_idx').on('crm_deals').columns(['stage_id', 'status']).execute()
  await db.schema.createIndex('crm_deals_contact_idx').on('crm_deals').column('contact_id').execute()

  // One row per stay of a deal in a stage: entered, and left (null while it is there).
  await db.schema
    .createTable('crm_deal_stage_history')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('deal_id', 'uuid', (c) => c.notNull().references('crm_deals.id').onDelete('cascade'))
    .addColumn('from_stage_id', 'uuid', (c) => c.references('crm_stages.id'))
    .addColumn('stage_id', 'uuid', (c) => c.notNull().references('crm_stages.id'))
    .addColumn('entered_at', 'timestamptz', (c) => c.notNull())
    .addColumn('left_at', 'timestamptz')
    .addColumn('by_user_id', 'uuid', (c) => c.references('users.id').onDelete('set null'))
    .addCheckConstraint('crm_deal_stage_history_order_ck', sql`left_at is null or left_at >= entered_at`)
    .execute()
  await db.schema.createIndex('crm_deal_stage_history_org_entered_idx').on('crm_deal_stage_history').columns(['org_id', 'entered_at']).execute()
  await db.schema.createIndex('crm_deal_stage_history_deal_idx').on('crm_deal_stage_history').columns(['deal_id', 'entered_at']).execute()
  // A deal is in one stage at a time.
  await sql`create unique index crm_deal_stage_history_open_uq on crm_deal_stage_history (deal_id) where left_at is null`.execute(db)

  await db.schema
    .createTable('crm_interactions')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('contact_id', 'uuid', (c) => c.notNull().references('contacts.id').onDelete('cascade'))
    .addColumn('deal_id', 'uuid', (c) => c.references('crm_deals.id').onDelete('set null'))
    // web_form: a lead-capture submission; the other four are what people log.
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('call', 'email', 'meeting', 'whatsapp', 'web_form')`))
    .addColumn('direction', 'text', (c) => c.notNull().check(sql`direction in ('inbound', 'outbound')`))
    .addColumn('occurred_at', 'timestamptz', (c) => c.notNull())
    .addColumn('summary', 'text', (c) => c.notNull().check(sql`length(summary) between 1 and 4000`))
    .addColumn('user_id', 'uuid', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
  await db.schema.createIndex('crm_interactions_org_occurred_idx').on('crm_interactions').columns(['org_id', 'occurred_at', 'id']).execute()
  await db.schema.createIndex('crm_interactions_contact_idx').on('crm_interactions').columns(['contact_id', 'occurred_at']).execute()

  await db.schema
    .createTable('crm_lead_forms')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('form_key', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull().check(sql`length(name) between 1 and 120`))
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('min_fill_ms', 'integer', (c) => c.notNull().check(sql`min_fill_ms between 0 and 600000`))
    // Signs the form's timestamp tokens; never leaves the server.
    .addColumn('token_secret', 'text', (c) => c.notNull())
    .addColumn('created_by', 'uuid', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('disabled_at', 'timestamptz')
    .execute()
  await db.schema.createIndex('crm_lead_forms_org_created_idx').on('crm_lead_forms').columns(['org_id', 'created_at', 'id']).execute()

  // Every submission that got past the schema, kept a week: the per form and address limit
  // counts them, and they show what the spam filters turned away.
  await db.schema
    .createTable('crm_lead_attempts')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('form_id', 'uuid', (c) => c.notNull().references('crm_lead_forms.id').onDelete('cascade'))
    .addColumn('address_hash', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull().check(sql`outcome in ('created', 'merged', 'honeypot', 'too_fast', 'bad_token')`))
    .addColumn('contact_id', 'uuid', (c) => c.references('contacts.id').onDelete('set null'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
  await db.schema.createIndex('crm_lead_attempts_form_address_idx').on('crm_lead_attempts').columns(['form_id', 'address_hash', 'created_at']).execute()
  await db.schema.createIndex('crm_lead_attempts_created_idx').on('crm_lead_attempts').column('created_at').execute()

  await db.schema
    .createTable('crm_scoring_rules')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull().check(sql`length(name) between 1 and 120`))
    .addColumn('condition', 'jsonb', (c) => c.notNull())
    .addColumn('points', 'integer', (c) => c.notNull().check(sql`points between -1000 and 1000`))
    .addColumn('active', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
  await db.schema.createIndex('crm_scoring_rules_org_created_idx').on('crm_scoring_rules').columns(['org_id', 'created_at', 'id']).execute()

  await db.schema
    .createTable('crm_segments')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull().check(sql`length(name) between 1 and 120`))
    .addColumn('definition', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
  await db.schema.createIndex('crm_segments_org_created_idx').on('crm_segments').columns(['org_id', 'created_at', 'id']).execute()
}

export async function down(db: AnyDb): Promise<void> {
  for (const table of ['crm_segments', 'crm_scoring_rules', 'crm_lead_attempts', 'crm_lead_forms', 'crm_interactions', 'crm_deal_stage_history', 'crm_deals', 'crm_stages', 'crm_org_state']) {
    await db.schema.dropTable(table).execute()
  }
}

import { sql, type Kysely } from 'kysely'

// Migrations are frozen history: they use Kysely<any>, not today's table types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>

const CURRENCY_CHECK = (col: string) => sql.raw(`${col} ~ '^[A-Z]{3}$'`)
/** Calendar dates are ISO text ('YYYY-MM-DD'): the same on both drivers, no time zone, sortable. */
const DATE_CHECK = (col: string) => sql.raw(`${col} ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'`)

/**
 * Billing (issue 8): invoices numbered per organization and series, payments and their
 * allocation, credit notes, a double-entry ledger that is append-only and balanced,
 * dunning schedules, payment-gateway accounts and their events, and the platform's own
 * SaaS plans and subscriptions. Money is bigint minor units. The database, not only the
 * code, refuses to change a posted document or a journal line.
 */
export async function up(db: AnyDb): Promise<void> {
  // One counter per (org, kind, series): incremented under its row lock inside the posting
  // transaction, so numbers are gapless (a rollback gives the number back) and unique.
  await db.schema
    .createTable('billing_sequences')
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('invoice', 'credit_note')`))
    .addColumn('series', 'text', (c) => c.notNull())
    .addColumn('last_number', 'bigint', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('billing_sequences_pk', ['org_id', 'kind', 'series'])
    .execute()

  await db.schema
    .createTable('billing_invoices')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('contact_id', 'uuid', (c) => c.notNull().references('contacts.id'))
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('draft').check(sql`status in ('draft', 'posted', 'void')`))
    .addColumn('series', 'text', (c) => c.notNull().check(sql`series ~ '^[A-Z0-9]{1,4}-[0-9]{4}$'`))
    .addColumn('seq', 'bigint')
    .addColumn('number', 'text')
    .addColumn('currency', 'text', (c) => c.notNull().check(CURRENCY_CHECK('currency')))
    .addColumn('issue_date', 'text', (c) => c.notNull().check(DATE_CHECK('issue_date')))
    .addColumn('due_date', 'text', (c) => c.notNull().check(DATE_CHECK('due_date')))
    .addColumn('net_minor', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('tax_minor', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('total_minor', 'bigint', (c) => c.notNull().defaultTo(0).check(sql`total_minor >= 0`))
    .addColumn('source_key', 'text')
    .addColumn('notes', 'text')
    .addColumn('journal_id', 'uuid')
    .addColumn('posted_at', 'timestamptz')
    .addColumn('voided_at', 'timestamptz')
    .addColumn('created_by', 'uuid')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('billing_invoices_due_check', sql`due_date >= issue_date`)
    .addCheckConstraint('billing_invoices_total_check', sql`total_minor = net_minor + tax_minor`)
    .addCheckConstraint(
      'billing_invoices_posted_check',
      sql`(status = 'draft') = (seq is null) and (status = 'draft') = (number is null) and (status = 'draft') = (posted_at is null)`,
    )
    .addUniqueConstraint('billing_invoices_number_uq', ['org_id', 'series', 'seq'])
    .addUniqueConstraint('billing_invoices_source_uq', ['org_id', 'source_key'])
    .execute()
  await db.schema.createIndex('billing_invoices_org_created_idx').on('billing_invoices').columns(['org_id', 'created_at', 'id']).execute()
  await db.schema.createIndex('billing_invoices_contact_idx').on('billing_invoices').columns(['contact_id', 'status']).execute()

  await db.schema
    .createTable('billing_invoice_lines')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('invoice_id', 'uuid', (c) => c.notNull().references('billing_invoices.id').onDelete('cascade'))
    .addColumn('org_id', 'uuid', (c) => c.notNull())
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().check(sql`length(description) between 1 and 500`))
    .addColumn('quantity_milli', 'bigint', (c) => c.notNull().check(sql`quantity_milli > 0`))
    .addColumn('unit_minor', 'bigint', (c) => c.notNull().check(sql`unit_minor >= 0`))
    .addColumn('tax_rate_bp', 'integer', (c) => c.notNull().check(sql`tax_rate_bp between 0 and 100000`))
    .addColumn('net_minor', 'bigint', (c) => c.notNull())
    .addColumn('tax_minor', 'bigint', (c) => c.notNull())
    .addColumn('source_type', 'text')
    .addColumn('source_id', 'text')
    .addColumn('detail', 'jsonb')
    .addUniqueConstraint('billing_invoice_lines_pos_uq', ['invoice_id', 'position'])
    .execute()

  await db.schema
    .createTable('billing_payments')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('contact_id', 'uuid', (c) => c.notNull().references('contacts.id'))
    .addColumn('currency', 'text', (c) => c.notNull().check(CURRENCY_CHECK('currency')))
    .addColumn('amount_minor', 'bigint', (c) => c.notNull().check(sql`amount_minor > 0`))
    .addColumn('method', 'text', (c) => c.notNull().check(sql`method in ('cash', 'transfer', 'card', 'mercadopago', 'stripe')`))
    .addColumn('paid_on', 'text', (c) => c.notNull().check(DATE_CHECK('paid_on')))
    .addColumn('external_ref', 'text')
    .addColumn('notes', 'text')
    .addColumn('journal_id', 'uuid', (c) => c.notNull())
    .addColumn('reversal_journal_id', 'uuid')
    .addColumn('reversed_at', 'timestamptz')
    .addColumn('created_by', 'uuid')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
  await db.schema.createIndex('billing_payments_org_created_idx').on('billing_payments').columns(['org_id', 'created_at', 'id']).execute()
  // A provider's payment (Stripe payment intent, Mercado Pago payment) is booked once.
  await sql`CREATE UNIQUE INDEX billing_payments_provider_ref_uq ON billing_payments (org_id, method, external_ref)
    WHERE method IN ('mercadopago', 'stripe') AND external_ref IS NOT NULL`.execute(db)

  await db.schema
    .createTable('billing_allocations')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('payment_id', 'uuid', (c) => c.notNull().references('billing_payments.id'))
    .addColumn('invoice_id', 'uuid', (c) => c.notNull().references('billing_invoices.id'))
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('amount_minor', 'bigint', (c) => c.notNull().check(sql`amount_minor > 0`))
    .addColumn('journal_id', 'uuid', (c) => c.notNull())
    .addColumn('reversal_journal_id', 'uuid')
    .addColumn('reversed_at', 'timestamptz')
    .addColumn('created_by', 'uuid')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
  await db.schema.createIndex('billing_allocations_invoice_idx').on('billing_allocations').columns(['invoice_id']).execute()
  await db.schema.createIndex('billing_allocations_payment_idx').on('billing_allocations').columns(['payment_id']).execute()

  await db.schema
    .createTable('billing_credit_notes')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('invoice_id', 'uuid', (c) => c.notNull().references('billing_invoices.id'))
    .addColumn('contact_id', 'uuid', (c) => c.notNull().references('contacts.id'))
    .addColumn('series', 'text', (c) => c.notNull())
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('number', 'text', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('issue_date', 'text', (c) => c.notNull().check(DATE_CHECK('issue_date')))
    .addColumn('net_minor', 'bigint', (c) => c.notNull())
    .addColumn('tax_minor', 'bigint', (c) => c.notNull())
    .addColumn('total_minor', 'bigint', (c) => c.notNull().check(sql`total_minor > 0`))
    .addColumn('reason', 'text')
    .addColumn('journal_id', 'uuid', (c) => c.notNull())
    .addColumn('created_by', 'uuid')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('billing_credit_notes_number_uq', ['org_id', 'series', 'seq'])
    .execute()
  await db.schema.createIndex('billing_credit_notes_org_created_idx').on('billing_credit_notes').columns(['org_id', 'created_at', 'id']).execute()
  await db.schema.createIndex('billing_credit_notes_invoice_idx').on('billing_credit_notes').columns(['invoice_id']).execute()

  await db.schema
    .createTable('billing_credit_note_lines')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('credit_note_id', 'uuid', (c) => c.notNull().references('billing_credit_notes.id'))
    .addColumn('invoice_line_id', 'uuid', (c) => c.notNull().references('billing_invoice_lines.id'))
    .addColumn('org_id', 'uuid', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('quantity_milli', 'bigint', (c) => c.notNull().check(sql`quantity_milli > 0`))
    .addColumn('tax_rate_bp', 'integer', (c) => c.notNull())
    .addColumn('net_minor', 'bigint', (c) => c.notNull())
    .addColumn('tax_minor', 'bigint', (c) => c.notNull())
    .execute()

  // The ledger. A journal is one balanced posting in one currency; its lines carry the
  // contact for the per-customer accounts (receivables, customer_credit).
  await db.schema
    .createTable('billing_journals')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('source_type', 'text', (c) => c.notNull())
    .addColumn('source_id', 'uuid', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull().check(CURRENCY_CHECK('currency')))
    .addColumn('entry_date', 'text', (c) => c.notNull().check(DATE_CHECK('entry_date')))
    .addColumn('memo', 'text')
    .addColumn('reverses_journal_id', 'uuid', (c) => c.references('billing_journals.id').unique())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
  await db.schema.createIndex('billing_journals_org_created_idx').on('billing_journals').columns(['org_id', 'created_at', 'id']).execute()
  await db.schema.createIndex('billing_journals_source_idx').on('billing_journals').columns(['source_type', 'source_id']).execute()

  await db.schema
    .createTable('billing_journal_lines')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('journal_id', 'uuid', (c) => c.notNull().references('billing_journals.id'))
    .addColumn('org_id', 'uuid', (c) => c.notNull())
    .addColumn('account', 'text', (c) =>
      c.notNull().check(sql`account in ('receivables', 'revenue', 'tax_payable', 'cash', 'bank', 'customer_credit')`),
    )
    .addColumn('contact_id', 'uuid')
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('debit_minor', 'bigint', (c) => c.notNull().check(sql`debit_minor >= 0`))
    .addColumn('credit_minor', 'bigint', (c) => c.notNull().check(sql`credit_minor >= 0`))
    .addCheckConstraint('billing_journal_lines_side_check', sql`(debit_minor = 0) <> (credit_minor = 0)`)
    .execute()
  await db.schema.createIndex('billing_journal_lines_journal_idx').on('billing_journal_lines').column('journal_id').execute()
  await db.schema.createIndex('billing_journal_lines_contact_idx').on('billing_journal_lines').columns(['org_id', 'contact_id', 'account']).execute()

  await sql`
    CREATE FUNCTION billing_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'check_violation';
    END $$`.execute(db)
  for (const table of ['billing_journals', 'billing_journal_lines', 'billing_credit_notes', 'billing_credit_note_lines']) {
    await sql`CREATE TRIGGER ${sql.raw(`${table}_append_only`)} BEFORE UPDATE OR DELETE ON ${sql.table(table)}
      FOR EACH ROW EXECUTE FUNCTION billing_append_only()`.execute(db)
  }

  // Every journal balances: checked at commit (deferred), once per inserted line's journal.
  await sql`
    CREATE FUNCTION billing_journal_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE d numeric; c numeric; n integer; bad integer;
    BEGIN
      SELECT coalesce(sum(debit_minor), 0), coalesce(sum(credit_minor), 0), count(*),
             count(*) FILTER (WHERE l.currency <> j.currency)
        INTO d, c, n, bad
        FROM billing_journal_lines l JOIN billing_journals j ON j.id = l.journal_id
       WHERE l.journal_id = NEW.journal_id;
      IF d <> c OR n < 2 OR bad > 0 THEN
        RAISE EXCEPTION 'journal % is not balanced (debits %, credits %)', NEW.journal_id, d, c USING ERRCODE = 'check_violation';
      END IF;
      RETURN NULL;
    END $$`.execute(db)
  await sql`CREATE CONSTRAINT TRIGGER billing_journal_lines_balanced AFTER INSERT ON billing_journal_lines
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION billing_journal_balanced()`.execute(db)

  // A posted invoice keeps its money, number, customer and dates forever; it may only go
  // posted -> void (a credit note for all of it). Drafts are free to change and delete.
  await sql`
    CREATE FUNCTION billing_invoice_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'DELETE' THEN
        IF OLD.status <> 'draft' THEN
          RAISE EXCEPTION 'posted invoice % cannot be deleted', OLD.id USING ERRCODE = 'check_violation';
        END IF;
        RETURN OLD;
      END IF;
      IF OLD.status <> 'draft' THEN
        IF NEW.org_id IS DISTINCT FROM OLD.org_id OR NEW.contact_id IS DISTINCT FROM OLD.contact_id
           OR NEW.series IS DISTINCT FROM OLD.series OR NEW.seq IS DISTINCT FROM OLD.seq OR NEW.number IS DISTINCT FROM OLD.number
           OR NEW.currency IS DISTINCT FROM OLD.currency OR NEW.issue_date IS DISTINCT FROM OLD.issue_date
           OR NEW.due_date IS DISTINCT FROM OLD.due_date OR NEW.net_minor IS DISTINCT FROM OLD.net_minor
           OR NEW.tax_minor IS DISTINCT FROM OLD.tax_minor OR NEW.total_minor IS DISTINCT FROM OLD.total_minor
           OR NEW.journal_id IS DISTINCT FROM OLD.journal_id OR NEW.posted_at IS DISTINCT FROM OLD.posted_at
           OR NEW.source_key IS DISTINCT FROM OLD.source_key OR NEW.notes IS DISTINCT FROM OLD.notes
           OR NOT (NEW.status = OLD.status OR (OLD.status = 'posted' AND NEW.status = 'void')) THEN
          RAISE EXCEPTION 'posted invoice % cannot be modified', OLD.id USING ERRCODE = 'check_violation';
        END IF;
      END IF;
      RETURN NEW;
    END $$`.execute(db)
  await sql`CREATE TRIGGER billing_invoices_immutable BEFORE UPDATE OR DELETE ON billing_invoices
    FOR EACH ROW EXECUTE FUNCTION billing_invoice_immutable()`.execute(db)

  await sql`
    CREATE FUNCTION billing_invoice_line_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE st text;
    BEGIN
      SELECT status INTO st FROM billing_invoices WHERE id = coalesce(OLD.invoice_id, NEW.invoice_id);
      IF st IS NOT NULL AND st <> 'draft' THEN
        RAISE EXCEPTION 'lines of posted invoice % cannot change', OLD.invoice_id USING ERRCODE = 'check_violation';
      END IF;
      IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
      RETURN NEW;
    END $$`.execute(db)
  await sql`CREATE TRIGGER billing_invoice_lines_immutable BEFORE UPDATE OR DELETE ON billing_invoice_lines
    FOR EACH ROW EXECUTE FUNCTION billing_invoice_line_immutable()`.execute(db)

  // Payments and allocations keep their money; the only change is being reversed, once.
  await sql`
    CREATE FUNCTION billing_reversible_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION '% rows cannot be deleted', TG_TABLE_NAME USING ERRCODE = 'check_violation';
      END IF;
      IF OLD.reversal_journal_id IS NOT NULL OR NEW.reversal_journal_id IS NULL OR NEW.reversed_at IS NULL
         OR (to_jsonb(NEW) - 'reversal_journal_id' - 'reversed_at') <> (to_jsonb(OLD) - 'reversal_journal_id' - 'reversed_at') THEN
        RAISE EXCEPTION '% row % cannot be modified (only reversed, once)', TG_TABLE_NAME, OLD.id USING ERRCODE = 'check_violation';
      END IF;
      RETURN NEW;
    END $$`.execute(db)
  for (const table of ['billing_payments', 'billing_allocations']) {
    await sql`CREATE TRIGGER ${sql.raw(`${table}_reversible_only`)} BEFORE UPDATE OR DELETE ON ${sql.table(table)}
      FOR EACH ROW EXECUTE FUNCTION billing_reversible_only()`.execute(db)
  }

  // Dunning: days relative to the due date at which a reminder goes out.
  await db.schema
    .createTable('billing_dunning_steps')
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('offset_days', 'integer', (c) => c.notNull().check(sql`offset_days between -90 and 365`))
    .addPrimaryKeyConstraint('billing_dunning_steps_pk', ['org_id', 'offset_days'])
    .execute()

  // Payment gateways: one account per provider integration of an org, with its signing secret.
  await db.schema
    .createTable('billing_gateway_accounts')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('provider', 'text', (c) => c.notNull().check(sql`provider in ('mercadopago', 'stripe')`))
    .addColumn('label', 'text', (c) => c.notNull())
    .addColumn('secret', 'text', (c) => c.notNull())
    .addColumn('access_token', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('disabled_at', 'timestamptz')
    .execute()
  await db.schema.createIndex('billing_gateway_accounts_org_idx').on('billing_gateway_accounts').columns(['org_id', 'created_at', 'id']).execute()

  await db.schema
    .createTable('billing_gateway_events')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('account_id', 'uuid', (c) => c.notNull().references('billing_gateway_accounts.id').onDelete('cascade'))
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('event_type', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('payment_id', 'uuid')
    .addColumn('payload', 'jsonb', (c) => c.notNull())
    .addColumn('received_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('billing_gateway_events_uq', ['org_id', 'provider', 'event_id'])
    .execute()
  await db.schema.createIndex('billing_gateway_events_org_idx').on('billing_gateway_events').columns(['org_id', 'received_at', 'id']).execute()

  // The platform's own SaaS: plans, and organizations' subscriptions to them.
  await db.schema
    .createTable('saas_plans')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('code', 'text', (c) => c.notNull().unique().check(sql`code ~ '^[a-z0-9][a-z0-9_-]{0,39}$'`))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('features', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('price_minor', 'bigint', (c) => c.notNull().check(sql`price_minor >= 0`))
    .addColumn('currency', 'text', (c) => c.notNull().check(CURRENCY_CHECK('currency')))
    .addColumn('interval', 'text', (c) => c.notNull().check(sql`interval in ('month', 'year')`))
    .addColumn('active', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()

  await db.schema
    .createTable('saas_subscriptions')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('plan_id', 'uuid', (c) => c.notNull().references('saas_plans.id'))
    .addColumn('price_minor', 'bigint', (c) => c.notNull().check(sql`price_minor >= 0`))
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('interval', 'text', (c) => c.notNull().check(sql`interval in ('month', 'year')`))
    .addColumn('started_on', 'text', (c) => c.notNull().check(DATE_CHECK('started_on')))
    .addColumn('ended_on', 'text', (c) => c.check(DATE_CHECK('ended_on')))
    .addColumn('end_reason', 'text', (c) => c.check(sql`end_reason in ('cancelled', 'plan_change')`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('saas_subscriptions_dates_check', sql`ended_on is null or ended_on >= started_on`)
    .execute()
  await sql`CREATE UNIQUE INDEX saas_subscriptions_one_open ON saas_subscriptions (org_id) WHERE ended_on IS NULL`.execute(db)
  await db.schema.createIndex('saas_subscriptions_created_idx').on('saas_subscriptions').columns(['created_at', 'id']).execute()
}

export async function down(db: AnyDb): Promise<void> {
  for (const t of [
    'saas_subscriptions',
    'saas_plans',
    'billing_gateway_events',
    'billing_gateway_accounts',
    'billing_dunning_steps',
    'billing_journal_lines',
    'billing_journals',
    'billing_credit_note_lines',
    'billing_credit_notes',
    'billing_allocations',
    'billing_payments',
    'billing_invoice_lines',
    'billing_invoices',
    'billing_sequences',
  ]) {
    await db.schema.dropTable(t).ifExists().execute()
  }
  for (const f of ['billing_append_only', 'billing_journal_balanced', 'billing_invoice_immutable', 'billing_invoice_line_immutable', 'billing_reversible_only']) {
    await sql`DROP FUNCTION IF EXISTS ${sql.raw(f)}() CASCADE`.execute(db)
  }
}

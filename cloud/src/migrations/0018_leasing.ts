import { sql, type Kysely } from 'kysely'

// Migrations are frozen history: they use Kysely<any>, not today's table types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>

const DATE = sql`~ '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$'`
const PERIOD = sql`~ '^[0-9]{4}-(0[1-9]|1[0-2])$'`

/**
 * The leasing module of issue 8: malls, zones and spaces; leases with their spaces, rent
 * steps and escalation; index tables (ICL, IPC); the rent and utility charges (one per
 * lease, period and kind, by a unique constraint); meters and tariffs for metered
 * utilities; tenant incidents. Calendar dates are ISO text (`YYYY-MM-DD`, checked here),
 * so both drivers hand back the same string with no time zone in between.
 *
 * A space in two leases with overlapping dates is refused by an exclusion constraint on
 * `leasing_lease_spaces.period` where btree_gist can be installed (PostgreSQL); embedded
 * PGlite does not load it, so there the service's row lock and check are the guard.
 */
export async function up(db: AnyDb): Promise<void> {
  const org = (c: any) => c.notNull().references('organizations.id').onDelete('cascade') // eslint-disable-line @typescript-eslint/no-explicit-any
  await db.schema
    .createTable('leasing_malls')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('org_id', 'uuid', org)
    .addColumn('name', 'text', (c) => c.notNull().check(sql`length(name) between 1 and 200`))
    .addColumn('site_id', 'uuid', (c) => c.references('sites.id').onDelete('set null'))
    .addColumn('address', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
  await db.schema.createIndex('leasing_malls_org_idx').on('leasing_malls').columns(['org_id', 'id']).execute()

  await db.schema
    .createTable('leasing_zones')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('org_id', 'uuid', org)
    .addColumn('mall_id', 'uuid', (c) => c.notNull().references('leasing_malls.id').onDelete('restrict'))
    .addColumn('name', 'text', (c) => c.notNull().check(sql`length(name) between 1 and 120`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('leasing_zones_name_uq', ['mall_id', 'name'])
    .execute()
  await db.schema.createIndex('leasing_zones_org_idx').on('leasing_zones').columns(['org_id', 'id']).execute()

  await db.schema
    .createTable('leasing_spaces')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('org_id', 'uuid', org)
    .addColumn('mall_id', 'uuid', (c) => c.notNull().references('leasing_malls.id').onDelete('restrict'))
    .addColumn('zone_id', 'uuid', (c) => c.references('leasing_zones.id').onDelete('restrict'))
    .addColumn('code', 'text', (c) => c.notNull().check(sql`length(code) between 1 and 40`))
    // Hundredths of a square metre: 4250 = 42.50 m², exact and summable.
    .addColumn('area_centi_m2', 'bigint', (c) => c.notNull().check(sql`area_centi_m2 > 0`))
    .addColumn('type', 'text', (c) => c.notNull().check(sql`type in ('local', 'isla', 'kiosco', 'patio_comidas', 'deposito', 'oficina', 'cochera', 'otro')`))
    .addColumn('base_rent_minor', 'bigint', (c) => c.notNull().check(sql`base_rent_minor >= 0`))
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('leasing_spaces_code_uq', ['mall_id', 'code'])
    .execute()
  await db.schema.createIndex('leasing_spaces_org_idx').on('leasing_spaces').columns(['org_id', 'id']).execute()

  await db.schema
    .createTable('leasing_index_tables')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('org_id', 'uuid', org)
    .addColumn('name', 'text', (c) => c.notNull().check(sql`length(name) between 1 and 80`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('leasing_index_tables_name_uq', ['org_id', 'name'])
    .execute()
  await db.schema
    .createTable('leasing_index_values')
    .addColumn('table_id', 'uuid', (c) => c.notNull().references('leasing_index_tables.id').onDelete('cascade'))
    .addColumn('org_id', 'uuid', org)
    .addColumn('on_date', 'text', (c) => c.notNull().check(sql`on_date ${DATE}`))
    // Millionths: 1234.567891 is 1234567891. Ratios of two of them stay exact integers.
    .addColumn('value_micro', 'bigint', (c) => c.notNull().check(sql`value_micro > 0`))
    .addPrimaryKeyConstraint('leasing_index_values_pk', ['table_id', 'on_date'])
    .execute()

  await db.schema
    .createTable('leasing_leases')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('org_id', 'uuid', org)
    .addColumn('mall_id', 'uuid', (c) => c.notNull().references('leasing_malls.id').onDelete('restrict'))
    .addColumn('tenant_contact_id', 'uuid', (c) => c.notNull().references('contacts.id').onDelete('restrict'))
    .addColumn('starts_on', 'text', (c) => c.notNull().check(sql`starts_on ${DATE}`))
    .addColumn('ends_on', 'text', (c) => c.notNull().check(sql`ends_on ${DATE}`))
    .addColumn('rent_minor', 'bigint', (c) => c.notNull().check(sql`rent_minor >= 0`))
    .addColumn('currency', 'text', (c) => c.notNull())
    // IVA on the rent line of the invoice (commercial rent: 21 % in Argentina), basis points.
    .addColumn('rent_tax_rate_bp', 'integer', (c) => c.notNull().defaultTo(0).check(sql`rent_tax_rate_bp between 0 and 100000`))
    .addColumn('deposit_minor', 'bigint', (c) => c.notNull().defaultTo(0).check(sql`deposit_minor >= 0`))
    .addColumn('billing_day', 'integer', (c) => c.notNull().defaultTo(1).check(sql`billing_day between 1 and 28`))
    .addColumn('escalation', 'jsonb', (c) => c.notNull().defaultTo(sql`'{"kind":"none"}'::jsonb`))
    .addColumn('index_table_id', 'uuid', (c) => c.references('leasing_index_tables.id').onDelete('restrict'))
    .addColumn('terminated_on', 'text', (c) => c.check(sql`terminated_on ${DATE}`))
    .addColumn('termination_reason', 'text')
    .addColumn('previous_lease_id', 'uuid', (c) => c.references('leasing_leases.id').onDelete('restrict'))
    .addColumn('notes', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('leasing_leases_dates', sql`starts_on <= ends_on and (terminated_on is null or (terminated_on >= starts_on and terminated_on <= ends_on))`)
    .execute()
  await db.schema.createIndex('leasing_leases_org_idx').on('leasing_leases').columns(['org_id', 'id']).execute()
  await db.schema.createIndex('leasing_leases_tenant_idx').on('leasing_leases').column('tenant_contact_id').execute()
  // One renewal per term: a second `new_term` renewal of the same lease is refused.
  await db.schema.createIndex('leasing_leases_previous_uq').on('leasing_leases').column('previous_lease_id').unique().where(sql.ref('previous_lease_id'), 'is not', null).execute()

  // Rent from a date on: the lease's start, and each extension at a new rent.
  await db.schema
    .createTable('leasing_rent_steps')
    .addColumn('lease_id', 'uuid', (c) => c.notNull().references('leasing_leases.id').onDelete('cascade'))
    .addColumn('org_id', 'uuid', org)
    .addColumn('effective_on', 'text', (c) => c.notNull().check(sql`effective_on ${DATE}`))
    .addColumn('rent_minor', 'bigint', (c) => c.notNull().check(sql`rent_minor >= 0`))
    .addPrimaryKeyConstraint('leasing_rent_steps_pk', ['lease_id', 'effective_on'])
    .execute()

  await db.schema
    .createTable('leasing_lease_spaces')
    .addColumn('lease_id', 'uuid', (c) => c.notNull().references('leasing_leases.id').onDelete('cascade'))
    .addColumn('space_id', 'uuid', (c) => c.notNull().references('leasing_spaces.id').onDelete('restrict'))
    .addColumn('org_id', 'uuid', org)
    // The days the lease holds the space, [start, effective end]: kept in step by the service.
    .addColumn('period', sql`daterange`, (c) => c.notNull())
    .addPrimaryKeyConstraint('leasing_lease_spaces_pk', ['lease_id', 'space_id'])
    .execute()
  await db.schema.createIndex('leasing_lease_spaces_space_idx').on('leasing_lease_spaces').column('space_id').execute()
  await sql`
    do $$
    begin
      create extension if not exists btree_gist;
      alter table leasing_lease_spaces add constraint leasing_lease_spaces_no_overlap
        exclude using gist (space_id with =, period with &&);
    exception when others then
      raise notice 'btree_gist unavailable: lease overlap is guarded by the service only';
    end $$`.execute(db)

  await db.schema
    .createTable('leasing_meters')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('org_id', 'uuid', org)
    .addColumn('space_id', 'uuid', (c) => c.notNull().references('leasing_spaces.id').onDelete('cascade'))
    .addColumn('site_id', 'uuid', (c) => c.notNull().references('sites.id').onDelete('cascade'))
    .addColumn('device_id', 'text', (c) => c.notNull())
    .addColumn('metric', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('energy', 'water')`))
    .addColumn('unit', 'text', (c) => c.notNull().check(sql`unit in ('kwh', 'm3', 'l')`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('leasing_meters_uq', ['space_id', 'site_id', 'device_id', 'metric'])
    .execute()
  await db.schema.createIndex('leasing_meters_org_idx').on('leasing_meters').columns(['org_id', 'id']).execute()

  await db.schema
    .createTable('leasing_tariffs')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('org_id', 'uuid', org)
    .addColumn('mall_id', 'uuid', (c) => c.notNull().references('leasing_malls.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('energy', 'water')`))
    .addColumn('currency', 'text', (c) => c.notNull())
    // Minor units per kWh or per m³.
    .addColumn('price_minor', 'bigint', (c) => c.notNull().check(sql`price_minor >= 0`))
    .addColumn('tax_rate_bp', 'integer', (c) => c.notNull().defaultTo(0).check(sql`tax_rate_bp between 0 and 100000`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('leasing_tariffs_uq', ['mall_id', 'kind'])
    .execute()

  await db.schema
    .createTable('leasing_charges')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('org_id', 'uuid', org)
    .addColumn('lease_id', 'uuid', (c) => c.notNull().references('leasing_leases.id').onDelete('restrict'))
    .addColumn('period', 'text', (c) => c.notNull().check(sql`period ${PERIOD}`))
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('rent', 'utility_energy', 'utility_water')`))
    .addColumn('currency', 'text', (c) => c.notNull())
    // Null while the charge needs review: a gap is never billed as zero.
    .addColumn('amount_minor', 'bigint')
    .addColumn('tax_minor', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('ok', 'needs_review', 'resolved')`))
    .addColumn('review_reason', 'text')
    .addColumn('detail', 'jsonb', (c) => c.notNull())
    .addColumn('resolution_note', 'text')
    .addColumn('resolved_by', 'uuid')
    .addColumn('resolved_at', 'timestamptz')
    .addColumn('invoice_ref', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    // The rent job's idempotency: one charge per lease, period and kind, whatever runs twice.
    .addUniqueConstraint('leasing_charges_once', ['lease_id', 'period', 'kind'])
    .addCheckConstraint('leasing_charges_amount', sql`(status = 'needs_review') = (amount_minor is null)`)
    .execute()
  await db.schema.createIndex('leasing_charges_org_period_idx').on('leasing_charges').columns(['org_id', 'period', 'id']).execute()

  await db.schema
    .createTable('leasing_incidents')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('org_id', 'uuid', org)
    .addColumn('lease_id', 'uuid', (c) => c.notNull().references('leasing_leases.id').onDelete('cascade'))
    .addColumn('space_id', 'uuid', (c) => c.references('leasing_spaces.id').onDelete('set null'))
    .addColumn('reporter_org_id', 'uuid', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('reported_by', 'uuid')
    .addColumn('category', 'text', (c) => c.notNull().check(sql`category in ('mantenimiento', 'limpieza', 'seguridad', 'electricidad', 'agua', 'climatizacion', 'otro')`))
    .addColumn('description', 'text', (c) => c.notNull().check(sql`length(description) between 1 and 4000`))
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('open').check(sql`status in ('open', 'in_progress', 'resolved')`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('resolved_at', 'timestamptz')
    .execute()
  await db.schema.createIndex('leasing_incidents_org_idx').on('leasing_incidents').columns(['org_id', 'id']).execute()
  await db.schema.createIndex('leasing_incidents_reporter_idx').on('leasing_incidents').columns(['reporter_org_id', 'id']).execute()
}

export async function down(db: AnyDb): Promise<void> {
  for (const table of ['leasing_incidents', 'leasing_charges', 'leasing_tariffs', 'leasing_meters', 'leasing_lease_spaces', 'leasing_rent_steps',
    'leasing_leases', 'leasing_index_values', 'leasing_index_tables', 'leasing_spaces', 'leasing_zones', 'leasing_malls']) {
    await db.schema.dropTable(table).execute()
  }
}

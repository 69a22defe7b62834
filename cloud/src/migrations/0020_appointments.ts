import { sql, type CreateTableBuilder, type Kysely } from 'kysely'

// Migrations are frozen history: they use Kysely<any>, not today's table types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>

/**
 * Appointments (turnos, issue 8): services, professionals, their weekly hours and
 * exceptions, bookings, the waiting list and public booking pages.
 *
 * Double booking is refused by the database. Every booking stores the span it blocks
 * (start minus the service's buffer before, end plus the buffer after); on PostgreSQL with
 * btree_gist an exclusion constraint forbids two active bookings of one professional whose
 * blocked spans overlap. PGlite only has btree_gist when it is loaded at PGlite.create,
 * which the app's dialect does not do, so there the migration leaves the constraint out;
 * the booking transaction locks the professional's row and checks for an overlap on both
 * drivers (and PGlite runs one transaction at a time anyway).
 */
export async function up(db: AnyDb): Promise<void> {
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_available_extensions where name = 'btree_gist'`.execute(db)
  const exclusion = (rows[0]?.n ?? 0) > 0
  if (exclusion) await sql`create extension if not exists btree_gist`.execute(db)

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const timestamps = (t: CreateTableBuilder<string, any>) =>
    t.addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`)).addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))

  await timestamps(
    db.schema
      .createTable('appt_services')
      .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
      .addColumn('org_id', 'uuid', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
      .addColumn('name', 'text', (c) => c.notNull().check(sql`length(name) between 1 and 120`))
      .addColumn('description', 'text')
      .addColumn('duration_min', 'integer', (c) => c.notNull().check(sql`duration_min between 5 and 720`))
      .addColumn('buffer_before_min', 'integer', (c) => c.notNull().defaultTo(0).check(sql`buffer_before_min between 0 and 240`))
      .addColumn('buffer_after_min', 'integer', (c) => c.notNull().defaultTo(0).check(sql`buffer_after_min between 0 and 240`))
      .addColumn('price_minor', 'bigint', (c) => c.notNull().defaultTo(0).check(sql`price_minor >= 0`))
      .addColumn('currency', 'text', (c) => c.notNull())
      .addColumn('archived_at', 'timestamptz'),
  ).execute()
  await db.schema.createIndex('appt_services_org_idx').on('appt_services').columns(['org_id', 'created_at', 'id']).execute()

  await timestamps(
    db.schema
      .createTable('appt_professionals')
      .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
      .addColumn('org_id', 'uuid', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
      .addColumn('name', 'text', (c) => c.notNull().check(sql`length(name) between 1 and 120`))
      .addColumn('specialty', 'text')
      .addColumn('email', 'text')
      .addColumn('time_zone', 'text', (c) => c.notNull())
      .addColumn('site_id', 'uuid', (c) => c.references('sites.id').onDelete('set null'))
      .addColumn('user_id', 'uuid', (c) => c.references('users.id').onDelete('set null'))
      // sha256 of the ICS feed token: the feed URL is the secret, rotated by staff.
      .addColumn('ics_token_hash', 'text', (c) => c.unique())
      .addColumn('archived_at', 'timestamptz'),
  ).execute()
  await db.schema.createIndex('appt_professionals_org_idx').on('appt_professionals').columns(['org_id', 'created_at', 'id']).execute()

  await db.schema
    .createTable('appt_service_professionals')
    .addColumn('service_id', 'uuid', (c) => c.notNull().references('appt_services.id').onDelete('cascade'))
    .addColumn('professional_id', 'uuid', (c) => c.notNull().references('appt_professionals.id').onDelete('cascade'))
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('appt_service_professionals_pk', ['service_id', 'professional_id'])
    .execute()
  await db.schema.createIndex('appt_service_professionals_prof_idx').on('appt_service_professionals').column('professional_id').execute()

  // Weekly hours in the professional's zone: ISO weekday (1 Monday .. 7 Sunday), minutes from
  // local midnight; several ranges a day are several rows.
  await db.schema
    .createTable('appt_weekly_hours')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('professional_id', 'uuid', (c) => c.notNull().references('appt_professionals.id').onDelete('cascade'))
    .addColumn('weekday', 'smallint', (c) => c.notNull().check(sql`weekday between 1 and 7`))
    .addColumn('start_min', 'integer', (c) => c.notNull().check(sql`start_min between 0 and 1439`))
    .addColumn('end_min', 'integer', (c) => c.notNull().check(sql`end_min between 1 and 1440`))
    .addCheckConstraint('appt_weekly_hours_order_ck', sql`start_min < end_min`)
    .execute()
  await db.schema.createIndex('appt_weekly_hours_prof_idx').on('appt_weekly_hours').columns(['professional_id', 'weekday']).execute()

  // A day off (whole day when no times, else the range) or extra hours, on a local date.
  await db.schema
    .createTable('appt_exceptions')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('professional_id', 'uuid', (c) => c.notNull().references('appt_professionals.id').onDelete('cascade'))
    // A local date as YYYY-MM-DD text: a `date` column comes back as a JS Date at the server's midnight.
    .addColumn('date', 'text', (c) => c.notNull().check(sql`date ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'`))
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('off', 'extra')`))
    .addColumn('start_min', 'integer', (c) => c.check(sql`start_min between 0 and 1439`))
    .addColumn('end_min', 'integer', (c) => c.check(sql`end_min between 1 and 1440`))
    .addColumn('note', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint(
      'appt_exceptions_range_ck',
      sql`(start_min is null and end_min is null and kind = 'off') or (start_min is not null and end_min is not null and start_min < end_min)`,
    )
    .execute()
  await db.schema.createIndex('appt_exceptions_prof_idx').on('appt_exceptions').columns(['professional_id', 'date']).execute()
  await db.schema.createIndex('appt_exceptions_org_idx').on('appt_exceptions').columns(['org_id', 'date', 'id']).execute()

  await timestamps(
    db.schema
      .createTable('appt_bookings')
      .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
      .addColumn('org_id', 'uuid', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
      .addColumn('professional_id', 'uuid', (c) => c.notNull().references('appt_professionals.id').onDelete('restrict'))
      .addColumn('service_id', 'uuid', (c) => c.notNull().references('appt_services.id').onDelete('restrict'))
      .addColumn('contact_id', 'uuid', (c) => c.notNull().references('contacts.id').onDelete('restrict'))
      .addColumn('starts_at', 'timestamptz', (c) => c.notNull())
      .addColumn('ends_at', 'timestamptz', (c) => c.notNull())
      // What the booking keeps the professional from: [start - buffer before, end + buffer after).
      .addColumn('blocked_from', 'timestamptz', (c) => c.notNull())
      .addColumn('blocked_to', 'timestamptz', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('pending', 'confirmed', 'completed', 'cancelled', 'no_show')`))
      .addColumn('source', 'text', (c) => c.notNull().check(sql`source in ('staff', 'public', 'waitlist')`))
      // Pending until staff confirm it (a page that asks for it, a client past the no-show limit):
      // the client's own link cannot confirm such a booking.
      .addColumn('staff_approval', 'boolean', (c) => c.notNull().defaultTo(false))
      .addColumn('price_minor', 'bigint', (c) => c.notNull())
      .addColumn('currency', 'text', (c) => c.notNull())
      .addColumn('notes', 'text')
      // Key of the HMAC that signs the client's confirm/cancel link; replaced when the booking moves.
      .addColumn('link_key', 'text', (c) => c.notNull())
      // Bumped on every move: reminder dedup keys carry it, so a moved booking gets new reminders.
      .addColumn('revision', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('confirmed_at', 'timestamptz')
      .addColumn('cancelled_at', 'timestamptz')
      .addColumn('cancel_reason', 'text')
      .addCheckConstraint('appt_bookings_span_ck', sql`starts_at < ends_at and blocked_from <= starts_at and blocked_to >= ends_at`),
  ).execute()
  await db.schema.createIndex('appt_bookings_org_idx').on('appt_bookings').columns(['org_id', 'starts_at', 'id']).execute()
  await db.schema.createIndex('appt_bookings_prof_idx').on('appt_bookings').columns(['professional_id', 'blocked_from']).execute()
  await db.schema.createIndex('appt_bookings_contact_idx').on('appt_bookings').columns(['contact_id', 'status']).execute()
  if (exclusion) {
    await sql`alter table appt_bookings add constraint appt_bookings_no_overlap
      exclude using gist (professional_id with =, tstzrange(blocked_from, blocked_to, '[)') with &&)
      where (status in ('pending', 'confirmed', 'completed'))`.execute(db)
  }

  await db.schema
    .createTable('appt_waitlist')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('service_id', 'uuid', (c) => c.notNull().references('appt_services.id').onDelete('cascade'))
    .addColumn('professional_id', 'uuid', (c) => c.references('appt_professionals.id').onDelete('cascade'))
    .addColumn('contact_id', 'uuid', (c) => c.notNull().references('contacts.id').onDelete('cascade'))
    // The span the client would take a slot in.
    .addColumn('from_at', 'timestamptz', (c) => c.notNull())
    .addColumn('to_at', 'timestamptz', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('waiting').check(sql`status in ('waiting', 'offered', 'booked', 'cancelled')`))
    .addColumn('offer_professional_id', 'uuid', (c) => c.references('appt_professionals.id').onDelete('set null'))
    .addColumn('offer_starts_at', 'timestamptz')
    .addColumn('offer_expires_at', 'timestamptz')
    .addColumn('offer_token_hash', 'text', (c) => c.unique())
    .addColumn('booking_id', 'uuid', (c) => c.references('appt_bookings.id').onDelete('set null'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('appt_waitlist_span_ck', sql`from_at < to_at`)
    .execute()
  await db.schema.createIndex('appt_waitlist_org_idx').on('appt_waitlist').columns(['org_id', 'created_at', 'id']).execute()
  await db.schema.createIndex('appt_waitlist_match_idx').on('appt_waitlist').columns(['service_id', 'status', 'from_at']).execute()

  await timestamps(
    db.schema
      .createTable('appt_booking_pages')
      .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
      .addColumn('org_id', 'uuid', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
      .addColumn('slug', 'text', (c) => c.notNull().unique().check(sql`slug ~ '^[a-z0-9](?:[a-z0-9-]{1,62}[a-z0-9])$'`))
      .addColumn('title', 'text', (c) => c.notNull())
      // Empty arrays mean every active service / professional of the organization.
      .addColumn('service_ids', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
      .addColumn('professional_ids', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
      // Bookings made on the page start pending until staff confirm them.
      .addColumn('require_confirmation', 'boolean', (c) => c.notNull().defaultTo(false))
      // After this many no-shows a client's bookings on the page wait for staff (0 = never).
      .addColumn('no_show_limit', 'integer', (c) => c.notNull().defaultTo(3).check(sql`no_show_limit between 0 and 100`))
      .addColumn('min_notice_min', 'integer', (c) => c.notNull().defaultTo(60).check(sql`min_notice_min between 0 and 43200`))
      .addColumn('max_days_ahead', 'integer', (c) => c.notNull().defaultTo(60).check(sql`max_days_ahead between 1 and 365`))
      .addColumn('active', 'boolean', (c) => c.notNull().defaultTo(true)),
  ).execute()
  await db.schema.createIndex('appt_booking_pages_org_idx').on('appt_booking_pages').columns(['org_id', 'created_at', 'id']).execute()
}

export async function down(db: AnyDb): Promise<void> {
  for (const table of ['appt_booking_pages', 'appt_waitlist', 'appt_bookings', 'appt_exceptions', 'appt_weekly_hours', 'appt_service_professionals', 'appt_professionals', 'appt_services']) {
    await db.schema.dropTable(table).execute()
  }
}

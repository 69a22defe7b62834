import { sql, type Kysely } from 'kysely'

// Migrations are frozen history: they use Kysely<any>, not today's table types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>

/**
 * Cheaper ingest per event (issue 4: a 1,000,000-event backlog in under a minute).
 *
 * 1. `epoch_ms_to_timestamptz(ms)`: ingest sends times as the epoch milliseconds the
 *    gateway sent, in one array or JSON parameter per column, instead of formatting a
 *    Date per row in JS. `to_timestamp(float8)` is exact to the microsecond only while
 *    float8 seconds keep enough bits: below 2^31 s (2038) the error stays under 0.3 µs,
 *    so rounding lands on the exact millisecond. Later times (the far-future stamps of a
 *    gateway with a wrong clock, stored as sent and flagged) take exact day and
 *    millisecond interval arithmetic on a timestamp without time zone (no DST), which
 *    costs about ten times more. A plain SQL expression without STRICT, so the planner
 *    inlines it.
 *
 * 2. The foreign keys events.gateway_id -> gateways and telemetry.site_id -> sites go.
 *    Each cost a lookup of the parent per inserted row (about a fifth of PostgreSQL's
 *    time per event; telemetry has about 2.5 rows per event), and on this path they
 *    can never fail:
 *    - ingest is the only writer of both tables, and it writes them in the transaction
 *      that holds the gateway's row FOR UPDATE (ingest/repository.ts lockGateway),
 *      with the gateway id and site id read from that locked row;
 *    - while that lock is held the gateway cannot be deleted or updated, and its site
 *      cannot be deleted either, since that cascades to the gateway row and waits for
 *      the lock; a batch that comes after a deletion finds no gateway row and fails.
 *    What the keys also did was ON DELETE CASCADE; the triggers below keep it. They run
 *    after the row is gone: a site's delete cascades to its gateways first (the
 *    built-in "RI_..." triggers fire before these by name), waiting for an ingest that
 *    holds one, and each trigger statement then sees what that ingest committed.
 */
export async function up(db: AnyDb): Promise<void> {
  await sql`
    create function epoch_ms_to_timestamptz(ms bigint) returns timestamptz
    language sql immutable parallel safe as $$
      select case when ms < 2147483648000 then to_timestamp(ms::float8 / 1000)
        else (timestamp 'epoch' + (ms / 86400000)::int * interval '1 day' + (ms % 86400000) * interval '1 ms') at time zone 'UTC'
      end
    $$`.execute(db)

  await db.schema.alterTable('events').dropConstraint('events_gateway_id_fkey').execute()
  await db.schema.alterTable('telemetry').dropConstraint('telemetry_site_id_fkey').execute()

  await sql`
    create function delete_gateway_events() returns trigger language plpgsql as $$
    begin
      delete from events where gateway_id = old.id;
      return null;
    end $$`.execute(db)
  await sql`
    create trigger gateways_delete_events after delete on gateways
    for each row execute function delete_gateway_events()`.execute(db)

  await sql`
    create function delete_site_telemetry() returns trigger language plpgsql as $$
    begin
      delete from telemetry where site_id = old.id;
      return null;
    end $$`.execute(db)
  await sql`
    create trigger sites_delete_telemetry after delete on sites
    for each row execute function delete_site_telemetry()`.execute(db)
}

export async function down(db: AnyDb): Promise<void> {
  await sql`drop trigger sites_delete_telemetry on sites`.execute(db)
  await sql`drop function delete_site_telemetry()`.execute(db)
  await sql`drop trigger gateways_delete_events on gateways`.execute(db)
  await sql`drop function delete_gateway_events()`.execute(db)
  await db.schema
    .alterTable('telemetry')
    .addForeignKeyConstraint('telemetry_site_id_fkey', ['site_id'], 'sites', ['id'], (c) => c.onDelete('cascade'))
    .execute()
  await db.schema
    .alterTable('events')
    .addForeignKeyConstraint('events_gateway_id_fkey', ['gateway_id'], 'gateways', ['id'], (c) => c.onDelete('cascade'))
    .execute()
  await sql`drop function epoch_ms_to_timestamptz(bigint)`.execute(db)
}

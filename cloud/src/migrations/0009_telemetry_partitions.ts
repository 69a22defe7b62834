import { sql, type Kysely } from 'kysely'

// Migrations are frozen history: they use Kysely<any>, not today's table types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>

/**
 * Telemetry partitioned by time (issue 6): one partition per UTC month, named
 * `telemetry_pYYYYMM`, plus `telemetry_default` for a row no month partition covers yet,
 * so ingest never refuses a row. Retention then drops whole months (DROP TABLE) instead of
 * deleting rows one by one, and a chart's time range reads only its months.
 *
 * A unique key on a partitioned table must contain the partition key, so the exactly-once
 * key becomes (gateway_id, seq, metric, time). It holds the same rows: a telemetry row is
 * derived only from the event (gateway_id, seq), stored once in `events`, and its time is
 * that event's time, so one (gateway_id, seq, metric) never comes with two times on that
 * path. Ingest's rare leftover path (rows whose events were deleted) checks the old three
 * columns itself (ingest/repository.ts).
 *
 * `telemetry_ensure_partition(t)` creates the month of `t` when it is missing. It builds
 * the month as a plain table, moves that month's rows out of the default partition into
 * it, and attaches it: ATTACH takes a SHARE UPDATE EXCLUSIVE lock on the parent, which
 * lets concurrent ingest and reads carry on, where CREATE TABLE ... PARTITION OF would
 * take an ACCESS EXCLUSIVE one. The default partition itself is locked while it is
 * checked; when that lock is not free within lock_timeout the function gives up and
 * returns null (the rows stay in the default partition, still queried, and the periodic
 * maintenance moves them later), so ingest never waits on it nor deadlocks. The exception
 * block runs the work in a subtransaction, so a give-up leaves nothing behind.
 */
export async function up(db: AnyDb): Promise<void> {
  await sql`alter table telemetry rename to telemetry_unpartitioned`.execute(db)
  await sql`alter table telemetry_unpartitioned rename constraint telemetry_pk to telemetry_unpartitioned_pk`.execute(db)
  await sql`alter index telemetry_series_idx rename to telemetry_unpartitioned_series_idx`.execute(db)

  await sql`
    create table telemetry (
      site_id uuid not null,
      gateway_id text not null,
      device_id text not null,
      metric text not null,
      time timestamptz not null,
      value double precision not null,
      seq bigint not null,
      min_value double precision,
      max_value double precision,
      samples integer,
      constraint telemetry_pk primary key (gateway_id, seq, metric, time)
    ) partition by range (time)`.execute(db)
  await sql`create index telemetry_series_idx on telemetry (site_id, device_id, metric, time)`.execute(db)
  await sql`create table telemetry_default partition of telemetry default`.execute(db)

  await sql`
    create function telemetry_ensure_partition(t timestamptz) returns text language plpgsql as $$
    declare
      month_start timestamp := date_trunc('month', t at time zone 'UTC');
      lower_bound timestamptz := month_start at time zone 'UTC';
      upper_bound timestamptz := (month_start + interval '1 month') at time zone 'UTC';
      partition_name text := 'telemetry_p' || to_char(month_start, 'YYYYMM');
      caller_lock_timeout text := current_setting('lock_timeout');
    begin
      if to_regclass(partition_name) is not null then
        return partition_name;
      end if;
      begin
        perform set_config('lock_timeout', '250ms', true);
        -- Two sessions creating the same month take turns; the second finds it made.
        perform pg_advisory_xact_lock(hashtext('telemetry_ensure_partition'));
        if to_regclass(partition_name) is null then
          -- No row may enter the default partition between the move below and the attach,
          -- or the attach would find a row of the new month there and fail: hold it.
          lock table telemetry_default in access exclusive mode;
          execute format('create table %I (like telemetry including defaults)', partition_name);
          execute format(
            'with moved as (delete from telemetry_default where time >= %L and time < %L returning *) '
            'insert into %I select * from moved', lower_bound, upper_bound, partition_name);
          execute format('alter table telemetry attach partition %I for values from (%L) to (%L)',
            partition_name, lower_bound, upper_bound);
        end if;
        perform set_config('lock_timeout', caller_lock_timeout, true);
        return partition_name;
      exception when lock_not_available or deadlock_detected or check_violation then
        return null;
      end;
    end $$`.execute(db)

  // The months the existing rows need, this month and the next, then the rows themselves.
  await sql`
    select telemetry_ensure_partition(m) from (
      select distinct date_trunc('month', time at time zone 'UTC') at time zone 'UTC' as m from telemetry_unpartitioned
      union select now() union select now() + interval '1 month'
    ) as months`.execute(db)
  await sql`
    insert into telemetry (site_id, gateway_id, device_id, metric, time, value, seq, min_value, max_value, samples)
    select site_id, gateway_id, device_id, metric, time, value, seq, min_value, max_value, samples
    from telemetry_unpartitioned`.execute(db)
  await sql`drop table telemetry_unpartitioned`.execute(db)
}

export async function down(db: AnyDb): Promise<void> {
  await sql`alter table telemetry rename to telemetry_partitioned`.execute(db)
  await sql`alter table telemetry_partitioned rename constraint telemetry_pk to telemetry_partitioned_pk`.execute(db)
  await sql`alter index telemetry_series_idx rename to telemetry_partitioned_series_idx`.execute(db)
  await sql`
    create table telemetry (
      site_id uuid not null,
      gateway_id text not null,
      device_id text not null,
      metric text not null,
      time timestamptz not null,
      value double precision not null,
      seq bigint not null,
      min_value double precision,
      max_value double precision,
      samples integer,
      constraint telemetry_pk primary key (gateway_id, seq, metric)
    )`.execute(db)
  await sql`create index telemetry_series_idx on telemetry (site_id, device_id, metric, time)`.execute(db)
  await sql`
    insert into telemetry select site_id, gateway_id, device_id, metric, time, value, seq, min_value, max_value, samples
    from telemetry_partitioned on conflict do nothing`.execute(db)
  await sql`drop table telemetry_partitioned`.execute(db)
  await sql`drop function telemetry_ensure_partition(timestamptz)`.execute(db)
}

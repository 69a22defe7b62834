import { createHash } from 'node:crypto'
import { sql, type Transaction } from 'kysely'
import type { Db } from '../../plugins/db/database.js'
import type { Database, NewDataGap } from '../../plugins/db/tables.js'
import { toAlarmItem, toGapItem } from '../sites/repository.js'
import type { AlarmItem, GapItem } from '../sites/schema.js'
import type { LogEvent } from '@tendero/protocol'
import { isTimeSuspect, type AlarmUpsert, type Quarantined, type StateUpsert, type TelemetryColumns } from './derive.js'
import { booleanArrayLiteral, nullableNumberArrayLiteral, numberArrayLiteral, textArrayLiteral } from './array-literal.js'
import { storableJson, storableText, type StorableEvents } from './storable.js'
import { ensurePartitions, monthsOf, nextMonthStart, PARTITION_PREFIX } from '../telemetry/partitions.js'

type Trx = Transaction<Database>

// Keeps every statement well under Postgres' 65535 bind parameters.
const ROWS_PER_INSERT = 2000

export const hashGatewayKey = (key: string): string => createHash('sha256').update(key).digest('hex')

export async function findGatewayByKey(db: Db, key: string) {
  return db
    .selectFrom('gateways')
    .select(['id', 'org_id', 'site_id'])
    .where('key_hash', '=', hashGatewayKey(key))
    .executeTakeFirst()
}

/**
 * Row lock: batches from one gateway are applied one at a time. The site id is read here,
 * under the lock, because it goes into rows whose tables check no foreign key on this
 * path (migration 0005): the locked row is what vouches for it.
 */
export async function lockGateway(trx: Trx, gatewayId: string): Promise<{ ackSeq: number; siteId: string }> {
  const row = await trx
    .selectFrom('gateways')
    .select(['ack_seq', 'site_id'])
    .where('id', '=', gatewayId)
    .forUpdate()
    .executeTakeFirstOrThrow()
  return { ackSeq: row.ack_seq, siteId: row.site_id }
}

export async function insertQuarantined(trx: Trx, gatewayId: string, events: readonly Quarantined[]): Promise<void> {
  if (events.length === 0) return
  await trx
    .insertInto('quarantined_events')
    .values(events.map((e) => ({ gateway_id: gatewayId, seq: e.seq, reason: storableText(e.reason), raw: storableJson(JSON.stringify(e.raw)) })))
    .onConflict((oc) => oc.columns(['gateway_id', 'seq']).doNothing())
    .execute()
}

/**
 * Returns the seqs that were not stored before: the only ones that feed read models and
 * pushes. One array parameter per column and the bodies as one JSON array, zipped back
 * into rows by ROWS FROM: a row of bind parameters per event cost more to build, send and
 * plan than to store, and PostgreSQL reads this shape about three times faster than the
 * events as one JSON document (json_to_recordset), which copies every body through text.
 */
export async function insertEvents(trx: Trx, gatewayId: string, { events, bodiesJson }: StorableEvents, now = Date.now()): Promise<Set<number>> {
  if (events.length === 0) return new Set()
  const column = <T>(pick: (e: LogEvent) => T): T[] => events.map(pick)
  const { rows } = await sql<{ seq: number }>`
    insert into events (gateway_id, seq, kind, device_id, time, received_at, boot_id, clock_synced, time_suspect, body)
    select ${gatewayId}, e.seq, e.kind, e.device_id, epoch_ms_to_timestamptz(e.time), epoch_ms_to_timestamptz(e.received_at),
           e.boot_id, e.clock_synced, e.time_suspect, e.body::jsonb
    from rows from (
      unnest(${numberArrayLiteral(column((e) => e.seq))}::int8[]),
      unnest(${textArrayLiteral(column((e) => e.kind))}::text[]),
      unnest(${textArrayLiteral(column((e) => e.deviceId))}::text[]),
      unnest(${numberArrayLiteral(column((e) => e.time))}::int8[]),
      unnest(${numberArrayLiteral(column((e) => e.receivedAt))}::int8[]),
      unnest(${textArrayLiteral(column((e) => e.bootId))}::text[]),
      unnest(${booleanArrayLiteral(column((e) => e.clockSynced))}::boolean[]),
      unnest(${booleanArrayLiteral(column((e) => isTimeSuspect(e.time, now)))}::boolean[]),
      json_array_elements(${bodiesJson}::json)
    ) as e(seq, kind, device_id, time, received_at, boot_id, clock_synced, time_suspect, body)
    on conflict (gateway_id, seq) do nothing
    returning seq`.execute(trx)
  return new Set(rows.map((r) => Number(r.seq)))
}

/**
 * One array parameter per column. Rows come only from events this transaction stored for
 * the first time, so none can be in the table already, and a plain insert skips the
 * per-row probe of ON CONFLICT (about a fifth of the insert). Unless one range probe finds
 * rows for those seqs left behind (events deleted without their telemetry, as some
 * tests do to start a gateway over): then the stored rows win, as they always did, matched
 * on (gateway_id, seq, metric) whatever their time. The probe looks only in the batch's
 * months, so that it reads those partitions' indexes and not every month's: a left-behind
 * row with the same key and time is always in them (and would otherwise break the
 * insert), and one in another month stays next to the new row.
 *
 * The table is partitioned by month (migration 0009). The same probe statement asks which
 * of the batch's months have no partition yet (a catalog lookup per month, usually one):
 * those are created before the insert, and a month whose creation has to wait for a lock
 * lands in the default partition instead, never refused (telemetry/partitions.ts).
 */
export async function insertTelemetry(trx: Trx, gatewayId: string, siteId: string, rows: TelemetryColumns): Promise<void> {
  if (rows.seq.length === 0) return
  const runs = seqRuns(rows.seq)
  const months = monthsOf(rows.time).sort((a, b) => a - b)
  const monthsEnd = nextMonthStart(months[months.length - 1]!)
  // One index probe per run: the lateral LIMIT keeps the planner from turning this into a
  // join that reads every row of the gateway (it did, with a few thousand rows of stats).
  const { rows: [probe] } = await sql<{ found: boolean; missing: (number | string)[] | null }>`
    select exists (
      select 1 from unnest(${numberArrayLiteral(runs.from)}::int8[], ${numberArrayLiteral(runs.to)}::int8[]) as r(from_seq, to_seq)
      cross join lateral (
        select 1 from telemetry where gateway_id = ${gatewayId} and seq between r.from_seq and r.to_seq
          and time >= epoch_ms_to_timestamptz(${months[0]!}::int8) and time < epoch_ms_to_timestamptz(${monthsEnd}::int8)
        limit 1
      ) as stored
    ) as found,
    (select array_agg(m) from unnest(${numberArrayLiteral(months)}::int8[]) as m
      where to_regclass(${PARTITION_PREFIX} || to_char(epoch_ms_to_timestamptz(m) at time zone 'UTC', 'YYYYMM')) is null
    ) as missing`.execute(trx)
  if (probe?.missing?.length) await ensurePartitions(trx, probe.missing.map(Number))
  // Raw readings leave the rollup columns empty: unnest pads shorter arrays with NULL.
  const rollups = rows.samples.some((n) => n !== null)
  const nullable = (values: (number | null)[]) => nullableNumberArrayLiteral(rollups ? values : [])
  await sql`
    insert into telemetry (site_id, gateway_id, device_id, metric, time, value, seq, min_value, max_value, samples)
    select ${siteId}::uuid, ${gatewayId}, r.device_id, r.metric, epoch_ms_to_timestamptz(r.time), r.value, r.seq, r.min_value, r.max_value, r.samples
    from unnest(${textArrayLiteral(rows.deviceId)}::text[], ${textArrayLiteral(rows.metric)}::text[],
                ${numberArrayLiteral(rows.time)}::int8[], ${numberArrayLiteral(rows.value)}::float8[],
                ${numberArrayLiteral(rows.seq)}::int8[], ${nullable(rows.min)}::float8[], ${nullable(rows.max)}::float8[],
                ${nullable(rows.samples)}::int4[])
      as r(device_id, metric, time, value, seq, min_value, max_value, samples)
    ${probe?.found
      ? sql`where not exists (select 1 from telemetry t where t.gateway_id = ${gatewayId} and t.seq = r.seq and t.metric = r.metric)
            on conflict do nothing`
      : sql``}`.execute(trx)
}

/** Ascending seqs (repeats allowed) as runs of consecutive values, for range probes on (gateway_id, seq). */
export function seqRuns(seqs: readonly number[]): { from: number[]; to: number[] } {
  const from: number[] = []
  const to: number[] = []
  for (const seq of seqs) {
    const last = to.length - 1
    if (last >= 0 && seq <= to[last]! + 1) to[last] = Math.max(to[last]!, seq)
    else {
      from.push(seq)
      to.push(seq)
    }
  }
  return { from, to }
}

/**
 * Whether the incoming row (`excluded`) comes after the stored one. One gateway decides in
 * seq order, and its seq never goes back, but its times can: events from before a clock
 * sync are re-stamped with an estimated offset, devices send their own times, NTP steps.
 * So the same gateway's writes are ordered by seq. Between gateways (a replaced one with
 * a fresh log, two on one site) seqs do not compare, and time decides, as it does for
 * rows stored before migration 0006 (no gateway); on equal times the later arrival wins.
 */
const comesAfterStored = (table: 'alarms' | 'device_state') => sql<boolean>`case
  when ${sql.ref(`${table}.gateway_id`)} = excluded.gateway_id then ${sql.ref(`${table}.seq`)} < excluded.seq
  else ${sql.ref(`${table}.updated_at`)} <= excluded.updated_at end`

/** Last writer wins (comesAfterStored), so a late, older batch cannot roll state back. */
export async function upsertDeviceState(trx: Trx, rows: readonly StateUpsert[]): Promise<void> {
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
    await trx
      .insertInto('device_state')
      .values(rows.slice(i, i + ROWS_PER_INSERT))
      .onConflict((oc) =>
        oc
          .columns(['site_id', 'device_id', 'key'])
          .doUpdateSet({ value: sql`excluded.value`, updated_at: sql`excluded.updated_at`,
            gateway_id: sql`excluded.gateway_id`, seq: sql`excluded.seq` })
          .where(comesAfterStored('device_state')),
      )
      .execute()
  }
}

/**
 * Applies one alarm transition if it comes after what is stored (comesAfterStored);
 * returns the row it left, or nothing when it was skipped. The stored times are the
 * events' own, so after a re-stamp a clear may show a little before its raise.
 */
export async function upsertAlarm(trx: Trx, { siteId, gatewayId, seq, time, change }: AlarmUpsert): Promise<AlarmItem | undefined> {
  const row = await trx
    .insertInto('alarms')
    .values({
      site_id: siteId,
      alarm_id: change.alarmId,
      rule_id: change.ruleId,
      device_id: change.deviceId,
      severity: change.severity,
      state: change.state,
      message: change.message,
      value: change.value ?? null,
      raised_at: change.state === 'raised' ? time : null,
      updated_at: time,
      cleared_at: change.state === 'cleared' ? time : null,
      gateway_id: gatewayId,
      seq,
    })
    .onConflict((oc) =>
      oc
        .columns(['site_id', 'alarm_id'])
        .doUpdateSet({
          rule_id: sql`excluded.rule_id`,
          device_id: sql`excluded.device_id`,
          severity: sql`excluded.severity`,
          state: sql`excluded.state`,
          message: sql`excluded.message`,
          value: sql`excluded.value`,
          updated_at: sql`excluded.updated_at`,
          // A re-raise starts a new episode; acknowledging keeps both times as they were.
          raised_at: sql`case when excluded.state = 'raised' then excluded.raised_at else alarms.raised_at end`,
          cleared_at: sql`case when excluded.state = 'cleared' then excluded.cleared_at
                               when excluded.state = 'raised' then null else alarms.cleared_at end`,
          gateway_id: sql`excluded.gateway_id`,
          seq: sql`excluded.seq`,
          // The cloud users who acted (alarms module) stay through the gateway's events of
          // the episode; a raise after a clear is a new episode nobody has acted on yet.
          // (A raise over a raise is an escalation of the same episode.)
          acknowledged_by: sql`case when excluded.state = 'raised' and alarms.state = 'cleared' then null else alarms.acknowledged_by end`,
          acknowledged_at: sql`case when excluded.state = 'raised' and alarms.state = 'cleared' then null else alarms.acknowledged_at end`,
          cleared_by: sql`case when excluded.state = 'raised' and alarms.state = 'cleared' then null else alarms.cleared_by end`,
        })
        .where(comesAfterStored('alarms')),
    )
    .returningAll()
    .executeTakeFirst()
  return row ? toAlarmItem(row) : undefined
}

/**
 * Remembers seq ranges the gateway will never send. Resending a range is a no-op, and
 * overlapping ranges are harmless: the watermark below merges them.
 */
export async function insertAbsentRanges(trx: Trx, gatewayId: string, ranges: readonly (readonly [number, number])[]): Promise<void> {
  for (let i = 0; i < ranges.length; i += ROWS_PER_INSERT) {
    await trx
      .insertInto('absent_ranges')
      .values(ranges.slice(i, i + ROWS_PER_INSERT).map(([from, to]) => ({ gateway_id: gatewayId, from_seq: from, to_seq: to })))
      .onConflict((oc) => oc.columns(['gateway_id', 'to_seq', 'from_seq']).doNothing())
      .execute()
  }
}

/** Returns the gaps stored for the first time, for the `gap` push. */
export async function insertGaps(trx: Trx, rows: readonly NewDataGap[]): Promise<GapItem[]> {
  if (rows.length === 0) return []
  const inserted = await trx
    .insertInto('data_gaps')
    .values([...rows])
    .onConflict((oc) => oc.columns(['gateway_id', 'seq']).doNothing())
    .returningAll()
    .execute()
  return inserted.map(toGapItem)
}

/** How many seqs above the watermark one step of contiguousAckSeq looks at. */
const ACK_WINDOW_SEQS = 4000

/**
 * The watermark of the sync contract: the highest seq such that every seq from 1 up to
 * it is stored, quarantined or reported absent. It looks at one window of seqs above the
 * old watermark at a time and moves to the next only while the run reaches the window's
 * end, so a batch costs about the rows in flight near the watermark: events stored far
 * ahead (live events sent before the backlog, or everything above a seq that never
 * came) are not read again on every batch.
 */
export async function contiguousAckSeq(trx: Trx, gatewayId: string, ackSeq: number): Promise<number> {
  let ack = ackSeq
  for (;;) {
    const windowEnd = ack + ACK_WINDOW_SEQS
    const reached = await contiguousWithin(trx, gatewayId, ack, windowEnd)
    if (reached < windowEnd) return reached
    ack = windowEnd
  }
}

/**
 * Gaps and islands over intervals inside (ack, end]: every stored or quarantined seq is
 * the interval [seq, seq], every absent range its own interval, clipped to the window.
 * Walking them by start, the run breaks at the first interval that starts more than one
 * past the furthest end seen before it; the answer is the furthest end before that break.
 * Reads go through the primary keys, (gateway_id, seq) and (gateway_id, to_seq).
 */
async function contiguousWithin(trx: Trx, gatewayId: string, ack: number, end: number): Promise<number> {
  const { rows } = await sql<{ ack_seq: number | string | null }>`
    with present(f, t) as (
      select seq, seq from events where gateway_id = ${gatewayId} and seq > ${ack}::bigint and seq <= ${end}::bigint
      union all
      select seq, seq from quarantined_events
        where gateway_id = ${gatewayId} and seq > ${ack}::bigint and seq <= ${end}::bigint
      union all
      select greatest(from_seq, ${ack}::bigint + 1), least(to_seq, ${end}::bigint) from absent_ranges
        where gateway_id = ${gatewayId} and to_seq > ${ack}::bigint and from_seq <= ${end}::bigint
    ),
    reach as (
      select f, t, max(t) over (order by f, t rows between unbounded preceding and 1 preceding) as before
      from present
    ),
    first_break as (
      select min(f) as f from reach where f > coalesce(before, ${ack}::bigint) + 1
    )
    select max(reach.t) as ack_seq from reach, first_break
    where first_break.f is null or reach.f < first_break.f`.execute(trx)
  const found = rows[0]?.ack_seq
  return found === null || found === undefined ? ack : Number(found)
}

export async function markGatewaySeen(trx: Trx, gatewayId: string, ackSeq: number): Promise<void> {
  await trx
    .updateTable('gateways')
    .set({ ack_seq: ackSeq, last_seen_at: sql`now()`, last_contact_at: sql`now()` })
    .where('id', '=', gatewayId)
    .execute()
}

import { sql, type Kysely } from 'kysely'

/**
 * Telemetry's monthly partitions (migration 0009): which month an epoch ms falls in, the
 * months ingest must make sure of, creating months ahead, and retention.
 *
 * Months are UTC months: partition bounds do not move with a site's time zone, and a
 * chart in any zone reads at most one extra month at either end.
 */

// Any Kysely or transaction over our database: these statements name no typed table.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>

/** A month partition's name, `telemetry_pYYYYMM`, and back. */
export const PARTITION_PREFIX = 'telemetry_p'
const PARTITION_NAME_RE = /^telemetry_p(\d{4})(\d{2})$/

export function monthStart(epochMs: number): number {
  const d = new Date(epochMs)
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1)
}

export function nextMonthStart(epochMs: number): number {
  const d = new Date(monthStart(epochMs))
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)
}

export function partitionName(epochMs: number): string {
  const d = new Date(epochMs)
  return `${PARTITION_PREFIX}${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}`
}

/** The month a partition name covers, as [start, end) epoch ms; undefined for any other table. */
export function partitionRange(name: string): { start: number; end: number } | undefined {
  const match = PARTITION_NAME_RE.exec(name)
  if (!match) return undefined
  const start = Date.UTC(Number(match[1]), Number(match[2]) - 1, 1)
  return { start, end: nextMonthStart(start) }
}

/**
 * The distinct month starts of a batch's times. A batch is nearly always one month (two
 * around midnight of the 1st), so each time is checked against the last month found
 * before any date arithmetic.
 */
export function monthsOf(times: readonly number[]): number[] {
  const months: number[] = []
  let start = Infinity
  let end = -Infinity
  for (const time of times) {
    if (time >= start && time < end) continue
    start = monthStart(time)
    end = nextMonthStart(time)
    if (!months.includes(start)) months.push(start)
  }
  return months
}

/**
 * Creates the months of `months` (epoch ms) that have no partition yet. Returns the ones it
 * could not create now (their default-partition lock was busy: the rows are kept in the
 * default partition and moved by the next maintenance).
 */
export async function ensurePartitions(db: AnyDb, months: readonly number[]): Promise<number[]> {
  const deferred: number[] = []
  for (const month of months) {
    const { rows } = await sql<{ name: string | null }>`
      select telemetry_ensure_partition(epoch_ms_to_timestamptz(${month}::int8)) as name`.execute(db)
    if (!rows[0]?.name) deferred.push(month)
  }
  return deferred
}

export interface PartitionInfo {
  name: string
  start: number
  end: number
}

/** The month partitions attached to telemetry, oldest first. */
export async function listPartitions(db: AnyDb): Promise<PartitionInfo[]> {
  const { rows } = await sql<{ name: string }>`
    select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
    where i.inhparent = 'telemetry'::regclass`.execute(db)
  return rows
    .flatMap(({ name }) => {
      const range = partitionRange(name)
      return range ? [{ name, ...range }] : []
    })
    .sort((a, b) => a.start - b.start)
}

export interface MaintenanceResult {
  created: string[]
  dropped: string[]
  /** Rows older than the retention deleted from the default partition. */
  deletedFromDefault: number
}

export const DEFAULT_RETENTION_DAYS = 400
/** Months created before any reading needs them: this one and the next. */
const MONTHS_AHEAD = 1
const DAY_MS = 24 * 3600_000

/**
 * What runs at startup and then periodically:
 * 1. this month and the next exist, so live ingest never creates one;
 * 2. rows that went to the default partition (their month did not exist, or its creation
 *    was deferred) move into their own month, unless retention is about to drop them;
 * 3. retention: a month whose last instant is older than `retentionDays` is dropped whole,
 *    and the default partition loses its rows older than that.
 *
 * Retention only ever drops raw telemetry: chart aggregates are computed from it at query
 * time (repository.ts), so there are no stored aggregates with a retention of their own.
 */
export async function maintainPartitions(db: AnyDb, retentionDays = DEFAULT_RETENTION_DAYS, now = Date.now()): Promise<MaintenanceResult> {
  const cutoff = now - retentionDays * DAY_MS
  const before = new Set((await listPartitions(db)).map((p) => p.name))

  const wanted = new Set<number>()
  let month = monthStart(now)
  for (let i = 0; i <= MONTHS_AHEAD; i++, month = nextMonthStart(month)) wanted.add(month)
  const { rows: stray } = await sql<{ month: number | string }>`
    select distinct (extract(epoch from date_trunc('month', time at time zone 'UTC')) * 1000)::int8 as month
    from telemetry_default`.execute(db)
  for (const row of stray) {
    const start = Number(row.month)
    if (nextMonthStart(start) > cutoff) wanted.add(start)
  }
  await ensurePartitions(db, [...wanted].sort((a, b) => a - b))

  const dropped: string[] = []
  const partitions = await listPartitions(db)
  for (const partition of partitions) {
    if (partition.end > cutoff) continue
    // DROP locks the whole table for an instant; rather than queue every ingest and chart
    // behind a long transaction, give up after a while and try again at the next run.
    await db.transaction().execute(async (trx) => {
      await sql`set local lock_timeout = '5s'`.execute(trx)
      await sql`drop table if exists ${sql.id(partition.name)}`.execute(trx)
    })
    dropped.push(partition.name)
  }
  const deleted = await sql`delete from telemetry_default where time < epoch_ms_to_timestamptz(${Math.floor(cutoff)}::int8)`.execute(db)
  return {
    created: partitions.map((p) => p.name).filter((name) => !before.has(name)),
    dropped,
    deletedFromDefault: Number(deleted.numAffectedRows ?? 0),
  }
}

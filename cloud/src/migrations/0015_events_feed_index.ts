import { sql, type Kysely } from 'kysely'

// Migrations are frozen history: they use Kysely<any>, not today's table types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>

/**
 * The activity feed (GET /api/activity) reads the newest events of a few kinds across an
 * organization's gateways, ordered by (time, gateway_id, seq). Without an index by time it
 * scans every event of those gateways, telemetry included. Partial, over the kinds the feed
 * lists: telemetry (nearly every row) skips it, so ingest pays nothing for it where it counts.
 */
export async function up(db: AnyDb): Promise<void> {
  await sql`create index events_feed_idx on events (time desc, gateway_id desc, seq desc)
    where kind in ('alarm', 'state', 'access', 'command', 'ack', 'event', 'payment')`.execute(db)
}

export async function down(db: AnyDb): Promise<void> {
  await sql`drop index events_feed_idx`.execute(db)
}

import type { AlarmChange, LogEvent, UplinkAck, UplinkBatch } from '@tendero/protocol'
import { sql, type Transaction } from 'kysely'
import { badAbsentRange, badIngestKey, gatewayMismatch } from '../../errors.js'
import type { Db } from '../../plugins/db/database.js'
import type { Database } from '../../plugins/db/tables.js'
import type { AlarmItem } from '../sites/schema.js'
import { absentRangeError, deriveReadModels, triageBatch, type Push } from './derive.js'
import * as repo from './repository.js'
import { storableEvents } from './storable.js'

export interface IngestGateway {
  id: string
  orgId: string
  siteId: string
}

/** What a batch stored for the first time that people may need to hear about. */
export interface Notifiable {
  orgId: string
  siteId: string
  gatewayId: string
  /** Alarm transitions applied to the read model (not stale ones), in seq order. */
  alarms: { item: AlarmItem; change: AlarmChange }[]
  /** The gateway's `notify` events (a rule or an escalation asking to tell someone). */
  notices: Extract<LogEvent, { kind: 'notify' }>[]
}

export interface IngestHooks {
  /**
   * Runs inside the batch's transaction (so what it writes, e.g. a notification outbox
   * row, commits with the alarm or not at all), only when there is something to tell.
   * It runs under a savepoint: if it throws, its writes are rolled back alone, the error
   * goes to onHookError, and the batch is stored and acknowledged as usual.
   */
  onNotifiable?: (trx: Transaction<Database>, found: Notifiable) => Promise<void>
  onHookError?: (err: unknown) => void
}

export async function authenticateGateway(db: Db, key: string | undefined): Promise<IngestGateway> {
  const row = key ? await repo.findGatewayByKey(db, key) : undefined
  if (!row) throw badIngestKey()
  return { id: row.id, orgId: row.org_id, siteId: row.site_id }
}

/**
 * The cloud side of the sync contract (ARCHITECTURE.md): one transaction per batch,
 * `(gatewayId, seq)` stored at most once, a bad event quarantined without failing the
 * rest, seq ranges the gateway reports absent (removed by its disk budget) counted as
 * accounted for, and the answer is the contiguous watermark the gateway may move its
 * cursor to, with the cloud's clock. Pushes are returned, not sent: the caller emits
 * them only after COMMIT.
 */
export async function ingestBatch(
  db: Db,
  gateway: IngestGateway,
  batch: UplinkBatch,
  hooks: IngestHooks = {},
): Promise<{ ack: UplinkAck; pushes: Push[] }> {
  if (batch.gatewayId !== gateway.id) throw gatewayMismatch()
  const absent = batch.absent ?? []
  // A whole-batch refusal, unlike a poison event: a wrong range would move the watermark
  // over events that may still arrive, and those would never be asked for again.
  const rangeError = absentRangeError(absent, batch.events)
  if (rangeError) throw badAbsentRange(rangeError)
  const triage = triageBatch(batch.events)
  const storable = storableEvents(triage.valid)
  const valid = storable.events
  const quarantined = [...triage.quarantined, ...storable.quarantined]

  const result = await db.transaction().execute(async (trx): Promise<{ ack: UplinkAck; pushes: Push[] }> => {
    const { ackSeq: previousAck, siteId } = await repo.lockGateway(trx, gateway.id)
    await repo.insertAbsentRanges(trx, gateway.id, absent)
    await repo.insertQuarantined(trx, gateway.id, quarantined)
    const now = Date.now()
    const inserted = await repo.insertEvents(trx, gateway.id, storable, now)
    const fresh = valid.filter((e) => inserted.has(e.seq))

    const derived = deriveReadModels({ gatewayId: gateway.id, siteId }, fresh, now)
    await repo.insertTelemetry(trx, gateway.id, siteId, derived.telemetry)
    await repo.upsertDeviceState(trx, derived.state)
    const pushes = [...derived.pushes]
    const applied: Notifiable['alarms'] = []
    for (const alarm of derived.alarms) {
      const item = await repo.upsertAlarm(trx, alarm)
      if (item) {
        pushes.push({ event: 'alarm', payload: { siteId, ...item } })
        applied.push({ item, change: alarm.change })
      }
    }
    const notices = fresh.filter((e): e is Notifiable['notices'][number] => e.kind === 'notify')
    if (hooks.onNotifiable && (applied.length > 0 || notices.length > 0)) {
      await runHook(trx, hooks, { orgId: gateway.orgId, siteId, gatewayId: gateway.id, alarms: applied, notices })
    }
    for (const gap of await repo.insertGaps(trx, derived.gaps)) {
      pushes.push({ event: 'gap', payload: { siteId, ...gap } })
    }

    const ackSeq = await repo.contiguousAckSeq(trx, gateway.id, previousAck)
    await repo.markGatewaySeen(trx, gateway.id, ackSeq)
    return {
      ack: {
        ackSeq,
        stored: inserted.size,
        duplicates: valid.length - inserted.size + triage.repeatedInBatch,
        quarantined: quarantined.map(({ seq, reason }) => ({ seq, reason })),
      },
      pushes,
    }
  })
  // Read after COMMIT, as close to the answer as possible: the gateway uses it as a clock.
  result.ack.serverTime = Date.now()
  return result
}

async function runHook(trx: Transaction<Database>, hooks: IngestHooks, found: Notifiable): Promise<void> {
  await sql`savepoint ingest_hook`.execute(trx)
  try {
    await hooks.onNotifiable!(trx, found)
    await sql`release savepoint ingest_hook`.execute(trx)
  } catch (err) {
    await sql`rollback to savepoint ingest_hook`.execute(trx)
    hooks.onHookError?.(err)
  }
}

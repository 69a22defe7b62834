import type { UplinkAck, UplinkBatch } from '@tendero/protocol'
import { badAbsentRange, badIngestKey, gatewayMismatch } from '../../errors.js'
import type { Db } from '../../plugins/db/database.js'
import { absentRangeError, deriveReadModels, triageBatch, type Push } from './derive.js'
import * as repo from './repository.js'
import { storableEvents } from './storable.js'

export interface IngestGateway {
  id: string
  orgId: string
  siteId: string
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
    for (const alarm of derived.alarms) {
      const item = await repo.upsertAlarm(trx, alarm)
      if (item) pushes.push({ event: 'alarm', payload: { siteId, ...item } })
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

import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { LogEvent } from '@tendero/protocol'
import { ingestBatch } from '../src/modules/ingest/service.js'
import { DEMO } from '../src/seed.js'
import { addDemoGateway, addOrganization, buildTestApp, ingest, stateEvent, telemetryEvent, type TestApp } from './support/app.js'
import { testDrivers } from './support/drivers.js'

/**
 * Ingest writes a batch as one JSON parameter (events) and one array parameter per column
 * (telemetry), with times as epoch ms converted in SQL, and without foreign keys on those
 * two tables (migration 0005). These pin down what that must not change.
 */
describe.each(testDrivers())('bulk ingest on %s', (driver) => {
  let t: TestApp

  beforeAll(async () => {
    t = await buildTestApp(driver)
  })
  afterAll(async () => {
    await t?.close()
  })

  const storedMs = async (gatewayId: string) => {
    const { rows } = await sql<{ seq: number; time: string; received: string; suspect: boolean }>`
      select seq, (extract(epoch from time) * 1000)::int8::text as time,
             (extract(epoch from received_at) * 1000)::int8::text as received, time_suspect as suspect
      from events where gateway_id = ${gatewayId} order by seq`.execute(t.app.db)
    return rows.map((r) => [Number(r.seq), r.time, r.received, r.suspect])
  }

  it('stores event and reading times to the millisecond, from 1970 to the end of JS dates', async () => {
    const { gatewayId, gatewayKey } = await addDemoGateway(t.app)
    const now = Date.now()
    // Around the switch from float seconds to interval arithmetic (2^31 s), and both ends.
    const times = [now - 1, 0, 2 ** 31 * 1000 - 1, 2 ** 31 * 1000, 2 ** 31 * 1000 + 1, 8_639_999_999_999_999, 8_640_000_000_000_000]
    const events = times.map((time, i) => ({ ...telemetryEvent(i + 1, { temperature_c: i }, time), receivedAt: times[times.length - 1 - i]! }))
    const res = await ingest(t.app, gatewayKey, gatewayId, events)
    expect(res.json()).toMatchObject({ ackSeq: times.length, stored: times.length })
    expect(await storedMs(gatewayId)).toEqual(times.map((time, i) =>
      [i + 1, String(time), String(times[times.length - 1 - i]), i !== 0]))
    const telemetry = await sql<{ seq: number; time: string }>`
      select seq, (extract(epoch from time) * 1000)::int8::text as time from telemetry where gateway_id = ${gatewayId}`.execute(t.app.db)
    // Suspect times stay out of the read model; the trusted one is stored exactly.
    expect(telemetry.rows.map((r) => [Number(r.seq), r.time])).toEqual([[1, String(now - 1)]])
  })

  it('stores device ids that need quoting in arrays and JSON exactly', async () => {
    const { gatewayId, gatewayKey } = await addDemoGateway(t.app)
    const ids = ['NULL', 'a,b', '{x}', 'say "hi"', 'back\\slash', ' spaced ', 'cámara-ñ 🧊', "it's"]
    const events: LogEvent[] = ids.map((deviceId, i) => ({ ...telemetryEvent(i + 1, { temperature_c: i + 0.25 }), deviceId }))
    events.push({ ...stateEvent(ids.length + 1, { label: 'a "quoted", {braced} \\ value' }), deviceId: 'NULL' })
    const res = await ingest(t.app, gatewayKey, gatewayId, events)
    expect(res.json()).toMatchObject({ ackSeq: events.length, stored: events.length })
    const stored = await t.app.db.selectFrom('events').select(['device_id', 'body']).where('gateway_id', '=', gatewayId)
      .orderBy('seq').execute()
    expect(stored).toEqual(events.map((e) => ({ device_id: e.deviceId, body: e.body })))
    const telemetry = await t.app.db.selectFrom('telemetry').select(['device_id', 'value']).where('gateway_id', '=', gatewayId)
      .orderBy('seq').execute()
    expect(telemetry).toEqual(ids.map((id, i) => ({ device_id: id, value: i + 0.25 })))
  })

  it('quarantines an event with text PostgreSQL cannot hold, and stores the rest of the batch', async () => {
    const { gatewayId, gatewayKey } = await addDemoGateway(t.app)
    const nul = stateEvent(2, { label: 'a\u0000b' })
    const lone = { ...telemetryEvent(3, { temperature_c: 3 }), deviceId: 'x\ud800' }
    // Fails the schema as well: its reason and raw event must still be storable.
    const bad = { ...telemetryEvent(4, { temperature_c: 4 }), body: { readings: { 'a\u0000': 'hot' } } }
    const res = await ingest(t.app, gatewayKey, gatewayId, [telemetryEvent(1, { temperature_c: 1 }), nul, lone, bad,
      telemetryEvent(5, { temperature_c: 5 })])
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({ ackSeq: 5, stored: 2 })
    expect(res.json().quarantined.map((q: { seq: number }) => q.seq).sort()).toEqual([2, 3, 4])
    const stored = await t.app.db.selectFrom('events').select('seq').where('gateway_id', '=', gatewayId).orderBy('seq').execute()
    expect(stored.map((r) => Number(r.seq))).toEqual([1, 5])
    const quarantined = await t.app.db.selectFrom('quarantined_events').select(['seq', 'raw']).where('gateway_id', '=', gatewayId)
      .orderBy('seq').execute()
    expect(quarantined.map((q) => [Number(q.seq), q.raw])).toEqual([
      [2, { ...nul, body: { state: { label: 'a\ufffdb' } } }],
      [3, { ...lone, deviceId: 'x\ufffd' }],
      [4, { ...bad, body: { readings: { 'a\ufffd': 'hot' } } }],
    ])
  })

  it('keeps telemetry rows left behind by deleted events, and stores the rest of the batch', async () => {
    const { gatewayId, gatewayKey } = await addDemoGateway(t.app)
    await ingest(t.app, gatewayKey, gatewayId, [telemetryEvent(1, { temperature_c: 1 }), telemetryEvent(2, { temperature_c: 2 })])
    // What some gateway suites do to start over with the same gateway id.
    await t.app.db.deleteFrom('events').where('gateway_id', '=', gatewayId).execute()
    await t.app.db.updateTable('gateways').set({ ack_seq: 0 }).where('id', '=', gatewayId).execute()
    const res = await ingest(t.app, gatewayKey, gatewayId, [
      telemetryEvent(1, { temperature_c: 10, humidity_pct: 80 }),
      telemetryEvent(2, { temperature_c: 20 }),
      telemetryEvent(3, { temperature_c: 30 }),
    ])
    expect(res.json()).toMatchObject({ ackSeq: 3, stored: 3 })
    const rows = await t.app.db.selectFrom('telemetry').select(['seq', 'metric', 'value']).where('gateway_id', '=', gatewayId)
      .orderBy('seq').orderBy('metric').execute()
    expect(rows.map((r) => [Number(r.seq), r.metric, r.value])).toEqual([
      [1, 'humidity_pct', 80], [1, 'temperature_c', 1], [2, 'temperature_c', 2], [3, 'temperature_c', 30],
    ])
  })

  it('still removes a gateway\'s events and a site\'s telemetry when they are deleted', async () => {
    const other = await addOrganization(t.app)
    const res = await ingest(t.app, other.gatewayKey, other.gatewayId, [telemetryEvent(1, { temperature_c: 1 })])
    expect(res.statusCode).toBe(200)
    const count = async (table: 'events' | 'telemetry') =>
      Number((await t.app.db.selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n'))
        .where('gateway_id', '=', other.gatewayId).executeTakeFirstOrThrow()).n)
    expect([await count('events'), await count('telemetry')]).toEqual([1, 1])

    await t.app.db.deleteFrom('sites').where('id', '=', other.siteId).execute()
    expect([await count('events'), await count('telemetry')]).toEqual([0, 0])
    // The demo site's data is untouched.
    const demo = await t.app.db.selectFrom('gateways').select('id').where('site_id', '=', DEMO.site.id).execute()
    expect(demo.length).toBeGreaterThan(0)
  })

  it('stores nothing for a gateway whose row is gone by the time the batch is applied', async () => {
    const { gatewayId } = await addDemoGateway(t.app)
    // Authenticated a moment ago, deleted since: the locked row is what vouches for the ids.
    await t.app.db.deleteFrom('gateways').where('id', '=', gatewayId).execute()
    await expect(ingestBatch(t.app.db, { id: gatewayId, orgId: DEMO.organization.id, siteId: DEMO.site.id },
      { gatewayId, sentAt: Date.now(), events: [telemetryEvent(1, { temperature_c: 1 })] })).rejects.toThrow()
    const stored = await t.app.db.selectFrom('events').select('seq').where('gateway_id', '=', gatewayId).execute()
    const telemetry = await t.app.db.selectFrom('telemetry').select('seq').where('gateway_id', '=', gatewayId).execute()
    expect([stored, telemetry]).toEqual([[], []])
  })
})

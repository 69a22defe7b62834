import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEMO } from '../src/seed.js'
import {
  addDemoGateway,
  addOrganization,
  alarmEvent,
  buildTestApp,
  DEMO_KEY,
  ingest,
  loginDemo,
  stateEvent,
  telemetryEvent,
  type TestApp,
} from './support/app.js'
import { testDrivers } from './support/drivers.js'

describe.each(testDrivers())('ingest on %s', (driver) => {
  let t: TestApp

  beforeAll(async () => {
    t = await buildTestApp(driver)
  })
  afterAll(async () => {
    await t?.close()
  })

  const telemetryRows = (gatewayId: string) =>
    t.app.db.selectFrom('telemetry').selectAll().where('gateway_id', '=', gatewayId).execute()

  it('stores telemetry and answers the contiguous ackSeq', async () => {
    const res = await ingest(t.app, DEMO_KEY, DEMO.gateway.id, [
      telemetryEvent(1, { temperature_c: 4.6, door_open: 0 }),
      telemetryEvent(2, { temperature_c: 4.8 }),
    ])
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({ ackSeq: 2, stored: 2, duplicates: 0, quarantined: [], serverTime: expect.any(Number) })
    expect(await telemetryRows(DEMO.gateway.id)).toHaveLength(3)
    const gateway = await t.app.db.selectFrom('gateways').selectAll().where('id', '=', DEMO.gateway.id)
      .executeTakeFirstOrThrow()
    expect(gateway.ack_seq).toBe(2)
    expect(gateway.last_seen_at).toBeInstanceOf(Date)
  })

  it('stores the same batch once when it is sent twice', async () => {
    const { gatewayId, gatewayKey } = await addDemoGateway(t.app)
    const batch = [telemetryEvent(1, { temperature_c: 3.1 }), telemetryEvent(2, { temperature_c: 3.2 })]
    const first = await ingest(t.app, gatewayKey, gatewayId, batch)
    const second = await ingest(t.app, gatewayKey, gatewayId, batch)
    expect(first.json()).toEqual({ ackSeq: 2, stored: 2, duplicates: 0, quarantined: [], serverTime: expect.any(Number) })
    expect(second.json()).toEqual({ ackSeq: 2, stored: 0, duplicates: 2, quarantined: [], serverTime: expect.any(Number) })
    expect(await telemetryRows(gatewayId)).toHaveLength(2)
  })

  it('counts a seq repeated inside one batch as a duplicate', async () => {
    const { gatewayId, gatewayKey } = await addDemoGateway(t.app)
    const res = await ingest(t.app, gatewayKey, gatewayId, [
      telemetryEvent(1, { temperature_c: 3 }),
      telemetryEvent(1, { temperature_c: 99 }),
    ])
    expect(res.json()).toEqual({ ackSeq: 1, stored: 1, duplicates: 1, quarantined: [], serverTime: expect.any(Number) })
    expect((await telemetryRows(gatewayId)).map((r) => r.value)).toEqual([3])
  })

  it('stops ackSeq at a gap and advances it once the gap is filled', async () => {
    const { gatewayId, gatewayKey } = await addDemoGateway(t.app)
    const early = await ingest(t.app, gatewayKey, gatewayId, [
      telemetryEvent(1, { temperature_c: 1 }),
      telemetryEvent(2, { temperature_c: 2 }),
      telemetryEvent(4, { temperature_c: 4 }),
      telemetryEvent(5, { temperature_c: 5 }),
    ])
    expect(early.json()).toMatchObject({ ackSeq: 2, stored: 4 })
    const filled = await ingest(t.app, gatewayKey, gatewayId, [telemetryEvent(3, { temperature_c: 3 })])
    expect(filled.json()).toEqual({ ackSeq: 5, stored: 1, duplicates: 0, quarantined: [], serverTime: expect.any(Number) })
  })

  it('quarantines a schema-violating event with its reason without blocking ackSeq', async () => {
    const { gatewayId, gatewayKey } = await addDemoGateway(t.app)
    const bad = { ...telemetryEvent(2, { temperature_c: 1 }), body: { readings: { temperature_c: 'hot' } } }
    const res = await ingest(t.app, gatewayKey, gatewayId, [
      telemetryEvent(1, { temperature_c: 1 }),
      bad,
      telemetryEvent(3, { temperature_c: 3 }),
    ])
    expect(res.statusCode).toBe(200)
    const ack = res.json()
    expect(ack).toMatchObject({ ackSeq: 3, stored: 2, duplicates: 0 })
    expect(ack.quarantined).toHaveLength(1)
    expect(ack.quarantined[0].seq).toBe(2)
    expect(ack.quarantined[0].reason).toContain('/body/readings/temperature_c')
    const rows = await t.app.db.selectFrom('quarantined_events').selectAll().where('gateway_id', '=', gatewayId).execute()
    expect(rows).toHaveLength(1)
    expect(rows[0]).toMatchObject({ seq: 2, reason: ack.quarantined[0].reason, raw: bad })
    // Resending the bad event is harmless.
    const again = await ingest(t.app, gatewayKey, gatewayId, [bad])
    expect(again.json()).toMatchObject({ ackSeq: 3, stored: 0 })
  })

  it('keeps the last device state in seq order and derives alarms', async () => {
    const { gatewayId, gatewayKey } = await addDemoGateway(t.app)
    const t0 = Date.now() - 10_000
    const res = await ingest(t.app, gatewayKey, gatewayId, [
      stateEvent(1, { compressor: true, setpoint_c: 2 }, t0 + 2000),
      // Older in time than seq 1 (re-stamped after a clock sync) but later in the
      // gateway's order: it wins (gateway-order.db.test.ts has the cases).
      stateEvent(2, { compressor: false, fw: '0.3.1' }, t0 + 1000),
      alarmEvent(3, 'raised', t0 + 3000, 5.4),
      alarmEvent(4, 'cleared', t0 + 4000, 4.1),
    ])
    expect(res.json()).toMatchObject({ ackSeq: 4, stored: 4 })
    const state = await t.app.db.selectFrom('device_state').selectAll().where('site_id', '=', DEMO.site.id)
      .where('device_id', '=', 'camara-1').orderBy('key').execute()
    expect(state.map((s) => [s.key, s.value, s.updated_at.getTime()])).toEqual([
      ['compressor', false, t0 + 1000],
      ['fw', '0.3.1', t0 + 1000],
      ['setpoint_c', 2, t0 + 2000],
    ])
    const alarm = await t.app.db.selectFrom('alarms').selectAll().where('alarm_id', '=', 'camara-alta:camara-1')
      .executeTakeFirstOrThrow()
    expect(alarm).toMatchObject({ state: 'cleared', value: 4.1 })
    expect(alarm.raised_at?.getTime()).toBe(t0 + 3000)
    expect(alarm.cleared_at?.getTime()).toBe(t0 + 4000)
  })

  it('stores an event from a clock far ahead flagged time_suspect and keeps it off the telemetry chart', async () => {
    const { gatewayId, gatewayKey } = await addDemoGateway(t.app)
    const res = await ingest(t.app, gatewayKey, gatewayId, [
      telemetryEvent(1, { temperature_c: 1 }),
      telemetryEvent(2, { temperature_c: 2 }, Date.now() + 3600_000),
    ])
    expect(res.json()).toMatchObject({ ackSeq: 2, stored: 2 })
    const events = await t.app.db.selectFrom('events').select(['seq', 'time_suspect']).where('gateway_id', '=', gatewayId)
      .orderBy('seq').execute()
    expect(events.map((e) => [Number(e.seq), e.time_suspect])).toEqual([[1, false], [2, true]])
    expect((await telemetryRows(gatewayId)).map((r) => Number(r.seq))).toEqual([1])
  })

  it('refuses a wrong or missing gateway key with 401 INGEST_BAD_KEY', async () => {
    const wrong = await ingest(t.app, 'not-a-key', DEMO.gateway.id, [telemetryEvent(1, { temperature_c: 1 })])
    expect(wrong.statusCode).toBe(401)
    expect(wrong.json().error.code).toBe('INGEST_BAD_KEY')
    const missing = await t.app.inject({ method: 'POST', url: '/api/ingest', payload: { gatewayId: 'x', sentAt: 1, events: [] } })
    expect(missing.statusCode).toBe(401)
    expect(missing.json().error.code).toBe('INGEST_BAD_KEY')
  })

  it('refuses a batch whose gatewayId is not the key\'s gateway', async () => {
    const other = await addOrganization(t.app)
    const res = await ingest(t.app, DEMO_KEY, other.gatewayId, [telemetryEvent(1, { temperature_c: 1 })])
    expect(res.statusCode).toBe(401)
    expect(res.json().error.code).toBe('INGEST_GATEWAY_MISMATCH')
    expect(await telemetryRows(other.gatewayId)).toHaveLength(0)
  })

  it('rejects a malformed envelope with 400 VALIDATION', async () => {
    const res = await t.app.inject({
      method: 'POST', url: '/api/ingest', headers: { authorization: `Bearer ${DEMO_KEY}` },
      payload: { gatewayId: DEMO.gateway.id, events: [{ seq: 0 }] },
    })
    expect(res.statusCode).toBe(400)
    expect(res.json().error.code).toBe('VALIDATION')
  })

  it('makes ingested data visible through the site API', async () => {
    const token = await loginDemo(t.app)
    const res = await t.app.inject({
      url: `/api/sites/${DEMO.site.id}/telemetry?deviceId=camara-1&metric=door_open`,
      headers: { authorization: `Bearer ${token}` },
    })
    expect(res.statusCode).toBe(200)
    expect(res.json().items).toEqual([{ time: expect.any(Number), deviceId: 'camara-1', metric: 'door_open', value: 0 }])
  })
})

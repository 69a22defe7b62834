import { randomBytes } from 'node:crypto'
import type { LogEvent } from '@tendero/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEMO } from '../src/seed.js'
import { addDemoGateway, alarmEvent, buildTestApp, ingest, loginDemo, stateEvent, type TestApp } from './support/app.js'
import { testDrivers } from './support/drivers.js'

/**
 * Alarms and device state follow one gateway's seq, not its event times: after a clock
 * sync the gateway re-stamps what it recorded before with an estimated offset, so a later
 * transition can carry an earlier time (the catch-up benchmark lost live alarm
 * transitions to this). Between gateways, and against rows from before migration 0006,
 * time still decides.
 */
describe.each(testDrivers())('read models in gateway seq order on %s', (driver) => {
  let t: TestApp
  /** Every `alarm` and `state` push the app emitted, in order; the real emitter still runs. */
  const alarmPushes: Record<string, unknown>[] = []
  const statePushes: Record<string, unknown>[] = []

  beforeAll(async () => {
    t = await buildTestApp(driver)
    const emit = t.app.realtime.emitToSite
    t.app.realtime.emitToSite = (siteId, event, payload) => {
      if (event === 'alarm') alarmPushes.push(payload as Record<string, unknown>)
      if (event === 'state') statePushes.push(payload as Record<string, unknown>)
      emit(siteId, event, payload)
    }
  })
  afterAll(async () => {
    await t?.close()
  })

  // Each test has an alarm and a device of its own: they share the demo site.
  const uniqueId = (prefix: string) => `${prefix}-${randomBytes(3).toString('hex')}`
  const alarm = (alarmId: string, seq: number, state: 'raised' | 'cleared', time: number): LogEvent => {
    const event = alarmEvent(seq, state, time)
    if (event.kind !== 'alarm') throw new Error('alarmEvent made no alarm')
    return { ...event, body: { ...event.body, alarmId } }
  }
  const state = (deviceId: string, seq: number, values: Record<string, boolean>, time: number): LogEvent =>
    ({ ...stateEvent(seq, values, time), deviceId })
  const storedAlarm = (alarmId: string) => t.app.db.selectFrom('alarms').selectAll()
    .where('site_id', '=', DEMO.site.id).where('alarm_id', '=', alarmId).executeTakeFirstOrThrow()
  const storedState = (deviceId: string) => t.app.db.selectFrom('device_state').selectAll()
    .where('site_id', '=', DEMO.site.id).where('device_id', '=', deviceId).executeTakeFirstOrThrow()
  const pushesOf = (alarmId: string) => alarmPushes.filter((p) => p.alarmId === alarmId)
    .map((p) => [p.state, p.gatewayId, p.seq, p.updatedAt])
  const send = async (gatewayKey: string, gatewayId: string, events: LogEvent[]) => {
    const res = await ingest(t.app, gatewayKey, gatewayId, events)
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({ stored: events.length })
  }

  it('applies and pushes one gateway\'s alarm transitions in seq order, whatever their times', async () => {
    const { gatewayId, gatewayKey } = await addDemoGateway(t.app)
    const alarmId = uniqueId('camara-alta')
    const t0 = Date.now() - 60_000
    // The clear was re-stamped after a clock sync: later in seq, earlier in time.
    await send(gatewayKey, gatewayId, [alarm(alarmId, 10, 'raised', t0 + 3000), alarm(alarmId, 11, 'cleared', t0 + 1000)])
    expect(await storedAlarm(alarmId)).toMatchObject({ state: 'cleared', gateway_id: gatewayId, seq: 11 })
    expect(pushesOf(alarmId)).toEqual([['raised', gatewayId, 10, t0 + 3000], ['cleared', gatewayId, 11, t0 + 1000]])

    // A backlog event sent after the live ones: lower seq, later time. Stored, not applied.
    await send(gatewayKey, gatewayId, [alarm(alarmId, 9, 'raised', t0 + 5000)])
    // A later batch re-raises with a time still before the first raise, and clears again.
    await send(gatewayKey, gatewayId, [alarm(alarmId, 12, 'raised', t0 + 2000)])
    await send(gatewayKey, gatewayId, [alarm(alarmId, 13, 'cleared', t0 + 1500)])
    const row = await storedAlarm(alarmId)
    expect(row).toMatchObject({ state: 'cleared', gateway_id: gatewayId, seq: 13 })
    expect(row.raised_at?.getTime()).toBe(t0 + 2000)
    expect(row.cleared_at?.getTime()).toBe(t0 + 1500)
    expect(pushesOf(alarmId).map(([s, , seq]) => [s, seq])).toEqual([['raised', 10], ['cleared', 11], ['raised', 12], ['cleared', 13]])
    const events = await t.app.db.selectFrom('events').select('seq').where('gateway_id', '=', gatewayId)
      .where('kind', '=', 'alarm').orderBy('seq').execute()
    expect(events.map((e) => Number(e.seq))).toEqual([9, 10, 11, 12, 13])

    const listed = await t.app.inject({ url: `/api/sites/${DEMO.site.id}/alarms?state=all`,
      headers: { authorization: `Bearer ${await loginDemo(t.app)}` } })
    expect(listed.json().items.find((a: { alarmId: string }) => a.alarmId === alarmId))
      .toMatchObject({ state: 'cleared', gatewayId, seq: 13 })
  })

  it('orders a suspect-time alarm (the cloud\'s time) by seq against the same gateway\'s next transition', async () => {
    const { gatewayId, gatewayKey } = await addDemoGateway(t.app)
    const alarmId = uniqueId('camara-alta')
    const now = Date.now()
    // Far ahead: stored with the cloud's time, which is after the clear's own time.
    await send(gatewayKey, gatewayId, [alarm(alarmId, 1, 'raised', now + 3600_000), alarm(alarmId, 2, 'cleared', now - 1000)])
    expect(await storedAlarm(alarmId)).toMatchObject({ state: 'cleared', seq: 2 })
    expect(pushesOf(alarmId).map(([s]) => s)).toEqual(['raised', 'cleared'])
  })

  it('falls back to time between a replaced gateway and its successor, and for rows older than the seq order', async () => {
    const old = await addDemoGateway(t.app)
    const successor = await addDemoGateway(t.app)
    const alarmId = uniqueId('camara-alta')
    const t0 = Date.now() - 60_000
    await send(old.gatewayKey, old.gatewayId, [alarm(alarmId, 50, 'raised', t0)])
    // The successor's fresh log starts at seq 1: its seqs say nothing about the old ones.
    await send(successor.gatewayKey, successor.gatewayId, [alarm(alarmId, 1, 'cleared', t0 - 1000)])
    expect(await storedAlarm(alarmId)).toMatchObject({ state: 'raised', gateway_id: old.gatewayId, seq: 50 })
    await send(successor.gatewayKey, successor.gatewayId, [alarm(alarmId, 2, 'cleared', t0 + 1000)])
    expect(await storedAlarm(alarmId)).toMatchObject({ state: 'cleared', gateway_id: successor.gatewayId, seq: 2 })
    // The old gateway's last words arrive late, with a higher seq of its own but an older time.
    await send(old.gatewayKey, old.gatewayId, [alarm(alarmId, 51, 'raised', t0 + 500)])
    expect(await storedAlarm(alarmId)).toMatchObject({ state: 'cleared', gateway_id: successor.gatewayId, seq: 2 })
    expect(pushesOf(alarmId).map(([s, gw, seq]) => [s, gw, seq]))
      .toEqual([['raised', old.gatewayId, 50], ['cleared', successor.gatewayId, 2]])

    // A row stored before migration 0006 has no gateway and seq: time decides against it.
    await t.app.db.updateTable('alarms').set({ gateway_id: null, seq: null, state: 'raised', updated_at: new Date(t0 + 2000) })
      .where('site_id', '=', DEMO.site.id).where('alarm_id', '=', alarmId).execute()
    await send(successor.gatewayKey, successor.gatewayId, [alarm(alarmId, 3, 'cleared', t0 + 1500)])
    expect(await storedAlarm(alarmId)).toMatchObject({ state: 'raised', gateway_id: null, seq: null })
    await send(successor.gatewayKey, successor.gatewayId, [alarm(alarmId, 4, 'cleared', t0 + 2500)])
    expect(await storedAlarm(alarmId)).toMatchObject({ state: 'cleared', gateway_id: successor.gatewayId, seq: 4 })
  })

  it('keeps device state in seq order for one gateway and by time between gateways', async () => {
    const old = await addDemoGateway(t.app)
    const successor = await addDemoGateway(t.app)
    const deviceId = uniqueId('camara')
    const t0 = Date.now() - 60_000
    const compressor = async () => {
      const row = await storedState(deviceId)
      return [row.value, row.updated_at.getTime(), row.gateway_id, row.seq]
    }
    // In one batch, and across batches: the later seq wins over the later time.
    await send(old.gatewayKey, old.gatewayId, [state(deviceId, 10, { compressor: true }, t0 + 3000),
      state(deviceId, 11, { compressor: false }, t0 + 1000)])
    expect(await compressor()).toEqual([false, t0 + 1000, old.gatewayId, 11])
    await send(old.gatewayKey, old.gatewayId, [state(deviceId, 12, { compressor: true }, t0 + 500)])
    expect(await compressor()).toEqual([true, t0 + 500, old.gatewayId, 12])
    await send(old.gatewayKey, old.gatewayId, [state(deviceId, 9, { compressor: false }, t0 + 5000)])
    expect(await compressor()).toEqual([true, t0 + 500, old.gatewayId, 12])

    // Another gateway: time decides, on equal times the later arrival.
    await send(successor.gatewayKey, successor.gatewayId, [state(deviceId, 1, { compressor: false }, t0)])
    expect(await compressor()).toEqual([true, t0 + 500, old.gatewayId, 12])
    await send(successor.gatewayKey, successor.gatewayId, [state(deviceId, 2, { compressor: false }, t0 + 500)])
    expect(await compressor()).toEqual([false, t0 + 500, successor.gatewayId, 2])
    // Every state event is pushed with its gateway and seq: the dashboard orders them the same way.
    expect(statePushes.filter((p) => p.deviceId === deviceId).map((p) => [p.gatewayId === old.gatewayId ? 'old' : 'successor', p.seq]))
      .toEqual([['old', 10], ['old', 11], ['old', 12], ['old', 9], ['successor', 1], ['successor', 2]])
  })
})

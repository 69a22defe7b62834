import { afterEach, describe, expect, it } from 'vitest'
import { deviceTopic, type LogEvent } from '@tendero/protocol'
import { DEMO_DEVICE, waitFor } from './harness.js'
import { ENV_TOKEN, SITE_TOKEN, startApiGateway, type ApiTestGateway } from './api-harness.js'

let t: ApiTestGateway | undefined
afterEach(async () => {
  await t?.close()
  t = undefined
})

const ALARM_ID = 'camara-muy-alta:camara-1'

/** The demo site plus a rule that raises an alarm on the first reading above 30 °C. */
async function startWithHotRule() {
  return startApiGateway({
    edit: (site) =>
      site.rules.push({
        id: 'camara-muy-alta',
        when: { kind: 'threshold', deviceId: 'camara-1', metric: 'temperature_c', above: 30, forSeconds: 0 },
        alarm: { severity: 'emergency', message: 'Cámara sobre 30 °C / Cold room above 30 °C', autoClear: false },
        actions: [],
      }),
  })
}

const alarmEvents = (gw: ApiTestGateway['gw']) =>
  gw.log.read(0, 1000).filter((e): e is Extract<LogEvent, { kind: 'alarm' }> => e.kind === 'alarm').map((e) => e.body)

describe('local API alarms', () => {
  it('lists a raised alarm, acknowledges it as the token holder, and logs who did', async () => {
    t = await startWithHotRule()
    const device = await t.connect(DEMO_DEVICE.id, DEMO_DEVICE.password)
    await device.publishAsync(deviceTopic(DEMO_DEVICE.id, 'telemetry'), JSON.stringify({ readings: { temperature_c: 31.5 } }), { qos: 1 })
    await waitFor(() => alarmEvents(t!.gw).length === 1)

    const listed = await t.api('GET', '/api/alarms')
    expect(listed.status).toBe(200)
    expect(listed.body.alarms).toEqual([
      expect.objectContaining({ alarmId: ALARM_ID, state: 'raised', severity: 'emergency', value: 31.5, level: 0 }),
    ])
    expect((await t.api('GET', '/api/alarms?state=acknowledged')).body.alarms).toEqual([])

    const acked = await t.api('POST', `/api/alarms/${ALARM_ID}/ack`)
    expect(acked).toMatchObject({ status: 200, body: { alarmId: ALARM_ID, state: 'acknowledged', acknowledgedBy: SITE_TOKEN.name } })
    expect(alarmEvents(t.gw).at(-1)).toMatchObject({ alarmId: ALARM_ID, state: 'acknowledged', by: SITE_TOKEN.name })
    expect((await t.api('GET', '/api/alarms?state=raised')).body.alarms).toEqual([])

    const again = await t.api('POST', `/api/alarms/${ALARM_ID}/ack`, { by: 'jose' }, ENV_TOKEN)
    expect(again).toMatchObject({ status: 409, body: { error: { code: 'ALARM_ERR_ALREADY_ACKNOWLEDGED' } } })
    expect(again.body.error.message).toContain(SITE_TOKEN.name)
    expect(alarmEvents(t.gw)).toHaveLength(2)
  })

  it('clears a latched alarm by hand, shows it under state=all, and 404s what is not active', async () => {
    t = await startWithHotRule()
    const device = await t.connect(DEMO_DEVICE.id, DEMO_DEVICE.password)
    await device.publishAsync(deviceTopic(DEMO_DEVICE.id, 'telemetry'), JSON.stringify({ readings: { temperature_c: 33 } }), { qos: 1 })
    await waitFor(() => t!.gw.alarms.get(ALARM_ID))

    const cleared = await t.api('POST', `/api/alarms/${ALARM_ID}/clear`, { by: 'jose' })
    expect(cleared).toMatchObject({ status: 200, body: { alarmId: ALARM_ID, state: 'cleared', clearedBy: 'jose' } })
    expect(alarmEvents(t.gw).at(-1)).toMatchObject({ alarmId: ALARM_ID, state: 'cleared', by: 'jose' })

    expect((await t.api('GET', '/api/alarms')).body.alarms).toEqual([])
    const all = await t.api('GET', '/api/alarms?state=all')
    expect(all.body.alarms).toEqual([expect.objectContaining({ alarmId: ALARM_ID, state: 'cleared', clearedBy: 'jose', severity: 'emergency' })])

    expect(await t.api('POST', `/api/alarms/${ALARM_ID}/clear`, {})).toMatchObject({ status: 404, body: { error: { code: 'ALARM_ERR_NOT_FOUND' } } })
    expect((await t.api('POST', '/api/alarms/nada:camara-1/ack')).status).toBe(404)
  })
})

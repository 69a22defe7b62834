import { afterEach, describe, expect, it } from 'vitest'
import type { LogEvent } from '@tendero/protocol'
import { startApiGateway, type ApiTestGateway } from './api-harness.js'

let t: ApiTestGateway | undefined
afterEach(async () => {
  await t?.close()
  t = undefined
})

const alarmEvents = (gw: ApiTestGateway['gw']) =>
  gw.log.read(0, 1000).filter((e): e is Extract<LogEvent, { kind: 'alarm' }> => e.kind === 'alarm').map((e) => e.body)

const RAISE = { key: 'puerta-abierta', deviceId: 'camara-1', severity: 'warning', message: 'Puerta abierta / Door open', value: 1 }

describe('local API alarms raised from outside the rules', () => {
  it('raises ext.<key>:<deviceId> once, answers a repeat with the same alarm, and clears it by hand', async () => {
    t = await startApiGateway()
    const first = await t.api('POST', '/api/alarms', RAISE)
    expect(first).toMatchObject({
      status: 201,
      body: { alarmId: 'ext.puerta-abierta:camara-1', ruleId: 'ext.puerta-abierta', state: 'raised', severity: 'warning', value: 1 },
    })
    expect(alarmEvents(t.gw)).toEqual([expect.objectContaining({ alarmId: 'ext.puerta-abierta:camara-1', state: 'raised' })])

    const again = await t.api('POST', '/api/alarms', { ...RAISE, severity: 'critical' })
    expect(again).toMatchObject({ status: 200, body: { alarmId: first.body.alarmId, raisedAt: first.body.raisedAt, severity: 'warning' } })
    expect(alarmEvents(t.gw)).toHaveLength(1)

    const gateway = await t.api('POST', '/api/alarms', { ...RAISE, deviceId: 'gateway' })
    expect(gateway).toMatchObject({ status: 201, body: { alarmId: 'ext.puerta-abierta:gateway' } })

    const cleared = await t.api('POST', `/api/alarms/${first.body.alarmId}/clear`)
    expect(cleared).toMatchObject({ status: 200, body: { state: 'cleared', clearedBy: 'ana' } })
    expect((await t.api('GET', '/api/alarms')).body.alarms.map((a: { alarmId: string }) => a.alarmId)).toEqual(['ext.puerta-abierta:gateway'])
    expect(alarmEvents(t.gw).at(-1)).toMatchObject({ alarmId: first.body.alarmId, state: 'cleared', by: 'ana' })
  })

  it('refuses unknown devices and bad bodies with the field named', async () => {
    t = await startApiGateway()
    const cases: [unknown, number, string, string][] = [
      [{ ...RAISE, deviceId: 'nadie' }, 404, 'DEVICE_ERR_NOT_FOUND', '/deviceId'],
      [{ ...RAISE, severity: 'grave' }, 400, 'API_ERR_VALIDATION', '/severity'],
      [{ ...RAISE, key: 'camara-alta:x' }, 400, 'API_ERR_VALIDATION', '/key'],
      [{ ...RAISE, key: 'Puerta' }, 400, 'API_ERR_VALIDATION', '/key'],
      [{ ...RAISE, autoClear: true }, 400, 'API_ERR_VALIDATION', '/autoClear'],
      [{ key: 'x', deviceId: 'camara-1', severity: 'info' }, 400, 'API_ERR_VALIDATION', '/message'],
    ]
    for (const [body, status, code, path] of cases) {
      const res = await t.api('POST', '/api/alarms', body)
      expect({ body, status: res.status, code: res.body.error.code, path: res.body.error.path }).toEqual({ body, status, code, path })
    }
    expect(alarmEvents(t.gw)).toEqual([])
  })
})

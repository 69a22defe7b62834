import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { recordRunningConfig } from '../src/modules/rules/repository.js'
import { addDemoGateway, addOrganization, buildTestApp, loginDemo, type TestApp } from './support/app.js'
import { testDrivers } from './support/drivers.js'

// What the dashboard's fleet pages need beyond the registry: the command targets.
describe.each(testDrivers())('fleet routes for the dashboard on %s', (driver) => {
  let t: TestApp
  let token: string
  const get = (url: string) => t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } })

  beforeAll(async () => {
    t = await buildTestApp(driver)
    token = await loginDemo(t.app)
  })
  afterAll(async () => {
    await t?.close()
  })

  it('lists no targets before the cloud knows any config, then the running config, then the desired one', async () => {
    const { gatewayId } = await addDemoGateway(t.app)
    const url = `/api/gateways/${gatewayId}/command-targets`
    expect((await get(url)).json()).toEqual({ gatewayId, source: 'none', version: null, devices: [] })

    await recordRunningConfig(t.app.db, gatewayId, 0, {
      gatewayId,
      devices: [
        { id: 'camara-1', name: 'Cámara', kind: 'cold_room', relays: [{ name: 'compressor', failsafe: { mode: 'off' } }, 'light'] },
        { id: 'lector-1', kind: 'rfid_reader' },
      ],
      access: { doors: [{ id: 'puerta-deposito', deviceId: 'lector-1' }, { id: 'puerta-calle', deviceId: 'lector-1' }] },
    }, new Date())
    expect((await get(url)).json()).toEqual({
      gatewayId,
      source: 'reported',
      version: 0,
      devices: [
        { id: 'camara-1', name: 'Cámara', kind: 'cold_room', relays: ['compressor', 'light'], doors: [] },
        { id: 'lector-1', name: null, kind: 'rfid_reader', relays: [], doors: ['puerta-deposito', 'puerta-calle'] },
      ],
    })

    const put = await t.app.inject({
      method: 'PUT', url: `/api/gateways/${gatewayId}/config`, headers: { authorization: `Bearer ${token}` },
      payload: { gatewayId, devices: [{ id: 'riego-1', kind: 'irrigation', relays: ['valve_1'] }], rules: [] },
    })
    expect(put.statusCode).toBe(200)
    expect((await get(url)).json()).toMatchObject({ source: 'desired', version: 1, devices: [{ id: 'riego-1', relays: ['valve_1'], doors: [] }] })
  })

  it("answers 404 for another organization's gateway", async () => {
    const other = await addOrganization(t.app)
    const res = await get(`/api/gateways/${other.gatewayId}/command-targets`)
    expect(res.statusCode).toBe(404)
    expect(res.json().error.code).toBe('GATEWAY_NOT_FOUND')
  })
})

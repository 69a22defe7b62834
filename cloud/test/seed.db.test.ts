import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEMO, demoDevicesFromSite, seedDemo } from '../src/seed.js'
import { buildTestApp, DEMO_KEY, ingest, loginDemo, telemetryEvent, type TestApp } from './support/app.js'
import { testDrivers } from './support/drivers.js'

// `npm run demo` seeds the devices of the gateway site it runs (the butcher shop and bakery
// of gateway/config/demo-carniceria.json) instead of the single cold room the tests run.
const demoSite = JSON.parse(readFileSync(new URL('../../gateway/config/demo-carniceria.json', import.meta.url), 'utf8')) as {
  gatewayId: string
  devices: { id: string; name?: string; kind: string }[]
}

describe.each(testDrivers())('demo seed on %s', (driver) => {
  let t: TestApp
  let token: string
  const siteDevices = async () =>
    (await t.app.inject({ url: `/api/sites/${DEMO.site.id}`, headers: { authorization: `Bearer ${token}` } })).json().devices

  beforeAll(async () => {
    t = await buildTestApp(driver)
    token = await loginDemo(t.app)
  })
  afterAll(async () => {
    await t?.close()
  })

  it('seeds the single cold room by default', async () => {
    expect(await siteDevices()).toEqual([{ ...DEMO.device, gatewayId: DEMO.gateway.id }])
  })

  it('registers the demo site devices of the gateway config in place of the default, idempotently', async () => {
    expect(demoSite.gatewayId).toBe(DEMO.gateway.id)
    const devices = demoDevicesFromSite(demoSite)
    expect(devices.map((d) => d.id).sort()).toEqual(['camara-carne', 'heladera-exhibidora', 'horno-pan', 'medidor-local', 'puerta-local'])
    for (let run = 0; run < 2; run++) {
      await seedDemo(t.app.db, { gatewayKey: DEMO_KEY, devices })
      const listed = await siteDevices()
      expect(listed).toEqual(
        [...devices].sort((a, b) => a.id.localeCompare(b.id)).map((d) => ({ ...d, gatewayId: DEMO.gateway.id })),
      )
    }
    // The dashboard headlines the first cold room: the walk-in, not a leftover camara-1.
    expect((await siteDevices()).find((d: { kind: string }) => d.kind === 'cold_room').id).toBe('camara-carne')
    // The user and the gateway key still work after re-seeding.
    expect(await loginDemo(t.app)).toBeTruthy()
    const reading = { ...telemetryEvent(1, { temperature_c: 5.8 }), deviceId: 'camara-carne' }
    expect((await ingest(t.app, DEMO_KEY, DEMO.gateway.id, [reading])).statusCode).toBe(200)
    const telemetry = await t.app.inject({
      url: `/api/sites/${DEMO.site.id}/telemetry?deviceId=camara-carne&metric=temperature_c`,
      headers: { authorization: `Bearer ${token}` },
    })
    expect(telemetry.json().items).toMatchObject([{ deviceId: 'camara-carne', value: 5.8 }])
  })

  it('goes back to the default cold room when seeded without devices', async () => {
    await seedDemo(t.app.db, { gatewayKey: DEMO_KEY })
    expect(await siteDevices()).toEqual([{ ...DEMO.device, gatewayId: DEMO.gateway.id }])
  })

  it('refuses an empty device list', async () => {
    await expect(seedDemo(t.app.db, { gatewayKey: DEMO_KEY, devices: [] })).rejects.toThrow(/at least one device/)
  })
})

import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { verifyPassword } from '../../broker/passwords.js'
import { readSiteConfig } from '../../config.js'
import { relayName } from '../../failsafe/spec.js'
import { loadPack } from './index.js'

// The site `npm run demo` gives the gateway is committed (gateway/config/demo-carniceria.json,
// written by scripts/make-demo-site.ts). It must stay the carniceria-panaderia pack plus the
// scenario's other devices, every one logging in with `<id>-demo` as the simulator does.

const SITE_PATH = new URL('../../../config/demo-carniceria.json', import.meta.url).pathname
const SCENARIO_PATH = new URL('../../../../simulator/src/scenarios/files/carniceria-panaderia.json', import.meta.url)
// Read as data: the gateway does not depend on the simulator's code.
const scenario = JSON.parse(readFileSync(SCENARIO_PATH, 'utf8')) as { devices: { id: string; relays?: string[] }[] }
const REGENERATE = 'regenerate it with `npx tsx scripts/make-demo-site.ts`'

describe('demo site config (gateway/config/demo-carniceria.json)', () => {
  const site = readSiteConfig(SITE_PATH)
  const pack = loadPack('carniceria-panaderia')

  it('is the gateway the cloud seeds, in the pack time zone', () => {
    expect(site.gatewayId).toBe('gw-demo-01')
    expect(site.timezone, REGENERATE).toBe(pack.timezone)
  })

  it('has every pack device with its name, kind and relays, and the pack rules unchanged', () => {
    for (const device of pack.devices) {
      const inSite = site.devices.find((d) => d.id === device.id)
      expect(inSite, `${device.id} missing; ${REGENERATE}`).toBeDefined()
      const { passwordHash: _, ...rest } = inSite!
      expect(rest, `${device.id} differs from the pack; ${REGENERATE}`).toEqual(device)
    }
    expect(site.rules, `rules differ from the pack; ${REGENERATE}`).toEqual(pack.rules)
  })

  it('lets in exactly the scenario and pack devices, with the relays the scenario drives', () => {
    const expected = new Set([...pack.devices.map((d) => d.id), ...scenario.devices.map((d) => d.id)])
    expect(new Set(site.devices.map((d) => d.id)), REGENERATE).toEqual(expected)
    expect(site.devices).toHaveLength(expected.size)
    for (const device of scenario.devices) {
      const relays = (site.devices.find((d) => d.id === device.id)!.relays ?? []).map(relayName)
      for (const relay of device.relays ?? []) expect(relays, `${device.id} relay ${relay}`).toContain(relay)
    }
  })

  it('names every device and hashes `<id>-demo` as its password', async () => {
    for (const device of site.devices) {
      expect(device.name, device.id).toBeTruthy()
      expect(await verifyPassword(`${device.id}-demo`, device.passwordHash), `${device.id}: hash of ${device.id}-demo`).toBe(true)
      expect(await verifyPassword(`${device.id}-wrong`, device.passwordHash), device.id).toBe(false)
    }
  })
})

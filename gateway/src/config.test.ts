import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { DEFAULT_SITE_CONFIG, loadConfig, parseSiteConfig, readSiteConfig } from './config.js'

const dir = mkdtempSync(join(tmpdir(), 'tendero-config-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const demo = () => structuredClone(readSiteConfig(DEFAULT_SITE_CONFIG)) as unknown as Record<string, any>

describe('config', () => {
  it('loads the demo site config with defaults from the contract', () => {
    const config = loadConfig({})
    expect(config).toMatchObject({
      gatewayId: 'gw-demo-01',
      mqtt: { port: 1883, host: '0.0.0.0' },
      api: { port: 8090 },
      dataDir: '.data/gateway',
      cloud: { url: 'http://127.0.0.1:8080' },
      // Unsynced until the cloud or NTP vouch for the clock (src/clock/).
      clockSynced: false,
      clock: { mode: 'auto' },
    })
    expect(config.site.rules.map((r) => r.id)).toEqual(['camara-alta', 'camara-baja'])
  })

  it('reads ports and flags from the environment', () => {
    const config = loadConfig({ GATEWAY_MQTT_PORT: '0', GATEWAY_API_PORT: '18090', GATEWAY_CLOCK_SYNCED: 'false', CLOUD_URL: 'http://x:1/' })
    expect(config).toMatchObject({ mqtt: { port: 0 }, api: { port: 18090 }, clockSynced: false, cloud: { url: 'http://x:1' } })
  })

  it('runs on the clock the simulator shares with GATEWAY_CLOCK=simulated', () => {
    const spec = 'origin=2026-11-23T10:00:00.000Z,anchor=1795000000000,speed=720'
    expect(loadConfig({ GATEWAY_CLOCK: 'simulated', TENDERO_SIM_TIME: spec }).clock).toEqual({
      mode: 'simulated',
      simulated: { originMs: Date.parse('2026-11-23T10:00:00.000Z'), anchorMs: 1795000000000, speed: 720 },
    })
    expect(() => loadConfig({ GATEWAY_CLOCK: 'simulated' })).toThrow('GATEWAY_CLOCK=simulated needs TENDERO_SIM_TIME')
    expect(() => loadConfig({ GATEWAY_CLOCK: 'simulated', TENDERO_SIM_TIME: 'origin=x,anchor=1,speed=2' })).toThrow('TENDERO_SIM_TIME: simulated time: origin must be')
  })

  it('names every bad environment variable', () => {
    const load = () => loadConfig({ GATEWAY_MQTT_PORT: 'abc', GATEWAY_API_PORT: '70000', CLOUD_URL: 'ftp://x' })
    expect(load).toThrow(expect.objectContaining({ code: 'CONFIG_ERR_INVALID' }))
    expect(load).toThrow('GATEWAY_MQTT_PORT: must be a port number 0-65535 (0 = any free port), got "abc"')
    expect(load).toThrow('GATEWAY_API_PORT: must be a port number')
    expect(load).toThrow('CLOUD_URL: must be an http(s) URL')
  })

  it('points at the path of a schema error in the site config', () => {
    const site = demo()
    site.rules[0].when.forSeconds = 'two minutes'
    site.devices[0].password = 'plain'
    expect(() => parseSiteConfig(site)).toThrow(/\/devices\/0: .*password|\/devices\/0.*additional/i)
    delete site.devices[0].password
    expect(() => parseSiteConfig(site)).toThrow(/\/rules\/0\/when\/forSeconds/)
  })

  it('explains unknown kinds, bad actions, missing devices and relays', () => {
    const site = demo()
    site.rules[0].when.kind = 'fuzzy'
    site.rules[1].actions[0].relay = 'oven'
    site.rules.push({ ...site.rules[1], id: 'otra', when: { ...site.rules[1].when, deviceId: 'nadie' } })
    site.rules.push({ ...site.rules[1], id: 'mala', actions: [{ kind: 'sms.send' }] })
    let message = ''
    try {
      parseSiteConfig(site)
    } catch (err) {
      message = (err as Error).message
    }
    expect(message).toContain('/rules/0/when/kind: unknown condition kind "fuzzy" (known: "threshold", ')
    expect(message).toContain('/rules/1/actions/0/relay: device "camara-1" has no relay "oven"')
    expect(message).toContain('/rules/2/when/deviceId: unknown device "nadie"')
    expect(message).toContain('/rules/3/actions/0/kind: unknown action kind "sms.send"')
  })

  it('lets a Modbus device go without a passwordHash, and no other device', () => {
    const site = demo()
    const modbus = { host: '127.0.0.1', port: 5020, registers: [{ name: 'temperature_c', address: 0, fn: 'holding', type: 'int16' }] }
    site.devices.push({ id: 'medidor-mb', kind: 'energy_meter', modbus })
    // Some controllers speak both: a Modbus device may still carry a hash.
    site.devices.push({ id: 'camara-mb', kind: 'cold_room', passwordHash: site.devices[0].passwordHash, modbus })
    const parsed = parseSiteConfig(site)
    expect(parsed.devices.find((d) => d.id === 'medidor-mb')).not.toHaveProperty('passwordHash')
    expect(parsed.devices.find((d) => d.id === 'camara-mb')?.passwordHash).toBe(site.devices[0].passwordHash)

    site.devices.push({ id: 'camara-sin-clave', kind: 'cold_room' })
    expect(() => parseSiteConfig(site)).toThrow(
      expect.objectContaining({ code: 'CONFIG_ERR_INVALID', details: { reasons: ['/devices/3/passwordHash: required unless the device has a modbus or firmata section'] } }),
    )
    // A hash that is there is still checked, Modbus or not.
    site.devices.pop()
    site.devices[1].passwordHash = 'scrypt$1000$8$1$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA=='
    expect(() => parseSiteConfig(site)).toThrow('/devices/1/passwordHash: invalid password hash: N must be a power of two')
  })

  it('rejects a threshold with both above and below', () => {
    const site = demo()
    site.rules[0].when.below = 1
    expect(() => parseSiteConfig(site)).toThrow(/\/rules\/0\/when: set exactly one of "above" or "below"/)
  })

  it('reports unreadable and non-JSON files clearly', () => {
    const bad = join(dir, 'bad.json')
    writeFileSync(bad, '{ nope')
    expect(() => loadConfig({ GATEWAY_CONFIG: join(dir, 'missing.json') })).toThrow(
      expect.objectContaining({ code: 'CONFIG_ERR_READ', message: expect.stringContaining('GATEWAY_CONFIG') }),
    )
    expect(() => loadConfig({ GATEWAY_CONFIG: bad })).toThrow(/not valid JSON/)
  })
})

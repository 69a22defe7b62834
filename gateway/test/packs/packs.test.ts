import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { beforeAll, describe, expect, it } from 'vitest'
import { hashPassword, verifyPassword } from '../../src/broker/passwords.js'
import { parseSiteConfig } from '../../src/config.js'
import { isGatewayError } from '../../src/errors.js'
import { loadPack, loadPacks, packNames, siteConfigFromPacks, type RulePack } from '../../src/rules/packs/index.js'
import { deviceEvent, engineHarness, minutes, stateEvent, telemetry } from '../rule-fixtures.js'

const VERTICALS = ['bar-boliche', 'carniceria-panaderia', 'centro-medico', 'riego', 'tienda-ropa']

let hash: string
const hashesFor = (packs: RulePack[]) => Object.fromEntries(packs.flatMap((p) => p.devices.map((d) => [d.id, hash])))
const rulesOf = (name: string, ids: string[]) => loadPack(name).rules.filter((r) => ids.includes(r.id))

beforeAll(async () => {
  hash = await hashPassword('pack-device-pw')
})

describe('rule packs', () => {
  it('ship one pack per vertical', () => {
    expect(packNames()).toEqual(VERTICALS)
  })

  it('hold at least 34 rules, with rule and device ids unique across packs', () => {
    const packs = loadPacks()
    const ruleIds = packs.flatMap((p) => p.rules.map((r) => r.id))
    const deviceIds = packs.flatMap((p) => p.devices.map((d) => d.id))
    expect(ruleIds.length).toBeGreaterThanOrEqual(34)
    expect(new Set(ruleIds).size).toBe(ruleIds.length)
    expect(new Set(deviceIds).size).toBe(deviceIds.length)
  })

  it.each(VERTICALS)('%s plus device password hashes is a valid site config', (name) => {
    const pack = loadPack(name)
    const site = siteConfigFromPacks({ gatewayId: `gw-${name}`, packs: [pack], passwordHashes: hashesFor([pack]) })
    expect(site.rules).toHaveLength(pack.rules.length)
    expect(site.timezone).toBe('America/Argentina/Buenos_Aires')
    expect(site.devices.every((d) => d.passwordHash === hash)).toBe(true)
  })

  it('all packs together are one valid site config', () => {
    const packs = loadPacks()
    const site = siteConfigFromPacks({ gatewayId: 'gw-all', packs, passwordHashes: hashesFor(packs) })
    expect(site.rules.length).toBe(packs.reduce((n, p) => n + p.rules.length, 0))
  })

  it('refuses a site without a password for every device, and an unknown pack', () => {
    const pack = loadPack('riego')
    const { 'suelo-1': _missing, ...partial } = hashesFor([pack])
    expect(() => siteConfigFromPacks({ gatewayId: 'gw', packs: [pack], passwordHashes: partial })).toThrow(/suelo-1/)
    try {
      loadPack('verduleria')
      expect.unreachable()
    } catch (err) {
      expect(isGatewayError(err, 'CONFIG_ERR_INVALID')).toBe(true)
      expect((err as Error).message).toMatch(/known: bar-boliche, carniceria-panaderia/)
    }
  })

  it('say everything in Spanish first and English after " / ", and declare every relay fail-safe', () => {
    for (const pack of loadPacks()) {
      for (const rule of pack.rules) {
        expect(rule.description, rule.id).toMatch(/.+ \/ .+/)
        if (rule.alarm) expect(rule.alarm.message, rule.id).toMatch(/.+ \/ .+/)
      }
      for (const device of pack.devices)
        for (const relay of device.relays ?? []) expect(typeof relay === 'object' && relay.failsafe, `${device.id} ${JSON.stringify(relay)}`).toBeTruthy()
    }
  })
})

describe('make-site.ts', () => {
  it('prints a valid site config on stdout and each device password on stderr', async () => {
    const run = promisify(execFile)
    const { stdout, stderr } = await run(process.execPath, [
      '--import', 'tsx', 'gateway/src/rules/packs/make-site.ts', '--gateway', 'gw-clinica-01', 'centro-medico',
    ])
    const site = parseSiteConfig(JSON.parse(stdout))
    expect(site.gatewayId).toBe('gw-clinica-01')
    expect(site.rules.map((r) => r.id)).toEqual(loadPack('centro-medico').rules.map((r) => r.id))
    const fridgePassword = /heladera-vacunas\s+(\S+)/.exec(stderr)![1]!
    const fridge = site.devices.find((d) => d.id === 'heladera-vacunas')!
    expect(await verifyPassword(fridgePassword, fridge.passwordHash)).toBe(true)
  })
})

describe('rule packs in the live engine', () => {
  it('cold room: the compressor waits out its minimum off time, then is kept on its minimum 3 minutes', async () => {
    const h = engineHarness(rulesOf('carniceria-panaderia', ['carn-camara-enfriar', 'carn-camara-apagar']))
    const t0 = h.clock.now
    // The node reports its relays on connect: the compressor was just off, so it gets its 5 minutes.
    await h.send(stateEvent('camara-carne', { defrost: false, compressor: false }))
    await h.send(telemetry('camara-carne', { temperature_c: 4.8 }))
    await h.advance(minutes(4))
    expect(h.commands).toEqual([])
    await h.advance(minutes(1))
    expect(h.commands).toMatchObject([{ relay: 'compressor', on: true, at: t0 + minutes(5), ruleId: 'carn-camara-enfriar' }])
    // A probe glitch reads 0.5 °C 30 s later: off is due 30 s after that, held back to 3 minutes after on.
    await h.advance(30_000)
    await h.send(telemetry('camara-carne', { temperature_c: 0.5 }))
    await h.advance(minutes(2))
    expect(h.commands).toHaveLength(1)
    await h.advance(30_000)
    expect(h.commands).toMatchObject([{ on: true }, { on: false, at: t0 + minutes(8), ruleId: 'carn-camara-apagar' }])
  })

  it('irrigation: opens valve then pump in the window, and stops pump then valve once the soil is wet', async () => {
    const h = engineHarness(rulesOf('riego', ['riego-regar']), { start: Date.UTC(2026, 0, 5, 22, 50) }) // Monday 19:50 local
    await h.send(telemetry('pluviometro', { rain_24h_mm: 0 }))
    await h.send(telemetry('suelo-1', { soil_moisture_pct: 22 }))
    await h.advance(minutes(9))
    expect(h.commands).toEqual([])
    await h.advance(minutes(1) + 1000)
    expect(h.commands.map((c) => [c.relay, c.on])).toEqual([['valve_1', true], ['pump', true]])
    await h.advance(minutes(20))
    await h.send(telemetry('suelo-1', { soil_moisture_pct: 41 }))
    expect(h.commands.map((c) => [c.relay, c.on])).toEqual([['valve_1', true], ['pump', true], ['pump', false], ['valve_1', false]])
  })

  it('vaccine fridge: an unacknowledged high-temperature alarm escalates to emergency and tells the vaccine manager', async () => {
    const h = engineHarness(rulesOf('centro-medico', ['med-vacunas-alta']))
    await h.send(telemetry('heladera-vacunas', { temperature_c: 8.4 }))
    await h.advance(minutes(10))
    expect(h.alarms.list()).toMatchObject([{ alarmId: 'med-vacunas-alta:heladera-vacunas', severity: 'critical', level: 0 }])
    await h.advance(minutes(14))
    h.alarms.tick()
    await h.alarms.settled()
    expect(h.alarms.list()[0]).toMatchObject({ severity: 'critical', level: 0 })
    await h.advance(minutes(1))
    h.alarms.tick()
    await h.alarms.settled()
    expect(h.alarms.list()[0]).toMatchObject({ severity: 'emergency', level: 1 })
    expect(h.logged.filter((e) => e.kind === 'notify').map((e) => e.body)).toMatchObject([
      { channel: 'whatsapp', audience: 'vaccine-manager', alarmId: 'med-vacunas-alta:heladera-vacunas' },
    ])
    await h.send(telemetry('heladera-vacunas', { temperature_c: 7.4 }))
    expect(h.alarms.list()).toEqual([])
  })

  it('bar: a forced door stays in alarm after the counter window until someone clears it', async () => {
    const h = engineHarness(rulesOf('bar-boliche', ['bar-puerta-forzada']))
    await h.send(deviceEvent('lector-vip', 'door.forced', 0, { door: 'deposito' }))
    expect(h.alarms.list()).toMatchObject([{ severity: 'critical', state: 'raised' }])
    await h.advance(minutes(6))
    expect(h.alarms.list()).toMatchObject([{ alarmId: 'bar-puerta-forzada:lector-vip' }])
    await h.alarms.clear('bar-puerta-forzada:lector-vip', 'seguridad')
    expect(h.alarms.list()).toEqual([])
  })
})

import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deviceTopic, type Command } from '@tendero/protocol'
import type { MqttClient } from 'mqtt'
import { parseSiteConfig } from '../../gateway/src/config.js'
import { hashPassword } from '../../gateway/src/broker/passwords.js'
import { loadPacks, provisionSite } from '../../gateway/src/rules/packs/index.js'
import { startTestGateway, type TestGateway } from '../../gateway/test/harness.js'
import { FLOWS_DIR, startNodeRed, type RunningNodeRed } from '../../scripts/node-red.js'
import { API_TOKEN, SERVICE, until } from './gateway-fixture.js'

/**
 * Every shipped flow in a real Node-RED runtime (scripts/node-red.ts, as `npm run node-red`
 * starts it) against a real gateway running the packs the flows are written for; then a
 * reading from a simulated device goes through a flow and comes back as a device command.
 */
const shipped = readdirSync(FLOWS_DIR)
  .filter((f) => f.endsWith('.json'))
  .map((file) => ({ file, nodes: JSON.parse(readFileSync(join(FLOWS_DIR, file), 'utf8')) as { id: string; type: string; z?: string }[] }))

let t: TestGateway
let red: RunningNodeRed
let userDir: string
let passwords: Record<string, string>
const logs: { level: number; msg: string; type?: string; id?: string }[] = []

beforeAll(async () => {
  const provisioned = await provisionSite({ gatewayId: 'gw-nodered-test', packs: loadPacks(['carniceria-panaderia', 'riego']) })
  passwords = provisioned.passwords
  const site = parseSiteConfig({ ...provisioned.site, services: [{ id: SERVICE.id, name: 'Node-RED', passwordHash: await hashPassword(SERVICE.password) }] })
  t = await startTestGateway({ site, config: { api: { host: '127.0.0.1', port: 0, token: API_TOKEN } } })
  userDir = mkdtempSync(join(tmpdir(), 'tendero-node-red-'))
  red = await startNodeRed({
    port: 0,
    host: '127.0.0.1',
    userDir,
    logLevel: process.env.TEST_LOG_LEVEL ?? 'fatal',
    flowEnv: {
      TENDERO_GATEWAY_HOST: '127.0.0.1',
      TENDERO_GATEWAY_MQTT_PORT: String(t.mqttPort),
      TENDERO_GATEWAY_API_PORT: String(t.apiPort),
      TENDERO_NODERED_SERVICE: SERVICE.id,
      TENDERO_NODERED_PASSWORD: SERVICE.password,
      TENDERO_GATEWAY_TOKEN: API_TOKEN,
    },
    onLog: (e) => logs.push({ level: e.level, msg: String(e.msg), ...(e.type ? { type: e.type } : {}), ...(e.id ? { id: e.id } : {}) }),
  })
})

afterAll(async () => {
  await red?.stop()
  await t?.close()
  if (userDir) rmSync(userDir, { recursive: true, force: true })
})

const admin = async (path: string) => {
  const res = await fetch(new URL(path, red.url), { headers: { accept: 'application/json', 'Node-RED-API-Version': 'v2' } })
  expect(res.status).toBe(200)
  return res.json()
}

describe('the shipped flows in a real Node-RED runtime', () => {
  it('deploys every shipped flow with the tendero nodes, without errors, connected to the gateway', async () => {
    expect(shipped.map((s) => s.file)).toEqual(expect.arrayContaining(['panaderia-horno.json', 'riego-lluvia.json']))
    expect(red.deployedShippedFlows).toBe(true)

    const modules = (await admin('nodes')) as { module: string; types: string[]; enabled: boolean; err?: string }[]
    const tendero = modules.filter((m) => m.module === 'node-red-contrib-tendero')
    expect(tendero.flatMap((m) => m.types).sort()).toEqual(['tendero-alarm', 'tendero-command-out', 'tendero-gateway', 'tendero-gateway-status', 'tendero-telemetry-in'])
    expect(tendero.every((m) => m.enabled && !m.err)).toBe(true)

    // The editor side: each node's edit dialog, and its labels in Spanish and English.
    const html = await (await fetch(new URL('nodes', red.url), { headers: { accept: 'text/html', 'accept-language': 'es-ES' } })).text()
    for (const type of ['tendero-gateway', 'tendero-telemetry-in', 'tendero-command-out', 'tendero-alarm', 'tendero-gateway-status'])
      expect(html, type).toContain(`data-template-name="${type}"`)
    expect(html).toContain('data-help-name="tendero-command-out"')
    const catalog = async (lng: string) => (await admin(`nodes/messages?lng=${lng}`)) as Record<string, any>
    const es = (await catalog('es-ES'))['node-red-contrib-tendero/tendero-command-out']
    const en = (await catalog('en-US'))['node-red-contrib-tendero/tendero-command-out']
    expect(es?.['tendero-command-out']?.label?.relay).toBe('Relé')
    expect(en?.['tendero-command-out']?.label?.relay).toBe('Relay')

    const deployed = (await admin('flows')) as { flows: { id: string; type: string }[] }
    const ids = new Set(deployed.flows.map((n) => n.id))
    for (const { file, nodes } of shipped) for (const n of nodes) expect(ids.has(n.id), `${file}: ${n.id}`).toBe(true)

    // Every telemetry node of every flow logs in as the service client and goes green.
    const telemetryNodes = shipped.flatMap((s) => s.nodes).filter((n) => n.type === 'tendero-telemetry-in')
    expect(telemetryNodes.length).toBeGreaterThan(0)
    await until(() => telemetryNodes.every((n) => red.statuses().get(n.id)?.fill === 'green'), 10_000, 'every telemetry node connected')
    await until(() => red.statuses().get('riego-lluvia.estado')?.text !== undefined, 10_000, 'the gateway status node')
    // The test gateway has no cloud: running, but not synced.
    expect(red.statuses().get('riego-lluvia.estado')).toMatchObject({ fill: 'yellow' })

    expect(logs.filter((e) => e.level <= 20)).toEqual([])
    const ours = logs.filter((e) => e.type?.startsWith('tendero-') && e.level <= 30)
    expect(ours).toEqual([])
    expect([...red.statuses().entries()].filter(([, s]) => s.fill === 'red')).toEqual([])
  })

  it('names only devices and relays the packs declare', () => {
    const devices = new Map(t.gw.config.site.devices.map((d) => [d.id, (d.relays ?? []).map((r) => (typeof r === 'string' ? r : r.name))]))
    const used = shipped.flatMap((s) => s.nodes).filter((n) => n.type.startsWith('tendero-') && n.type !== 'tendero-gateway') as {
      id: string
      type: string
      deviceId?: string
      kind?: string
      relay?: string
    }[]
    expect(used.length).toBeGreaterThan(5)
    for (const n of used) {
      if (n.deviceId) expect(devices.has(n.deviceId), `${n.id}: device ${n.deviceId}`).toBe(true)
      if (n.type === 'tendero-command-out' && n.kind === 'relay.set') expect(devices.get(n.deviceId!), n.id).toContain(n.relay)
    }
  })

  it('opens the valve when the soil is dry and closes it when it rains, through the gateway', async () => {
    const connect = (id: string) => t.connect(id, passwords[id]!)
    const valve = await connect('riego-ctrl')
    const soil = await connect('suelo-1')
    const rain = await connect('pluviometro')
    const commands: Command[] = []
    valve.on('message', (_topic, payload) => {
      const command = JSON.parse(payload.toString()) as Command
      // The riego pack's own rules may also command the valve; only Node-RED's count here.
      if (command.id.startsWith('api:')) commands.push(command)
    })
    await valve.subscribeAsync(deviceTopic('riego-ctrl', 'cmd'), { qos: 1 })

    await publishUntil(soil, deviceTopic('suelo-1', 'telemetry'), { readings: { soil_moisture_pct: 18 } }, () => commands.length >= 1)
    expect(commands[0]).toMatchObject({ kind: 'relay.set', relay: 'valve_1', on: true })

    await publishUntil(rain, deviceTopic('pluviometro', 'telemetry'), { readings: { rain_mm_h: 4.2 } }, () => commands.length >= 2)
    expect(commands[1]).toMatchObject({ kind: 'relay.set', relay: 'valve_1', on: false })
    // Dry soil again, but it is still raining: the valve stays closed.
    await soil.publishAsync(deviceTopic('suelo-1', 'telemetry'), JSON.stringify({ readings: { soil_moisture_pct: 12 } }), { qos: 1 })

    // The gateway logged what Node-RED asked for, under the token's name, and raised the rain notice.
    const logged = t.gw.log.read(0, 100_000).filter((e) => e.kind === 'command' && (e.body as Command).id.startsWith('api:env.'))
    expect(logged.map((e) => (e.body as Command).id)).toEqual(commands.map((c) => c.id))
    await until(() => t.gw.alarms.get('ext.riego-lluvia:pluviometro'), 5000, 'the rain alarm')
    expect(t.gw.alarms.get('ext.riego-lluvia:pluviometro')).toMatchObject({ severity: 'info', state: 'raised' })
    await new Promise((r) => setTimeout(r, 300))
    expect(commands).toHaveLength(2)
    expect(logs.filter((e) => e.level <= 20)).toEqual([])
  })
})

/** Publishes until `done()`: the flow's subscription and decision take a moment. */
async function publishUntil(client: MqttClient, topic: string, body: unknown, done: () => boolean) {
  const deadline = Date.now() + 8000
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`no command came back after publishing on ${topic}`)
    await client.publishAsync(topic, JSON.stringify(body), { qos: 1 })
    await new Promise((r) => setTimeout(r, 150))
  }
}

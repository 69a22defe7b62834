/**
 * The three parts of Tendero wired for real on ephemeral loopback ports: the cloud
 * (Fastify + PGlite in a temp dir), the gateway (Aedes + SQLite) uploading to it over
 * HTTP, and a simulated cold room talking MQTT to the gateway. `stop()` tears it all down.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { pino } from 'pino'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../cloud/src/app.js'
import { DEMO, demoDevicesFromSite, seedDemo } from '../../cloud/src/seed.js'
import { buildGateway, type Gateway } from '../../gateway/src/gateway.js'
import { DEFAULT_SITE_CONFIG, parseSiteConfig, readSiteConfig, type SiteConfig } from '../../gateway/src/config.js'
import { hashPassword } from '../../gateway/src/broker/passwords.js'
import { loadPack, siteConfigFromPacks } from '../../gateway/src/rules/packs/index.js'
import { ColdRoomModel, startColdRoomNode, type ColdRoomNode } from '../../simulator/src/index.js'
import { ScenarioRunner } from '../../simulator/src/scenarios/runner.js'
import { loadScenario } from '../../simulator/src/scenarios/schema.js'

/**
 * Each scenario's site config. `carniceria-panaderia` is the demo shop's (what `npm run demo`
 * runs: five devices of four kinds). The others are made from their rule pack, as
 * gateway/src/rules/packs/make-site.ts makes one, with the demo passwords `<id>-demo` the
 * simulator logs in with, plus the scenario's nodes the pack has no rule for.
 */
const SCENARIO_SITES = {
  'carniceria-panaderia': async () => readSiteConfig(fileURLToPath(new URL('../../gateway/config/demo-carniceria.json', import.meta.url))),
  // Irrigation: controller (valve, pump), soil probe, rain gauge and tank, and the line's
  // flow meter and the nursery's weather station.
  riego: () =>
    siteFromPack('riego', [
      { id: 'caudalimetro', name: 'Caudalímetro de la línea de goteo / Drip line flow meter', kind: 'flow_meter' },
      { id: 'clima-vivero', name: 'Estación del vivero / Nursery weather station', kind: 'ambient_sensor' },
    ]),
  // A medical centre: the vaccine fridge, the waiting room's CO₂ and people count, its fan.
  'centro-medico': () => siteFromPack('centro-medico', []),
  // A bar: its readers decide with the doors and cards of gateway/config/bar.json (the pack
  // has rules only), so swipes become granted and denied accesses; the bar's card terminal.
  'bar-boliche': async () => {
    const site = await siteFromPack('bar-boliche', [{ id: 'barra-1', name: 'Terminal de la barra / Bar card terminal', kind: 'pos_terminal' }])
    const { access } = readSiteConfig(fileURLToPath(new URL('../../gateway/config/bar.json', import.meta.url)))
    const ids = new Set(site.devices.map((d) => d.id))
    site.access = { ...access!, terminals: (access!.terminals ?? []).filter((t) => ids.has(t.deviceId)) }
    return site
  },
} satisfies Record<string, () => Promise<SiteConfig>>
export type StackScenario = keyof typeof SCENARIO_SITES

async function siteFromPack(pack: string, extras: Omit<SiteConfig['devices'][number], 'passwordHash'>[]): Promise<SiteConfig> {
  const rules = loadPack(pack)
  const passwordHashes: Record<string, string> = {}
  for (const { id } of [...rules.devices, ...extras]) passwordHashes[id] = await hashPassword(`${id}-demo`)
  const site = siteConfigFromPacks({ gatewayId: DEMO.gateway.id, packs: [rules], passwordHashes })
  for (const device of extras) site.devices.push({ ...device, passwordHash: passwordHashes[device.id]! })
  return site
}

export const GATEWAY_KEY = 'e2e-gateway-key-0123456789'
export { DEMO }

export interface StackOptions {
  /** Edit the demo site config (rules, hold times) before the gateway starts. */
  site?: (site: SiteConfig) => void
  /** Where the gateway uploads; defaults to the cloud itself. */
  uplinkUrl?: (cloudUrl: string) => Promise<string> | string
  startTempC?: number
  speed?: number
  intervalMs?: number
  /** A built dashboard for the cloud to serve. */
  dashboardDir?: string
  /**
   * Run a simulator scenario (its site config, every device registered in the cloud, the
   * scenario runner over real MQTT at `speed`) instead of the single demo cold room.
   */
  scenario?: StackScenario
}

export interface Stack {
  cloud: FastifyInstance
  cloudUrl: string
  gateway: Gateway
  mqttPort: number
  /** The single cold room; in scenario mode its first cold room node is not this: use `scenario`. */
  node: ColdRoomNode | undefined
  scenario: ScenarioRunner | undefined
  stop(): Promise<void>
}

export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const dir = mkdtempSync(join(tmpdir(), 'tendero-e2e-'))
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' })
  const cleanups: (() => Promise<void> | void)[] = [() => rmSync(dir, { recursive: true, force: true })]
  const stop = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup()
  }
  try {
    const cloud = await buildApp({
      port: 0,
      host: '127.0.0.1',
      database: { driver: 'pglite', dataDir: join(dir, 'pglite') },
      dataDir: join(dir, 'cloud'),
      jwtSecret: randomBytes(32).toString('hex'),
      dashboardDir: opts.dashboardDir ?? join(dir, 'no-dashboard'),
      demoGatewayKey: GATEWAY_KEY,
      seedDemo: !opts.scenario,
      logLevel: 'silent',
    })
    cleanups.push(() => cloud.close())
    await cloud.listen({ port: 0, host: '127.0.0.1' })
    const address = cloud.server.address()
    if (!address || typeof address === 'string') throw new Error('cloud did not bind a TCP port')
    const cloudUrl = `http://127.0.0.1:${address.port}`

    const site = structuredClone(opts.scenario ? await SCENARIO_SITES[opts.scenario]() : readSiteConfig(DEFAULT_SITE_CONFIG))
    opts.site?.(site)
    // The cloud knows exactly the gateway's devices, as `npm run demo` seeds it.
    if (opts.scenario) await seedDemo(cloud.db, { gatewayKey: GATEWAY_KEY, devices: demoDevicesFromSite(site) })
    const gateway = buildGateway(
      {
        gatewayId: site.gatewayId,
        mqtt: { host: '127.0.0.1', port: 0 },
        api: { host: '127.0.0.1', port: 0 },
        dataDir: join(dir, 'gateway'),
        cloud: { url: opts.uplinkUrl ? await opts.uplinkUrl(cloudUrl) : cloudUrl, gatewayKey: GATEWAY_KEY },
        clockSynced: true,
        logLevel: 'silent',
        site: parseSiteConfig(site),
        sitePath: 'e2e',
      },
      { logger, uplink: { backoffCapMs: 500 } },
    )
    cleanups.push(() => gateway.stop())
    const { mqttPort } = await gateway.start()

    if (opts.scenario) {
      const runner = new ScenarioRunner({
        scenario: loadScenario(opts.scenario),
        mqttUrl: `mqtt://127.0.0.1:${mqttPort}`,
        password: '{id}-demo',
        speed: opts.speed ?? 1,
        seed: 7,
        logger,
      })
      cleanups.push(() => runner.stop())
      await runner.start()
      return { cloud, cloudUrl, gateway, mqttPort, node: undefined, scenario: runner, stop }
    }

    const node = await startColdRoomNode({
      mqttUrl: `mqtt://127.0.0.1:${mqttPort}`,
      deviceId: 'camara-1',
      password: 'camara-1-demo',
      intervalMs: opts.intervalMs ?? 200,
      speed: opts.speed ?? 1,
      model: new ColdRoomModel({}, { startTempC: opts.startTempC ?? 4, compressorOn: false }),
      logger,
    })
    cleanups.push(() => node.stop())
    return { cloud, cloudUrl, gateway, mqttPort, node, scenario: undefined, stop }
  } catch (error) {
    await stop()
    throw error
  }
}

export async function waitFor<T>(probe: () => Promise<T | undefined | null | false> | T | undefined | null | false, timeoutMs = 20_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

export async function login(cloudUrl: string): Promise<string> {
  const res = await fetch(`${cloudUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: DEMO.user.email, password: DEMO.user.password }),
  })
  if (!res.ok) throw new Error(`login failed: ${res.status}`)
  return ((await res.json()) as { token: string }).token
}

/** One cloud API call with a bearer token; the body is sent as JSON when given. */
export async function cloudApi<T>(
  cloudUrl: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: T }> {
  const res = await fetch(`${cloudUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  return { status: res.status, body: (await res.json()) as T }
}

export async function getJson<T>(url: string, token: string): Promise<T> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } })
  if (!res.ok) throw new Error(`GET ${url} → ${res.status}`)
  return (await res.json()) as T
}

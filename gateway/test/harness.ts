import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mqtt, { type MqttClient } from 'mqtt'
import { pino } from 'pino'
import { DEFAULT_SITE_CONFIG, parseSiteConfig, readSiteConfig, type GatewayConfig, type SiteConfig } from '../src/config.js'
import { buildGateway, type Gateway, type GatewayOptions } from '../src/gateway.js'
import { hashPassword } from '../src/broker/passwords.js'

export const DEMO_DEVICE = { id: 'camara-1', password: 'camara-1-demo' }
export const OTHER_DEVICE = { id: 'camara-2', password: 'camara-2-pw' }
const otherHash = hashPassword(OTHER_DEVICE.password)

export interface TestGateway {
  gw: Gateway
  mqttPort: number
  apiPort: number
  dir: string
  connect(clientId: string, password: string, opts?: mqtt.IClientOptions): Promise<MqttClient>
  close(): Promise<void>
}

/** The demo site plus a second device, with optional edits to the site config. */
export async function testSite(edit: (site: SiteConfig) => void = () => {}): Promise<SiteConfig> {
  const site = structuredClone(readSiteConfig(DEFAULT_SITE_CONFIG))
  site.devices.push({ id: OTHER_DEVICE.id, kind: 'cold_room', passwordHash: await otherHash, relays: ['compressor'] })
  edit(site)
  return parseSiteConfig(site)
}

export function testConfig(site: SiteConfig, dataDir: string, over: Partial<GatewayConfig> = {}): GatewayConfig {
  return {
    gatewayId: site.gatewayId,
    mqtt: { host: '127.0.0.1', port: 0 },
    api: { host: '127.0.0.1', port: 0 },
    dataDir,
    // Nothing listens on port 9 (discard); the uplink just keeps retrying in the background.
    cloud: { url: 'http://127.0.0.1:9', gatewayKey: 'test-key' },
    clockSynced: true,
    logLevel: 'silent',
    site,
    sitePath: 'test',
    ...over,
  }
}

/** A gateway on ephemeral ports in a temp dir; `close()` stops it, its clients and removes the dir. */
export async function startTestGateway(
  opts: { site?: SiteConfig; config?: Partial<GatewayConfig>; gateway?: GatewayOptions } = {},
): Promise<TestGateway> {
  const dir = mkdtempSync(join(tmpdir(), 'tendero-gw-'))
  const site = opts.site ?? (await testSite())
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' })
  const gw = buildGateway(testConfig(site, dir, opts.config), { logger, uplink: { backoffCapMs: 1000 }, ...opts.gateway })
  const { mqttPort, apiPort } = await gw.start()
  const clients: MqttClient[] = []
  return {
    gw,
    mqttPort,
    apiPort,
    dir,
    async connect(clientId, password, extra = {}) {
      const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, {
        clientId,
        username: clientId,
        password,
        reconnectPeriod: 0,
        connectTimeout: 5000,
        ...extra,
      })
      clients.push(client)
      return client
    },
    async close() {
      await Promise.all(clients.map((c) => c.endAsync(true)))
      await gw.stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

export async function waitFor<T>(probe: () => T | undefined | null | false, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = probe()
    if (value) return value
    if (Date.now() > deadline) throw new Error('waitFor: timed out')
    await new Promise((r) => setTimeout(r, 20))
  }
}

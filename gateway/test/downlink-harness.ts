import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mqtt, { type MqttClient } from 'mqtt'
import { pino } from 'pino'
import type { FastifyInstance } from 'fastify'
import { deviceTopic } from '@tendero/protocol'
import { buildApp } from '../../cloud/src/app.js'
import { hashGatewayKey } from '../../cloud/src/modules/ingest/repository.js'
import { DEMO } from '../../cloud/src/seed.js'
import type { SiteConfig } from '../src/config.js'
import { buildGateway, type Gateway, type GatewayOptions } from '../src/gateway.js'
import { testConfig } from './harness.js'

/**
 * The real cloud app (PGlite, on an ephemeral port, demo org seeded) for downlink tests,
 * and gateways built over a data directory the test owns, so it can stop one and start
 * the next over the same files (a real restart).
 */
export interface TestCloud {
  app: FastifyInstance
  url: string
  /** The demo user's API, authenticated. */
  api(method: 'GET' | 'PUT' | 'POST', url: string, payload?: object): Promise<{ statusCode: number; json(): any }>
  /** A gateway row of the demo org with a fresh id and key. */
  registerGateway(): Promise<{ gatewayId: string; gatewayKey: string }>
  close(): Promise<void>
}

export async function startCloud(): Promise<TestCloud> {
  const dir = mkdtempSync(join(tmpdir(), 'tendero-downlink-cloud-'))
  const app = await buildApp({
    port: 0, host: '127.0.0.1', database: { driver: 'pglite', dataDir: join(dir, 'pglite') }, dataDir: join(dir, 'cloud'),
    jwtSecret: randomBytes(32).toString('hex'), dashboardDir: join(dir, 'none'), demoGatewayKey: 'unused-demo-key',
    seedDemo: true, logLevel: 'silent',
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`
  const login = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: DEMO.user.email, password: DEMO.user.password } })
  const token = login.json().token as string
  return {
    app,
    url,
    api: (method, path, payload) =>
      app.inject({ method, url: path, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload } : {}) }),
    async registerGateway() {
      const gatewayId = `gw-${randomBytes(4).toString('hex')}`
      const gatewayKey = `key-${randomBytes(12).toString('hex')}`
      await app.db.insertInto('gateways').values({
        id: gatewayId, org_id: DEMO.organization.id, site_id: DEMO.site.id, name: gatewayId, key_hash: hashGatewayKey(gatewayKey),
      }).execute()
      return { gatewayId, gatewayKey }
    },
    async close() {
      await app.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** A device as the test drives it: a real MQTT client subscribed to its command topic. */
export interface CmdDevice {
  client: MqttClient
  commands: Record<string, unknown>[]
}

export interface CloudGateway {
  gw: Gateway
  device(creds: { id: string; password: string }): Promise<CmdDevice>
  /** Stops the gateway and its clients; the data dir stays for the next one. */
  stop(): Promise<void>
}

/** A gateway on ephemeral ports over `dataDir`, talking to `cloudUrl` with `gatewayKey`. */
export async function startCloudGateway(
  site: SiteConfig,
  o: { dataDir: string; cloudUrl: string; gatewayKey: string; gateway?: GatewayOptions },
): Promise<CloudGateway> {
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' })
  const gw = buildGateway(testConfig(site, o.dataDir, { cloud: { url: o.cloudUrl, gatewayKey: o.gatewayKey } }), {
    logger,
    uplink: { backoffCapMs: 1000 },
    log: { flushIntervalMs: 2 },
    ...o.gateway,
    downlink: { backoffBaseMs: 20, backoffCapMs: 200, ...o.gateway?.downlink },
  })
  const { mqttPort } = await gw.start()
  const clients: MqttClient[] = []
  let stopped = false
  return {
    gw,
    async device({ id, password }) {
      const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, {
        clientId: id, username: id, password, reconnectPeriod: 0, connectTimeout: 5000,
      })
      clients.push(client)
      const commands: Record<string, unknown>[] = []
      client.on('message', (_t, payload) => commands.push(JSON.parse(String(payload))))
      await client.subscribeAsync(deviceTopic(id, 'cmd'), { qos: 1 })
      return { client, commands }
    },
    async stop() {
      if (stopped) return
      stopped = true
      await Promise.all(clients.map((c) => c.endAsync(true)))
      await gw.stop()
    },
  }
}

/** Polls an async probe until it returns something truthy. */
export async function eventually<T>(probe: () => Promise<T | undefined | false> | T | undefined | false, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

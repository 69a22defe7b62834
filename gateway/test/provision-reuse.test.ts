import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import mqtt from 'mqtt'
import { pino } from 'pino'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { deviceTopic } from '@tendero/protocol'
import { buildApp } from '../../cloud/src/app.js'
import { DEMO } from '../../cloud/src/seed.js'
import { loadConfig } from '../src/config.js'
import { buildGateway } from '../src/gateway.js'
import { CREDENTIALS_FILE, provisionGateway } from '../src/provision/index.js'

// A data directory that already ran under another identity must not be claimed: measured
// before the guard, the claimed gateway's events went on from seq 6 and the cloud's
// watermark for the new id stayed at 0, so the uplink never advanced.
const silent = pino({ level: 'silent' })
const KEY = 'reuse-demo-key-0123456789'
let dir: string
let cloud: FastifyInstance
let cloudUrl: string

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tendero-reuse-'))
  cloud = await buildApp({ port: 0, host: '127.0.0.1', database: { driver: 'pglite', dataDir: join(dir, 'pglite') }, dataDir: join(dir, 'cloud'),
    jwtSecret: randomBytes(32).toString('hex'), dashboardDir: join(dir, 'none'), demoGatewayKey: KEY, seedDemo: true, logLevel: 'silent' })
  await cloud.listen({ port: 0, host: '127.0.0.1' })
  cloudUrl = `http://127.0.0.1:${(cloud.server.address() as { port: number }).port}`
}, 60_000)
afterAll(async () => {
  await cloud?.close()
  rmSync(dir, { recursive: true, force: true })
})

it('refuses to claim with a data directory that holds an earlier identity\'s log, leaving the code unspent', async () => {
  const dataDir = join(dir, 'gw')
  const env = { CLOUD_URL: cloudUrl, GATEWAY_DATA_DIR: dataDir, GATEWAY_MQTT_HOST: '127.0.0.1', GATEWAY_API_HOST: '127.0.0.1', GATEWAY_MQTT_PORT: '0',
    GATEWAY_API_PORT: '0', GATEWAY_MQTT_WS_PORT: 'off', GATEWAY_CLOCK: 'trusted', GATEWAY_LOG_LEVEL: 'silent' }
  // A demo run: the gateway logs and uploads under gw-demo-01.
  const gw = buildGateway(loadConfig({ ...env, GATEWAY_KEY: KEY }), { logger: silent, uplink: { idleMs: 20, backoffCapMs: 200 } })
  const { mqttPort } = await gw.start()
  const device = await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, { clientId: 'camara-1', username: 'camara-1', password: 'camara-1-demo', reconnectPeriod: 0 })
  await device.publishAsync(deviceTopic('camara-1', 'telemetry'), JSON.stringify({ readings: { temperature_c: 4 } }), { qos: 1 })
  await device.endAsync(true)
  await gw.stop()

  const login = await cloud.inject({ method: 'POST', url: '/api/auth/login', payload: { email: DEMO.user.email, password: DEMO.user.password } })
  const created = (await cloud.inject({ method: 'POST', url: `/api/sites/${DEMO.site.id}/claim-codes`, headers: { authorization: `Bearer ${login.json().token}` }, payload: {} })).json()
  await expect(provisionGateway(loadConfig({ ...env, GATEWAY_CLAIM_CODE: created.code }), { logger: silent })).rejects.toThrow(/log\.db holds the log of this gateway's earlier identity; claim with an empty GATEWAY_DATA_DIR/)
  expect(existsSync(join(dataDir, CREDENTIALS_FILE))).toBe(false)
  const code = await cloud.db.withTables<{ gateway_claim_codes: { id: string; used_at: Date | null } }>()
    .selectFrom('gateway_claim_codes').select('used_at').where('id', '=', created.id).executeTakeFirstOrThrow()
  expect(code.used_at).toBeNull()

  // The same code from an empty data directory claims.
  const fresh = await provisionGateway(loadConfig({ ...env, GATEWAY_DATA_DIR: join(dir, 'gw-new'), GATEWAY_CLAIM_CODE: created.code }), { logger: silent })
  expect(fresh.gatewayId).toMatch(/^gw-/)
}, 60_000)

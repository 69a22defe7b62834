import { randomBytes } from 'node:crypto'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, statSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance } from 'fastify'
import mqtt from 'mqtt'
import { pino } from 'pino'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { deviceTopic } from '@tendero/protocol'
import { buildApp } from '../../cloud/src/app.js'
import { DEMO } from '../../cloud/src/seed.js'
import { loadConfig } from '../src/config.js'
import { buildGateway, type Gateway } from '../src/gateway.js'
import { CREDENTIALS_FILE, provisionGateway } from '../src/provision/index.js'
import { PENDING_CLAIM_FILE } from '../src/provision/credentials.js'

// Claim-code provisioning against the real cloud (Fastify + PGlite) over real HTTP.
const root = fileURLToPath(new URL('../..', import.meta.url))
const silent = pino({ level: 'silent' })
let dir: string
let cloud: FastifyInstance
let cloudUrl: string
let token: string
const cleanups: (() => Promise<void> | void)[] = []

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tendero-provision-'))
  cloud = await buildApp({
    port: 0, host: '127.0.0.1', database: { driver: 'pglite', dataDir: join(dir, 'pglite') }, dataDir: join(dir, 'cloud'),
    jwtSecret: randomBytes(32).toString('hex'), dashboardDir: join(dir, 'none'), demoGatewayKey: 'provision-test-demo-key', seedDemo: true, logLevel: 'silent',
  })
  await cloud.listen({ port: 0, host: '127.0.0.1' })
  const address = cloud.server.address()
  if (!address || typeof address === 'string') throw new Error('no port')
  cloudUrl = `http://127.0.0.1:${address.port}`
  const login = await cloud.inject({ method: 'POST', url: '/api/auth/login', payload: { email: DEMO.user.email, password: DEMO.user.password } })
  token = login.json().token
}, 60_000)
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})
afterAll(async () => {
  await cloud?.close()
  rmSync(dir, { recursive: true, force: true })
})

async function newClaimCode(name?: string): Promise<string> {
  const res = await cloud.inject({ method: 'POST', url: `/api/sites/${DEMO.site.id}/claim-codes`, headers: { authorization: `Bearer ${token}` }, payload: name ? { name } : {} })
  if (res.statusCode !== 201) throw new Error(`claim code: ${res.statusCode} ${res.body}`)
  return res.json().code
}

function gatewayEnv(dataDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    CLOUD_URL: cloudUrl, GATEWAY_DATA_DIR: dataDir, GATEWAY_MQTT_HOST: '127.0.0.1', GATEWAY_API_HOST: '127.0.0.1', GATEWAY_MQTT_PORT: '0',
    GATEWAY_API_PORT: '0', GATEWAY_MQTT_WS_PORT: 'off', GATEWAY_CLOCK: 'trusted', GATEWAY_LOG_LEVEL: 'silent', ...extra,
  }
}

const fleetView = async (gatewayId: string) =>
  (await cloud.inject({ method: 'GET', url: `/api/gateways/${gatewayId}`, headers: { authorization: `Bearer ${token}` } })).json()
const cloudEvents = (gatewayId: string) => cloud.db.selectFrom('events').select(['seq', 'kind']).where('gateway_id', '=', gatewayId).execute()

async function waitFor<T>(probe: () => Promise<T> | T, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value) return value
    if (Date.now() > deadline) throw new Error('waitFor: timed out')
    await new Promise((r) => setTimeout(r, 50))
  }
}

describe('claim-code provisioning against the cloud', () => {
  it('claims on first boot, uploads with the issued key, shows online on its site, and reuses the stored key later', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tendero-gw-claim-'))
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }))
    const code = await newClaimCode('Gateway mostrador')
    const env = gatewayEnv(dataDir, { GATEWAY_CLAIM_CODE: code.toLowerCase(), GATEWAY_HARDWARE_ID: 'SN-PALERMO-7' })

    const pending = loadConfig(env)
    expect(pending.cloud.claim).toEqual({ code: code.replace('-', ''), hardwareId: 'SN-PALERMO-7' })
    const config = await provisionGateway(pending, { logger: silent })
    expect(config.gatewayId).toMatch(/^gw-/)
    expect(config.gatewayId).not.toBe(pending.site.gatewayId)
    expect(config.site.gatewayId).toBe(config.gatewayId)
    expect(config.cloud.claim).toBeUndefined()

    const file = join(dataDir, CREDENTIALS_FILE)
    expect(statSync(file).mode & 0o777).toBe(0o600)
    const stored = JSON.parse(readFileSync(file, 'utf8'))
    expect(stored).toMatchObject({ gatewayId: config.gatewayId, gatewayKey: config.cloud.gatewayKey, siteId: DEMO.site.id, cloudUrl, name: 'Gateway mostrador' })
    expect(existsSync(join(dataDir, PENDING_CLAIM_FILE))).toBe(false)

    const gw: Gateway = buildGateway(config, { logger: silent, uplink: { idleMs: 20, backoffCapMs: 200 } })
    cleanups.push(() => gw.stop())
    const { mqttPort } = await gw.start()
    const device = await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, { clientId: 'camara-1', username: 'camara-1', password: 'camara-1-demo', reconnectPeriod: 0 })
    cleanups.push(() => device.endAsync(true))
    await device.publishAsync(deviceTopic('camara-1', 'telemetry'), JSON.stringify({ readings: { temperature_c: 3.9 } }), { qos: 1 })

    await waitFor(async () => (await cloudEvents(config.gatewayId)).some((r) => r.kind === 'telemetry'))
    const view = await waitFor(async () => {
      const v = await fleetView(config.gatewayId)
      return v.online && v
    })
    expect(view).toMatchObject({ id: config.gatewayId, siteId: DEMO.site.id, name: 'Gateway mostrador', online: true, hardwareId: 'SN-PALERMO-7', lastSeenAt: expect.any(Number) })

    // Next boot, claim code still in the environment: the stored identity, no second claim.
    const again = loadConfig(env)
    expect(again.cloud.claim).toBeUndefined()
    expect(again).toMatchObject({ gatewayId: config.gatewayId, identity: 'claim', cloud: { gatewayKey: config.cloud.gatewayKey } })
    expect(await provisionGateway(again, { logger: silent })).toBe(again)
    expect(() => loadConfig({ ...env, GATEWAY_CLAIM_CODE: '', GATEWAY_KEY: 'some-other-key-0123' })).toThrow(/provisioned by a claim code/)
  })

  it('stops with the cloud\'s reason for a code it refuses, keeping no credentials', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tendero-gw-claim-'))
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }))
    const config = loadConfig(gatewayEnv(dataDir, { GATEWAY_CLAIM_CODE: 'ZZZZZ-ZZZZZ' }))
    await expect(provisionGateway(config, { logger: silent })).rejects.toThrow(/GATEWAY_CLAIM_CODE: the cloud refused the claim \(CLAIM_CODE_INVALID\)/)
    expect(existsSync(join(dataDir, CREDENTIALS_FILE))).toBe(false)
  })

  it('gets its gateway back with a fresh key when the claim reply is lost on the way', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tendero-gw-claim-'))
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }))
    const code = await newClaimCode()
    let calls = 0
    // The request reaches the real cloud, which claims; the answer never reaches the gateway.
    const lossyFetch: typeof fetch = async (input, init) => {
      const res = await fetch(input, init)
      if (++calls === 1) throw new TypeError('fetch failed: connection reset')
      return res
    }
    const config = await provisionGateway(loadConfig(gatewayEnv(dataDir, { GATEWAY_CLAIM_CODE: code })), { logger: silent, fetch: lossyFetch, backoffBaseMs: 10, backoffCapMs: 20 })
    expect(calls).toBe(2)
    const codes = await cloud.db.withTables<{ gateway_claim_codes: { gateway_id: string | null; code_hash: string } }>()
      .selectFrom('gateway_claim_codes').select('gateway_id').where('gateway_id', '=', config.gatewayId).execute()
    expect(codes).toHaveLength(1)
    const ingest = await fetch(`${cloudUrl}/api/ingest`, {
      method: 'POST', headers: { authorization: `Bearer ${config.cloud.gatewayKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ gatewayId: config.gatewayId, sentAt: Date.now(), events: [{ seq: 1, kind: 'telemetry', deviceId: 'camara-1', time: Date.now(),
        receivedAt: Date.now(), bootId: '0b7c9d1e-3f7a-4c55-9a49-1f0c2f6c8a11', monoMs: 1, clockSynced: true, body: { readings: { temperature_c: 4 } } }] }),
    })
    expect(ingest.status).toBe(200)
  })

  it('keeps retrying while the cloud is unreachable, then claims', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tendero-gw-claim-'))
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }))
    const code = await newClaimCode()
    let attempts = 0
    // Port 9 (discard) refuses connections: the first attempts go there, as to a cloud that is down.
    const downThenUp: typeof fetch = async (input, init) => {
      attempts++
      const url = attempts <= 2 ? String(input).replace(cloudUrl, 'http://127.0.0.1:9') : input
      return fetch(url, init)
    }
    const config = await provisionGateway(loadConfig(gatewayEnv(dataDir, { GATEWAY_CLAIM_CODE: code })), { logger: silent, fetch: downThenUp, backoffBaseMs: 10, backoffCapMs: 20 })
    expect(attempts).toBe(3)
    expect(config.gatewayId).toMatch(/^gw-/)
  })
})

describe('the gateway process with GATEWAY_CLAIM_CODE', () => {
  let child: ChildProcess | undefined
  afterEach(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r))
      child.kill('SIGTERM')
      await exited
    }
    child = undefined
  })

  it('claims, stores its credentials 0600, and comes online on the claimed site', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tendero-gw-claim-'))
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }))
    const code = await newClaimCode('Gateway proceso')
    child = spawn(process.execPath, ['--import', 'tsx', 'gateway/src/main.ts'], {
      cwd: root,
      env: { PATH: process.env.PATH, ...gatewayEnv(dataDir, { GATEWAY_CLAIM_CODE: code }) },
    })
    let stderr = ''
    child.stderr!.on('data', (d) => (stderr += d))
    const file = join(dataDir, CREDENTIALS_FILE)
    await waitFor(() => existsSync(file), 30_000)
    expect(statSync(file).mode & 0o777).toBe(0o600)
    const { gatewayId } = JSON.parse(readFileSync(file, 'utf8'))
    const view = await waitFor(async () => {
      const v = await fleetView(gatewayId)
      return v.online && v
    }, 30_000)
    expect(view).toMatchObject({ siteId: DEMO.site.id, name: 'Gateway proceso', online: true })
    expect(stderr).toBe('')
  }, 60_000)
})

import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { MqttClient } from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../cloud/src/app.js'
import { hashGatewayKey } from '../../cloud/src/modules/ingest/repository.js'
import { DEMO } from '../../cloud/src/seed.js'
import { deviceTopic } from '@tendero/protocol'
import { desiredConfigPath } from '../src/downlink/store.js'
import { OTHER_DEVICE, startTestGateway, testSite, type TestGateway } from './harness.js'
import type { SiteConfig } from '../src/config.js'

/**
 * The downlink against the real cloud app (PGlite, listening on an ephemeral port) and an
 * in-process gateway: desired config versions and cloud commands over the WebSocket channel.
 */
const LOCAL_TOKEN = 'local-technician-token-0123'

describe('downlink: desired config and cloud commands from the real cloud', () => {
  let dir: string
  let cloud: FastifyInstance
  let cloudUrl: string
  let token: string
  const open: TestGateway[] = []

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tendero-downlink-'))
    cloud = await buildApp({
      port: 0, host: '127.0.0.1', database: { driver: 'pglite', dataDir: join(dir, 'pglite') }, dataDir: join(dir, 'cloud'),
      jwtSecret: randomBytes(32).toString('hex'), dashboardDir: join(dir, 'none'), demoGatewayKey: 'unused-demo-key',
      seedDemo: true, logLevel: 'silent',
    })
    await cloud.listen({ port: 0, host: '127.0.0.1' })
    cloudUrl = `http://127.0.0.1:${(cloud.server.address() as { port: number }).port}`
    const login = await cloud.inject({ method: 'POST', url: '/api/auth/login', payload: { email: DEMO.user.email, password: DEMO.user.password } })
    token = login.json().token
    // PGlite migrations take seconds, more on a busy CI machine.
  }, 60_000)
  afterAll(async () => {
    for (const g of open) await g.close()
    await cloud?.close()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  const api = (method: 'GET' | 'PUT' | 'POST', url: string, payload?: object) =>
    cloud.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload } : {}) })

  /** A gateway row of the demo org in the cloud, and its site config. */
  async function registerGateway() {
    const gatewayId = `gw-${randomBytes(4).toString('hex')}`
    const gatewayKey = `key-${randomBytes(12).toString('hex')}`
    await cloud.db.insertInto('gateways').values({
      id: gatewayId, org_id: DEMO.organization.id, site_id: DEMO.site.id, name: gatewayId, key_hash: hashGatewayKey(gatewayKey),
    }).execute()
    const site = await testSite((s) => {
      s.gatewayId = gatewayId
    })
    return { gatewayId, gatewayKey, site }
  }

  async function startGateway(site: SiteConfig, gatewayKey: string, opts: { dataDir?: string; now?: () => number } = {}) {
    const g = await startTestGateway({
      site,
      config: {
        cloud: { url: cloudUrl, gatewayKey },
        api: { host: '127.0.0.1', port: 0, token: LOCAL_TOKEN },
        ...(opts.dataDir ? { dataDir: opts.dataDir } : {}),
      },
      gateway: { downlink: { backoffBaseMs: 20, backoffCapMs: 200 }, ...(opts.now ? { now: opts.now } : {}) },
    })
    open.push(g)
    return g
  }

  /** camara-2, subscribed to its command topic; commands received in order. */
  async function device(g: TestGateway) {
    const client: MqttClient = await g.connect(OTHER_DEVICE.id, OTHER_DEVICE.password)
    const commands: Record<string, unknown>[] = []
    client.on('message', (_topic, payload) => commands.push(JSON.parse(String(payload))))
    await client.subscribeAsync(deviceTopic(OTHER_DEVICE.id, 'cmd'), { qos: 1 })
    const reading = (temperature_c: number) =>
      client.publishAsync(deviceTopic(OTHER_DEVICE.id, 'telemetry'), JSON.stringify({ readings: { temperature_c } }), { qos: 1 })
    return { client, commands, reading }
  }

  const threshold = (id: string, deviceId: string, bound: 'above' | 'below', value: number, on: boolean) => ({
    id, when: { kind: 'threshold', deviceId, metric: 'temperature_c', [bound]: value, forSeconds: 0 },
    actions: [{ kind: 'relay.set', deviceId, relay: 'compressor', on }],
  })

  it('applies a valid version live, refuses an invalid one with its path and keeps running the last known good', async () => {
    const { gatewayId, gatewayKey, site } = await registerGateway()
    const g = await startGateway(site, gatewayKey)
    const node = await device(g)

    const v1 = { ...site, rules: [threshold('calor', 'camara-2', 'above', 30, true), threshold('frio', 'camara-2', 'below', 10, false)] }
    expect((await api('PUT', `/api/gateways/${gatewayId}/config`, v1)).json().desired.version).toBe(1)
    await waitFor(async () => (await api('GET', `/api/gateways/${gatewayId}/config`)).json().reported.version === 1, 'v1 reported')
    expect(JSON.parse(readFileSync(desiredConfigPath(g.dir), 'utf8')).version).toBe(1)
    // The technicians' local API shows what now runs, and where it came from.
    const local = await g.gw.api.inject({ url: '/api/rules', headers: { authorization: `Bearer ${LOCAL_TOKEN}` } })
    expect(local.json()).toMatchObject({ source: 'cloud', rules: [{ id: 'calor' }, { id: 'frio' }] })
    await node.reading(35)
    await waitFor(() => node.commands.some((c) => c.kind === 'relay.set' && c.on === true), 'the new rule to switch the compressor on')

    const v2 = { ...site, rules: [threshold('fantasma', 'fantasma', 'above', 30, true)] }
    expect((await api('PUT', `/api/gateways/${gatewayId}/config`, v2)).json().desired.version).toBe(2)
    const view = await waitFor(async () => {
      const body = (await api('GET', `/api/gateways/${gatewayId}/config`)).json()
      return body.reported.error ? body : undefined
    }, 'v2 refused')
    expect(view.reported.version).toBe(1)
    expect(view.reported.error.version).toBe(2)
    expect(view.reported.error.reason).toContain('/rules/0/when/deviceId: unknown device "fantasma"')
    expect(g.gw.downlink.status()).toMatchObject({ runningVersion: 1, lastRefused: { version: 2 } })
    expect(JSON.parse(readFileSync(desiredConfigPath(g.dir), 'utf8')).version).toBe(1)
    // v1's rules still run: the cold reading switches the compressor off.
    await node.reading(5)
    await waitFor(() => node.commands.some((c) => c.kind === 'relay.set' && c.on === false), "v1's cold rule to switch it off")
  })

  it('boots on the last known good desired config when the cloud is unreachable', async () => {
    const { gatewayId, gatewayKey, site } = await registerGateway()
    const first = await startGateway(site, gatewayKey)
    const v1 = { ...site, rules: [threshold('calor', 'camara-2', 'above', 30, true)] }
    await api('PUT', `/api/gateways/${gatewayId}/config`, v1)
    await waitFor(() => first.gw.downlink.status().runningVersion === 1, 'v1 applied')
    const dataDir = mkdtempSync(join(tmpdir(), 'tendero-downlink-gw-'))
    rmSync(dataDir, { recursive: true })
    // Same data directory, no cloud: the stored version is what runs.
    await first.gw.stop()
    renameSync(first.dir, dataDir)
    const second = await startTestGateway({ site, config: { dataDir, cloud: { url: 'http://127.0.0.1:9', gatewayKey } } })
    open.push(second)
    try {
      expect(second.gw.config.site.rules.map((r) => r.id)).toEqual(['calor'])
      expect(second.gw.downlink.status().runningVersion).toBe(1)
    } finally {
      rmSync(dataDir, { recursive: true, force: true })
    }
  })

  it('runs a cloud command on the device and records the ack', async () => {
    const { gatewayId, gatewayKey, site } = await registerGateway()
    const g = await startGateway(site, gatewayKey)
    const node = await device(g)
    await waitFor(() => g.gw.downlink.status().connected, 'channel open')
    const created = (await api('POST', `/api/gateways/${gatewayId}/commands`, {
      deviceId: 'camara-2', command: { kind: 'relay.set', relay: 'compressor', on: true }, expiresInSeconds: 30,
    })).json()
    await waitFor(() => node.commands.some((c) => c.kind === 'relay.set' && c.on === true), 'the command at the device')
    const done = await waitFor(async () => {
      const body = (await api('GET', `/api/gateways/${gatewayId}/commands/${created.id}`)).json()
      return body.status === 'acked' ? body : undefined
    }, 'acked')
    expect(done.result).toBeNull()
  })

  it('never runs a command that expired while the gateway was offline', async () => {
    const { gatewayId, gatewayKey, site } = await registerGateway()
    const stale = (await api('POST', `/api/gateways/${gatewayId}/commands`, {
      deviceId: 'camara-2', command: { kind: 'relay.set', relay: 'compressor', on: true }, expiresInSeconds: 1,
    })).json()
    await new Promise((r) => setTimeout(r, 1100))
    const g = await startGateway(site, gatewayKey)
    const node = await device(g)
    await waitFor(() => g.gw.downlink.status().connected, 'channel open')
    const fresh = (await api('POST', `/api/gateways/${gatewayId}/commands`, {
      deviceId: 'camara-2', command: { kind: 'relay.set', relay: 'compressor', on: false }, expiresInSeconds: 30,
    })).json()
    await waitFor(async () => (await api('GET', `/api/gateways/${gatewayId}/commands/${fresh.id}`)).json().status === 'acked', 'fresh acked')
    expect(node.commands.filter((c) => c.kind === 'relay.set').map((c) => c.on)).toEqual([false])
    expect((await api('GET', `/api/gateways/${gatewayId}/commands/${stale.id}`)).json()).toMatchObject({ status: 'expired', sentAt: null })
  })

  it('acks a command expired when the gateway clock says so, even if the cloud still sent it', async () => {
    const { gatewayId, gatewayKey, site } = await registerGateway()
    // The gateway's clock is 2 minutes ahead of the cloud's: by its clock the command is stale.
    const g = await startGateway(site, gatewayKey, { now: () => Date.now() + 120_000 })
    const node = await device(g)
    await waitFor(() => g.gw.downlink.status().connected, 'channel open')
    const created = (await api('POST', `/api/gateways/${gatewayId}/commands`, {
      deviceId: 'camara-2', command: { kind: 'relay.set', relay: 'compressor', on: true }, expiresInSeconds: 60,
    })).json()
    const done = await waitFor(async () => {
      const body = (await api('GET', `/api/gateways/${gatewayId}/commands/${created.id}`)).json()
      return body.status === 'expired' ? body : undefined
    }, 'expired ack')
    expect(done).toMatchObject({ result: 'expired', sentAt: expect.any(Number) })
    expect(node.commands.filter((c) => c.kind === 'relay.set')).toEqual([])
  })
})

async function waitFor<T>(probe: () => Promise<T | undefined | false> | T | undefined | false, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

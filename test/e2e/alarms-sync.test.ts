/**
 * Alarms acknowledged and cleared from the cloud, end to end: a real cloud (Fastify +
 * PGlite) and a real gateway (Aedes + SQLite) on loopback ports, a simulated cold room
 * that warms past the rule's threshold. The gateway raises the alarm, the cloud mirrors
 * it, a cloud user acknowledges and clears it, and the gateway's own local API and the
 * cloud's mirror (and its live push) both show who did it, through the normal paths only.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { io as connectSocket, type Socket } from 'socket.io-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../cloud/src/app.js'
import { hashPassword } from '../../cloud/src/modules/auth/password.js'
import { DEMO } from '../../cloud/src/seed.js'
import { buildGateway, type Gateway } from '../../gateway/src/gateway.js'
import { DEFAULT_SITE_CONFIG, parseSiteConfig, readSiteConfig, type SiteConfig } from '../../gateway/src/config.js'
import { ColdRoomModel, startColdRoomNode, type ColdRoomNode } from '../../simulator/src/index.js'
import { getJson, login, waitFor } from './stack.js'

const GATEWAY_KEY = 'e2e-alarms-gateway-key-0123456789'
const API_TOKEN = randomBytes(16).toString('hex')
const siteId = DEMO.site.id
const BY = `cloud:${DEMO.user.email}`
/** Latched (autoClear false), so the compressor cooling the room does not clear them before the user acts. */
const ALARM = 'camara-alta:camara-1'
const OFFLINE_ALARM = 'camara-alta-2:camara-1'

interface CloudAlarm { alarmId: string; state: string }
interface LocalAlarm { alarmId: string; state: string; acknowledgedBy?: string; clearedBy?: string }

function siteWithLatchedAlarms(): SiteConfig {
  const site = structuredClone(readSiteConfig(DEFAULT_SITE_CONFIG))
  const rule = site.rules.find((r) => r.id === 'camara-alta')!
  const latched = { ...rule, when: { ...rule.when, forSeconds: 1 }, alarm: { ...rule.alarm!, autoClear: false } }
  site.rules = [latched, { ...latched, id: 'camara-alta-2', actions: [] }] as SiteConfig['rules']
  return parseSiteConfig(site)
}

describe('alarms: acknowledged and cleared from the cloud, applied on the gateway', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tendero-e2e-alarms-'))
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' })
  const site = siteWithLatchedAlarms()
  let cloud: FastifyInstance
  let cloudUrl: string
  let gateway: Gateway | undefined
  let apiUrl: string
  let node: ColdRoomNode | undefined
  let socket: Socket | undefined
  let token: string
  const pushes: (CloudAlarm & { siteId: string })[] = []

  async function startGateway(): Promise<Gateway> {
    const g = buildGateway(
      {
        gatewayId: site.gatewayId,
        mqtt: { host: '127.0.0.1', port: 0 },
        api: { host: '127.0.0.1', port: 0, token: API_TOKEN },
        dataDir: join(dir, 'gateway'),
        cloud: { url: cloudUrl, gatewayKey: GATEWAY_KEY },
        clockSynced: true,
        logLevel: 'silent',
        site,
        sitePath: 'e2e',
      },
      { logger, uplink: { backoffCapMs: 500 }, downlink: { backoffBaseMs: 100, backoffCapMs: 500 } },
    )
    const { apiPort, mqttPort } = await g.start()
    apiUrl = `http://127.0.0.1:${apiPort}`
    gateway = g
    return Object.assign(g, { mqttPort })
  }

  const cloudAlarm = async (alarmId: string) =>
    (await getJson<{ items: CloudAlarm[] }>(`${cloudUrl}/api/sites/${siteId}/alarms?state=all`, token)).items.find((a) => a.alarmId === alarmId)
  const localAlarm = async (alarmId: string) =>
    (await getJson<{ alarms: LocalAlarm[] }>(`${apiUrl}/api/alarms?state=all`, API_TOKEN)).alarms.find((a) => a.alarmId === alarmId)
  const act = (alarmId: string, action: 'ack' | 'clear', bearer = token, body: object = { note: 'Ya voy para el local' }) =>
    fetch(`${cloudUrl}/api/sites/${siteId}/alarms/${alarmId}/${action}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
  const commandCount = async () =>
    Number((await cloud.db.withTables<{ cloud_commands: { id: string } }>().selectFrom('cloud_commands')
      .select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n)

  beforeAll(async () => {
    cloud = await buildApp({
      port: 0,
      host: '127.0.0.1',
      database: { driver: 'pglite', dataDir: join(dir, 'pglite') },
      dataDir: join(dir, 'cloud'),
      jwtSecret: randomBytes(32).toString('hex'),
      dashboardDir: join(dir, 'no-dashboard'),
      demoGatewayKey: GATEWAY_KEY,
      seedDemo: true,
      logLevel: 'silent',
    })
    await cloud.listen({ port: 0, host: '127.0.0.1' })
    const address = cloud.server.address()
    if (!address || typeof address === 'string') throw new Error('cloud did not bind a TCP port')
    cloudUrl = `http://127.0.0.1:${address.port}`
    token = await login(cloudUrl)
    socket = connectSocket(cloudUrl, { auth: { token }, transports: ['websocket'], reconnection: false })
    socket.on('alarm', (push: CloudAlarm & { siteId: string }) => pushes.push(push))
    expect(await socket.timeout(5000).emitWithAck('site:join', siteId)).toEqual({ ok: true })

    const g = (await startGateway()) as Gateway & { mqttPort: number }
    node = await startColdRoomNode({
      mqttUrl: `mqtt://127.0.0.1:${g.mqttPort}`,
      deviceId: 'camara-1',
      password: 'camara-1-demo',
      intervalMs: 200,
      speed: 1,
      model: new ColdRoomModel({}, { startTempC: 7, compressorOn: false }),
      logger,
    })
  })

  afterAll(async () => {
    socket?.disconnect()
    await node?.stop()
    await gateway?.stop()
    await cloud?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('a cloud user acknowledges the alarm: the gateway shows who, the mirror and the live push follow', async () => {
    await waitFor(async () => (await cloudAlarm(ALARM))?.state === 'raised', 20_000, 'the raised alarm in the cloud')
    await waitFor(() => gateway!.downlink.status().connected, 10_000, 'the downlink channel')

    const res = await act(ALARM, 'ack')
    expect(res.status).toBe(202)
    const command = (await res.json()) as { commandId: string; status: string; gatewayId: string; by: string }
    expect(command).toMatchObject({ status: 'sent', gatewayId: site.gatewayId, by: BY })

    const local = await waitFor(async () => {
      const a = await localAlarm(ALARM)
      return a?.state === 'acknowledged' && a
    }, 10_000, 'the gateway to acknowledge it')
    expect(local.acknowledgedBy).toBe(BY)
    await waitFor(async () => (await cloudAlarm(ALARM))?.state === 'acknowledged', 10_000, 'the mirror to show it acknowledged')
    await waitFor(() => pushes.find((p) => p.alarmId === ALARM && p.state === 'acknowledged'), 5_000, 'the acknowledged push')
    const done = await getJson<{ status: string }>(`${cloudUrl}/api/gateways/${site.gatewayId}/commands/${command.commandId}`, token)
    expect(done.status).toBe('acked')
  })

  it('a cloud user clears it: gone from the gateway, cleared by that user, cleared in the mirror', async () => {
    const res = await act(ALARM, 'clear', token, {})
    expect(res.status).toBe(202)
    const local = await waitFor(async () => {
      const a = await localAlarm(ALARM)
      return a?.state === 'cleared' && a
    }, 10_000, 'the gateway to clear it')
    expect(local.clearedBy).toBe(BY)
    await waitFor(async () => (await cloudAlarm(ALARM))?.state === 'cleared', 10_000, 'the mirror to show it cleared')
    await waitFor(() => pushes.find((p) => p.alarmId === ALARM && p.state === 'cleared'), 5_000, 'the cleared push')

    const again = await act(ALARM, 'ack')
    expect(again.status).toBe(409)
    expect(((await again.json()) as { error: { code: string } }).error.code).toBe('ALARM_ALREADY_CLEARED')
  })

  it("another organization's user gets 404 for this site's alarm, and nothing is sent", async () => {
    const orgId = randomUUID()
    const email = `otro-${randomBytes(3).toString('hex')}@example.com`
    await cloud.db.insertInto('organizations').values({ id: orgId, name: 'Otra tienda' }).execute()
    await cloud.db.insertInto('users')
      .values({ org_id: orgId, email, name: 'Otra dueña', password_hash: await hashPassword('otra-clave-segura'), locale: 'es-AR', role: 'owner' })
      .execute()
    const login = await fetch(`${cloudUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: 'otra-clave-segura' }) })
    expect(login.status).toBe(200)
    const otherToken = ((await login.json()) as { token: string }).token
    const before = await commandCount()
    await waitFor(async () => (await cloudAlarm(OFFLINE_ALARM))?.state === 'raised', 10_000, 'the second alarm in the cloud')
    for (const action of ['ack', 'clear'] as const) {
      const res = await act(OFFLINE_ALARM, action, otherToken)
      expect(res.status).toBe(404)
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('SITE_NOT_FOUND')
    }
    expect(await commandCount()).toBe(before)
    expect((await localAlarm(OFFLINE_ALARM))?.state).toBe('raised')
  })

  it('an offline gateway: the acknowledgement waits (202 pending) and is applied when the gateway reconnects', async () => {
    await node?.stop()
    node = undefined
    await gateway!.stop()
    await waitFor(() => !cloud.gatewayChannel.connected(site.gatewayId), 5_000, 'the cloud to see the gateway gone')

    const res = await act(OFFLINE_ALARM, 'ack')
    expect(res.status).toBe(202)
    const command = (await res.json()) as { commandId: string; status: string; gatewayOnline: boolean }
    expect(command).toMatchObject({ status: 'pending', gatewayOnline: false })
    expect((await cloudAlarm(OFFLINE_ALARM))?.state).toBe('raised')

    await startGateway()
    const local = await waitFor(async () => {
      const a = await localAlarm(OFFLINE_ALARM)
      return a?.state === 'acknowledged' && a
    }, 15_000, 'the restarted gateway to apply the waiting acknowledgement')
    expect(local.acknowledgedBy).toBe(BY)
    await waitFor(async () => (await cloudAlarm(OFFLINE_ALARM))?.state === 'acknowledged', 10_000, 'the mirror to follow')
    const done = await getJson<{ status: string }>(`${cloudUrl}/api/gateways/${site.gatewayId}/commands/${command.commandId}`, token)
    expect(done.status).toBe('acked')
  })
})

import { randomBytes, randomUUID } from 'node:crypto'
import path from 'node:path'
import type { FastifyInstance } from 'fastify'
import type { LogEvent } from '@tendero/protocol'
import { buildApp } from '../../src/app.js'
import type { CloudConfig } from '../../src/config.js'
import { hashGatewayKey } from '../../src/modules/ingest/repository.js'
import { DEMO } from '../../src/seed.js'
import { createTestDatabase, type TestDriver } from './drivers.js'

export const DEMO_KEY = 'test-demo-gateway-key'

export function testConfig(database: CloudConfig['database'], overrides: Partial<CloudConfig> = {}): CloudConfig {
  return {
    port: 0,
    host: '127.0.0.1',
    database,
    dataDir: '/nonexistent',
    jwtSecret: 'test-secret-test-secret-test-secret-0123',
    // No dashboard in API tests: misses must be JSON 404s.
    dashboardDir: path.join('/nonexistent', 'dashboard'),
    demoGatewayKey: DEMO_KEY,
    seedDemo: true,
    logLevel: 'silent',
    // Tests run jobs themselves (app.jobs.run) at the moments they choose.
    jobs: false,
    ...overrides,
  }
}

export interface TestApp {
  app: FastifyInstance
  /** Where the app's database is: a second app on it plays a second cloud instance (PostgreSQL). */
  database: CloudConfig['database']
  close(): Promise<void>
}

/** The whole app on a fresh database, seeded with the demo shop; close() drops it all. */
export async function buildTestApp(driver: TestDriver, overrides: Partial<CloudConfig> = {}): Promise<TestApp> {
  const testDb = await createTestDatabase(driver)
  let app: FastifyInstance
  try {
    app = await buildApp(testConfig(testDb.database, overrides))
    await app.ready()
  } catch (err) {
    await testDb.drop()
    throw err
  }
  return {
    app,
    database: testDb.database,
    close: async () => {
      await app.close()
      await testDb.drop()
    },
  }
}

export async function loginDemo(app: FastifyInstance): Promise<string> {
  const res = await app.inject({
    method: 'POST',
    url: '/api/auth/login',
    payload: { email: DEMO.user.email, password: DEMO.user.password },
  })
  if (res.statusCode !== 200) throw new Error(`demo login failed: ${res.statusCode} ${res.body}`)
  return res.json().token
}

/** A second organization with its own site, gateway and user, to prove tenant isolation. */
export async function addOrganization(app: FastifyInstance) {
  const orgId = randomUUID()
  const siteId = randomUUID()
  const gatewayId = `gw-${randomBytes(4).toString('hex')}`
  const gatewayKey = `key-${randomBytes(12).toString('hex')}`
  await app.db.insertInto('organizations').values({ id: orgId, name: 'Otra tienda' }).execute()
  await app.db.insertInto('sites').values({ id: siteId, org_id: orgId, name: 'Otra sucursal', timezone: 'UTC' }).execute()
  await app.db
    .insertInto('gateways')
    .values({ id: gatewayId, org_id: orgId, site_id: siteId, name: 'Otro', key_hash: hashGatewayKey(gatewayKey) })
    .execute()
  return { orgId, siteId, gatewayId, gatewayKey }
}

/** One more gateway on the demo site, so each test owns its seq space. */
export async function addDemoGateway(app: FastifyInstance) {
  const gatewayId = `gw-${randomBytes(4).toString('hex')}`
  const gatewayKey = `key-${randomBytes(12).toString('hex')}`
  await app.db
    .insertInto('gateways')
    .values({
      id: gatewayId,
      org_id: DEMO.organization.id,
      site_id: DEMO.site.id,
      name: gatewayId,
      key_hash: hashGatewayKey(gatewayKey),
    })
    .execute()
  return { gatewayId, gatewayKey }
}

const BOOT_ID = '0b7c9d1e-3f7a-4c55-9a49-1f0c2f6c8a11'

export function telemetryEvent(seq: number, readings: Record<string, number>, time = Date.now()): LogEvent {
  return { seq, kind: 'telemetry', deviceId: 'camara-1', time, receivedAt: time, bootId: BOOT_ID, monoMs: seq,
    clockSynced: true, body: { readings } }
}

export function stateEvent(seq: number, state: Record<string, boolean | number | string>, time = Date.now()): LogEvent {
  return { seq, kind: 'state', deviceId: 'camara-1', time, receivedAt: time, bootId: BOOT_ID, monoMs: seq,
    clockSynced: true, body: { state } }
}

export function alarmEvent(seq: number, state: 'raised' | 'acknowledged' | 'cleared', time = Date.now(), value = 5.4): LogEvent {
  return { seq, kind: 'alarm', deviceId: 'camara-1', time, receivedAt: time, bootId: BOOT_ID, monoMs: seq,
    clockSynced: true, body: { alarmId: 'camara-alta:camara-1', ruleId: 'camara-alta', deviceId: 'camara-1',
      severity: 'critical', state, message: 'Cámara de frío sobre 5 °C por 2 minutos', value } }
}

export function rollupEvent(seq: number, deviceId: string, from: number, min: Record<string, number>,
  avg: Record<string, number>, max: Record<string, number>, count = 60): LogEvent {
  return { seq, kind: 'rollup', deviceId, time: from, receivedAt: from, bootId: BOOT_ID, monoMs: seq, clockSynced: true,
    body: { periodMs: 60_000, from, to: from + 59_000, count, min, avg, max } }
}

export function gapEvent(seq: number, gap: Partial<Extract<LogEvent, { kind: 'gap' }>['body']> = {}, time = Date.now()): LogEvent {
  return { seq, kind: 'gap', deviceId: 'gateway', time, receivedAt: time, bootId: BOOT_ID, monoMs: seq, clockSynced: true,
    body: { reason: 'downsampled', fromSeq: 1, toSeq: 10, fromTime: time - 600_000, toTime: time - 60_000, removed: 9,
      written: 1, devices: ['camara-1'], ...gap } }
}

/** `extra` adds batch fields, e.g. `{ absent: [[3, 5]] }`. */
export function ingest(app: FastifyInstance, key: string, gatewayId: string, events: unknown[], extra: object = {}) {
  return app.inject({
    method: 'POST',
    url: '/api/ingest',
    headers: { authorization: `Bearer ${key}` },
    payload: { gatewayId, sentAt: Date.now(), events, ...extra },
  })
}

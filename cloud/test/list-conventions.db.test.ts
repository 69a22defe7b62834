import { randomBytes, randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { LogEvent } from '@tendero/protocol'
import type { RouteEntry } from '../src/app.js'
import { hashPassword } from '../src/modules/auth/password.js'
import { totpAt } from '../src/modules/auth/totp.js'
import { hashGatewayKey } from '../src/modules/ingest/repository.js'
import { withNotificationTables } from '../src/modules/notifications/tables.js'
import { DEMO } from '../src/seed.js'
import { addDemoGateway, buildTestApp, DEMO_KEY, ingest, type TestApp } from './support/app.js'
import { commercialFixtures } from './support/commercial-fixtures.js'
import { testDrivers } from './support/drivers.js'

// Issue 6, API quality: every list route pages the same way (common/pagination.ts).
// The list routes come from the app's own catalog, so a list added tomorrow is held to
// the convention tomorrow: a GET whose 200 is `{ items, nextCursor }` is a list.

type Schema = { type?: string; properties?: Record<string, Schema>; items?: Schema; maximum?: number; anyOf?: Schema[] }

/** GET /api routes that answer something other than a JSON list, on purpose. */
const NOT_LISTS: Record<string, string> = {
  '/api/sites/:siteId/series': 'a downsampled series for one device and metric, bounded by its resolution',
  '/api/sites/:siteId/telemetry.csv': 'a CSV stream',
  '/api/audit/export': 'an NDJSON stream',
}

/**
 * Lists known to break the walk, each with why; the walk test expects them to fail still,
 * so the day one is fixed the test says to take it off and hold it to the convention.
 */
const AWAITING_FIX: Record<string, string> = {}

const responseOf = (route: RouteEntry): Schema | undefined => (route.schema as { response?: Record<string, Schema> } | undefined)?.response?.[200]
const queryOf = (route: RouteEntry): Schema | undefined => (route.schema as { querystring?: Schema } | undefined)?.querystring

function isPage(schema: Schema | undefined): boolean {
  return schema?.type === 'object' && schema.properties?.items?.type === 'array' && schema.properties.nextCursor !== undefined
}

const BOOT_ID = '0b7c9d1e-3f7a-4c55-9a49-1f0c2f6c8a11'
const event = (seq: number, kind: LogEvent['kind'], deviceId: string, time: number, body: unknown): LogEvent =>
  ({ seq, kind, deviceId, time, receivedAt: time, bootId: BOOT_ID, monoMs: seq, clockSynced: true, body }) as LogEvent

/** A platform admin of the demo organization: every permission, so every list is reachable. */
async function platformAdmin(app: FastifyInstance): Promise<string> {
  const email = `listas.${randomBytes(3).toString('hex')}@tendero.test`
  const password = 'una-clave-larga-1'
  await app.db
    .insertInto('users')
    .values({ org_id: DEMO.organization.id, email, name: 'Listas', password_hash: await hashPassword(password), role: 'platform_admin', locale: 'es-AR' })
    .execute()
  const login = (body: object) => app.inject({ method: 'POST', url: '/api/auth/login', remoteAddress: '10.7.7.7', payload: { email, password, ...body } })
  const first = await login({})
  expect(first.statusCode, first.body).toBe(200)
  if (!first.json().totpEnrollmentRequired) return first.json().token
  // Platform admins log in with two factors: enrol as a person would, then log in again.
  const auth = { authorization: `Bearer ${first.json().token}` }
  const { secret } = (await app.inject({ method: 'POST', url: '/api/auth/totp/setup', headers: auth })).json()
  const step = Math.floor(Date.now() / 30_000)
  expect((await app.inject({ method: 'POST', url: '/api/auth/totp/enable', headers: auth, payload: { code: totpAt(secret, step) } })).statusCode).toBe(200)
  const full = await login({ totpCode: totpAt(secret, step + 1) })
  expect(full.statusCode, full.body).toBe(200)
  return full.json().token
}

describe.each(testDrivers())('list conventions (%s)', (driver) => {
  let t: TestApp
  let token: string
  let gets: RouteEntry[]
  let lists: RouteEntry[]
  let webhookId: string
  /** The commercial modules' objects of the demo organization, by route URL and param. */
  let commercialParams: Record<string, Record<string, string>> = {}
  const now = Date.now()
  const get = (url: string, query: Record<string, string> = {}) =>
    t.app.inject({ method: 'GET', url, query, headers: { authorization: `Bearer ${token}` } })

  /** Real ids of the seeded organization for a route's path parameters; a new one must be added here. */
  function pathFor(route: RouteEntry): string {
    return route.url.replace(/:(\w+)/g, (_, name: string) => {
      const fixed = commercialParams[route.url]?.[name]
      if (fixed !== undefined) return fixed
      if (name === 'siteId') return DEMO.site.id
      if (name === 'gatewayId' || (name === 'id' && route.url.startsWith('/api/gateways/'))) return DEMO.gateway.id
      if (name === 'webhookId') return webhookId
      throw new Error(`${route.url}: no seeded id for :${name}; add one to pathFor`)
    })
  }

  /** What widens a list to everything seeded (the defaults hide cleared alarms and old telemetry). */
  function widest(route: RouteEntry): Record<string, string> {
    const properties = queryOf(route)?.properties ?? {}
    const query: Record<string, string> = {}
    if (properties.state?.anyOf?.some((s) => (s as { const?: string }).const === 'all')) query.state = 'all'
    if (route.url.endsWith('/telemetry')) {
      query.from = String(now - 60_000)
      query.to = String(now + 60_000)
    }
    return query
  }

  beforeAll(async () => {
    t = await buildTestApp(driver)
    token = await platformAdmin(t.app)

    // Sites: two with the same name (the id breaks the tie), and one another organization granted.
    for (const name of ['Sucursal Centro', 'Sucursal Centro', 'Almacén Norte']) {
      await t.app.db.insertInto('sites').values({ id: randomUUID(), org_id: DEMO.organization.id, name, timezone: 'UTC' }).execute()
    }
    const grantor = randomUUID()
    const grantedSite = randomUUID()
    await t.app.db.insertInto('organizations').values({ id: grantor, name: 'Heladería vecina' }).execute()
    await t.app.db.insertInto('sites').values({ id: grantedSite, org_id: grantor, name: 'Sucursal Centro', timezone: 'UTC' }).execute()
    await t.app.db.insertInto('org_grants').values({ grantor_org_id: grantor, grantee_org_id: DEMO.organization.id, site_id: grantedSite, scopes: ['sites.read'] }).execute()
    await t.app.db
      .insertInto('gateways')
      .values({ id: `gw-${randomBytes(4).toString('hex')}`, org_id: grantor, site_id: grantedSite, name: 'Ajeno', key_hash: hashGatewayKey(randomBytes(16).toString('hex')) })
      .execute()

    // Telemetry, state, alarms and gaps with equal times, from two gateways: only the
    // unique tie-breakers keep the order total.
    const second = await addDemoGateway(t.app)
    // Readings differ by gateway (a telemetry item does not name its gateway), so equal items would be a duplicate.
    for (const [g, gatewayId, key] of [[0, DEMO.gateway.id, DEMO_KEY], [1, second.gatewayId, second.gatewayKey]] as const) {
      const events: LogEvent[] = []
      let seq = 0
      for (const device of ['camara-1', 'camara-2']) {
        events.push(event(++seq, 'telemetry', device, now, { readings: { temperature_c: 4 + g, humidity_pct: 80 + g } }))
        events.push(event(++seq, 'telemetry', device, now - 1000, { readings: { temperature_c: 3 + g } }))
        events.push(event(++seq, 'state', device, now, { state: { compressor: true, door: 'closed' } }))
      }
      for (const rule of ['alta', 'baja', 'puerta']) {
        events.push(event(++seq, 'alarm', 'camara-1', now, {
          alarmId: `${rule}-${gatewayId}:camara-1`, ruleId: `${rule}-${gatewayId}`, deviceId: 'camara-1', severity: 'warning', state: 'raised', message: rule,
        }))
      }
      events.push(event(++seq, 'alarm', 'camara-1', now, {
        alarmId: `alta-${gatewayId}:camara-1`, ruleId: `alta-${gatewayId}`, deviceId: 'camara-1', severity: 'warning', state: 'cleared', message: 'alta',
      }))
      for (let i = 0; i < 2; i++) {
        events.push(event(++seq, 'gap', 'gateway', now, {
          reason: 'downsampled', fromSeq: 100 + i * 10, toSeq: 109 + i * 10, fromTime: now - 600_000, toTime: now - 60_000, removed: 9, written: 1, devices: ['camara-1'],
        }))
      }
      const res = await ingest(t.app, key, gatewayId, events)
      expect(res.statusCode, res.body).toBe(200)
    }

    // A few rows in every other list too (keys, webhooks, grants given, and their audit entries).
    for (let i = 0; i < 3; i++) {
      const key = await t.app.inject({ method: 'POST', url: '/api/api-keys', headers: { authorization: `Bearer ${token}` }, payload: { name: `integración ${i}`, role: 'viewer' } })
      expect(key.statusCode, key.body).toBe(201)
    }
    const webhooks = await withNotificationTables(t.app.db)
      .insertInto('webhooks')
      .values([0, 1, 2].map((i) => ({ org_id: DEMO.organization.id, url: `https://hooks.example.com/tendero/${i}`, secret: randomBytes(16).toString('hex'), events: JSON.stringify(['alarm.raised']) })))
      .returning('id')
      .execute()
    webhookId = webhooks[0]!.id
    // Rows stamped within one millisecond: timestamptz keeps microseconds, a cursor carries
    // milliseconds, and a list keyed on the time must still neither skip nor repeat them.
    for (const at of ['2026-11-02T10:00:00.123200Z', '2026-11-02T10:00:00.123456Z', '2026-11-02T10:00:00.123900Z']) {
      await sql`insert into org_grants (grantor_org_id, grantee_org_id, scopes, created_at)
        values (${DEMO.organization.id}::uuid, ${grantor}::uuid, array['sites.read'], ${at}::timestamptz)`.execute(t.app.db)
      await sql`insert into api_keys (org_id, name, prefix, key_hash, role, created_at)
        values (${DEMO.organization.id}::uuid, ${`clave ${at}`}, 'tdk_test', ${randomBytes(16).toString('hex')}, 'viewer', ${at}::timestamptz)`.execute(t.app.db)
    }

    commercialParams = (await commercialFixtures(t.app, token, { orgId: DEMO.organization.id, siteId: DEMO.site.id })).params
    // The delivery worker would otherwise retry the webhooks' deliveries in the middle of a
    // walk, and a row whose attempts changed between two pages reads as a gap. One tick by
    // hand fans the alarms out to the webhooks, then nothing moves them.
    await t.app.notifications.worker.stop()
    await t.app.notifications.worker.tick()
    gets = t.app.routeCatalog.filter((r) => r.method === 'GET' && r.url.startsWith('/api'))
    lists = gets.filter((r) => isPage(responseOf(r)))
  }, 120_000)
  afterAll(async () => t?.close())

  it('finds the lists in the catalog, the site lists among them', () => {
    const urls = lists.map((r) => r.url)
    for (const url of ['/api/sites', '/api/sites/:siteId/telemetry', '/api/sites/:siteId/state', '/api/sites/:siteId/alarms', '/api/sites/:siteId/gaps', '/api/alarms']) {
      expect(urls).toContain(url)
    }
  })

  it('no GET answers a bare array, and an { items } without nextCursor is not a list in disguise', () => {
    const offenders: string[] = []
    for (const route of gets) {
      const schema = responseOf(route)
      if (route.url in NOT_LISTS) continue
      if (!schema) offenders.push(`${route.url}: no 200 schema`)
      else if (schema.type === 'array') offenders.push(`${route.url}: a bare array`)
      else if (schema.properties?.items?.type === 'array' && !isPage(schema)) offenders.push(`${route.url}: items without nextCursor`)
    }
    expect(offenders).toEqual([])
  })

  it('every list takes limit and cursor, and refuses a forged cursor with 400 PAGINATION_BAD_CURSOR', async () => {
    const failures: string[] = []
    const forged = [Buffer.from(JSON.stringify({ forged: true })).toString('base64url'), 'no-es-un-cursor', Buffer.from('[1').toString('base64url')]
    for (const route of lists) {
      const properties = queryOf(route)?.properties ?? {}
      if (!properties.limit || !properties.cursor) {
        failures.push(`${route.url}: querystring lacks limit or cursor`)
        continue
      }
      for (const cursor of forged) {
        const res = await get(pathFor(route), { ...widest(route), cursor })
        if (res.statusCode !== 400 || res.json().error?.code !== 'PAGINATION_BAD_CURSOR') failures.push(`${route.url} cursor=${cursor}: ${res.statusCode} ${res.body}`)
      }
      const zero = await get(pathFor(route), { limit: '0' })
      if (zero.statusCode !== 400) failures.push(`${route.url} limit=0: ${zero.statusCode}`)
    }
    expect(failures).toEqual([])
  })

  it('walking every list one item a page gives the big page, with no duplicate and no gap', async () => {
    const failures = new Map<string, string>()
    for (const route of lists) {
      const url = pathFor(route)
      const query = widest(route)
      const max = queryOf(route)?.properties?.limit?.maximum ?? 500
      const big = await get(url, { ...query, limit: String(max) })
      expect(big.statusCode, `${route.url}: ${big.body}`).toBe(200)
      expect(big.json().nextCursor, route.url).toBeNull()
      const everything = big.json().items as unknown[]

      const walked: unknown[] = []
      let cursor: string | null = null
      do {
        const res = await get(url, { ...query, limit: '1', ...(cursor ? { cursor } : {}) })
        expect(res.statusCode, `${route.url}: ${res.body}`).toBe(200)
        const page = res.json() as { items: unknown[]; nextCursor: string | null }
        expect(page.items.length, route.url).toBeLessThanOrEqual(1)
        walked.push(...page.items)
        cursor = page.nextCursor
        if (walked.length > everything.length + 1) break
      } while (cursor)
      const seen = new Set(walked.map((item) => JSON.stringify(item)))
      if (seen.size !== walked.length) failures.set(route.url, 'duplicates while walking')
      else if (JSON.stringify(walked) !== JSON.stringify(everything)) failures.set(route.url, `walked ${walked.length} items, the big page has ${everything.length}`)
    }
    expect([...failures].filter(([url]) => !(url in AWAITING_FIX))).toEqual([])
    for (const url of Object.keys(AWAITING_FIX)) expect(failures.has(url), `${url} pages right now: take it off AWAITING_FIX`).toBe(true)
  }, 60_000)

  it('the site lists hold enough seeded rows for the walk to mean something, ties included', async () => {
    const count = async (url: string, query: Record<string, string> = {}) => (await get(url, { ...query, limit: '500' })).json().items.length
    const site = `/api/sites/${DEMO.site.id}`
    expect(await count('/api/sites')).toBe(5)
    // Two gateways × two devices × (two readings now, one a second before).
    expect(await count(`${site}/telemetry`, { from: String(now - 60_000), to: String(now + 60_000), limit: '5000' })).toBe(12)
    expect(await count(`${site}/state`)).toBe(4)
    expect(await count(`${site}/alarms`, { state: 'all' })).toBe(6)
    expect(await count(`${site}/gaps`)).toBe(4)
  })

  it('sorts where a list allows it, and refuses a cursor made under another sort', async () => {
    const names = async (sort: string) => ((await get('/api/sites', { sort, limit: '500' })).json().items as { name: string }[]).map((s) => s.name)
    const ascending = await names('name')
    expect(ascending).toEqual([...ascending].sort((a, b) => a.localeCompare(b)))
    expect(await names('-name')).toEqual([...ascending].reverse())
    const first = (await get('/api/sites', { sort: '-name', limit: '1' })).json()
    const mixed = await get('/api/sites', { sort: 'name', cursor: first.nextCursor })
    expect(mixed.statusCode).toBe(400)
    expect(mixed.json().error.code).toBe('PAGINATION_BAD_CURSOR')
    expect((await get('/api/sites', { sort: 'timezone' })).statusCode).toBe(400)

    const site = `/api/sites/${DEMO.site.id}`
    const times = async (path: string, query: Record<string, string>, field: string) =>
      ((await get(`${site}/${path}`, { ...query, limit: '500' })).json().items as Record<string, number>[]).map((i) => i[field]!)
    const gaps = await times('gaps', { sort: 'toTime' }, 'toTime')
    expect(gaps).toEqual([...gaps].sort((a, b) => a - b))
    const alarms = await times('alarms', { sort: 'updatedAt', state: 'all' }, 'updatedAt')
    expect(alarms).toEqual([...alarms].sort((a, b) => a - b))
  })
})

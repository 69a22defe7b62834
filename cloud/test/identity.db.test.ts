import { randomBytes, randomUUID } from 'node:crypto'
import type { FastifyInstance, InjectOptions } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RouteEntry } from '../src/app.js'
import { hashPassword } from '../src/modules/auth/password.js'
import { totpAt } from '../src/modules/auth/totp.js'
import { can, ROLES, type Role } from '../src/modules/identity/permissions.js'
import { hashGatewayKey } from '../src/modules/ingest/repository.js'
import { DEMO } from '../src/seed.js'
import { buildTestApp, type TestApp } from './support/app.js'
import { commercialFixtures, type ModuleFixture } from './support/commercial-fixtures.js'
import { testDrivers } from './support/drivers.js'

// Issue 6, tests that must exist: tenant isolation, roles, abuse. Every route comes from
// the app's own catalog (app.routeCatalog, filled by the onRoute hook that refuses routes
// without an access declaration), so a route added tomorrow is tested tomorrow.

interface Org {
  orgId: string
  siteId: string
  gatewayId: string
  users: Record<string, { id: string; email: string; password: string; token: string }>
  apiKeyId: string
  grantId: string
  /** The commercial modules' objects of this organization (support/commercial-fixtures.ts). */
  commercial: ModuleFixture
}

const PASSWORD = 'una-clave-larga-1'

async function login(app: FastifyInstance, email: string, password: string, ip = '10.1.1.1') {
  return app.inject({ method: 'POST', url: '/api/auth/login', payload: { email, password }, remoteAddress: ip })
}

async function addUser(app: FastifyInstance, orgId: string, role: Role, tag: string) {
  const email = `${role}.${tag}.${randomBytes(3).toString('hex')}@tendero.test`
  const [row] = await app.db
    .insertInto('users')
    .values({ org_id: orgId, email, name: `${role} ${tag}`, password_hash: await hashPassword(PASSWORD), role, locale: 'es-AR' })
    .returning('id')
    .execute()
  const ip = `10.9.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`
  const res = await login(app, email, PASSWORD, ip)
  expect(res.statusCode, res.body).toBe(200)
  let token = res.json().token as string
  // Platform admins must use two-factor login: enrol through the API as a person would,
  // then log in again with the next code for a full session.
  if (res.json().totpEnrollmentRequired) {
    const auth = { authorization: `Bearer ${token}` }
    const { secret } = (await app.inject({ method: 'POST', url: '/api/auth/totp/setup', headers: auth })).json()
    const step = Math.floor(Date.now() / 30_000)
    const enabled = await app.inject({ method: 'POST', url: '/api/auth/totp/enable', headers: auth, payload: { code: totpAt(secret, step) } })
    expect(enabled.statusCode, enabled.body).toBe(200)
    const full = await app.inject({ method: 'POST', url: '/api/auth/login', remoteAddress: ip, payload: { email, password: PASSWORD, totpCode: totpAt(secret, step + 1) } })
    expect(full.statusCode, full.body).toBe(200)
    token = full.json().token as string
  }
  return { id: row!.id, email, password: PASSWORD, token }
}

/** An organization with a site, a gateway with a device, every role, an API key and a grant to `granteeOrgId`. */
async function addOrg(app: FastifyInstance, name: string, kind: 'shop' | 'operator', granteeOrgId?: string): Promise<Org> {
  const orgId = randomUUID()
  const siteId = randomUUID()
  const gatewayId = `gw-${randomBytes(4).toString('hex')}`
  // Org admins here log in with a password alone (the two-factor test enrols one itself);
  // admin-totp.db.test.ts covers the policy.
  await app.db.insertInto('organizations').values({ id: orgId, name, kind, require_admin_totp: false }).execute()
  await app.db.insertInto('sites').values({ id: siteId, org_id: orgId, name: `Sitio ${name}`, timezone: 'America/Bogota' }).execute()
  await app.db.insertInto('gateways').values({ id: gatewayId, org_id: orgId, site_id: siteId, name: 'GW', key_hash: hashGatewayKey(randomBytes(16).toString('hex')) }).execute()
  await app.db.insertInto('devices').values({ id: 'camara-1', gateway_id: gatewayId, site_id: siteId, name: 'Cámara', kind: 'cold_room' }).execute()
  const users: Org['users'] = {}
  for (const role of ROLES) users[role] = await addUser(app, orgId, role, name.replace(/\W/g, '').toLowerCase())
  const key = await app.inject({ method: 'POST', url: '/api/api-keys', headers: { authorization: `Bearer ${users.org_admin!.token}` }, payload: { name: 'integración', role: 'viewer' } })
  expect(key.statusCode, key.body).toBe(201)
  let grantId = randomUUID()
  if (granteeOrgId) {
    const grant = await app.inject({
      method: 'POST',
      url: '/api/grants',
      headers: { authorization: `Bearer ${users.org_admin!.token}` },
      payload: { granteeOrgId, siteId, scopes: ['sites.read', 'telemetry.read'] },
    })
    expect(grant.statusCode, grant.body).toBe(201)
    grantId = grant.json().id
  }
  const commercial = await commercialFixtures(app, users.org_admin!.token, { orgId, siteId })
  return { orgId, siteId, gatewayId, users, apiKeyId: key.json().apiKey.id, grantId, commercial }
}

/** Path params from an organization's real ids, by name and by what the path is about. */
function pathFor(route: RouteEntry, org: Org): string {
  const own = org.commercial.params[route.url]
  return route.url.replace(/:(\w+)/g, (_, name: string) => {
    if (own?.[name] !== undefined) return own[name]
    if (name === 'siteId') return org.siteId
    if (name === 'gatewayId') return org.gatewayId
    if (name === 'deviceId') return 'camara-1'
    if (name === 'id') {
      if (route.url.startsWith('/api/users')) return org.users.viewer!.id
      if (route.url.startsWith('/api/api-keys')) return org.apiKeyId
      if (route.url.startsWith('/api/grants')) return org.grantId
      if (route.url.startsWith('/api/gateways')) return org.gatewayId
    }
    return randomUUID()
  })
}

type Schema = { type?: string; properties?: Record<string, Schema>; required?: string[]; minProperties?: number; items?: Schema; enum?: unknown[]; anyOf?: Schema[]; format?: string; minLength?: number; minimum?: number; minItems?: number; const?: unknown; default?: unknown; pattern?: string }

const PATTERN_SAMPLES = [new Date().toISOString().slice(0, 10), new Date().toISOString().slice(0, 7), '10:00', 'A-0001', 'AR', '12.5',
  '+54 11 5555-0000', `muestra-${randomBytes(3).toString('hex')}`, 'x'.repeat(12)]

/** A body (or query) that passes the route's schema, with every id field set to `org`'s. */
function sample(schema: Schema | undefined, org: Org, key = ''): unknown {
  if (!schema) return undefined
  if (schema.const !== undefined) return schema.const
  if (schema.enum) return schema.enum[0]
  if (schema.anyOf) return sample(schema.anyOf.find((s) => s.type !== 'null') ?? schema.anyOf[0], org, key)
  if (/siteId$/i.test(key)) return org.siteId
  if (/gatewayId$/i.test(key)) return org.gatewayId
  if (/orgId$/i.test(key)) return org.orgId
  if (/userId$/i.test(key)) return org.users.viewer!.id
  if (org.commercial.ids?.[key] !== undefined && schema.type !== 'array') return org.commercial.ids[key]
  if (key === 'deviceId') return 'camara-1'
  switch (schema.type) {
    case 'object': {
      const out: Record<string, unknown> = {}
      for (const name of schema.required ?? []) out[name] = sample(schema.properties?.[name], org, name)
      // `minProperties` with nothing required (a PATCH): send the first field.
      const first = Object.keys(schema.properties ?? {})[0]
      if (Object.keys(out).length < (schema.minProperties ?? 0) && first) out[first] = sample(schema.properties![first], org, first)
      for (const [name, prop] of Object.entries(schema.properties ?? {})) if (/Id$/.test(name) && !(name in out)) out[name] = sample(prop, org, name)
      return out
    }
    case 'array':
      return Array.from({ length: Math.max(1, schema.minItems ?? 1) }, () => sample(schema.items, org, key))
    case 'integer':
    case 'number':
      return schema.default ?? schema.minimum ?? 1
    case 'boolean':
      return true
    case 'string':
      if (schema.format === 'email') return `x.${randomBytes(3).toString('hex')}@tendero.test`
      if (schema.format === 'uuid') return randomUUID()
      if (schema.pattern === '^[0-9]{6}$') return '123456'
      if (schema.format === 'date-time') return new Date().toISOString()
      if (schema.format === 'date') return new Date().toISOString().slice(0, 10)
      if (schema.pattern) {
        // Dates, periods, clock times, series, codes...: the first plausible value the pattern takes.
        const re = new RegExp(schema.pattern)
        const fits = PATTERN_SAMPLES.find((v) => re.test(v) && v.length >= (schema.minLength ?? 0))
        if (fits !== undefined) return fits
      }
      return 'x'.repeat(Math.max(schema.minLength ?? 1, 12))
    default:
      return 'x'
  }
}

function requestFor(route: RouteEntry, target: Org, token: string): InjectOptions {
  const schema = (route.schema ?? {}) as { body?: Schema; querystring?: Schema }
  const query = sample(schema.querystring, target) as Record<string, string> | undefined
  return {
    method: route.method as InjectOptions['method'],
    url: pathFor(route, target),
    headers: { authorization: `Bearer ${token}`, 'idempotency-key': `iso-${randomBytes(6).toString('hex')}` },
    ...(query && Object.keys(query).length ? { query: Object.fromEntries(Object.entries(query).map(([k, v]) => [k, String(v)])) } : {}),
    ...(schema.body ? { payload: sample(schema.body, target) as object } : {}),
  }
}

/** Rows that belong to `org`, table by table: a replayed request must change none. */
async function footprint(app: FastifyInstance, org: Org): Promise<Record<string, number>> {
  const count = async (table: string, column: string, value: string) =>
    Number(((await app.db.selectFrom(table as 'users').select((eb) => eb.fn.countAll().as('n')).where(column as 'id', '=', value).executeTakeFirstOrThrow()) as { n: unknown }).n)
  return {
    users: await count('users', 'org_id', org.orgId),
    sites: await count('sites', 'org_id', org.orgId),
    gateways: await count('gateways', 'org_id', org.orgId),
    devices: await count('devices', 'site_id', org.siteId),
    apiKeys: await count('api_keys', 'org_id', org.orgId),
    grants: await count('org_grants', 'grantor_org_id', org.orgId),
    audit: await count('audit_log', 'org_id', org.orgId),
    ...(await org.commercial.footprint()),
    revokedKeys: Number((await app.db.selectFrom('api_keys').select((eb) => eb.fn.countAll().as('n')).where('org_id', '=', org.orgId).where('revoked_at', 'is not', null).executeTakeFirstOrThrow()).n),
    disabledUsers: Number((await app.db.selectFrom('users').select((eb) => eb.fn.countAll().as('n')).where('org_id', '=', org.orgId).where('disabled_at', 'is not', null).executeTakeFirstOrThrow()).n),
  }
}

describe.each(testDrivers())('identity and tenancy (%s)', (driver) => {
  let t: TestApp
  let operator: Org
  let shopA: Org
  let shopB: Org
  let shopR: Org
  let routes: RouteEntry[]

  beforeAll(async () => {
    t = await buildTestApp(driver, { seedDemo: false })
    operator = await addOrg(t.app, 'Shopping del Sol', 'operator')
    shopA = await addOrg(t.app, 'Heladería A', 'shop', operator.orgId)
    shopB = await addOrg(t.app, 'Ferretería B', 'shop')
    // The roles test changes what it may change: it gets an organization of its own.
    shopR = await addOrg(t.app, 'Kiosco R', 'shop', operator.orgId)
    routes = t.app.routeCatalog.filter((r) => r.permission !== undefined)
  }, 120_000)
  afterAll(async () => t?.close())

  it('knows every route and refuses to start with one that declares no access', async () => {
    expect(routes.length).toBeGreaterThan(15)
    for (const r of t.app.routeCatalog) expect([r.permission !== undefined, r.public, r.gateway].filter(Boolean), `${r.method} ${r.url}`).toHaveLength(1)
    const { buildApp } = await import('../src/app.js')
    const { testConfig } = await import('./support/app.js')
    const app = await buildApp(testConfig({ driver: 'pglite', dataDir: 'memory://' }, { seedDemo: false }))
    expect(() => app.get('/api/escapa', async () => ({}))).toThrow(/must name exactly one of permission, public or gateway/)
    await app.close()
  })

  it('enforces the permission table on every route, for every role', async () => {
    const failures: string[] = []
    for (const role of ROLES) {
      const token = shopR.users[role]!.token
      for (const route of routes) {
        const res = await t.app.inject(requestFor(route, shopR, token))
        const allowed = can(role, route.permission!)
        if (!allowed && (res.statusCode !== 403 || res.json().error.code !== 'AUTH_FORBIDDEN')) failures.push(`${role} ${route.method} ${route.url}: ${res.statusCode}, expected 403`)
        if (allowed && res.statusCode === 403) failures.push(`${role} ${route.method} ${route.url}: 403 though the table allows it`)
      }
    }
    expect(failures).toEqual([])
  }, 120_000)

  it("answers 404 or 403 to every route replayed with another tenant's ids, with no side effect", async () => {
    const before = await footprint(t.app, shopB)
    const idsOfB = [shopB.orgId, shopB.siteId, shopB.gatewayId, shopB.apiKeyId, ...Object.values(shopB.users).map((u) => u.id),
      ...Object.values(shopB.commercial.params).flatMap((p) => Object.values(p)), ...Object.values(shopB.commercial.ids ?? {})]
    const failures: string[] = []
    for (const route of routes) {
      // As shop A's admin (holds nearly every permission), aiming at shop B.
      const request = requestFor(route, shopB, shopA.users.org_admin!.token)
      const res = await t.app.inject(request)
      const carriesB = idsOfB.some((id) => JSON.stringify([request.url, request.query, request.payload]).includes(id))
      // A request naming B's ids is refused; one naming none answers with A's data only.
      if (carriesB && res.statusCode !== 404 && res.statusCode !== 403) failures.push(`${route.method} ${route.url}: ${res.statusCode} ${res.body.slice(0, 160)}`)
      if (!carriesB && idsOfB.some((id) => res.body.includes(id))) failures.push(`${route.method} ${route.url}: shows shop B's data`)
    }
    expect(failures).toEqual([])
    expect(await footprint(t.app, shopB)).toEqual(before)
  }, 120_000)

  it('lets a mall operator read only what a shop granted, until it is revoked', async () => {
    const viewer = operator.users.viewer!.token
    const get = (url: string) => t.app.inject({ url, headers: { authorization: `Bearer ${viewer}` } })
    const list = await get('/api/sites')
    expect(list.json().items).toContainEqual(expect.objectContaining({ id: shopA.siteId, grantedBy: 'Heladería A' }))
    expect(list.json().items.map((s: { id: string }) => s.id)).not.toContain(shopB.siteId)
    expect((await get(`/api/sites/${shopA.siteId}`)).statusCode).toBe(200)
    expect((await get(`/api/sites/${shopA.siteId}/telemetry`)).statusCode).toBe(200)
    // Not granted: alarms; and nothing at all of shop B.
    expect((await get(`/api/sites/${shopA.siteId}/alarms`)).statusCode).toBe(404)
    expect((await get(`/api/sites/${shopB.siteId}`)).statusCode).toBe(404)
    const revoke = await t.app.inject({ method: 'DELETE', url: `/api/grants/${shopA.grantId}`, headers: { authorization: `Bearer ${shopA.users.owner!.token}` } })
    expect(revoke.statusCode, revoke.body).toBe(200)
    expect((await get(`/api/sites/${shopA.siteId}`)).statusCode).toBe(404)
    // The operator sees the grant it received, not who else the shop deals with.
    const received = await t.app.inject({ url: '/api/grants?direction=received', headers: { authorization: `Bearer ${operator.users.org_admin!.token}` } })
    expect(received.json().items).toContainEqual(expect.objectContaining({ grantorOrgId: shopA.orgId, revoked: true }))
    expect(received.json().items.map((g: { grantorOrgId: string }) => g.grantorOrgId)).not.toContain(shopB.orgId)
  })

  it('locks out a brute-forced login from one address, never the owner from theirs, and never for good', async () => {
    const victim = shopB.users.owner!
    const attacker = '203.0.113.7'
    const codes: number[] = []
    for (let i = 0; i < 14; i++) codes.push((await login(t.app, victim.email, `adivinanza-${i}`, attacker)).statusCode)
    // 5 wrong passwords, then locked (423) whatever is tried, then rate limited (429).
    expect(codes.slice(0, 5)).toEqual([401, 401, 401, 401, 401])
    expect(codes.slice(5, 10)).toEqual([423, 423, 423, 423, 423])
    expect(codes.slice(10)).toEqual([429, 429, 429, 429])
    const limited = await login(t.app, victim.email, victim.password, attacker)
    expect(limited.statusCode).toBe(429)
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0)
    // The owner, from home, is not locked out by the attack.
    expect((await login(t.app, victim.email, victim.password, '198.51.100.20')).statusCode).toBe(200)
    // Every lockout ends: the longest is 15 minutes, however often it is earned.
    for (let round = 0; round < 8; round++) {
      await t.app.db.updateTable('login_failures').set({ locked_until: new Date(Date.now() - 1000) }).where('email', '=', victim.email).execute()
      for (let i = 0; i < 5; i++) await login(t.app, victim.email, 'otra', `192.0.2.${round}`)
      await login(t.app, victim.email, 'otra', '203.0.113.99')
    }
    const rows = await t.app.db.selectFrom('login_failures').selectAll().where('email', '=', victim.email).execute()
    for (const row of rows) if (row.locked_until) expect(row.locked_until.getTime() - Date.now()).toBeLessThanOrEqual(15 * 60_000)
    await t.app.db.updateTable('login_failures').set({ locked_until: new Date(Date.now() - 1000) }).where('email', '=', victim.email).execute()
    expect((await login(t.app, victim.email, victim.password, '192.0.2.3')).statusCode).toBe(200)
  })

  it('rotates refresh tokens and closes the login when one is replayed', async () => {
    const user = shopB.users.technician!
    const first = (await login(t.app, user.email, user.password, '10.2.2.2')).json()
    const refresh = (token: string) => t.app.inject({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken: token } })
    const second = await refresh(first.refreshToken)
    expect(second.statusCode).toBe(200)
    expect(second.json().refreshToken).not.toBe(first.refreshToken)
    const replay = await refresh(first.refreshToken)
    expect(replay.statusCode).toBe(401)
    expect(replay.json().error.code).toBe('AUTH_REFRESH_REUSED')
    // The thief's replay also ended the legitimate holder's newer token.
    expect((await refresh(second.json().refreshToken)).statusCode).toBe(401)
  })

  it('authenticates an API key with its role, and forgets it once revoked', async () => {
    const admin = { authorization: `Bearer ${shopB.users.org_admin!.token}` }
    const created = await t.app.inject({ method: 'POST', url: '/api/api-keys', headers: admin, payload: { name: 'ERP', role: 'viewer' } })
    const key = created.json().key as string
    expect(key).toMatch(/^tdk_[0-9a-f]{8}_/)
    expect((await t.app.inject({ url: '/api/sites', headers: { 'x-api-key': key } })).json().items.map((s: { id: string }) => s.id)).toEqual([shopB.siteId])
    expect((await t.app.inject({ url: '/api/users', headers: { authorization: `Bearer ${key}` } })).statusCode).toBe(403)
    const list = await t.app.inject({ url: '/api/api-keys', headers: admin })
    expect(JSON.stringify(list.json())).not.toContain(key.slice(13))
    await t.app.inject({ method: 'DELETE', url: `/api/api-keys/${created.json().apiKey.id}`, headers: admin })
    expect((await t.app.inject({ url: '/api/sites', headers: { 'x-api-key': key } })).statusCode).toBe(401)
  })

  it('asks admins with two-factor login on for a fresh authenticator code', async () => {
    const admin = shopB.users.org_admin!
    const auth = { authorization: `Bearer ${admin.token}` }
    const setup = (await t.app.inject({ method: 'POST', url: '/api/auth/totp/setup', headers: auth })).json()
    expect(setup.otpauthUri).toContain(`secret=${setup.secret}`)
    const step = Math.floor(Date.now() / 30_000)
    expect((await t.app.inject({ method: 'POST', url: '/api/auth/totp/enable', headers: auth, payload: { code: totpAt(setup.secret, step) } })).statusCode).toBe(200)
    const withoutCode = await login(t.app, admin.email, admin.password, '10.3.3.3')
    expect(withoutCode.json().error.code).toBe('AUTH_TOTP_REQUIRED')
    // The step used to enable is spent; the next one logs in once.
    const code = totpAt(setup.secret, step + 1)
    const ok = await t.app.inject({ method: 'POST', url: '/api/auth/login', remoteAddress: '10.3.3.3', payload: { email: admin.email, password: admin.password, totpCode: code } })
    expect(ok.statusCode, ok.body).toBe(200)
    const replay = await t.app.inject({ method: 'POST', url: '/api/auth/login', remoteAddress: '10.3.3.4', payload: { email: admin.email, password: admin.password, totpCode: code } })
    expect(replay.json().error.code).toBe('AUTH_TOTP_INVALID')
  })

  it('keeps an append-only audit trail, queryable and exportable, without secrets', async () => {
    const admin = { authorization: `Bearer ${shopB.users.org_admin!.token}` }
    const created = await t.app.inject({ method: 'POST', url: '/api/users', headers: admin, payload: { email: 'nuevo@ferreteria.test', name: 'Nuevo', password: 'clave-muy-segura', role: 'viewer' } })
    expect(created.statusCode, created.body).toBe(201)
    const patched = await t.app.inject({ method: 'PATCH', url: `/api/users/${created.json().id}`, headers: admin, payload: { role: 'operator' } })
    expect(patched.json().role).toBe('operator')
    const trail = (await t.app.inject({ url: '/api/audit?action=user.', headers: admin })).json()
    const update = trail.items.find((i: { action: string }) => i.action === 'user.update')
    expect(update).toMatchObject({ actorType: 'user', actorId: shopB.users.org_admin!.id, targetId: created.json().id, before: { role: 'viewer' }, after: { role: 'operator' } })
    expect(JSON.stringify(trail)).not.toContain('clave-muy-segura')
    const csv = await t.app.inject({ url: '/api/audit/export?action=user.', headers: admin })
    expect(csv.headers['content-type']).toContain('text/csv')
    expect(csv.body.split('\r\n')[0]).toBe('id,at,actor_type,actor_id,action,target_type,target_id,before,after,request_id,ip')
    expect(csv.body).toContain('user.update')
    // Another tenant's trail is not there, and the database refuses to rewrite history.
    expect(JSON.stringify((await t.app.inject({ url: '/api/audit', headers: { authorization: `Bearer ${shopA.users.org_admin!.token}` } })).json())).not.toContain(created.json().id)
    await expect(t.app.db.deleteFrom('audit_log').where('org_id', '=', shopB.orgId).execute()).rejects.toThrow(/append-only/)
    await expect(t.app.db.updateTable('audit_log').set({ action: 'x' }).where('org_id', '=', shopB.orgId).execute()).rejects.toThrow(/append-only/)
  })

  it('pages lists with an opaque cursor and refuses a forged one', async () => {
    const admin = { authorization: `Bearer ${shopA.users.org_admin!.token}` }
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const res: { items: { id: string }[]; nextCursor: string | null } = (await t.app.inject({ url: `/api/users?limit=2${cursor ? `&cursor=${cursor}` : ''}`, headers: admin })).json()
      expect(res.items.length).toBeLessThanOrEqual(2)
      seen.push(...res.items.map((u) => u.id))
      cursor = res.nextCursor
    } while (cursor)
    const inDb = await t.app.db.selectFrom('users').select('id').where('org_id', '=', shopA.orgId).execute()
    expect(seen.sort()).toEqual(inDb.map((u) => u.id).sort())
    const forged = await t.app.inject({ url: '/api/users?cursor=bm90LWpzb24', headers: admin })
    expect(forged.statusCode).toBe(400)
    expect(forged.json().error.code).toBe('PAGINATION_BAD_CURSOR')
  })

  it('keeps the demo login working (the seeded user is an org admin of a shop)', () => {
    expect(DEMO.user.email).toBe('demo@tendero.app')
  })
})

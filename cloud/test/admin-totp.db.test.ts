import { randomBytes, randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../src/config.js'
import { hashPassword } from '../src/modules/auth/password.js'
import { totpAt } from '../src/modules/auth/totp.js'
import type { Role } from '../src/modules/identity/permissions.js'
import { DEMO } from '../src/seed.js'
import { buildTestApp, type TestApp } from './support/app.js'
import { testDrivers } from './support/drivers.js'

// Issue 6: admins must use two-factor login. An admin who must and has not enrolled logs in
// with a password to a session that can only enrol; everything else answers 403
// AUTH_TOTP_ENROLLMENT_REQUIRED until they log in again with a code.

const PASSWORD = 'una-clave-larga-1'
const STEP_MS = 30_000

interface Person {
  id: string
  email: string
}

// Every login from its own address: the per-address rate limit is not under test here.
const anyIp = () => `10.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.${1 + Math.floor(Math.random() * 250)}`

/**
 * The current TOTP step, with at least 5 s of it left, so codes computed from it are still
 * within the server's one-step window however the requests straddle a step boundary.
 */
async function freshStep(): Promise<number> {
  const left = STEP_MS - (Date.now() % STEP_MS)
  if (left < 5000) await new Promise((resolve) => setTimeout(resolve, left + 50))
  return Math.floor(Date.now() / STEP_MS)
}

async function addOrg(app: FastifyInstance, requireAdminTotp?: boolean): Promise<string> {
  const id = randomUUID()
  // Without the column: the default new organizations get.
  await app.db
    .insertInto('organizations')
    .values({ id, name: `Tienda ${id.slice(0, 4)}`, kind: 'shop', ...(requireAdminTotp === undefined ? {} : { require_admin_totp: requireAdminTotp }) })
    .execute()
  return id
}

async function addPerson(app: FastifyInstance, orgId: string, role: Role): Promise<Person> {
  const email = `${role}.${randomBytes(4).toString('hex')}@tendero.test`
  const row = await app.db
    .insertInto('users')
    .values({ org_id: orgId, email, name: role, password_hash: await hashPassword(PASSWORD), role, locale: 'es-AR' })
    .returning('id')
    .executeTakeFirstOrThrow()
  return { id: row.id, email }
}

function login(app: FastifyInstance, who: Person, totpCode?: string) {
  return app.inject({ method: 'POST', url: '/api/auth/login', remoteAddress: anyIp(), payload: { email: who.email, password: PASSWORD, ...(totpCode ? { totpCode } : {}) } })
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })
const get = (app: FastifyInstance, url: string, token: string) => app.inject({ url, headers: bearer(token) })
const refresh = (app: FastifyInstance, refreshToken: string) => app.inject({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken } })

/** Setup and enable with a session's token; returns the secret and the step spent. */
async function enrol(app: FastifyInstance, token: string): Promise<{ secret: string; step: number }> {
  const setup = await app.inject({ method: 'POST', url: '/api/auth/totp/setup', headers: bearer(token) })
  expect(setup.statusCode, setup.body).toBe(200)
  const { secret, otpauthUri } = setup.json() as { secret: string; otpauthUri: string }
  expect(otpauthUri).toContain(`secret=${secret}`)
  const step = await freshStep()
  const enabled = await app.inject({ method: 'POST', url: '/api/auth/totp/enable', headers: bearer(token), payload: { code: totpAt(secret, step) } })
  expect(enabled.statusCode, enabled.body).toBe(200)
  return { secret, step }
}

function expectEnrollmentOnly(res: { statusCode: number; json(): { error: { code: string } } }, what: string) {
  expect(res.statusCode, what).toBe(403)
  expect(res.json().error.code, what).toBe('AUTH_TOTP_ENROLLMENT_REQUIRED')
}

describe.each(testDrivers())('admins must use two-factor login (%s)', (driver) => {
  let t: TestApp
  let app: FastifyInstance

  beforeAll(async () => {
    t = await buildTestApp(driver)
    app = t.app
  })
  afterAll(async () => t?.close())

  it('gives an admin without TOTP a session that can only enrol, then a full one after logging in with a code', async () => {
    const orgId = await addOrg(app)
    const admin = await addPerson(app, orgId, 'org_admin')

    const first = await login(app, admin)
    expect(first.statusCode, first.body).toBe(200)
    expect(first.json()).toMatchObject({ totpEnrollmentRequired: true, user: { role: 'org_admin', totpEnabled: false } })
    const restricted = first.json().token as string

    const me = await get(app, '/api/me', restricted)
    expect(me.statusCode, me.body).toBe(200)
    expect(me.json()).toMatchObject({ totpEnrollmentRequired: true, permissions: ['profile.self'] })
    // Routes the role holds are closed to this session, whatever their permission.
    expectEnrollmentOnly(await get(app, '/api/users', restricted), 'users.read')
    expectEnrollmentOnly(await get(app, '/api/audit', restricted), 'audit.read')
    expectEnrollmentOnly(await get(app, '/api/me/notification-preferences', restricted), 'notifications.self')
    expectEnrollmentOnly(await get(app, '/api/orgs/current/security', restricted), 'security.manage')
    expectEnrollmentOnly(await app.inject({ method: 'PATCH', url: '/api/orgs/current/security', headers: bearer(restricted), payload: { requireAdminTotp: false } }), 'security.manage')
    // Nothing else that reads tokens (Socket.IO) takes it either.
    await expect(app.userTokens.verify(restricted)).rejects.toMatchObject({ code: 'AUTH_UNAUTHORIZED' })

    // A refresh keeps it restricted.
    const refreshed = await refresh(app, first.json().refreshToken)
    expect(refreshed.statusCode, refreshed.body).toBe(200)
    expect(refreshed.json().totpEnrollmentRequired).toBe(true)
    expectEnrollmentOnly(await get(app, '/api/users', refreshed.json().token), 'users.read after refresh')

    const { secret, step } = await enrol(app, refreshed.json().token)
    // Enabling closed that login: its refresh token cannot become a full session.
    expect((await refresh(app, refreshed.json().refreshToken)).statusCode).toBe(401)
    const withoutCode = await login(app, admin)
    expect(withoutCode.statusCode).toBe(401)
    expect(withoutCode.json().error.code).toBe('AUTH_TOTP_REQUIRED')

    const full = await login(app, admin, totpAt(secret, step + 1))
    expect(full.statusCode, full.body).toBe(200)
    expect(full.json().totpEnrollmentRequired).toBeUndefined()
    expect(full.json().user.totpEnabled).toBe(true)
    const token = full.json().token as string
    expect((await get(app, '/api/users', token)).statusCode).toBe(200)
    const fullMe = (await get(app, '/api/me', token)).json()
    expect(fullMe.totpEnrollmentRequired).toBeUndefined()
    expect(fullMe.permissions).toEqual(expect.arrayContaining(['users.manage', 'security.manage']))
    // And it stays full across a refresh.
    const again = await refresh(app, full.json().refreshToken)
    expect(again.json().totpEnrollmentRequired).toBeUndefined()
  })

  it('leaves the other roles of an organization that requires it alone', async () => {
    const orgId = await addOrg(app, true)
    for (const role of ['viewer', 'operator', 'technician', 'owner'] as const) {
      const person = await addPerson(app, orgId, role)
      const res = await login(app, person)
      expect(res.statusCode, res.body).toBe(200)
      expect(res.json().totpEnrollmentRequired, role).toBeUndefined()
      const token = res.json().token as string
      expect((await get(app, '/api/me/notification-preferences', token)).statusCode, role).toBe(200)
      // Their role's own limits, as before.
      expect((await get(app, '/api/users', token)).json().error.code, role).toBe('AUTH_FORBIDDEN')
      expect((await refresh(app, res.json().refreshToken)).json().totpEnrollmentRequired, role).toBeUndefined()
    }
  })

  it('applies a policy turned on later at the next refresh, and audits the change', async () => {
    const orgId = await addOrg(app, false)
    const admin = await addPerson(app, orgId, 'org_admin')
    const other = await addPerson(app, orgId, 'org_admin')
    const viewer = await addPerson(app, orgId, 'viewer')
    const adminLogin = (await login(app, admin)).json()
    const viewerLogin = (await login(app, viewer)).json()
    expect(adminLogin.totpEnrollmentRequired).toBeUndefined()
    const otherToken = (await login(app, other)).json().token as string

    expect((await get(app, '/api/orgs/current/security', otherToken)).json()).toEqual({ requireAdminTotp: false })
    const patch = await app.inject({ method: 'PATCH', url: '/api/orgs/current/security', headers: bearer(otherToken), payload: { requireAdminTotp: true } })
    expect(patch.statusCode, patch.body).toBe(200)
    expect(patch.json()).toEqual({ requireAdminTotp: true })
    // The same value again changes nothing and writes no second row.
    expect((await app.inject({ method: 'PATCH', url: '/api/orgs/current/security', headers: bearer(otherToken), payload: { requireAdminTotp: true } })).statusCode).toBe(200)

    const trail = (await get(app, '/api/audit?action=org.security.update', otherToken)).json()
    expect(trail.items).toHaveLength(1)
    expect(trail.items[0]).toMatchObject({
      actorType: 'user',
      actorId: other.id,
      targetType: 'organization',
      targetId: orgId,
      before: { requireAdminTotp: false },
      after: { requireAdminTotp: true },
    })

    // An access token already issued lives out its minutes; the next refresh is restricted.
    expect((await get(app, '/api/users', adminLogin.token)).statusCode).toBe(200)
    const next = await refresh(app, adminLogin.refreshToken)
    expect(next.statusCode, next.body).toBe(200)
    expect(next.json().totpEnrollmentRequired).toBe(true)
    expectEnrollmentOnly(await get(app, '/api/users', next.json().token), 'users.read')
    // The viewer's next refresh is as before.
    const viewerNext = await refresh(app, viewerLogin.refreshToken)
    expect(viewerNext.json().totpEnrollmentRequired).toBeUndefined()
    expect((await get(app, '/api/me/notification-preferences', viewerNext.json().token)).statusCode).toBe(200)
  })

  it('refuses an admin turning TOTP off while the policy holds them to it', async () => {
    const orgId = await addOrg(app, true)
    const admin = await addPerson(app, orgId, 'org_admin')
    const token = (await login(app, admin)).json().token as string
    const { secret, step } = await enrol(app, token)
    // The code is not even looked at: the refusal does not depend on it.
    const refused = await app.inject({ method: 'POST', url: '/api/auth/totp/disable', headers: bearer(token), payload: { code: totpAt(secret, step + 1) } })
    expect(refused.statusCode).toBe(409)
    expect(refused.json().error.code).toBe('AUTH_TOTP_REQUIRED_BY_POLICY')
    expect((await app.db.selectFrom('users').select('totp_enabled').where('id', '=', admin.id).executeTakeFirstOrThrow()).totp_enabled).toBe(true)
    // With the policy off, the same request is the person's own choice again.
    await app.db.updateTable('organizations').set({ require_admin_totp: false }).where('id', '=', orgId).execute()
    // A wrong code is the request's fault, not the session's: 400, so clients do not log out.
    const wrong = await app.inject({ method: 'POST', url: '/api/auth/totp/disable', headers: bearer(token), payload: { code: totpAt(secret, step - 5) } })
    expect(wrong.statusCode).toBe(400)
    expect(wrong.json().error.code).toBe('AUTH_TOTP_INVALID')
    const allowed = await app.inject({ method: 'POST', url: '/api/auth/totp/disable', headers: bearer(token), payload: { code: totpAt(secret, step + 1) } })
    expect(allowed.statusCode, allowed.body).toBe(200)
    expect(allowed.json()).toEqual({ totpEnabled: false })
  })

  it('always holds platform admins to it, whatever their organization says, and new organizations start with it on', async () => {
    const orgId = await addOrg(app, false)
    const staff = await addPerson(app, orgId, 'platform_admin')
    const first = (await login(app, staff)).json()
    expect(first.totpEnrollmentRequired).toBe(true)
    expectEnrollmentOnly(await get(app, '/api/orgs', first.token), 'orgs.manage')

    const { secret, step } = await enrol(app, first.token)
    const disable = await app.inject({ method: 'POST', url: '/api/auth/totp/disable', headers: bearer(first.token), payload: { code: '000000' } })
    expect(disable.json().error.code).toBe('AUTH_TOTP_REQUIRED_BY_POLICY')
    const full = await login(app, staff, totpAt(secret, step + 1))
    expect(full.statusCode, full.body).toBe(200)
    expect(full.json().totpEnrollmentRequired).toBeUndefined()
    const token = full.json().token as string
    expect((await get(app, '/api/orgs', token)).statusCode).toBe(200)

    // An organization Tendero's staff creates holds its admins to two-factor login.
    const email = `primera.${randomBytes(3).toString('hex')}@tendero.test`
    const created = await app.inject({ method: 'POST', url: '/api/orgs', headers: bearer(token), payload: { name: 'Tienda nueva', kind: 'shop', admin: { email, name: 'Primera', password: PASSWORD } } })
    expect(created.statusCode, created.body).toBe(201)
    const firstAdmin = await login(app, { id: created.json().admin.id, email })
    expect(firstAdmin.json().totpEnrollmentRequired).toBe(true)
  })

  it('keeps the demo organization logging in with a password alone', async () => {
    const org = await app.db.selectFrom('organizations').select('require_admin_totp').where('id', '=', DEMO.organization.id).executeTakeFirstOrThrow()
    expect(org.require_admin_totp).toBe(false)
    const res = await app.inject({ method: 'POST', url: '/api/auth/login', remoteAddress: anyIp(), payload: { email: DEMO.user.email, password: DEMO.user.password } })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json().totpEnrollmentRequired).toBeUndefined()
    expect(res.json().user.role).toBe('org_admin')
  })

  describe('with PLATFORM_ADMIN_TOTP=optional', () => {
    let optional: TestApp

    beforeAll(async () => {
      optional = await buildTestApp(driver, { seedDemo: false, platformAdminTotp: 'optional' })
    })
    afterAll(async () => optional?.close())

    it("lets platform admins follow their organization's setting", async () => {
      const relaxed = await addPerson(optional.app, await addOrg(optional.app, false), 'platform_admin')
      expect((await login(optional.app, relaxed)).json().totpEnrollmentRequired).toBeUndefined()
      const strict = await addPerson(optional.app, await addOrg(optional.app, true), 'platform_admin')
      expect((await login(optional.app, strict)).json().totpEnrollmentRequired).toBe(true)
    })
  })

  it('accepts only required or optional for PLATFORM_ADMIN_TOTP', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tendero-totp-config-'))
    try {
      expect(loadConfig({ CLOUD_DATA_DIR: dataDir }).platformAdminTotp).toBe('required')
      expect(loadConfig({ CLOUD_DATA_DIR: dataDir, PLATFORM_ADMIN_TOTP: 'optional' }).platformAdminTotp).toBe('optional')
      expect(() => loadConfig({ CLOUD_DATA_DIR: dataDir, PLATFORM_ADMIN_TOTP: 'off' })).toThrow(/PLATFORM_ADMIN_TOTP/)
    } finally {
      rmSync(dataDir, { recursive: true, force: true })
    }
  })
})

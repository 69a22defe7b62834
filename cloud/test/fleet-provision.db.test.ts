import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CLAIM_ALPHABET, hashClaimCode, normalizeClaimCode } from '../src/modules/fleet/claim-code.js'
import { fleetDb } from '../src/modules/fleet/tables.js'
import { hashGatewayKey } from '../src/modules/ingest/repository.js'
import { DEMO } from '../src/seed.js'
import { addOrganization, buildTestApp, ingest, loginDemo, telemetryEvent, type TestApp } from './support/app.js'
import { testDrivers } from './support/drivers.js'

describe.each(testDrivers())('fleet provisioning (claim codes) on %s', (driver) => {
  let t: TestApp
  let token: string
  // Each test claims from its own address, so the per-address rate limit is one test's business.
  let address = 0
  const nextAddress = () => `10.0.0.${++address}`
  const createCode = (siteId: string, payload: object = {}, bearer = token) =>
    t.app.inject({ method: 'POST', url: `/api/sites/${siteId}/claim-codes`, headers: { authorization: `Bearer ${bearer}` }, payload })
  const claim = (payload: object, remoteAddress = '10.9.9.9') => t.app.inject({ method: 'POST', url: '/api/gateways/claim', payload, remoteAddress })
  const audit = (action: string) =>
    t.app.db.selectFrom('audit_log').selectAll().where('action', '=', action).orderBy('id').execute()

  beforeAll(async () => {
    t = await buildTestApp(driver)
    token = await loginDemo(t.app)
  })
  afterAll(async () => {
    await t?.close()
  })

  it('creates a short unambiguous code, stores only its hash, and audits it without the code', async () => {
    const res = await createCode(DEMO.site.id, { name: 'Gateway depósito' })
    expect(res.statusCode).toBe(201)
    const view = res.json()
    expect(view.code).toMatch(/^[A-Z2-9]{5}-[A-Z2-9]{5}$/)
    for (const ch of normalizeClaimCode(view.code)) expect(CLAIM_ALPHABET).toContain(ch)
    expect(view).toMatchObject({ siteId: DEMO.site.id, name: 'Gateway depósito' })
    const ttl = view.expiresAt - view.createdAt
    expect(ttl).toBeGreaterThan(24 * 3600_000 - 5000)
    expect(ttl).toBeLessThan(24 * 3600_000 + 5000)
    const rows = await fleetDb(t.app.db).selectFrom('gateway_claim_codes').selectAll().where('id', '=', view.id).execute()
    expect(rows).toHaveLength(1)
    expect(rows[0]!.code_hash).toBe(hashClaimCode(normalizeClaimCode(view.code)))
    expect(JSON.stringify(rows[0])).not.toContain(normalizeClaimCode(view.code))
    const entries = await audit('gateway.claim_code.create')
    const entry = entries.find((e) => e.target_id === view.id)
    expect(entry).toMatchObject({ org_id: DEMO.organization.id, actor_type: 'user', target_type: 'claim_code' })
    expect(JSON.stringify(entry)).not.toContain(normalizeClaimCode(view.code))
  })

  it("answers 404 for another organization's site and creates nothing", async () => {
    const other = await addOrganization(t.app)
    const before = await fleetDb(t.app.db).selectFrom('gateway_claim_codes').select('id').execute()
    for (const siteId of [other.siteId, randomUUID(), 'not-a-uuid']) {
      const res = await createCode(siteId)
      expect(res.statusCode).toBe(404)
      expect(res.json().error.code).toBe('SITE_NOT_FOUND')
    }
    expect(await fleetDb(t.app.db).selectFrom('gateway_claim_codes').select('id').execute()).toHaveLength(before.length)
  })

  it('refuses roles without fleet.provision (403) and anonymous callers (401)', async () => {
    const viewer = await t.app.userTokens.sign({ id: randomUUID(), orgId: DEMO.organization.id, role: 'owner' })
    expect((await createCode(DEMO.site.id, {}, viewer)).statusCode).toBe(403)
    const technician = await t.app.userTokens.sign({ id: randomUUID(), orgId: DEMO.organization.id, role: 'technician' })
    expect((await createCode(DEMO.site.id, {}, technician)).statusCode).toBe(201)
    const anonymous = await t.app.inject({ method: 'POST', url: `/api/sites/${DEMO.site.id}/claim-codes`, payload: {} })
    expect(anonymous.statusCode).toBe(401)
  })

  it('claims once: a gateway bound to the site, a key stored only as its hash, audited; the key ingests', async () => {
    const { code } = (await createCode(DEMO.site.id, {})).json()
    // Typed by hand: lower case, spaces instead of the dash.
    const typed = code.toLowerCase().replace('-', ' ')
    const res = await claim({ code: typed, name: 'Gateway caja', hardwareId: 'SN-0042' }, nextAddress())
    expect(res.statusCode).toBe(201)
    const creds = res.json()
    expect(creds).toMatchObject({ gatewayId: expect.stringMatching(/^gw-[a-z0-9]{10}$/), siteId: DEMO.site.id, name: 'Gateway caja' })
    expect(creds.gatewayKey.length).toBeGreaterThanOrEqual(40)
    const row = await fleetDb(t.app.db).selectFrom('gateways').selectAll().where('id', '=', creds.gatewayId).executeTakeFirstOrThrow()
    expect(row).toMatchObject({ org_id: DEMO.organization.id, site_id: DEMO.site.id, hardware_id: 'SN-0042', key_hash: hashGatewayKey(creds.gatewayKey) })
    expect(row.claimed_at).toBeInstanceOf(Date)
    const entry = (await audit('gateway.claim')).find((e) => e.target_id === creds.gatewayId)
    expect(entry).toMatchObject({ org_id: DEMO.organization.id, actor_type: 'gateway', actor_id: creds.gatewayId })
    expect(JSON.stringify(entry)).not.toContain(creds.gatewayKey)

    const up = await ingest(t.app, creds.gatewayKey, creds.gatewayId, [telemetryEvent(1, { temperature_c: 3.5 })])
    expect(up.statusCode).toBe(200)

    const again = await claim({ code }, nextAddress())
    expect(again.statusCode).toBe(409)
    expect(again.json().error.code).toBe('CLAIM_CODE_USED')
  })

  it('gives the same gateway a fresh key when it retries with its nonce (lost reply), and no one else', async () => {
    const { code } = (await createCode(DEMO.site.id, {})).json()
    const nonce = 'nonce-0123456789abcdef'
    const first = (await claim({ code, nonce }, nextAddress())).json()
    const retry = await claim({ code, nonce }, nextAddress())
    expect(retry.statusCode).toBe(201)
    expect(retry.json()).toMatchObject({ gatewayId: first.gatewayId, siteId: DEMO.site.id, name: first.name })
    expect(retry.json().gatewayKey).not.toBe(first.gatewayKey)
    // The key the lost reply carried no longer works; the new one does.
    expect((await ingest(t.app, first.gatewayKey, first.gatewayId, [telemetryEvent(1, { temperature_c: 4 })])).statusCode).toBe(401)
    expect((await ingest(t.app, retry.json().gatewayKey, first.gatewayId, [telemetryEvent(1, { temperature_c: 4 })])).statusCode).toBe(200)
    for (const other of [{ code, nonce: 'nonce-someone-else-000' }, { code }]) {
      const res = await claim(other, nextAddress())
      expect(res.statusCode).toBe(409)
      expect(res.json().error.code).toBe('CLAIM_CODE_USED')
    }
    expect(await t.app.db.selectFrom('gateways').select('id').where('id', '=', first.gatewayId).execute()).toHaveLength(1)
    expect((await audit('gateway.claim.retry')).filter((e) => e.target_id === first.gatewayId)).toHaveLength(1)
  })

  it('names the gateway as the technician did, over what the gateway proposes', async () => {
    const { code } = (await createCode(DEMO.site.id, { name: 'Gateway heladera' })).json()
    const creds = (await claim({ code, name: 'otro nombre' }, nextAddress())).json()
    expect(creds.name).toBe('Gateway heladera')
  })

  it('lets exactly one of two concurrent claims of a code win', async () => {
    const { code } = (await createCode(DEMO.site.id, {})).json()
    const results = await Promise.all([claim({ code }, nextAddress()), claim({ code }, nextAddress())])
    expect(results.map((r) => r.statusCode).sort()).toEqual([201, 409])
    const claimed = await fleetDb(t.app.db).selectFrom('gateway_claim_codes').select(['gateway_id']).where('code_hash', '=', hashClaimCode(normalizeClaimCode(code))).execute()
    expect(claimed[0]!.gateway_id).toBe(results.find((r) => r.statusCode === 201)!.json().gatewayId)
  })

  it('refuses an expired code (410) and an unknown or malformed one (404), creating no gateway', async () => {
    const { id, code } = (await createCode(DEMO.site.id, { expiresInHours: 1 })).json()
    await fleetDb(t.app.db).updateTable('gateway_claim_codes').set({ expires_at: new Date(Date.now() - 1000) }).where('id', '=', id).execute()
    const gatewaysBefore = await t.app.db.selectFrom('gateways').select('id').execute()
    const expired = await claim({ code }, nextAddress())
    expect(expired.statusCode).toBe(410)
    expect(expired.json().error.code).toBe('CLAIM_CODE_EXPIRED')
    for (const guess of ['ABCDE-FGHJK', 'short', '0000000000']) {
      const res = await claim({ code: guess }, nextAddress())
      expect(res.statusCode).toBe(404)
      expect(res.json().error.code).toBe('CLAIM_CODE_INVALID')
    }
    expect(await t.app.db.selectFrom('gateways').select('id').execute()).toHaveLength(gatewaysBefore.length)
    // The expired code stays unspent.
    const row = await fleetDb(t.app.db).selectFrom('gateway_claim_codes').select(['used_at']).where('id', '=', id).executeTakeFirstOrThrow()
    expect(row.used_at).toBeNull()
  })

  it("answers another tenant's code exactly as it answers the caller's: the code alone decides", async () => {
    const other = await addOrganization(t.app)
    const otherAdmin = await t.app.userTokens.sign({ id: randomUUID(), orgId: other.orgId, role: 'org_admin' })
    const theirs = (await createCode(other.siteId, {}, otherAdmin)).json()
    const creds = (await claim({ code: theirs.code }, nextAddress())).json()
    expect(creds.siteId).toBe(other.siteId)
    // Ours cannot see it: fleet lists are per organization.
    const list = await t.app.inject({ method: 'GET', url: '/api/gateways?limit=500', headers: { authorization: `Bearer ${token}` } })
    expect(list.json().items.map((g: { id: string }) => g.id)).not.toContain(creds.gatewayId)
  })

  it('lists a site\'s codes newest first without the codes, and revokes an open one (audited) so it cannot be claimed', async () => {
    const { siteId, orgId } = await addOrganization(t.app)
    const admin = await t.app.userTokens.sign({ id: randomUUID(), orgId, role: 'org_admin' })
    const as = (method: 'GET' | 'DELETE', url: string) => t.app.inject({ method, url, headers: { authorization: `Bearer ${admin}` } })
    const made: { id: string; code: string }[] = []
    for (const name of ['uno', 'dos', 'tres']) made.push((await createCode(siteId, { name }, admin)).json())
    await claim({ code: made[0]!.code }, nextAddress())

    const first = (await as('GET', `/api/sites/${siteId}/claim-codes?limit=2`)).json()
    const second = (await as('GET', `/api/sites/${siteId}/claim-codes?limit=2&cursor=${first.nextCursor}`)).json()
    const items = [...first.items, ...second.items]
    expect(second.nextCursor).toBeNull()
    expect(items.map((i: { name: string }) => i.name)).toEqual(['tres', 'dos', 'uno'])
    expect(items.map((i: { status: string }) => i.status)).toEqual(['open', 'open', 'used'])
    expect(items[2].gatewayId).toMatch(/^gw-/)
    expect(JSON.stringify(items)).not.toContain(made[1]!.code)

    const revoked = await as('DELETE', `/api/sites/${siteId}/claim-codes/${made[1]!.id}`)
    expect(revoked.statusCode).toBe(200)
    expect(revoked.json().status).toBe('expired')
    const res = await claim({ code: made[1]!.code }, nextAddress())
    expect(res.json().error.code).toBe('CLAIM_CODE_EXPIRED')
    expect((await audit('gateway.claim_code.revoke')).filter((e) => e.target_id === made[1]!.id)).toHaveLength(1)
    // Another organization's code, or site, is not found from here.
    expect((await createCode(DEMO.site.id, {}, admin)).statusCode).toBe(404)
    const ours = (await createCode(DEMO.site.id, {})).json()
    expect((await as('DELETE', `/api/sites/${DEMO.site.id}/claim-codes/${ours.id}`)).json().error.code).toBe('SITE_NOT_FOUND')
    expect((await as('DELETE', `/api/sites/${siteId}/claim-codes/${ours.id}`)).json().error.code).toBe('CLAIM_CODE_NOT_FOUND')
    expect((await claim({ code: ours.code }, nextAddress())).statusCode).toBe(201)
  })

  it('rate-limits claims per address with 429 and Retry-After, other addresses unaffected', async () => {
    const ip = nextAddress()
    const codes = []
    for (let i = 0; i < 10; i++) codes.push((await claim({ code: 'ZZZZZ-ZZZZZ' }, ip)).statusCode)
    expect(codes).toEqual(Array(10).fill(404))
    const limited = await claim({ code: 'ZZZZZ-ZZZZZ' }, ip)
    expect(limited.statusCode).toBe(429)
    expect(limited.json().error.code).toBe('CLAIM_RATE_LIMITED')
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0)
    expect((await claim({ code: 'ZZZZZ-ZZZZZ' }, nextAddress())).statusCode).toBe(404)
  })
})

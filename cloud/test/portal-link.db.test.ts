import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { listMail } from '../src/modules/mail/queue.js'
import { WRONG_PER_ADDRESS, WRONG_PER_ORG } from '../src/modules/crm/portal-links.js'
import { crmDb } from '../src/modules/crm/tables.js'
import { buildTestApp, type TestApp } from './support/app.js'
import { testDrivers } from './support/drivers.js'
import { addLeasingOrg } from './support/leasing-fixtures.js'

// Portal links (issue 8): a mall invites its tenant contact with a one-time code; the
// shop's admin redeems it and only then sees the lease. Codes are hashed, expire, work
// once, are rate limited per organization and per address, and everything is audited.
// Also: the mall logs an incident itself, and the shop sees it in its portal.

type Org = Awaited<ReturnType<typeof addLeasingOrg>>
const CODE = /^[A-HJKMNP-Z2-9]{5}-[A-HJKMNP-Z2-9]{5}$/

describe.each(testDrivers())('portal links (%s)', (driver) => {
  let t: TestApp
  let mall: Org
  let shop: Org
  let rival: Org
  let mallId: string
  let contactId: string
  let leaseId: string
  let spaceId: string
  let n = 0
  const ip = () => `198.51.100.${(n++ % 200) + 1}`

  const call = (org: Org, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object, remoteAddress = ip()) =>
    t.app.inject({ method, url, remoteAddress, headers: { authorization: `Bearer ${org.token}` }, ...(payload ? { payload } : {}) })
  const ok = async (org: Org, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) => {
    const res = await call(org, method, url, payload)
    expect(res.statusCode, `${method} ${url}: ${res.body}`).toBeLessThan(300)
    return res.json()
  }
  const invite = (org: Org, id: string, payload: object = {}) => ok(org, 'POST', `/api/crm/contacts/${id}/portal-invitations`, payload)
  const redeem = (org: Org, code: string, remoteAddress?: string) => call(org, 'POST', '/api/portal/links', { code }, remoteAddress)
  const audit = (orgId: string, action: string) =>
    t.app.db.selectFrom('audit_log').select(['action', 'target_id']).where('org_id', '=', orgId).where('action', '=', action).execute()
  const newTenant = async (name: string) => {
    const c = await ok(mall, 'POST', '/api/crm/contacts', { kind: 'customer', name, email: `${name.normalize('NFD').replace(/[^A-Za-z ]/g, '').toLowerCase().replace(/ +/g, '.')}@tendero.test` })
    const space = await ok(mall, 'POST', '/api/leasing/spaces', { mallId, code: `L-${n++}`, areaCentiM2: 3_000, type: 'local', baseRentMinor: 1, currency: 'ARS' })
    const lease = await ok(mall, 'POST', '/api/leasing/leases', { tenantContactId: c.id, spaceIds: [space.id], startsOn: '2026-01-01', endsOn: '2028-12-31', rentMinor: 30_000_000, currency: 'ARS' })
    return { contactId: c.id as string, leaseId: lease.id as string, spaceId: space.id as string }
  }

  beforeAll(async () => {
    t = await buildTestApp(driver, { seedDemo: false })
    mall = await addLeasingOrg(t.app, 'Paseo del Sol', 'operator')
    shop = await addLeasingOrg(t.app, 'Heladería Norte', 'shop')
    rival = await addLeasingOrg(t.app, 'Otro shopping', 'operator')
    mallId = (await ok(mall, 'POST', '/api/leasing/malls', { name: 'Paseo del Sol Centro' })).id
    ;({ contactId, leaseId, spaceId } = await newTenant('Heladería Norte SRL'))
  }, 120_000)
  afterAll(async () => t?.close())

  it('links a contact only through a one-time code its shop redeems, stored hashed and mailed on request', async () => {
    expect((await ok(shop, 'GET', '/api/portal/leases')).items).toEqual([])
    const inv = await invite(mall, contactId, { sendEmail: true })
    expect(inv.code).toMatch(CODE)
    expect(inv.mailedTo).toBe('heladeria.norte.srl@tendero.test')
    expect(inv.expiresAt - Date.now()).toBeGreaterThan(13.9 * 86_400_000)
    // Stored as a hash: no column of the row holds the code.
    const { rows } = await sql<{ row: string }>`select t::text as row from crm_portal_invitations t where id = ${inv.id}::uuid`.execute(t.app.db)
    expect(rows[0]!.row).not.toContain(inv.code.replace('-', ''))
    const mail = await listMail(t.app.db, mall.orgId, { kind: 'crm.portal_invitation' })
    expect(mail).toHaveLength(1)
    expect(mail[0]).toMatchObject({ to: 'heladeria.norte.srl@tendero.test' })
    // The mall sees the pending invitation, never its code.
    const pending = await ok(mall, 'GET', `/api/crm/contacts/${contactId}/portal-link`)
    expect(pending).toMatchObject({ linked: null, invitation: { id: inv.id, mailedTo: inv.mailedTo } })
    expect(JSON.stringify(pending)).not.toContain(inv.code)

    // A wrong code: one clear answer, counted and audited.
    const wrong = await redeem(shop, 'ABCDE-FGHJK')
    expect(wrong.statusCode).toBe(404)
    expect(wrong.json().error.code).toBe('PORTAL_LINK_CODE_INVALID')
    expect(await audit(shop.orgId, 'portal.link.wrong_code')).toHaveLength(1)
    // Case, spaces and dashes do not matter.
    const linked = await redeem(shop, ` ${inv.code.toLowerCase().replace('-', ' ')} `)
    expect(linked.statusCode, linked.body).toBe(201)
    expect(linked.json()).toMatchObject({ contactId, contactName: 'Heladería Norte SRL', orgId: mall.orgId, orgName: 'Paseo del Sol' })
    expect((await ok(shop, 'GET', '/api/portal/leases')).items.map((l: { id: string }) => l.id)).toEqual([leaseId])
    expect((await ok(shop, 'GET', '/api/portal/links')).items).toEqual([expect.objectContaining({ contactId, orgName: 'Paseo del Sol' })])
    expect((await ok(mall, 'GET', `/api/crm/contacts/${contactId}`)).linkedOrgId).toBe(shop.orgId)
    expect(await ok(mall, 'GET', `/api/crm/contacts/${contactId}/portal-link`)).toMatchObject({ linked: { orgId: shop.orgId, orgName: 'Heladería Norte' }, invitation: null })
    expect(await audit(shop.orgId, 'portal.link.create')).toEqual([{ action: 'portal.link.create', target_id: contactId }])
    expect(await audit(mall.orgId, 'crm.portal_link.redeemed')).toEqual([{ action: 'crm.portal_link.redeemed', target_id: contactId }])
    expect(await audit(mall.orgId, 'crm.portal_invitation.create')).toHaveLength(1)

    // Works once; a linked contact gets no new code until the link is revoked.
    expect((await redeem(rival, inv.code)).statusCode).toBe(404)
    expect((await redeem(shop, inv.code)).statusCode).toBe(404)
    const again = await call(mall, 'POST', `/api/crm/contacts/${contactId}/portal-invitations`, {})
    expect(again.statusCode).toBe(409)
    expect(again.json().error.code).toBe('CRM_CONTACT_ALREADY_LINKED')
  })

  it("answers 404 to another organization's contact ids and links, changing nothing", async () => {
    const before = await crmDb(t.app.db).selectFrom('crm_portal_invitations').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()
    for (const [method, url] of [['POST', `/api/crm/contacts/${contactId}/portal-invitations`], ['GET', `/api/crm/contacts/${contactId}/portal-link`], ['DELETE', `/api/crm/contacts/${contactId}/portal-link`]] as const) {
      const res = await call(rival, method, url, method === 'POST' ? {} : undefined)
      expect(res.statusCode, `${method} ${url}`).toBe(404)
    }
    // Only the linked organization may unlink; a malformed id is a 404 too.
    expect((await call(rival, 'DELETE', `/api/portal/links/${contactId}`)).statusCode).toBe(404)
    expect((await call(mall, 'DELETE', `/api/portal/links/${contactId}`)).statusCode).toBe(404)
    expect((await call(shop, 'DELETE', '/api/portal/links/not-a-uuid')).statusCode).toBe(404)
    expect((await ok(rival, 'GET', '/api/portal/links')).items).toEqual([])
    const after = await crmDb(t.app.db).selectFrom('crm_portal_invitations').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()
    expect(Number(after.n)).toBe(Number(before.n))
    expect((await ok(mall, 'GET', `/api/crm/contacts/${contactId}`)).linkedOrgId).toBe(shop.orgId)
  })

  it('lets the shop unlink and the mall revoke, each in both trails', async () => {
    const unlinked = await call(shop, 'DELETE', `/api/portal/links/${contactId}`)
    expect(unlinked.statusCode, unlinked.body).toBe(200)
    expect((await ok(shop, 'GET', '/api/portal/leases')).items).toEqual([])
    expect((await ok(shop, 'GET', '/api/portal/links')).items).toEqual([])
    expect((await ok(mall, 'GET', `/api/crm/contacts/${contactId}/portal-link`)).linked).toBeNull()
    expect(await audit(mall.orgId, 'crm.portal_link.unlinked')).toHaveLength(1)
    expect((await call(mall, 'DELETE', `/api/crm/contacts/${contactId}/portal-link`)).json().error.code).toBe('CRM_PORTAL_NOTHING_TO_REVOKE')

    // A second invitation makes the first stop working.
    const first = await invite(mall, contactId)
    const second = await invite(mall, contactId)
    expect((await redeem(shop, first.code)).statusCode).toBe(404)
    expect((await redeem(shop, second.code)).statusCode).toBe(201)
    const revoked = await call(mall, 'DELETE', `/api/crm/contacts/${contactId}/portal-link`)
    expect(revoked.statusCode, revoked.body).toBe(200)
    expect(revoked.json()).toMatchObject({ linked: null, invitation: null })
    expect((await ok(shop, 'GET', '/api/portal/leases')).items).toEqual([])
    expect(await audit(shop.orgId, 'portal.link.revoked')).toHaveLength(1)
    expect(await audit(mall.orgId, 'crm.portal_link.revoke')).toHaveLength(1)

    // Revoking a pending invitation kills its code; an expired code is refused the same way.
    const pending = await invite(mall, contactId)
    expect((await call(mall, 'DELETE', `/api/crm/contacts/${contactId}/portal-link`)).statusCode).toBe(200)
    expect((await redeem(shop, pending.code)).statusCode).toBe(404)
    const late = await invite(mall, contactId)
    await crmDb(t.app.db).updateTable('crm_portal_invitations')
      .set({ expires_at: new Date(Date.now() - 1000) }).where('id', '=', late.id).execute()
    expect((await redeem(shop, late.code)).statusCode).toBe(404)
  })

  it('redeems a code once when two organizations race for it', async () => {
    const other = await newTenant('Ferretería Sur')
    const inv = await invite(mall, other.contactId)
    const racer = await addLeasingOrg(t.app, 'Ferretería Sur', 'shop')
    const answers = await Promise.all([redeem(racer, inv.code), redeem(rival, inv.code)])
    expect(answers.map((a) => a.statusCode).sort()).toEqual([201, 404])
    const winner = answers[0]!.statusCode === 201 ? racer : rival
    expect((await ok(mall, 'GET', `/api/crm/contacts/${other.contactId}`)).linkedOrgId).toBe(winner.orgId)
  })

  it('rate-limits wrong codes per organization and per address, right code or not', async () => {
    const guesser = await addLeasingOrg(t.app, 'Adivino', 'shop')
    const target = await newTenant('Óptica Central')
    const inv = await invite(mall, target.contactId)
    for (let i = 0; i < WRONG_PER_ORG; i++) expect((await redeem(guesser, `WRONG-${i}AAAA`)).statusCode).toBe(404)
    const limited = await redeem(guesser, inv.code)
    expect(limited.statusCode).toBe(429)
    expect(limited.json().error.code).toBe('PORTAL_LINK_RATE_LIMITED')
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0)
    expect(await audit(guesser.orgId, 'portal.link.rate_limited')).toHaveLength(1)

    // Guesses sent all at once: no more than the limit are ever evaluated.
    const burst = await addLeasingOrg(t.app, 'Ráfaga', 'shop')
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => redeem(burst, `RAFAGA${i}XXXX`)))
    const codes = answers.map((a) => a.statusCode)
    expect(codes.filter((c) => c === 404).length).toBeLessThanOrEqual(WRONG_PER_ORG)
    expect(codes.filter((c) => c === 429).length).toBeGreaterThanOrEqual(12 - WRONG_PER_ORG)
    expect(codes.every((c) => c === 404 || c === 429)).toBe(true)

    // One address spreading guesses over organizations meets its own limit.
    const address = '203.0.113.50'
    const spread = [await addLeasingOrg(t.app, 'Uno', 'shop'), await addLeasingOrg(t.app, 'Dos', 'shop'), await addLeasingOrg(t.app, 'Tres', 'shop')]
    for (let i = 0; i < WRONG_PER_ADDRESS; i++) expect((await redeem(spread[i % 3]!, `NOPE${i}`, address)).statusCode).toBe(404)
    expect((await redeem(spread[0]!, inv.code, address)).statusCode).toBe(429)
    // The code still works from elsewhere, for an organization under its limit.
    expect((await redeem(spread[1]!, inv.code, '192.0.2.77')).statusCode).toBe(201)
    // The attempts only serve the limit: the job forgets them after a day.
    const pruned = await t.app.jobs.run('crm.portal-link-attempts.prune', new Date(Date.now() + 2 * 86_400_000))
    expect(pruned).toBeGreaterThan(0)
    expect((await redeem(guesser, 'AFTER-ADAY1')).statusCode).toBe(404)
  })

  it('takes an incident the mall logs itself, in its inbox and in the tenant portal', async () => {
    // The shop spent its wrong-code budget above (that is the rule); the window moved on.
    await sql`delete from crm_portal_link_attempts where org_id = ${shop.orgId}::uuid`.execute(t.app.db)
    const inv = await invite(mall, contactId)
    expect((await redeem(shop, inv.code)).statusCode).toBe(201)
    const res = await call(mall, 'POST', '/api/leasing/incidents', { leaseId, spaceId, category: 'electricidad', description: 'Corte programado en el pasillo B' })
    expect(res.statusCode, res.body).toBe(201)
    const incident = res.json()
    expect(incident).toMatchObject({ source: 'mall', status: 'open', leaseId, spaceId })
    expect((await ok(mall, 'GET', '/api/leasing/incidents')).items).toContainEqual(expect.objectContaining({ id: incident.id, source: 'mall' }))
    expect((await ok(shop, 'GET', '/api/portal/incidents')).items).toContainEqual(expect.objectContaining({ id: incident.id, source: 'mall' }))
    const tenantMail = await listMail(t.app.db, mall.orgId, { dedupPrefix: `lease-incident:${incident.id}:tenant` })
    expect(tenantMail).toEqual([expect.objectContaining({ to: 'heladeria.norte.srl@tendero.test' })])
    expect(await audit(mall.orgId, 'leasing.incident.create')).toEqual([{ action: 'leasing.incident.create', target_id: incident.id }])
    // The shop reports its own too; both are in the mall's inbox.
    const reported = await ok(shop, 'POST', '/api/portal/incidents', { leaseId, category: 'agua', description: 'Pierde la canilla' })
    expect(reported.source).toBe('tenant')
    expect((await ok(mall, 'GET', '/api/leasing/incidents')).items.map((i: { id: string }) => i.id)).toEqual(expect.arrayContaining([incident.id, reported.id]))

    // Not on another organization's lease (nor by the shop on the mall's), nor a space the lease does not hold; nothing written.
    expect((await call(rival, 'POST', '/api/leasing/incidents', { leaseId, category: 'otro', description: 'x' })).statusCode).toBe(404)
    expect((await call(shop, 'POST', '/api/leasing/incidents', { leaseId, category: 'otro', description: 'x' })).statusCode).toBe(404)
    const foreign = await newTenant('Kiosco Este')
    expect((await call(mall, 'POST', '/api/leasing/incidents', { leaseId, spaceId: foreign.spaceId, category: 'otro', description: 'x' })).statusCode).toBe(404)
    expect((await call(mall, 'POST', '/api/leasing/incidents', { leaseId, category: 'inventada', description: 'x' })).statusCode).toBe(400)
    expect((await ok(mall, 'GET', '/api/leasing/incidents')).items).toHaveLength(2)
    // Another shop's portal does not see it; once unlinked, neither does this one.
    expect((await ok(rival, 'GET', '/api/portal/incidents')).items.map((i: { id: string }) => i.id)).not.toContain(incident.id)
    expect((await call(shop, 'DELETE', `/api/portal/links/${contactId}`)).statusCode).toBe(200)
    expect((await ok(shop, 'GET', '/api/portal/incidents')).items.map((i: { id: string }) => i.id)).toEqual([reported.id])
  })

  it('explains a score as data the dashboard words in the reader\'s language', async () => {
    await ok(mall, 'POST', '/api/crm/scoring-rules', { name: 'Tiene email', condition: { type: 'has_email' }, points: 10 })
    await ok(mall, 'POST', '/api/crm/scoring-rules', { name: 'Rosario', condition: { type: 'city_in', values: ['Rosario'] }, points: 5 })
    const breakdown = await ok(mall, 'GET', `/api/crm/contacts/${contactId}/score`)
    expect(breakdown.rules).toEqual([
      expect.objectContaining({ name: 'Tiene email', matched: true, condition: { type: 'has_email' }, observed: { present: true } }),
      expect.objectContaining({ name: 'Rosario', matched: false, condition: { type: 'city_in', values: ['Rosario'] }, observed: { value: null } }),
    ])
  })
})

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { listMail } from '../src/modules/mail/queue.js'
import { buildTestApp, type TestApp } from './support/app.js'
import { testDrivers } from './support/drivers.js'
import { addContact, addLeasingOrg } from './support/leasing-fixtures.js'

// The tenant portal's lease side (issue 8): a shop on Tendero sees its own leases at its
// mall, read-only, and reports incidents the mall then works through.

type Org = Awaited<ReturnType<typeof addLeasingOrg>>

describe.each(testDrivers())('leasing: tenant portal (%s)', (driver) => {
  let t: TestApp
  let mall: Org
  let heladeria: Org
  let ferreteria: Org
  let kiosco: Org
  const leases: Record<string, string> = {}
  const spaces: Record<string, string> = {}

  const call = (org: Org, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) =>
    t.app.inject({ method, url, headers: { authorization: `Bearer ${org.token}` }, ...(payload ? { payload } : {}) })
  const ok = async (org: Org, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) => {
    const res = await call(org, method, url, payload)
    expect(res.statusCode, `${method} ${url}: ${res.body}`).toBeLessThan(300)
    return res.json()
  }

  beforeAll(async () => {
    t = await buildTestApp(driver, { seedDemo: false })
    mall = await addLeasingOrg(t.app, 'Malplaza', 'operator')
    heladeria = await addLeasingOrg(t.app, 'Heladería Sol', 'shop')
    ferreteria = await addLeasingOrg(t.app, 'Ferretería Norte', 'shop')
    kiosco = await addLeasingOrg(t.app, 'Kiosco sin contrato', 'shop')
    const mallId = (await ok(mall, 'POST', '/api/leasing/malls', { name: 'Malplaza Centro' })).id
    const tenants = {
      heladeria: await addContact(t.app, mall.orgId, { name: 'Heladería Sol SRL', linkedOrgId: heladeria.orgId }),
      ferreteria: await addContact(t.app, mall.orgId, { name: 'Ferretería Norte SA', linkedOrgId: ferreteria.orgId }),
      // A tenant that is not on Tendero: nobody sees its lease through the portal.
      offline: await addContact(t.app, mall.orgId, { name: 'Óptica Central' }),
    }
    for (const [name, contactId] of Object.entries(tenants)) {
      spaces[name] = (await ok(mall, 'POST', '/api/leasing/spaces', { mallId, code: `L-${name}`, areaCentiM2: 4_000, type: 'local', baseRentMinor: 1, currency: 'ARS' })).id
      leases[name] = (await ok(mall, 'POST', '/api/leasing/leases', { tenantContactId: contactId, spaceIds: [spaces[name]], startsOn: '2026-01-01', endsOn: '2028-12-31', rentMinor: 45_000_000, currency: 'ARS' })).id
    }
    await ok(mall, 'POST', '/api/leasing/rent-runs', { period: '2026-02' })
    // The mall's own contact for the heladería at another operator does not leak either.
    const other = await addLeasingOrg(t.app, 'Otro shopping', 'operator')
    const otherMall = (await ok(other, 'POST', '/api/leasing/malls', { name: 'Otro' })).id
    const otherSpace = (await ok(other, 'POST', '/api/leasing/spaces', { mallId: otherMall, code: 'Z-1', areaCentiM2: 100, type: 'kiosco', baseRentMinor: 1, currency: 'USD' })).id
    const otherTenant = await addContact(t.app, other.orgId, { name: 'Heladería Sol (sucursal)', linkedOrgId: heladeria.orgId })
    leases.elsewhere = (await ok(other, 'POST', '/api/leasing/leases', { tenantContactId: otherTenant, spaceIds: [otherSpace], startsOn: '2026-01-01', endsOn: '2026-12-31', rentMinor: 90_000, currency: 'USD' })).id
  }, 120_000)
  afterAll(async () => t?.close())

  it('shows a shop its own leases, at every mall, with spaces and charges, and nothing of other tenants', async () => {
    const mine = await ok(heladeria, 'GET', '/api/portal/leases')
    expect(mine.items.map((l: { id: string }) => l.id).sort()).toEqual([leases.heladeria, leases.elsewhere].sort())
    const atMall = mine.items.find((l: { id: string }) => l.id === leases.heladeria)
    expect(atMall).toMatchObject({ mallName: 'Malplaza Centro', landlordName: 'Malplaza', rentMinor: 45_000_000, currency: 'ARS', spaces: [{ code: 'L-heladeria' }] })
    expect(atMall.charges).toEqual([expect.objectContaining({ period: '2026-02', kind: 'rent', amountMinor: 45_000_000 })])
    expect(Array.isArray(atMall.projection)).toBe(true)
    const body = JSON.stringify(mine)
    for (const other of [leases.ferreteria, leases.offline, 'Ferretería', 'Óptica']) expect(body).not.toContain(other)

    expect((await ok(ferreteria, 'GET', '/api/portal/leases')).items.map((l: { id: string }) => l.id)).toEqual([leases.ferreteria])
    expect((await ok(kiosco, 'GET', '/api/portal/leases')).items).toEqual([])
    // The portal is read-only: the shop cannot reach the mall's lease routes for it.
    expect((await call(heladeria, 'GET', `/api/leasing/leases/${leases.heladeria}`)).statusCode).toBe(404)
    expect((await call(heladeria, 'POST', `/api/leasing/leases/${leases.heladeria}/terminate`, { on: '2026-06-30', reason: 'me voy' })).statusCode).toBe(404)
  })

  it('takes an incident from the shop, mails the mall\'s admins, and lets the mall work it through', async () => {
    const created = await call(heladeria, 'POST', '/api/portal/incidents', { leaseId: leases.heladeria, spaceId: spaces.heladeria, category: 'climatizacion', description: 'El aire acondicionado gotea sobre el mostrador' })
    expect(created.statusCode, created.body).toBe(201)
    const incident = created.json()
    expect(incident).toMatchObject({ status: 'open', category: 'climatizacion', leaseId: leases.heladeria })
    // Not on another tenant's lease, nor on a space the lease does not hold.
    expect((await call(heladeria, 'POST', '/api/portal/incidents', { leaseId: leases.ferreteria, category: 'otro', description: 'x' })).statusCode).toBe(404)
    expect((await call(heladeria, 'POST', '/api/portal/incidents', { leaseId: leases.heladeria, spaceId: spaces.ferreteria, category: 'otro', description: 'x' })).statusCode).toBe(404)
    expect((await call(kiosco, 'POST', '/api/portal/incidents', { leaseId: leases.offline, category: 'otro', description: 'x' })).statusCode).toBe(404)

    const mail = await listMail(t.app.db, mall.orgId, { kind: 'leasing.incident' })
    expect(mail).toEqual([expect.objectContaining({ to: mall.email, subject: 'Nueva incidencia / New incident: climatizacion (Heladería Sol SRL)' })])

    const atMall = await ok(mall, 'GET', '/api/leasing/incidents?status=open')
    expect(atMall.items.map((i: { id: string }) => i.id)).toEqual([incident.id])
    expect((await ok(mall, 'PATCH', `/api/leasing/incidents/${incident.id}`, { status: 'in_progress' })).status).toBe('in_progress')
    const resolved = await ok(mall, 'PATCH', `/api/leasing/incidents/${incident.id}`, { status: 'resolved' })
    expect(resolved.status).toBe('resolved')
    expect(resolved.resolvedAt).not.toBeNull()
    // The shop follows it on its side; another shop sees nothing, nor can it change it.
    expect((await ok(heladeria, 'GET', '/api/portal/incidents')).items).toEqual([expect.objectContaining({ id: incident.id, status: 'resolved' })])
    expect((await ok(ferreteria, 'GET', '/api/portal/incidents')).items).toEqual([])
    expect((await call(heladeria, 'PATCH', `/api/leasing/incidents/${incident.id}`, { status: 'open' })).statusCode).toBe(404)
    expect((await ok(ferreteria, 'GET', '/api/leasing/incidents')).items).toEqual([])
  })
})

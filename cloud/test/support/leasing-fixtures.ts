import { randomBytes } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { contactsDb } from '../../src/modules/common/contacts.js'

/**
 * Leasing objects for tests: one of each made through the API as an org admin, the path
 * params of every leasing route that has one, and the organization's row counts in the
 * leasing tables (a replay by another tenant must change none).
 */

export const LEASING_TABLES = [
  'leasing_malls', 'leasing_zones', 'leasing_spaces', 'leasing_index_tables', 'leasing_index_values', 'leasing_leases', 'leasing_rent_steps',
  'leasing_lease_spaces', 'leasing_meters', 'leasing_tariffs', 'leasing_charges', 'leasing_incidents',
] as const

/** A contact of the organization (the CRM's table; its routes are the CRM's), optionally a shop on Tendero. */
export async function addContact(app: FastifyInstance, orgId: string, opts: { name?: string; email?: string | null; linkedOrgId?: string | null } = {}): Promise<string> {
  const row = await contactsDb(app.db)
    .insertInto('contacts')
    .values({
      org_id: orgId,
      kind: 'customer',
      name: opts.name ?? `Inquilino ${randomBytes(2).toString('hex')}`,
      email: opts.email === undefined ? `inquilino.${randomBytes(3).toString('hex')}@tendero.test` : opts.email,
      linked_org_id: opts.linkedOrgId ?? null,
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  return row.id
}

export async function leasingFixture(
  app: FastifyInstance,
  orgAdminToken: string,
  org: { orgId: string; siteId: string },
): Promise<{ params: Record<string, Record<string, string>>; ids: Record<string, string>; footprint: () => Promise<Record<string, number>> }> {
  const call = async (method: 'GET' | 'POST' | 'PUT' | 'PATCH', url: string, payload?: object) => {
    const res = await app.inject({ method, url, headers: { authorization: `Bearer ${orgAdminToken}` }, ...(payload ? { payload } : {}) })
    if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`)
    return res.json()
  }
  const tag = randomBytes(3).toString('hex')
  const mall = await call('POST', '/api/leasing/malls', { name: `Paseo ${tag}`, siteId: org.siteId })
  const zone = await call('POST', '/api/leasing/zones', { mallId: mall.id, name: 'Planta baja' })
  const space = await call('POST', '/api/leasing/spaces', { mallId: mall.id, zoneId: zone.id, code: `L-${tag}`, areaCentiM2: 4250, type: 'local', baseRentMinor: 50_000_000, currency: 'ARS' })
  const spare = await call('POST', '/api/leasing/spaces', { mallId: mall.id, zoneId: zone.id, code: `K-${tag}`, areaCentiM2: 900, type: 'kiosco', baseRentMinor: 9_000_000, currency: 'ARS' })
  const index = await call('POST', '/api/leasing/index-tables', { name: `ICL ${tag}` })
  await call('PUT', `/api/leasing/index-tables/${index.id}/values`, { values: [{ date: '2020-01-01', value: '1.000000' }, { date: '2026-01-01', value: '12.345678' }] })
  // The organization's own contact linked to itself, so its admin reaches the portal side too.
  const contactId = await addContact(app, org.orgId, { name: `Heladería ${tag}`, linkedOrgId: org.orgId })
  const today = new Date().toISOString().slice(0, 10)
  const start = `${today.slice(0, 7)}-01`
  const end = `${Number(today.slice(0, 4)) + 2}-12-31`
  const lease = await call('POST', '/api/leasing/leases', {
    tenantContactId: contactId, spaceIds: [space.id], startsOn: start, endsOn: end, rentMinor: 50_000_000, currency: 'ARS',
    escalation: { kind: 'index', tableId: index.id, everyMonths: 3 },
  })
  await call('PUT', '/api/leasing/tariffs', { mallId: mall.id, kind: 'energy', currency: 'ARS', priceMinor: 15_000, taxRateBp: 2100 })
  const meter = await call('POST', '/api/leasing/meters', { spaceId: space.id, siteId: org.siteId, deviceId: 'medidor-1', metric: 'energy_kwh', kind: 'energy', unit: 'kwh' })
  await call('POST', '/api/leasing/rent-runs', { period: today.slice(0, 7) })
  const charges = await call('GET', `/api/leasing/charges?leaseId=${lease.id}`)
  const incident = await call('POST', '/api/portal/incidents', { leaseId: lease.id, spaceId: space.id, category: 'mantenimiento', description: 'Pierde el aire acondicionado' })
  // And one the mall logs itself (POST /api/leasing/incidents has no path param: `ids.leaseId` aims it).
  await call('POST', '/api/leasing/incidents', { leaseId: lease.id, category: 'limpieza', description: 'Limpieza de vidrios del frente', notifyTenant: false })

  const params: Record<string, Record<string, string>> = {
    '/api/leasing/malls/:id': { id: mall.id },
    '/api/leasing/zones/:id': { id: zone.id },
    '/api/leasing/spaces/:id': { id: spare.id },
    '/api/leasing/index-tables/:id': { id: index.id },
    '/api/leasing/index-tables/:id/values': { id: index.id },
    '/api/leasing/leases/:id': { id: lease.id },
    '/api/leasing/leases/:id/terminate': { id: lease.id },
    '/api/leasing/leases/:id/renew': { id: lease.id },
    '/api/leasing/leases/:id/schedule': { id: lease.id },
    '/api/leasing/charges/:id/resolve': { id: charges.items[0].id },
    '/api/leasing/meters/:id': { id: meter.id },
    '/api/leasing/incidents/:id': { id: incident.id },
  }
  const footprint = async () => {
    const out: Record<string, number> = {}
    for (const table of LEASING_TABLES) {
      const row = await app.db
        .selectFrom(table as 'users')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('org_id', '=', org.orgId)
        .executeTakeFirstOrThrow()
      out[table] = Number(row.n)
    }
    // Incidents this organization reported at other malls count too.
    const reported = await app.db.selectFrom('leasing_incidents' as 'users').select((eb) => eb.fn.countAll().as('n')).where('reporter_org_id' as 'org_id', '=', org.orgId).executeTakeFirstOrThrow()
    out.reported_incidents = Number(reported.n)
    return out
  }
  // Body and query fields that name these objects, for the isolation suite's requests.
  const ids: Record<string, string> = {
    mallId: mall.id, zoneId: zone.id, spaceId: space.id, spaceIds: space.id, tableId: index.id, leaseId: lease.id,
    tenantContactId: contactId, meterId: meter.id, chargeId: charges.items[0].id, incidentId: incident.id,
  }
  return { params, ids, footprint }
}

/** An organization with a site and an org admin (password login, no two-factor), logged in. */
export async function addLeasingOrg(app: FastifyInstance, name: string, kind: 'shop' | 'operator', timezone = 'UTC') {
  const { randomUUID } = await import('node:crypto')
  const { hashPassword } = await import('../../src/modules/auth/password.js')
  const orgId = randomUUID()
  const siteId = randomUUID()
  await app.db.insertInto('organizations').values({ id: orgId, name, kind, require_admin_totp: false }).execute()
  await app.db.insertInto('sites').values({ id: siteId, org_id: orgId, name: `Sitio ${name}`, timezone }).execute()
  const email = `admin.${randomBytes(4).toString('hex')}@tendero.test`
  const password = 'una-clave-larga-1'
  const [user] = await app.db
    .insertInto('users')
    .values({ org_id: orgId, email, name: `Admin ${name}`, password_hash: await hashPassword(password), role: 'org_admin', locale: 'es-AR' })
    .returning('id')
    .execute()
  const res = await app.inject({ method: 'POST', url: '/api/auth/login', remoteAddress: `10.44.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`, payload: { email, password } })
  if (res.statusCode !== 200) throw new Error(`login failed: ${res.body}`)
  return { orgId, siteId, email, userId: user!.id, token: res.json().token as string }
}

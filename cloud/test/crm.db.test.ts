import { randomBytes, randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hashPassword } from '../src/modules/auth/password.js'
import { FORM_ADDRESS_LIMIT, issueToken } from '../src/modules/crm/leads.js'
import { DEFAULT_STAGES } from '../src/modules/crm/stages.js'
import { crmDb } from '../src/modules/crm/tables.js'
import { DEMO } from '../src/seed.js'
import { buildTestApp, loginDemo, type TestApp } from './support/app.js'
import { crmFixture } from './support/crm-fixtures.js'
import { testDrivers } from './support/drivers.js'

// The CRM of issue 8 through its HTTP API, on both drivers. Organization A is the demo
// shop (its user is an org admin); organization B is made here, for tenant isolation.

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE'
const DAY = 86_400_000

async function addOrgAdmin(app: FastifyInstance, name: string) {
  const orgId = randomUUID()
  const siteId = randomUUID()
  await app.db.insertInto('organizations').values({ id: orgId, name, kind: 'shop', require_admin_totp: false }).execute()
  await app.db.insertInto('sites').values({ id: siteId, org_id: orgId, name: `Sitio ${name}`, timezone: 'America/Argentina/Buenos_Aires' }).execute()
  const email = `admin.${randomBytes(3).toString('hex')}@tendero.test`
  const [user] = await app.db.insertInto('users')
    .values({ org_id: orgId, email, name: 'Admin', password_hash: await hashPassword('una-clave-larga-1'), role: 'org_admin', locale: 'es-AR' })
    .returning('id').execute()
  const login = await app.inject({ method: 'POST', url: '/api/auth/login', remoteAddress: '10.44.0.1', payload: { email, password: 'una-clave-larga-1' } })
  expect(login.statusCode, login.body).toBe(200)
  return { orgId, siteId, userId: user!.id, token: login.json().token as string }
}

describe.each(testDrivers())('crm (%s)', (driver) => {
  let t: TestApp
  let tokenA: string
  let b: Awaited<ReturnType<typeof addOrgAdmin>>

  const call = (method: Method, url: string, payload?: unknown, token = tokenA, extra: { headers?: Record<string, string> } = {}) =>
    t.app.inject({ method, url, headers: { authorization: `Bearer ${token}`, ...extra.headers }, ...(payload !== undefined ? { payload: payload as object } : {}) })
  const ok = async (method: Method, url: string, payload?: unknown, token = tokenA) => {
    const res = await call(method, url, payload, token)
    expect(res.statusCode, `${method} ${url}: ${res.body}`).toBeLessThan(300)
    return res.json()
  }
  const newContact = (body: Record<string, unknown>) => ok('POST', '/api/crm/contacts', { kind: 'customer', ...body })
  const countRows = async (table: string, orgId = DEMO.organization.id) =>
    Number((await sql<{ n: number }>`select count(*) as n from ${sql.table(table)} where org_id = ${orgId}::uuid`.execute(t.app.db)).rows[0]!.n)

  beforeAll(async () => {
    t = await buildTestApp(driver)
    tokenA = await loginDemo(t.app)
    b = await addOrgAdmin(t.app, 'Ferretería B')
  })
  afterAll(async () => t?.close())

  describe('contacts', () => {
    it('creates, reads, changes, archives and restores a contact, audited', async () => {
      const created = await call('POST', '/api/crm/contacts', {
        kind: 'customer', name: 'Carnicería Don José', company: 'Don José SRL', email: 'Jose@DonJose.com.ar', phone: '+54 9 341 555-1234',
        vertical: 'carniceria', city: 'Rosario', country: 'AR', annualRevenueMinor: 50_000_000_00, revenueCurrency: 'ARS', tags: ['vip', 'vip', 'mayorista'],
      })
      expect(created.statusCode, created.body).toBe(201)
      const c = created.json()
      expect(c).toMatchObject({ kind: 'customer', email: 'Jose@DonJose.com.ar', tags: ['vip', 'mayorista'], annualRevenueMinor: 5_000_000_000, archivedAt: null })
      expect((await ok('GET', `/api/crm/contacts/${c.id}`)).name).toBe('Carnicería Don José')

      const changed = await ok('PATCH', `/api/crm/contacts/${c.id}`, { city: 'Funes', notes: 'Cliente desde 2019' })
      expect(changed).toMatchObject({ city: 'Funes', notes: 'Cliente desde 2019', vertical: 'carniceria' })

      const archived = await ok('DELETE', `/api/crm/contacts/${c.id}`)
      expect(archived.archivedAt).toBeGreaterThan(0)
      const active = await ok('GET', '/api/crm/contacts?q=don%20jos')
      expect(active.items.map((x: { id: string }) => x.id)).not.toContain(c.id)
      expect((await ok('GET', '/api/crm/contacts?q=don%20jos&archived=true')).items.map((x: { id: string }) => x.id)).toEqual([c.id])
      expect((await ok('POST', `/api/crm/contacts/${c.id}/restore`)).archivedAt).toBeNull()

      const audit = await t.app.db.selectFrom('audit_log').select('action').where('target_id', '=', c.id).orderBy('id').execute()
      expect(audit.map((a) => a.action)).toEqual(['crm.contact.create', 'crm.contact.update', 'crm.contact.archive', 'crm.contact.restore'])
    })

    it('refuses bad input with 400 and stores nothing', async () => {
      const before = await countRows('contacts')
      const bad: Record<string, unknown>[] = [
        { kind: 'customer', name: 'X', email: 'no-es-un-email' },
        { kind: 'customer', name: 'X', phone: '12' },
        { kind: 'customer', name: 'X', phone: '+54 (11) ----' },
        { kind: 'customer', name: '' },
        { kind: 'customer', name: '   ' },
        { kind: 'customer', name: 'x'.repeat(201) },
        { kind: 'cliente', name: 'X' },
        { kind: 'customer', name: 'X', annualRevenueMinor: 1000 },
        { kind: 'customer', name: 'X', annualRevenueMinor: 1.5, revenueCurrency: 'ARS' },
        { kind: 'customer', name: 'X', country: 'Argentina' },
        { kind: 'customer', name: 'X', tags: ['  '] },
        { kind: 'customer', name: 'X', tags: ['a,b'] },
        { kind: 'customer', name: 'X', tags: Array.from({ length: 21 }, (_, i) => `t${i}`) },
        { kind: 'customer', name: 'X', orgId: b.orgId },
      ]
      for (const body of bad) {
        const res = await call('POST', '/api/crm/contacts', body)
        expect(res.statusCode, JSON.stringify(body)).toBe(400)
        expect(res.json().error.code).toBe('VALIDATION')
      }
      expect(await countRows('contacts')).toBe(before)
    })

    it('keeps one active contact per email (409 naming the first), case-insensitive', async () => {
      const first = await newContact({ name: 'Panadería La Espiga', email: 'hola@laespiga.com' })
      const dup = await call('POST', '/api/crm/contacts', { kind: 'lead', name: 'Otra', email: 'HOLA@laespiga.com' })
      expect(dup.statusCode).toBe(409)
      expect(dup.json().error.code).toBe('CRM_CONTACT_DUPLICATE_EMAIL')
      expect(dup.json().error.message).toContain(first.id)
      const other = await newContact({ name: 'Otra panadería', email: 'otra@laespiga.com' })
      expect((await call('PATCH', `/api/crm/contacts/${other.id}`, { email: 'Hola@LaEspiga.com' })).statusCode).toBe(409)
      // Archived, the address is free again; restoring the first then collides.
      await ok('DELETE', `/api/crm/contacts/${first.id}`)
      await ok('PATCH', `/api/crm/contacts/${other.id}`, { email: 'hola@laespiga.com' })
      expect((await call('POST', `/api/crm/contacts/${first.id}/restore`)).statusCode).toBe(409)
    })

    it('lets one of two simultaneous creates with the same email through', async () => {
      const email = `carrera.${randomBytes(3).toString('hex')}@tendero.test`
      const results = await Promise.all([0, 1, 2, 3].map((i) => call('POST', '/api/crm/contacts', { kind: 'lead', name: `Carrera ${i}`, email })))
      expect(results.map((r) => r.statusCode).sort()).toEqual([201, 409, 409, 409])
      expect((await ok('GET', `/api/crm/contacts?q=${encodeURIComponent(email)}`)).items).toHaveLength(1)
    })

    it('filters by kind, text, vertical, city, tag and minimum score, and pages by every sort without gaps', async () => {
      const tag = `t${randomBytes(3).toString('hex')}`
      const made = []
      for (const [i, name] of ['Zapatería Uno', 'Almacén Dos', 'Bar Tres', 'Ropa Cuatro', 'Bar Cinco'].entries()) {
        made.push(await newContact({ kind: i % 2 ? 'lead' : 'supplier', name: `${name} ${tag}`, vertical: i < 2 ? 'ropa' : 'bar', city: i < 3 ? 'Córdoba' : 'Mendoza', tags: [tag] }))
      }
      const ids = (page: { items: { id: string }[] }) => page.items.map((x) => x.id)
      expect(ids(await ok('GET', `/api/crm/contacts?tag=${tag}&kind=lead`)).sort()).toEqual([made[1]!.id, made[3]!.id].sort())
      expect(ids(await ok('GET', `/api/crm/contacts?tag=${tag}&vertical=BAR&city=c%C3%B3rdoba`))).toEqual([made[2]!.id])
      expect(ids(await ok('GET', `/api/crm/contacts?q=${encodeURIComponent(`bar cinco ${tag}`)}`))).toEqual([made[4]!.id])
      expect(ids(await ok('GET', `/api/crm/contacts?tag=${tag}&minScore=1`))).toEqual([])

      for (const sort of ['name', '-name', 'createdAt', '-createdAt', 'score', '-score']) {
        const all = await ok('GET', `/api/crm/contacts?tag=${tag}&sort=${sort}&limit=500`)
        expect(all.items).toHaveLength(5)
        const walked: string[] = []
        let cursor: string | null = null
        do {
          const page = await ok('GET', `/api/crm/contacts?tag=${tag}&sort=${sort}&limit=2${cursor ? `&cursor=${cursor}` : ''}`)
          walked.push(...ids(page))
          cursor = page.nextCursor
        } while (cursor)
        expect(walked, sort).toEqual(ids(all))
      }
      const names = (await ok('GET', `/api/crm/contacts?tag=${tag}&sort=name`)).items.map((x: { name: string }) => x.name)
      expect(names).toEqual([...names].sort())
      const first = await ok('GET', `/api/crm/contacts?tag=${tag}&sort=name&limit=1`)
      const mixed = await call('GET', `/api/crm/contacts?tag=${tag}&sort=-score&cursor=${first.nextCursor}`)
      expect(mixed.json().error.code).toBe('PAGINATION_BAD_CURSOR')
    })
  })

  describe('pipeline', () => {
    it('seeds the default Spanish stages once, even on concurrent first use, and manages them', async () => {
      const [p1, p2] = await Promise.all([call('GET', '/api/crm/stages'), call('GET', '/api/crm/stages')])
      expect(p1.json().items.map((s: { name: string }) => s.name)).toEqual([...DEFAULT_STAGES])
      expect(p2.json().items).toHaveLength(6)
      expect(p1.json().items.filter((s: { closing: boolean }) => s.closing).map((s: { name: string }) => s.name)).toEqual(['Cierre'])

      const added = await ok('POST', '/api/crm/stages', { name: 'Visita al local', position: 2 })
      let names = (await ok('GET', '/api/crm/stages')).items.map((s: { name: string }) => s.name)
      expect(names).toEqual(['Contacto inicial', 'Calificación', 'Visita al local', 'Demo', 'Propuesta', 'Negociación', 'Cierre'])
      expect((await call('POST', '/api/crm/stages', { name: 'demo' })).json().error.code).toBe('CRM_STAGE_NAME_TAKEN')
      await ok('PATCH', `/api/crm/stages/${added.id}`, { name: 'Visita' })

      const stages = (await ok('GET', '/api/crm/stages')).items as { id: string; name: string }[]
      const reversed = [...stages].reverse().map((s) => s.id)
      await ok('PUT', '/api/crm/stages/order', { stageIds: reversed })
      expect((await ok('GET', '/api/crm/stages')).items.map((s: { id: string }) => s.id)).toEqual(reversed)
      expect((await call('PUT', '/api/crm/stages/order', { stageIds: reversed.slice(1) })).statusCode).toBe(400)
      expect((await call('PUT', '/api/crm/stages/order', { stageIds: [...reversed.slice(1), reversed[1]] })).statusCode).toBe(400)
      await ok('PUT', '/api/crm/stages/order', { stageIds: stages.map((s) => s.id) })

      // Paged like every list: one a page gives the same stages.
      const walked: string[] = []
      let cursor: string | null = null
      do {
        const page = await ok('GET', `/api/crm/stages?limit=1${cursor ? `&cursor=${cursor}` : ''}`)
        walked.push(...page.items.map((s: { id: string }) => s.id))
        cursor = page.nextCursor
      } while (cursor)
      expect(walked).toEqual(stages.map((s) => s.id))

      await ok('DELETE', `/api/crm/stages/${added.id}`)
      names = (await ok('GET', '/api/crm/stages')).items.map((s: { name: string }) => s.name)
      expect(names).toEqual([...DEFAULT_STAGES])
      expect((await ok('GET', '/api/crm/stages')).items.map((s: { position: number }) => s.position)).toEqual([0, 1, 2, 3, 4, 5])
    })

    it('opens, moves and closes deals with their stage history, and refuses deleting a stage with open deals', async () => {
      const stages = (await ok('GET', '/api/crm/stages')).items as { id: string; name: string }[]
      const contact = await newContact({ name: 'Heladería Polar', email: 'polar@helados.test' })
      const idem = { headers: { 'idempotency-key': `deal-${randomBytes(4).toString('hex')}` } }
      const body = { contactId: contact.id, title: 'Monitoreo de freezers', valueMinor: 480_000_00, currency: 'ARS', expectedCloseDate: '2026-12-15' }
      const first = await call('POST', '/api/crm/deals', body, tokenA, idem)
      expect(first.statusCode, first.body).toBe(201)
      const replay = await call('POST', '/api/crm/deals', body, tokenA, idem)
      expect(replay.json().id).toBe(first.json().id)
      const deal = first.json()
      expect(deal).toMatchObject({ stageId: stages[0]!.id, status: 'open', valueMinor: 48_000_000, expectedCloseDate: '2026-12-15' })

      const inDemo = stages.find((s) => s.name === 'Demo')!
      expect((await ok('POST', `/api/crm/deals/${deal.id}/move`, { stageId: inDemo.id })).stageId).toBe(inDemo.id)
      expect((await call('POST', `/api/crm/deals/${deal.id}/move`, { stageId: inDemo.id })).json().error.code).toBe('CRM_DEAL_SAME_STAGE')

      const refused = await call('DELETE', `/api/crm/stages/${inDemo.id}`)
      expect(refused.statusCode).toBe(409)
      expect(refused.json().error.code).toBe('CRM_STAGE_HAS_OPEN_DEALS')
      expect((await ok('GET', '/api/crm/stages')).items.find((s: { id: string }) => s.id === inDemo.id).openDeals).toBe(1)

      const lostWithout = await call('POST', `/api/crm/deals/${deal.id}/close`, { outcome: 'lost' })
      expect(lostWithout.statusCode).toBe(400)
      const won = await ok('POST', `/api/crm/deals/${deal.id}/close`, { outcome: 'won' })
      const closing = stages.find((s) => s.name === 'Cierre')!
      expect(won).toMatchObject({ status: 'won', stageId: closing.id })
      expect((await call('POST', `/api/crm/deals/${deal.id}/move`, { stageId: stages[0]!.id })).json().error.code).toBe('CRM_DEAL_CLOSED')
      expect((await call('PATCH', `/api/crm/deals/${deal.id}`, { valueMinor: 1 })).json().error.code).toBe('CRM_DEAL_CLOSED')

      const detail = await ok('GET', `/api/crm/deals/${deal.id}`)
      expect(detail.history.map((h: { stageName: string }) => h.stageName)).toEqual(['Contacto inicial', 'Demo', 'Cierre'])
      expect(detail.history.every((h: { leftAt: number | null }) => h.leftAt !== null)).toBe(true)
      expect(detail.history[1].fromStageId).toBe(stages[0]!.id)

      // Empty of open deals, the stage can go; the won deal's history still names it.
      await ok('DELETE', `/api/crm/stages/${inDemo.id}`)
      expect((await ok('GET', `/api/crm/deals/${deal.id}`)).history[1].stageName).toBe('Demo')
      const restored = await ok('POST', '/api/crm/stages', { name: 'Demo', position: 2 })
      expect(restored.position).toBe(2)
      expect((await call('POST', '/api/crm/deals', { ...body, stageId: inDemo.id })).statusCode).toBe(404)
      expect((await call('POST', '/api/crm/deals', { ...body, expectedCloseDate: '2026-02-30' })).statusCode).toBe(400)
      expect((await call('POST', '/api/crm/deals', { ...body, valueMinor: -1 })).statusCode).toBe(400)
      expect((await call('POST', '/api/crm/deals', { ...body, currency: 'XYZ' })).statusCode).toBe(400)
      expect((await call('POST', '/api/crm/deals', { ...body, ownerUserId: b.userId })).statusCode).toBe(404)
      expect((await call('GET', `/api/crm/deals?ownerUserId=${b.userId}`)).statusCode).toBe(404)
    })
  })

  describe('interactions', () => {
    it('logs interactions, moves lastInteractionAt only forward, and checks the deal belongs to the contact', async () => {
      const contact = await newContact({ name: 'Bar El Faro', phone: '+57 300 123 4567' })
      const other = await newContact({ name: 'Bar Otro' })
      const deal = await ok('POST', '/api/crm/deals', { contactId: other.id, title: 'Tarjetas RFID', valueMinor: 1_000_000_00, currency: 'COP' })
      const at = Date.UTC(2026, 10, 20, 15, 0)
      const i1 = await call('POST', '/api/crm/interactions', { contactId: contact.id, kind: 'whatsapp', direction: 'inbound', occurredAt: at, summary: 'Pregunta precios' })
      expect(i1.statusCode, i1.body).toBe(201)
      expect((await ok('GET', `/api/crm/contacts/${contact.id}`)).lastInteractionAt).toBe(at)
      await ok('POST', '/api/crm/interactions', { contactId: contact.id, kind: 'call', direction: 'outbound', occurredAt: at - 5 * DAY, summary: 'Llamada vieja' })
      expect((await ok('GET', `/api/crm/contacts/${contact.id}`)).lastInteractionAt).toBe(at)
      expect((await call('POST', '/api/crm/interactions', { contactId: contact.id, dealId: deal.id, kind: 'call', direction: 'outbound', summary: 'x' })).statusCode).toBe(400)
      expect((await call('POST', '/api/crm/interactions', { contactId: contact.id, kind: 'web_form', direction: 'inbound', summary: 'x' })).statusCode).toBe(400)
      expect((await call('POST', '/api/crm/interactions', { contactId: contact.id, kind: 'fax', direction: 'inbound', summary: 'x' })).statusCode).toBe(400)
      const list = await ok('GET', `/api/crm/interactions?contactId=${contact.id}`)
      expect(list.items.map((i: { summary: string }) => i.summary)).toEqual(['Pregunta precios', 'Llamada vieja'])
    })
  })

  describe('lead capture', () => {
    let form: { id: string; formKey: string }
    const post = (body: Record<string, unknown>, ip: string, key = form.formKey) =>
      t.app.inject({ method: 'POST', url: `/api/public/crm/leads/${key}`, remoteAddress: ip, payload: body })
    /** A token issued `ageMs` ago, signed as the form page would have received it. */
    const tokenAged = async (ageMs: number) => {
      const row = await crmDb(t.app.db).selectFrom('crm_lead_forms').selectAll().where('id', '=', form.id).executeTakeFirstOrThrow()
      return issueToken(row, Date.now() - ageMs)
    }

    beforeAll(async () => {
      form = await ok('POST', '/api/crm/lead-forms', { name: 'Landing carnicerías', source: 'landing-carnicerias', minFillSeconds: 4 })
    })

    it('accepts a lead: a lead contact with the form source, an interaction, a score', async () => {
      await ok('POST', '/api/crm/scoring-rules', { name: 'De la landing', condition: { type: 'source_equals', value: 'landing-carnicerias' }, points: 15 })
      const page = await t.app.inject({ method: 'GET', url: `/api/public/crm/leads/${form.formKey}` })
      expect(page.statusCode).toBe(200)
      expect(page.json()).toMatchObject({ name: 'Landing carnicerías', minFillSeconds: 4 })
      const res = await post({ name: 'Marta Gómez', email: 'marta@carniceria.test', phone: '+54 11 5555 0000', city: 'Tandil', vertical: 'carniceria', message: 'Quiero sensores', formToken: await tokenAged(10_000), website: '' }, '198.51.100.1')
      expect(res.statusCode, res.body).toBe(202)
      expect(res.json()).toEqual({ status: 'received' })
      const lead = (await ok('GET', '/api/crm/contacts?q=marta%40carniceria')).items[0]
      expect(lead).toMatchObject({ kind: 'lead', source: 'landing-carnicerias', city: 'Tandil', score: 15 })
      const interactions = (await ok('GET', `/api/crm/interactions?contactId=${lead.id}`)).items
      expect(interactions).toHaveLength(1)
      expect(interactions[0]).toMatchObject({ kind: 'web_form', direction: 'inbound' })
      expect(interactions[0].summary).toContain('Quiero sensores')
    })

    it('merges the same email into one lead, as an interaction', async () => {
      const first = await post({ name: 'Pablo', email: 'pablo@bar.test', formToken: await tokenAged(10_000) }, '198.51.100.2')
      const second = await post({ name: 'Pablo R.', email: 'PABLO@bar.test', company: 'Bar Central', formToken: await tokenAged(10_000), message: 'Otra vez' }, '198.51.100.3')
      expect([first.statusCode, second.statusCode]).toEqual([202, 202])
      const found = (await ok('GET', '/api/crm/contacts?q=pablo%40bar.test')).items
      expect(found).toHaveLength(1)
      expect(found[0]).toMatchObject({ name: 'Pablo', company: 'Bar Central' })
      expect((await ok('GET', `/api/crm/interactions?contactId=${found[0].id}`)).items).toHaveLength(2)
      const outcomes = await crmDb(t.app.db).selectFrom('crm_lead_attempts').select('outcome').where('contact_id', '=', found[0].id).orderBy('id').execute()
      expect(outcomes.map((o) => o.outcome)).toEqual(['created', 'merged'])
    })

    it('drops honeypot and too-fast submissions silently, refuses forged tokens and bad bodies', async () => {
      const contactsBefore = await countRows('contacts')
      const honeypot = await post({ name: 'Bot', email: 'bot1@spam.test', website: 'http://spam.test', formToken: await tokenAged(10_000) }, '198.51.100.4')
      expect(honeypot.statusCode).toBe(202)
      expect(honeypot.json()).toEqual({ status: 'received' })
      const fast = await post({ name: 'Bot', email: 'bot2@spam.test', formToken: await tokenAged(1_000) }, '198.51.100.5')
      expect(fast.statusCode).toBe(202)
      expect(fast.json()).toEqual({ status: 'received' })
      expect(await countRows('contacts')).toBe(contactsBefore)
      const attempts = await crmDb(t.app.db).selectFrom('crm_lead_attempts').select('outcome').where('form_id', '=', form.id).where('outcome', 'in', ['honeypot', 'too_fast']).execute()
      expect(attempts.map((a) => a.outcome).sort()).toEqual(['honeypot', 'too_fast'])

      const real = await tokenAged(10_000)
      const [issued, signature] = real.split('.')
      const forged = `${Number(issued) - 60_000}.${signature}`
      expect((await post({ name: 'Bot', email: 'bot3@spam.test', formToken: forged }, '198.51.100.6')).json().error.code).toBe('CRM_LEAD_BAD_TOKEN')
      expect((await post({ name: 'Bot', email: 'bot3@spam.test', formToken: await tokenAged(25 * 3600_000) }, '198.51.100.6')).json().error.code).toBe('CRM_LEAD_BAD_TOKEN')
      expect((await post({ name: 'Sin contacto', formToken: real }, '198.51.100.6')).statusCode).toBe(400)
      expect((await post({ name: 'X', email: 'x@x.test', formToken: real, extra: 1 }, '198.51.100.6')).statusCode).toBe(400)
      const huge = await post({ name: 'X', email: 'x@x.test', formToken: real, message: 'a'.repeat(9000) }, '198.51.100.6')
      expect(huge.statusCode).toBe(413)
      expect((await post({ name: 'X', email: 'x@x.test', formToken: real }, '198.51.100.6', 'no-existe-esta-clave')).statusCode).toBe(404)
      expect(await countRows('contacts')).toBe(contactsBefore)
    })

    it(`limits each address to ${FORM_ADDRESS_LIMIT} submissions per form, then 429`, async () => {
      const ip = '203.0.113.50'
      const codes: number[] = []
      for (let i = 0; i < FORM_ADDRESS_LIMIT + 2; i++) codes.push((await post({ name: `Lead ${i}`, email: `rl${i}@lead.test`, formToken: await tokenAged(10_000) }, ip)).statusCode)
      expect(codes).toEqual([...Array(FORM_ADDRESS_LIMIT).fill(202), 429, 429])
      const limited = await post({ name: 'Lead', email: 'rlx@lead.test', formToken: await tokenAged(10_000) }, ip)
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0)
      // Forged tokens count too.
      const forger = '203.0.113.60'
      const forged: number[] = []
      for (let i = 0; i < FORM_ADDRESS_LIMIT + 1; i++) forged.push((await post({ name: 'Bot', email: `f${i}@spam.test`, formToken: `${Date.now()}.${'A'.repeat(43)}` }, forger)).statusCode)
      expect(forged).toEqual([...Array(FORM_ADDRESS_LIMIT).fill(400), 429])
      // Another address is not affected.
      expect((await post({ name: 'Lead', email: 'rly@lead.test', formToken: await tokenAged(10_000) }, '203.0.113.51')).statusCode).toBe(202)
    })

    it('answers CORS so a form on the shop\'s own site can post', async () => {
      const preflight = await t.app.inject({ method: 'OPTIONS', url: `/api/public/crm/leads/${form.formKey}`, headers: { origin: 'https://carniceria.example', 'access-control-request-method': 'POST' } })
      expect(preflight.statusCode).toBe(204)
      expect(preflight.headers['access-control-allow-origin']).toBe('*')
      expect(String(preflight.headers['access-control-allow-methods'])).toContain('POST')
      const refused = await post({ name: 'X', formToken: 'no-es-un-token' }, '198.51.100.77')
      expect(refused.statusCode).toBe(400)
      expect(refused.headers['access-control-allow-origin']).toBe('*')
      // Not the authenticated API.
      expect((await call('GET', '/api/crm/lead-forms')).headers['access-control-allow-origin']).toBeUndefined()
    })

    it('stops taking leads once the form is disabled, and again when enabled', async () => {
      const other = await ok('POST', '/api/crm/lead-forms', { name: 'Temporal', minFillSeconds: 0 })
      const { token } = await ok('GET', `/api/public/crm/leads/${other.formKey}`)
      await ok('POST', `/api/crm/lead-forms/${other.id}/disable`)
      const res = await t.app.inject({ method: 'POST', url: `/api/public/crm/leads/${other.formKey}`, remoteAddress: '198.51.100.9', payload: { name: 'A', email: 'a@disabled.test', formToken: token } })
      expect(res.statusCode).toBe(404)
      expect((await t.app.inject({ method: 'GET', url: `/api/public/crm/leads/${other.formKey}` })).statusCode).toBe(404)
      await ok('POST', `/api/crm/lead-forms/${other.id}/enable`)
      const again = await t.app.inject({ method: 'POST', url: `/api/public/crm/leads/${other.formKey}`, remoteAddress: '198.51.100.9', payload: { name: 'A', email: 'a@disabled.test', formToken: token } })
      expect(again.statusCode).toBe(202)
      expect((await ok('GET', '/api/crm/lead-forms')).items.map((f: { id: string }) => f.id)).toContain(other.id)
    })
  })

  describe('scoring', () => {
    it('scores by rules, explains the score, and recomputes on contact, interaction and rule changes', async () => {
      const tok = b.token
      const c1 = await ok('POST', '/api/crm/contacts', { kind: 'lead', name: 'Bar La Esquina', email: 'esquina@bar.test', vertical: 'bar', city: 'Bogotá', annualRevenueMinor: 100_000_000_00, revenueCurrency: 'COP', source: 'feria' }, tok)
      const c2 = await ok('POST', '/api/crm/contacts', { kind: 'lead', name: 'Tienda Moda', phone: '+57 300 000 0000', vertical: 'ropa', city: 'Medellín', annualRevenueMinor: 100_000_000_00, revenueCurrency: 'ARS' }, tok)
      const rule = (name: string, condition: object, points: number) => ok('POST', '/api/crm/scoring-rules', { name, condition, points }, tok)
      const r1 = await rule('Bares', { type: 'vertical_equals', value: 'bar' }, 20)
      await rule('Con email', { type: 'has_email' }, 10)
      await rule('Facturación alta', { type: 'revenue_at_least', minor: 50_000_000_00, currency: 'COP' }, 30)
      await rule('Ciudades foco', { type: 'city_in', values: ['bogota', 'BOGOTÁ', 'Cali'] }, 5)
      const r5 = await rule('Activo', { type: 'interactions_within', days: 30, atLeast: 2 }, 25)
      await rule('Feria (baja calidad)', { type: 'source_equals', value: 'Feria' }, -5)
      const score = async (id: string) => (await ok('GET', `/api/crm/contacts/${id}`, undefined, tok)).score
      expect([await score(c1.id), await score(c2.id)]).toEqual([60, 0])

      for (const occurredAt of [Date.now() - 10 * DAY, Date.now() - 1000]) {
        await ok('POST', '/api/crm/interactions', { contactId: c2.id, kind: 'call', direction: 'outbound', occurredAt, summary: 'Seguimiento' }, tok)
      }
      expect(await score(c2.id)).toBe(25)
      const breakdown = await ok('GET', `/api/crm/contacts/${c2.id}/score`, undefined, tok)
      expect(breakdown.score).toBe(25)
      expect(breakdown.computed).toBe(25)
      expect(breakdown.rules.filter((r: { matched: boolean }) => r.matched).map((r: { name: string }) => r.name)).toEqual(['Activo'])
      expect(breakdown.rules.find((r: { name: string }) => r.name === 'Activo').detail).toContain('has 2')
      expect(breakdown.rules.find((r: { name: string }) => r.name === 'Facturación alta').detail).toContain('ARS')

      await ok('PATCH', `/api/crm/contacts/${c2.id}`, { vertical: 'Bar' }, tok)
      expect(await score(c2.id)).toBe(45)
      await ok('PATCH', `/api/crm/scoring-rules/${r1.id}`, { points: 40 }, tok)
      expect([await score(c1.id), await score(c2.id)]).toEqual([80, 65])
      await ok('PATCH', `/api/crm/scoring-rules/${r5.id}`, { active: false }, tok)
      expect(await score(c2.id)).toBe(40)
      await ok('PATCH', `/api/crm/scoring-rules/${r5.id}`, { active: true }, tok)
      expect(await score(c2.id)).toBe(65)
      // 25 days on, the older call left the 30-day window: the hourly job takes the points back.
      await t.app.jobs.run('crm.scores.refresh', new Date(Date.now() + 25 * DAY))
      expect(await score(c2.id)).toBe(40)
      await ok('DELETE', `/api/crm/scoring-rules/${r1.id}`, undefined, tok)
      expect([await score(c1.id), await score(c2.id)]).toEqual([40, 25])
      expect(await ok('POST', '/api/crm/scoring-rules/recompute', undefined, tok)).toEqual({ contacts: 2, changed: 0 })
      expect((await ok('GET', '/api/crm/contacts?sort=-score&minScore=30', undefined, tok)).items.map((c: { id: string }) => c.id)).toEqual([c1.id])
      expect((await call('POST', '/api/crm/scoring-rules', { name: 'Mal', condition: { type: 'revenue_at_least', minor: -1, currency: 'ARS' }, points: 5 }, tok)).statusCode).toBe(400)
      expect((await call('POST', '/api/crm/scoring-rules', { name: 'Mal', condition: { type: 'edad' }, points: 5 }, tok)).statusCode).toBe(400)
      expect((await call('POST', '/api/crm/scoring-rules', { name: 'Mal', condition: { type: 'has_email' }, points: 5000 }, tok)).statusCode).toBe(400)
    })

    it('rescores every contact of the organization in batches when a rule changes', async () => {
      await sql`insert into contacts (org_id, kind, name, phone)
        select ${b.orgId}::uuid, 'lead', 'Masivo ' || g, '+54 11 4' || lpad(g::text, 6, '0') from generate_series(1, 1234) g`.execute(t.app.db)
      await ok('POST', '/api/crm/scoring-rules', { name: 'Con teléfono', condition: { type: 'has_phone' }, points: 7 }, b.token)
      const { rows } = await sql<{ n: number }>`select count(*) as n from contacts where org_id = ${b.orgId}::uuid and name like 'Masivo %' and score = 7`.execute(t.app.db)
      expect(Number(rows[0]!.n)).toBe(1234)
    })
  })

  describe('segments', () => {
    it('evaluates vertical, revenue, activity and location definitions, saved and previewed', async () => {
      const d = await addOrgAdmin(t.app, 'Segmentos SA')
      const tok = d.token
      const contact = (body: object) => ok('POST', '/api/crm/contacts', body, tok)
      const touch = (id: string, daysAgo: number) => ok('POST', '/api/crm/interactions', { contactId: id, kind: 'meeting', direction: 'outbound', occurredAt: Date.now() - daysAgo * DAY, summary: 'Visita' }, tok)
      const s1 = await contact({ kind: 'customer', name: 'S1', vertical: 'bar', annualRevenueMinor: 200_000_00, revenueCurrency: 'ARS', city: 'Rosario', country: 'AR', tags: ['vip'] })
      const s2 = await contact({ kind: 'lead', name: 'S2', vertical: 'bar', annualRevenueMinor: 50_000_00, revenueCurrency: 'ARS', city: 'Córdoba', country: 'AR' })
      const s3 = await contact({ kind: 'customer', name: 'S3', vertical: 'ropa', annualRevenueMinor: 300_000_00, revenueCurrency: 'USD', city: 'Montevideo', country: 'UY' })
      const s4 = await contact({ kind: 'lead', name: 'S4', vertical: 'Bar', city: 'rosario', country: 'AR' })
      const s5 = await contact({ kind: 'customer', name: 'S5', vertical: 'ropa', annualRevenueMinor: 100_000_00, revenueCurrency: 'ARS', city: 'Bogotá', country: 'CO', tags: ['vip', 'mayorista'] })
      await touch(s1.id, 2)
      await touch(s2.id, 40)
      await touch(s4.id, 10)
      await touch(s5.id, 1)
      await ok('DELETE', `/api/crm/contacts/${s4.id}`, undefined, tok)

      const name = new Map([[s1.id, 'S1'], [s2.id, 'S2'], [s3.id, 'S3'], [s4.id, 'S4'], [s5.id, 'S5']])
      const preview = async (definition: object) => {
        const page = await ok('POST', '/api/crm/segments/preview', { definition }, tok)
        return page.items.map((c: { id: string }) => name.get(c.id)).sort()
      }
      expect(await preview({ verticals: ['BAR'] })).toEqual(['S1', 'S2'])
      expect(await preview({ revenueMinMinor: 100_000_00, revenueCurrency: 'ARS' })).toEqual(['S1', 'S5'])
      expect(await preview({ revenueMinMinor: 60_000_00, revenueMaxMinor: 250_000_00 })).toEqual(['S1', 'S5'])
      expect(await preview({ activeWithinDays: 7 })).toEqual(['S1', 'S5'])
      expect(await preview({ inactiveForDays: 30 })).toEqual(['S2', 'S3'])
      expect(await preview({ cities: ['ROSARIO'], countries: ['AR'] })).toEqual(['S1'])
      expect(await preview({ countries: ['UY', 'CO'] })).toEqual(['S3', 'S5'])
      expect(await preview({ verticals: ['ropa'], activeWithinDays: 7 })).toEqual(['S5'])
      expect(await preview({ tags: ['mayorista', 'otro'] })).toEqual(['S5'])
      expect(await preview({ kinds: ['lead'] })).toEqual(['S2'])
      expect(await preview({})).toEqual(['S1', 'S2', 'S3', 'S5'])
      expect((await call('POST', '/api/crm/segments/preview', { definition: { revenueMinMinor: 10, revenueMaxMinor: 5 } }, tok)).statusCode).toBe(400)
      expect((await call('POST', '/api/crm/segments/preview', { definition: { edad: 3 } }, tok)).statusCode).toBe(400)

      const saved = await ok('POST', '/api/crm/segments', { name: 'Bares', definition: { verticals: ['bar'] } }, tok)
      const walked: string[] = []
      let cursor: string | null = null
      do {
        const page = await ok('GET', `/api/crm/segments/${saved.id}/contacts?limit=1${cursor ? `&cursor=${cursor}` : ''}`, undefined, tok)
        walked.push(...page.items.map((c: { id: string }) => name.get(c.id)))
        cursor = page.nextCursor
      } while (cursor)
      expect(walked).toEqual(['S2', 'S1'])
      await ok('PATCH', `/api/crm/segments/${saved.id}`, { definition: { verticals: ['bar'], activeWithinDays: 7 } }, tok)
      expect((await ok('GET', `/api/crm/segments/${saved.id}/contacts`, undefined, tok)).items.map((c: { id: string }) => name.get(c.id))).toEqual(['S1'])
      expect((await ok('GET', '/api/crm/segments', undefined, tok)).items.map((x: { id: string }) => x.id)).toEqual([saved.id])
      await ok('DELETE', `/api/crm/segments/${saved.id}`, undefined, tok)
      expect((await call('GET', `/api/crm/segments/${saved.id}`, undefined, tok)).statusCode).toBe(404)
    })
  })

  describe('reports', () => {
    it('counts the funnel of a known set of deals exactly, as JSON and CSV', async () => {
      const e = await addOrgAdmin(t.app, 'Embudo SRL')
      const tok = e.token
      const stages = (await ok('GET', '/api/crm/stages', undefined, tok)).items as { id: string; name: string }[]
      const contact = await ok('POST', '/api/crm/contacts', { kind: 'lead', name: 'Prospecto' }, tok)
      const deal = async (valueMinor: number, currency: string, path: number[], close?: 'won' | 'lost') => {
        const d = await ok('POST', '/api/crm/deals', { contactId: contact.id, title: `Negocio ${valueMinor}`, valueMinor, currency }, tok)
        for (const i of path) await ok('POST', `/api/crm/deals/${d.id}/move`, { stageId: stages[i]!.id }, tok)
        if (close) await ok('POST', `/api/crm/deals/${d.id}/close`, { outcome: close, ...(close === 'lost' ? { reason: 'Precio' } : {}) }, tok)
        return d.id as string
      }
      // Each deal's stays, in days, in the order it made them (the closing stay is 0 long).
      const plan: [string, number[]][] = [
        [await deal(100_00, 'ARS', [1, 2], 'won'), [2, 3, 4, 0]],
        [await deal(200_00, 'ARS', [1], 'lost'), [1, 5, 0]],
        [await deal(300_00, 'USD', [1]), [2]],
        [await deal(50_00, 'USD', []), []],
        [await deal(1_000_00, 'USD', [1, 2, 3], 'won'), [4, 2, 6, 8, 0]],
      ]
      // Rewrite the times: every deal starts at T0 and stays as planned.
      const T0 = Date.UTC(2026, 9, 1)
      const crm = crmDb(t.app.db)
      for (const [dealId, days] of plan) {
        const rows = await crm.selectFrom('crm_deal_stage_history').select(['id', 'left_at']).where('deal_id', '=', dealId).orderBy('id').execute()
        let at = T0
        for (const [i, row] of rows.entries()) {
          const left = row.left_at === null ? null : at + days[i]! * DAY
          await crm.updateTable('crm_deal_stage_history').set({ entered_at: new Date(at), left_at: left === null ? null : new Date(left) }).where('id', '=', row.id).execute()
          if (left !== null) at = left
        }
        await sql`update crm_deals set created_at = ${new Date(T0)}::timestamptz,
          closed_at = case when status = 'open' then null else ${new Date(at)}::timestamptz end where id = ${dealId}::uuid`.execute(t.app.db)
      }

      const report = await ok('GET', `/api/crm/reports/funnel?from=${T0}&to=${T0 + 30 * DAY}`, undefined, tok)
      expect(report.stages.map((s: Record<string, unknown>) => [s.name, s.entered, s.conversionToNextPct, s.avgDaysInStage])).toEqual([
        ['Contacto inicial', 5, 80, 2.25],
        ['Calificación', 4, 50, 3.33],
        ['Demo', 2, 50, 5],
        ['Propuesta', 1, 0, 8],
        ['Negociación', 0, null, null],
        ['Cierre', 3, null, 0],
      ])
      expect(report.won).toEqual([{ currency: 'ARS', count: 1, valueMinor: 100_00 }, { currency: 'USD', count: 1, valueMinor: 1_000_00 }])
      expect(report.lost).toEqual([{ currency: 'ARS', count: 1, valueMinor: 200_00 }])
      expect([report.wonCount, report.lostCount, report.winRatePct]).toEqual([2, 1, 66.7])

      const later = await ok('GET', `/api/crm/reports/funnel?from=${T0 + 5 * DAY}&to=${T0 + 30 * DAY}`, undefined, tok)
      expect(later.stages.map((s: { entered: number }) => s.entered)).toEqual([0, 0, 2, 1, 0, 3])
      const before = await ok('GET', `/api/crm/reports/funnel?from=${T0 - 30 * DAY}&to=${T0}`, undefined, tok)
      expect(before.stages.map((s: { entered: number }) => s.entered)).toEqual([0, 0, 0, 0, 0, 0])
      expect(before.wonCount + before.lostCount).toBe(0)
      expect((await call('GET', `/api/crm/reports/funnel?from=${T0}&to=${T0}`, undefined, tok)).statusCode).toBe(400)

      const csv = await call('GET', `/api/crm/reports/funnel.csv?from=${T0}&to=${T0 + 30 * DAY}`, undefined, tok)
      expect(csv.statusCode).toBe(200)
      expect(csv.headers['content-type']).toContain('text/csv')
      const lines = csv.body.replace(/^\uFEFF/, '').split('\r\n')
      expect(lines[0]).toBe('Sección / Section;Etapa / Stage;Posición / Position;Ingresaron / Entered;Conversión a la siguiente (%) / Conversion to next (%);Días promedio en la etapa / Avg days in stage;Moneda / Currency;Negocios / Deals;Valor / Value')
      expect(lines[2]).toBe('Etapa / Stage;Calificación;2;4;50;3,33;;;')
      expect(lines).toContain('Ganados / Won;;;;;;USD;1;1000,00')
      expect(lines).toContain('Perdidos / Lost;;;;;;ARS;1;200,00')
      expect(lines).toHaveLength(1 + 6 + 3 + 1)
    })

    it('counts leads by source and period', async () => {
      const e = await addOrgAdmin(t.app, 'Fuentes SA')
      const made: [string, string, string][] = [['lead', 'web', '2026-10-01T10:00:00Z'], ['lead', 'web', '2026-10-02T23:59:00Z'], ['lead', 'web', '2026-10-15T00:00:00Z'], ['lead', 'feria', '2026-10-02T12:00:00Z'], ['customer', 'web', '2026-10-03T12:00:00Z'], ['lead', 'web', '2026-11-02T12:00:00Z']]
      for (const [kind, source, at] of made) {
        const c = await ok('POST', '/api/crm/contacts', { kind, name: `${kind} ${source}`, source }, e.token)
        await sql`update contacts set created_at = ${at}::timestamptz where id = ${c.id}::uuid`.execute(t.app.db)
      }
      const q = `from=${Date.UTC(2026, 9, 1)}&to=${Date.UTC(2026, 10, 1)}`
      const month = await ok('GET', `/api/crm/reports/leads-by-source?${q}&bucket=month`, undefined, e.token)
      expect(month.rows).toEqual([{ period: '2026-10-01', source: 'feria', leads: 1 }, { period: '2026-10-01', source: 'web', leads: 3 }])
      const day = await ok('GET', `/api/crm/reports/leads-by-source?${q}&bucket=day`, undefined, e.token)
      expect(day.rows).toEqual([
        { period: '2026-10-01', source: 'web', leads: 1 },
        { period: '2026-10-02', source: 'feria', leads: 1 },
        { period: '2026-10-02', source: 'web', leads: 1 },
        { period: '2026-10-15', source: 'web', leads: 1 },
      ])
    })
  })

  describe('tenant isolation', () => {
    it("answers 404 to every CRM route aimed at another organization's objects, and changes none of them", async () => {
      const f = await addOrgAdmin(t.app, 'Víctima SA')
      const fixture = await crmFixture(t.app, f.token, f)
      const before = await fixture.footprint()
      // The customer, the captured lead, and the supplier contact that is the organization itself (a redeemed portal invitation).
      expect(before.contacts).toBe(3)
      expect(before.crm_portal_invitations).toBe(2)
      expect(before.crm_deals).toBe(1)
      expect(before.crm_lead_attempts).toBe(1)
      const stagesA = (await ok('GET', '/api/crm/stages')).items as { id: string }[]
      const bodies: Record<string, object> = {
        'PATCH /api/crm/contacts/:id': { name: 'Cambiado' },
        'PATCH /api/crm/stages/:id': { name: 'Cambiada' },
        'PATCH /api/crm/deals/:id': { title: 'Cambiado' },
        'POST /api/crm/deals/:id/move': { stageId: stagesA[2]!.id },
        'POST /api/crm/deals/:id/close': { outcome: 'won' },
        'PATCH /api/crm/scoring-rules/:id': { points: 1 },
        'PATCH /api/crm/segments/:id': { name: 'Cambiado' },
        'POST /api/crm/contacts/:id/portal-invitations': { sendEmail: true },
      }
      const routes = t.app.routeCatalog.filter((r) => r.url.startsWith('/api/crm/') && r.url.includes(':'))
      expect(routes.length).toBeGreaterThan(15)
      const failures: string[] = []
      for (const route of routes) {
        const params = fixture.params[route.url]
        if (!params) {
          failures.push(`${route.url}: not in crmFixture params`)
          continue
        }
        const url = route.url.replace(/:(\w+)/g, (_, name: string) => params[name]!)
        const res = await call(route.method as Method, url, bodies[`${route.method} ${route.url}`], tokenA)
        if (res.statusCode !== 404) failures.push(`${route.method} ${route.url}: ${res.statusCode} ${res.body.slice(0, 120)}`)
      }
      expect(failures).toEqual([])

      // Their ids in a body are as unknown as any other.
      const contactF = fixture.params['/api/crm/contacts/:id']!.id!
      const stageF = fixture.params['/api/crm/stages/:id']!.id!
      expect((await call('POST', '/api/crm/deals', { contactId: contactF, title: 'X', valueMinor: 1, currency: 'ARS' })).statusCode).toBe(404)
      expect((await call('POST', '/api/crm/interactions', { contactId: contactF, kind: 'call', direction: 'outbound', summary: 'x' })).statusCode).toBe(404)
      expect((await call('PUT', '/api/crm/stages/order', { stageIds: [...stagesA.map((s) => s.id), stageF] })).statusCode).toBe(404)
      const mine = await newContact({ name: 'Mío' })
      expect((await call('POST', '/api/crm/deals', { contactId: mine.id, title: 'X', valueMinor: 1, currency: 'ARS', stageId: stageF })).statusCode).toBe(404)
      expect((await call('PATCH', `/api/crm/contacts/${mine.id}`, { ownerUserId: f.userId })).statusCode).toBe(404)
      // Filters by their ids find nothing of theirs.
      const dealF = fixture.params['/api/crm/deals/:id']!.id!
      for (const url of [`/api/crm/deals?contactId=${contactF}`, `/api/crm/deals?stageId=${stageF}`, `/api/crm/interactions?contactId=${contactF}`, `/api/crm/interactions?dealId=${dealF}`]) {
        expect((await call('GET', url)).statusCode, url).toBe(404)
      }
      for (const url of ['/api/crm/contacts?limit=500', '/api/crm/lead-forms', '/api/crm/segments', '/api/crm/scoring-rules']) {
        const res = await call('GET', url)
        expect(res.statusCode, url).toBe(200)
        expect(res.body, url).not.toContain(contactF)
        expect(res.body, url).not.toContain(f.orgId)
      }
      expect(await fixture.footprint()).toEqual(before)

      // And the fixture's own org admin does reach them (the params are real).
      expect((await call('GET', `/api/crm/contacts/${contactF}`, undefined, f.token)).statusCode).toBe(200)
      expect((await call('GET', `/api/crm/segments/${fixture.params['/api/crm/segments/:id']!.id}/contacts`, undefined, f.token)).json().items).toHaveLength(1)
    })
  })
})

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seedCommercialDemo } from '../../scripts/demo-commercial.js'
import { buildTestApp, loginDemo, type TestApp } from './support/app.js'
import { testDrivers } from './support/drivers.js'

/**
 * `npm run demo`'s commercial data (scripts/demo-commercial.ts) against the real app over
 * real HTTP, as the demo does it: what it creates, read back through the API, and that a
 * second run (a restarted demo) changes nothing.
 */

interface Page<T> {
  items: T[]
  nextCursor: string | null
}

describe.each(testDrivers())('demo commercial seed (%s)', (driver) => {
  let t: TestApp
  let url: string
  let token: string
  const lines: string[] = []
  let first: { seeded: boolean }

  beforeAll(async () => {
    t = await buildTestApp(driver)
    url = await t.app.listen({ port: 0, host: '127.0.0.1' })
    first = await seedCommercialDemo(url, { log: (line) => lines.push(line) })
    token = await loginDemo(t.app)
  }, 120_000)

  afterAll(async () => {
    await t?.close()
  })

  async function get<T>(path: string): Promise<T> {
    const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } })
    expect(res.status, `${path}: ${res.status}`).toBe(200)
    return (await res.json()) as T
  }

  /** Every item of a list route, page by page. */
  async function all<T>(path: string): Promise<T[]> {
    const items: T[] = []
    let cursor: string | null = null
    do {
      const sep = path.includes('?') ? '&' : '?'
      const page: Page<T> = await get<Page<T>>(`${path}${sep}limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)
      items.push(...page.items)
      cursor = page.nextCursor
    } while (cursor)
    return items
  }

  /** Row counts of what the seed writes, read through the API. */
  async function footprint() {
    const [contacts, deals, interactions, leases, charges, invoices, payments, creditNotes, bookings, pages] = await Promise.all([
      all('/api/crm/contacts?archived=all'),
      all('/api/crm/deals'),
      all('/api/crm/interactions'),
      all('/api/leasing/leases'),
      all('/api/leasing/charges'),
      all('/api/billing/invoices'),
      all('/api/billing/payments'),
      all('/api/billing/credit-notes'),
      all('/api/appointments/bookings'),
      all('/api/appointments/booking-pages'),
    ])
    return {
      contacts: contacts.length, deals: deals.length, interactions: interactions.length, leases: leases.length, charges: charges.length,
      invoices: invoices.length, payments: payments.length, creditNotes: creditNotes.length, bookings: bookings.length, pages: pages.length,
    }
  }

  it('seeds once and logs one line per module', () => {
    expect(first).toEqual({ seeded: true })
    expect(lines).toHaveLength(4)
    expect(lines[0]).toMatch(/^· CRM: 15 contactos, 6 oportunidades/)
    expect(lines[1]).toMatch(/^· Locales: «Galería Don Julio», 1 zona, 4 locales, 3 contratos/)
    expect(lines[2]).toMatch(/^· Facturación: 5 facturas a clientes .*, 3 facturas de alquiler/)
    expect(lines[3]).toMatch(/^· Turnos: 2 servicios, Julio Pérez/)
  })

  it('has the CRM: contacts by kind, deals across the pipeline, a segment that finds Palermo restaurants', async () => {
    const contacts = await all<{ kind: string; name: string; score: number }>('/api/crm/contacts')
    const byKind = (kind: string) => contacts.filter((c) => c.kind === kind).length
    expect(contacts).toHaveLength(15)
    expect({ customer: byKind('customer'), supplier: byKind('supplier'), lead: byKind('lead') }).toEqual({ customer: 10, supplier: 2, lead: 3 })
    // Scored by the rules: a Palermo restaurant with revenue, phone and a recent call.
    expect(contacts.find((c) => c.name === 'Bodegón Los Arcos')!.score).toBe(20 + 10 + 15 + 5 + 10)

    const stages = await all<{ id: string; name: string }>('/api/crm/stages')
    const stageName = new Map(stages.map((s) => [s.id, s.name]))
    const deals = await all<{ title: string; stageId: string; status: string; closeReason: string | null }>('/api/crm/deals')
    const summary = deals.map((d) => `${stageName.get(d.stageId)}:${d.status}`).sort()
    expect(summary).toEqual(['Calificación:open', 'Cierre:lost', 'Cierre:won', 'Contacto inicial:open', 'Negociación:open', 'Propuesta:open'])
    expect(deals.find((d) => d.status === 'lost')!.closeReason).toMatch(/otro proveedor/)

    const kinds = (await all<{ kind: string }>('/api/crm/interactions')).map((i) => i.kind)
    expect(new Set(kinds)).toEqual(new Set(['call', 'whatsapp', 'meeting', 'email']))
    expect(await all('/api/crm/scoring-rules')).toHaveLength(5)
    expect(await all('/api/crm/lead-forms')).toHaveLength(1)

    const segments = await all<{ id: string; name: string }>('/api/crm/segments')
    expect(segments.map((s) => s.name)).toEqual(['Restaurantes de Palermo'])
    const members = await all<{ name: string }>(`/api/crm/segments/${segments[0]!.id}/contacts`)
    expect(members.map((m) => m.name).sort()).toEqual(['Bodegón Los Arcos', 'Parrilla El Fogón', 'Pizzería Il Forno'])
  })

  it('has the gallery: spaces, three leases with their escalations, this month\'s rent charged', async () => {
    const malls = await all<{ id: string; name: string; siteId: string | null }>('/api/leasing/malls')
    expect(malls).toHaveLength(1)
    expect(malls[0]!.name).toBe('Galería Don Julio')
    expect(malls[0]!.siteId).not.toBeNull()
    const spaces = await all<{ code: string; type: string }>('/api/leasing/spaces')
    expect(spaces.map((s) => `${s.code}:${s.type}`).sort()).toEqual(['D-01:deposito', 'K-01:kiosco', 'L-01:local', 'O-01:oficina'])

    const leases = await all<{ id: string; tenantName: string; currency: string; status: string; escalation: { kind: string }; rentSteps: unknown[] }>('/api/leasing/leases')
    expect(leases).toHaveLength(3)
    expect(leases.every((l) => l.status === 'active')).toBe(true)
    expect(leases.map((l) => `${l.escalation.kind}:${l.currency}`).sort()).toEqual(['index:ARS', 'none:USD', 'percent:ARS'])

    const period = new Intl.DateTimeFormat('en-CA', { timeZone: 'America/Argentina/Buenos_Aires', year: 'numeric', month: '2-digit' }).format(new Date())
    const rent = await all<{ leaseId: string; period: string; kind: string; amountMinor: number }>(`/api/leasing/charges?period=${period}&kind=rent`)
    expect(rent).toHaveLength(3)
    // The kiosk's 240.000,00 was raised 12 % once (4 months in, every 3 months): 268.800,00 a month.
    const kiosk = leases.find((l) => l.tenantName === 'Kiosco La Esquina')!
    expect(rent.find((c) => c.leaseId === kiosk.id)!.amountMinor).toBe(26_880_000)
    const usd = leases.find((l) => l.currency === 'USD')!
    expect(rent.find((c) => c.leaseId === usd.id)!.amountMinor).toBe(45_000)
    // It ends at the end of next month (31 to 62 days away): listed under the 90-day expirations.
    const expiring = await all<{ leaseId: string }>('/api/leasing/expirations?within=90')
    expect(expiring.map((e) => e.leaseId)).toContain(usd.id)

    expect(await all('/api/leasing/tariffs')).toHaveLength(1)
    // The test site has no energy meter (its one device is a cold room): no meter mapping.
    expect(await all('/api/leasing/meters')).toHaveLength(0)
  })

  it('has the invoices: paid, partly paid, overdue, credited, and the gallery\'s rent', async () => {
    type Invoice = { id: string; contactName: string; status: string; currency: string; dueDate: string; totalMinor: number; paidMinor: number; creditedMinor: number; openMinor: number; taxes: { rateBp: number }[] }
    const invoices = await all<Invoice>('/api/billing/invoices')
    expect(invoices).toHaveLength(8)
    expect(invoices.every((i) => i.status === 'posted')).toBe(true)
    const of = (name: string) => invoices.filter((i) => i.contactName === name)
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'America/Argentina/Buenos_Aires' }).format(new Date())

    const [hotel] = of('Hotel Plaza Serrano')
    expect(hotel!.paidMinor).toBe(hotel!.totalMinor)
    expect(hotel!.openMinor).toBe(0)
    const [fogon] = of('Parrilla El Fogón')
    expect(fogon!.paidMinor).toBeGreaterThan(0)
    expect(fogon!.openMinor).toBe(fogon!.totalMinor - fogon!.paidMinor)
    expect(fogon!.openMinor).toBeGreaterThan(0)
    const [arcos] = of('Bodegón Los Arcos')
    expect(arcos!.openMinor).toBe(arcos!.totalMinor)
    expect(arcos!.dueDate < today).toBe(true)
    const detail = await get<Invoice>(`/api/billing/invoices/${arcos!.id}`)
    expect(detail.taxes.map((x) => x.rateBp).sort()).toEqual([1050, 2100])
    const [catering] = of('Catering Las Delicias')
    // 3 kg of vacío at 13.900,00 plus 10,5 % IVA.
    expect(catering!.creditedMinor).toBe(3 * 1_390_000 + Math.round(3 * 1_390_000 * 0.105))
    expect(catering!.openMinor).toBe(catering!.totalMinor - catering!.creditedMinor)
    expect(await all('/api/billing/credit-notes')).toHaveLength(1)

    for (const tenant of ['Verdulería Doña Rosa', 'Kiosco La Esquina', 'Estudio Contable Ruiz & Asoc.']) expect(of(tenant)).toHaveLength(1)
    expect(of('Estudio Contable Ruiz & Asoc.')[0]!.currency).toBe('USD')

    // The ledger agrees with the documents for every customer billed.
    const contacts = await all<{ id: string; name: string }>('/api/crm/contacts')
    for (const name of ['Hotel Plaza Serrano', 'Parrilla El Fogón', 'Catering Las Delicias']) {
      const id = contacts.find((c) => c.name === name)!.id
      const balance = await get<{ balances: { consistent: boolean }[] }>(`/api/billing/contacts/${id}/balance`)
      expect(balance.balances.every((b) => b.consistent)).toBe(true)
    }
  })

  it('has the appointments: Julio, two bookings on two coming days, the public page answering', async () => {
    const bookings = await all<{ start: string; localStart: string; status: string }>('/api/appointments/bookings')
    expect(bookings).toHaveLength(2)
    expect(bookings.every((b) => b.status === 'confirmed' && Date.parse(b.start) > Date.now())).toBe(true)
    expect(new Set(bookings.map((b) => b.localStart.slice(0, 10))).size).toBe(2)

    const res = await fetch(`${url}/api/public/booking/don-julio`)
    expect(res.status).toBe(200)
    const page = (await res.json()) as { organization: string; services: { name: string }[]; professionals: { name: string }[] }
    expect(page.organization).toBe('Carnicería y Panadería Don Julio')
    expect(page.services.map((s) => s.name).sort()).toEqual(['Asesoría de cortes para eventos', 'Clase de despostado para parrilleros'])
    expect(page.professionals.map((p) => p.name)).toEqual(['Julio Pérez'])
  })

  it('does nothing the second time (a restarted demo keeps its data)', async () => {
    const before = await footprint()
    const again: string[] = []
    expect(await seedCommercialDemo(url, { log: (line) => again.push(line) })).toEqual({ seeded: false })
    expect(again).toHaveLength(1)
    expect(await footprint()).toEqual(before)
  })

  it('names the route, status and body of an API error', async () => {
    // A cloud that is not there: the login is the first call.
    await expect(seedCommercialDemo('http://127.0.0.1:1')).rejects.toThrow(/POST \/api\/auth\/login answered 0/)
  })
})

/**
 * The demo shop's commercial side (issue 8): CRM, the gallery it rents out next door,
 * its invoices and the appointments page, seeded once through the cloud's public HTTP API
 * as the demo user, so every row goes through the same validation, audit trail and
 * ledger as a real one. `npm run demo` calls it when the cloud is healthy; an organization
 * that already has CRM contacts is left alone, so a restarted demo keeps what was done in it.
 *
 * Dates are relative to today in Buenos Aires (the shop's zone): invoices issued weeks ago,
 * one of them overdue, leases that started months ago, bookings in the coming days.
 */
import { DEMO } from '../cloud/src/seed.js'

const TZ = 'America/Argentina/Buenos_Aires'
const DAY_MS = 86_400_000

export interface SeedCommercialOptions {
  log?: (line: string) => void
  /** The moment "today" is taken from; default now. */
  now?: Date
}

type Json = Record<string, unknown>
interface Page<T> {
  items: T[]
  nextCursor: string | null
}

/** An API error with the route, status and body the cloud answered. */
export class DemoSeedError extends Error {
  constructor(
    readonly method: string,
    readonly route: string,
    readonly status: number,
    readonly body: string,
  ) {
    super(`demo seed: ${method} ${route} answered ${status}: ${body.slice(0, 2000)}`)
    this.name = 'DemoSeedError'
  }
}

class Api {
  private token = ''
  constructor(private readonly base: string) {}

  async login(email: string, password: string): Promise<{ id: string; orgId: string }> {
    const reply = await this.send<{ token: string; user: { id: string; orgId: string } }>('POST', '/api/auth/login', { email, password }, false)
    this.token = reply.token
    return reply.user
  }

  async send<T = Json>(method: string, route: string, body?: unknown, auth = true): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' }
    if (auth) headers.authorization = `Bearer ${this.token}`
    if (body !== undefined) headers['content-type'] = 'application/json'
    let res: Response
    try {
      res = await fetch(`${this.base}${route}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) })
    } catch (error) {
      throw new DemoSeedError(method, route, 0, error instanceof Error ? error.message : String(error))
    }
    const text = await res.text()
    if (!res.ok) throw new DemoSeedError(method, route, res.status, text)
    return (text ? JSON.parse(text) : {}) as T
  }

  get<T = Json>(route: string): Promise<T> {
    return this.send<T>('GET', route)
  }
  post<T = Json>(route: string, body: unknown): Promise<T> {
    return this.send<T>('POST', route, body)
  }
  put<T = Json>(route: string, body: unknown): Promise<T> {
    return this.send<T>('PUT', route, body)
  }
}

// ----- dates, in the shop's zone -----

function localDate(at: Date): string {
  // en-CA formats as YYYY-MM-DD.
  return new Intl.DateTimeFormat('en-CA', { timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at)
}
function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10)
}
/** The first day of the month `months` away from `date`'s month. */
function monthStart(date: string, months: number): string {
  const [y, m] = date.split('-').map(Number) as [number, number]
  return new Date(Date.UTC(y, m - 1 + months, 1)).toISOString().slice(0, 10)
}
/** The last day of the month `months` away from `date`'s month. */
function monthEnd(date: string, months: number): string {
  return addDays(monthStart(date, months + 1), -1)
}

// ----- the data -----

interface ContactSeed {
  key: string
  body: Json
}

const AR = { country: 'AR' }
const ars = (pesos: number) => Math.round(pesos * 100)

const CONTACTS: ContactSeed[] = [
  // Customers: restaurants, a hotel, a caterer, neighbours.
  { key: 'arcos', body: { kind: 'customer', name: 'Bodegón Los Arcos', company: 'Los Arcos Gastronomía S.R.L.', email: 'compras@bodegonlosarcos.com.ar', phone: '+54 11 4831-2290', taxId: '30-71234567-8', vertical: 'restaurante', city: 'Palermo', ...AR, annualRevenueMinor: ars(480_000_000), revenueCurrency: 'ARS', source: 'referido', tags: ['mayorista', 'parrilla'], notes: 'Pide media res los martes y viernes. Paga a 30 días.' } },
  { key: 'fogon', body: { kind: 'customer', name: 'Parrilla El Fogón', company: 'El Fogón de Palermo S.A.', email: 'administracion@elfogon.com.ar', phone: '+54 11 4774-1187', taxId: '30-70987654-3', vertical: 'restaurante', city: 'Palermo', ...AR, annualRevenueMinor: ars(620_000_000), revenueCurrency: 'ARS', source: 'visita', tags: ['parrilla'] } },
  { key: 'pepe', body: { kind: 'customer', name: 'Cantina Don Pepe', company: 'Cantina Don Pepe S.R.L.', email: 'donpepe.cantina@gmail.com', phone: '+54 11 4857-3321', taxId: '30-71555444-1', vertical: 'restaurante', city: 'Villa Crespo', ...AR, annualRevenueMinor: ars(210_000_000), revenueCurrency: 'ARS', source: 'referido', tags: ['pastas'] } },
  { key: 'hotel', body: { kind: 'customer', name: 'Hotel Plaza Serrano', company: 'Serrano Hospitality S.A.', email: 'alimentos@hotelplazaserrano.com.ar', phone: '+54 11 4833-9000', taxId: '30-71888222-5', vertical: 'hotelería', city: 'Palermo', ...AR, annualRevenueMinor: ars(1_900_000_000), revenueCurrency: 'ARS', source: 'web', tags: ['desayunos'] } },
  { key: 'catering', body: { kind: 'customer', name: 'Catering Las Delicias', company: 'Las Delicias Eventos S.R.L.', email: 'eventos@lasdelicias.com.ar', phone: '+54 11 5263-4410', taxId: '30-71666333-9', vertical: 'catering', city: 'Colegiales', ...AR, annualRevenueMinor: ars(350_000_000), revenueCurrency: 'ARS', source: 'feria', tags: ['eventos'] } },
  { key: 'maria', body: { kind: 'customer', name: 'María Gómez', email: 'maria.gomez@gmail.com', phone: '+54 9 11 5512-3344', city: 'Palermo', ...AR, source: 'mostrador', tags: ['vecina'], notes: 'Clienta de todos los sábados; encarga el pan dulce para las fiestas.' } },
  { key: 'roberto', body: { kind: 'customer', name: 'Roberto Fernández', phone: '+54 9 11 6234-8890', city: 'Palermo', ...AR, source: 'mostrador', tags: ['vecino'] } },
  // Suppliers.
  { key: 'frigorifico', body: { kind: 'supplier', name: 'Frigorífico San Justo', company: 'Frigorífico San Justo S.A.', email: 'ventas@frigosanjusto.com.ar', phone: '+54 11 4651-7700', taxId: '30-50012345-6', vertical: 'frigorífico', city: 'San Justo', ...AR, tags: ['carne vacuna'] } },
  { key: 'molino', body: { kind: 'supplier', name: 'Molino Harinero Santa Rosa', company: 'Molino Santa Rosa S.A.', email: 'pedidos@molinosantarosa.com.ar', phone: '+54 2954 42-1100', taxId: '30-50098765-2', vertical: 'molino', city: 'Santa Rosa', ...AR, tags: ['harina'] } },
  // Leads.
  { key: 'forno', body: { kind: 'lead', name: 'Pizzería Il Forno', company: 'Il Forno Palermo S.R.L.', email: 'hola@ilforno.com.ar', phone: '+54 11 4899-1020', vertical: 'restaurante', city: 'Palermo', ...AR, annualRevenueMinor: ars(300_000_000), revenueCurrency: 'ARS', source: 'web', tags: ['pizzería'] } },
  { key: 'cafe', body: { kind: 'lead', name: 'Café Plaza Armenia', email: 'cafeplazaarmenia@gmail.com', phone: '+54 11 4831-5566', vertical: 'cafetería', city: 'Palermo', ...AR, annualRevenueMinor: ars(95_000_000), revenueCurrency: 'ARS', source: 'instagram', tags: ['medialunas'] } },
  { key: 'club', body: { kind: 'lead', name: 'Club Atlético Palermo Chico', company: 'Asociación Civil Club Palermo Chico', email: 'buffet@clubpalermochico.org.ar', phone: '+54 11 4802-7788', vertical: 'club', city: 'Palermo', ...AR, annualRevenueMinor: ars(140_000_000), revenueCurrency: 'ARS', source: 'referido', tags: ['buffet', 'eventos'] } },
  // The gallery's tenants.
  { key: 'verduleria', body: { kind: 'customer', name: 'Verdulería Doña Rosa', company: 'Rosa Benítez', email: 'verduleriadonarosa@gmail.com', phone: '+54 9 11 4455-6677', taxId: '27-23456789-4', vertical: 'verdulería', city: 'Palermo', ...AR, source: 'galería', tags: ['inquilino'] } },
  { key: 'kiosco', body: { kind: 'customer', name: 'Kiosco La Esquina', company: 'Hernán Sosa', email: 'kioscolaesquina@hotmail.com', phone: '+54 9 11 3344-2211', taxId: '20-28765432-1', vertical: 'kiosco', city: 'Palermo', ...AR, source: 'galería', tags: ['inquilino'] } },
  { key: 'estudio', body: { kind: 'customer', name: 'Estudio Contable Ruiz & Asoc.', company: 'Ruiz y Asociados S.R.L.', email: 'estudio@ruizasociados.com.ar', phone: '+54 11 4776-9012', taxId: '30-71234999-0', vertical: 'servicios profesionales', city: 'Palermo', ...AR, source: 'galería', tags: ['inquilino'] } },
]

/**
 * Seeds the demo organization's CRM, leasing, billing and appointments through the API at
 * `cloudUrl`, once: `{ seeded: false }` when the organization already has contacts.
 * Any API error throws a DemoSeedError naming the route, status and body.
 */
export async function seedCommercialDemo(cloudUrl: string, opts: SeedCommercialOptions = {}): Promise<{ seeded: boolean }> {
  const log = opts.log ?? (() => {})
  const now = opts.now ?? new Date()
  const api = new Api(cloudUrl.replace(/\/+$/, ''))
  const user = await api.login(DEMO.user.email, DEMO.user.password)

  const existing = await api.get<Page<unknown>>('/api/crm/contacts?limit=1&archived=all')
  if (existing.items.length > 0) {
    log('· Datos comerciales de demo: ya estaban, no se tocan (commercial demo data already there, left as is)')
    return { seeded: false }
  }

  const today = localDate(now)
  const ids = await seedCrm(api, now, log)
  const leasing = await seedLeasing(api, today, ids, log)
  await seedBilling(api, today, ids, leasing.period, log)
  await seedAppointments(api, now, user.id, leasing.siteId, ids, log)
  return { seeded: true }
}

// ----- CRM -----

async function seedCrm(api: Api, now: Date, log: (line: string) => void): Promise<Map<string, string>> {
  const ids = new Map<string, string>()
  for (const c of CONTACTS) {
    const created = await api.post<{ id: string }>('/api/crm/contacts', c.body)
    ids.set(c.key, created.id)
  }
  const id = (key: string) => ids.get(key)!

  const rules = [
    { name: 'Restaurante', condition: { type: 'vertical_equals', value: 'restaurante' }, points: 20 },
    { name: 'En Palermo o Villa Crespo', condition: { type: 'city_in', values: ['Palermo', 'Villa Crespo', 'Colegiales'] }, points: 10 },
    { name: 'Factura más de $ 250 M al año', condition: { type: 'revenue_at_least', minor: ars(250_000_000), currency: 'ARS' }, points: 15 },
    { name: 'Tiene teléfono', condition: { type: 'has_phone' }, points: 5 },
    { name: 'Hablamos en los últimos 30 días', condition: { type: 'interactions_within', days: 30, atLeast: 1 }, points: 10 },
  ]
  for (const rule of rules) await api.post('/api/crm/scoring-rules', rule)

  const stages = await api.get<Page<{ id: string; name: string }>>('/api/crm/stages?limit=50')
  const stage = (name: string) => {
    const found = stages.items.find((s) => s.name === name)
    if (!found) throw new Error(`demo seed: the CRM has no stage "${name}" (has ${stages.items.map((s) => s.name).join(', ')})`)
    return found.id
  }
  const closeIn = (days: number) => addDays(localDate(now), days)
  const deal = (contact: string, title: string, pesos: number, stageName: string, closeDays: number) =>
    api.post<{ id: string }>('/api/crm/deals', { contactId: id(contact), title, valueMinor: ars(pesos), currency: 'ARS', stageId: stage(stageName), expectedCloseDate: closeIn(closeDays) })

  const catering = await deal('catering', 'Contrato anual de carnes para eventos', 18_000_000, 'Propuesta', 20)
  const arcos = await deal('arcos', 'Provisión semanal de cortes y pan', 9_600_000, 'Negociación', 10)
  const hotel = await deal('hotel', 'Pan y facturas para el desayuno del hotel', 7_200_000, 'Calificación', -5)
  const fogon = await deal('fogon', 'Asado de los domingos: media res semanal', 12_000_000, 'Calificación', -10)
  await deal('forno', 'Masa madre y fiambres para pizzas', 3_600_000, 'Contacto inicial', 45)
  await deal('cafe', 'Medialunas y facturas diarias', 2_400_000, 'Calificación', 30)
  // The won deal walks the pipeline, so the funnel has stays to show.
  for (const name of ['Demo', 'Propuesta', 'Negociación']) await api.post(`/api/crm/deals/${hotel.id}/move`, { stageId: stage(name) })
  await api.post(`/api/crm/deals/${hotel.id}/close`, { outcome: 'won' })
  await api.post(`/api/crm/deals/${fogon.id}/move`, { stageId: stage('Propuesta') })
  await api.post(`/api/crm/deals/${fogon.id}/close`, { outcome: 'lost', reason: 'Eligió otro proveedor: un frigorífico le vende directo un 12 % más barato.' })

  // `days` ago at `hour` o'clock in Buenos Aires (UTC−3, no DST since 2009).
  const ago = (days: number, hour = 11) => Date.parse(`${addDays(localDate(now), -days)}T${String(hour).padStart(2, '0')}:00:00-03:00`)
  const interactions = [
    { contactId: id('catering'), dealId: catering.id, kind: 'meeting', direction: 'outbound', occurredAt: ago(6), summary: 'Reunión en el local con Laura (Las Delicias): degustación de vacío y entraña; piden cotización por 40 eventos al año.' },
    { contactId: id('catering'), dealId: catering.id, kind: 'email', direction: 'outbound', occurredAt: ago(3), summary: 'Enviada la propuesta: precios por kg con entrega refrigerada incluida.' },
    { contactId: id('arcos'), dealId: arcos.id, kind: 'call', direction: 'inbound', occurredAt: ago(2), summary: 'Llamó Martín (Los Arcos): quiere 5 % de descuento si suma el pan de campo al pedido semanal.' },
    { contactId: id('arcos'), dealId: arcos.id, kind: 'whatsapp', direction: 'outbound', occurredAt: ago(1, 9), summary: 'Le mandamos por WhatsApp la lista de precios actualizada y fotos de la media res.' },
    { contactId: id('hotel'), dealId: hotel.id, kind: 'meeting', direction: 'outbound', occurredAt: ago(15), summary: 'Prueba de panificados con el chef del hotel; aprobaron pan de campo y medialunas.' },
    { contactId: id('fogon'), dealId: fogon.id, kind: 'call', direction: 'outbound', occurredAt: ago(12), summary: 'Seguimiento de la cotización: dicen que el precio del asado les queda alto.' },
    { contactId: id('forno'), kind: 'whatsapp', direction: 'inbound', occurredAt: ago(4, 18), summary: 'Consulta por WhatsApp: ¿venden masa madre por kilo? Quedamos en pasar muestras.' },
    { contactId: id('maria'), kind: 'whatsapp', direction: 'inbound', occurredAt: ago(1, 19), summary: 'Encargó 2 kg de milanesas de nalga y un pan dulce para el sábado.' },
    { contactId: id('frigorifico'), kind: 'call', direction: 'outbound', occurredAt: ago(5, 7), summary: 'Pedido de 4 medias reses para el jueves; confirman entrega a las 6 h.' },
  ]
  for (const i of interactions) await api.post('/api/crm/interactions', i)

  await api.post('/api/crm/lead-forms', { name: 'Pedidos mayoristas (web)', source: 'web', minFillSeconds: 3 })
  await api.post('/api/crm/segments', { name: 'Restaurantes de Palermo', definition: { kinds: ['customer', 'lead'], verticals: ['restaurante'], cities: ['Palermo'] } })

  log(`· CRM: ${CONTACTS.length} contactos, 6 oportunidades (1 ganada, 1 perdida), ${interactions.length} interacciones, ${rules.length} reglas de puntaje, 1 formulario web, segmento «Restaurantes de Palermo»`)
  return ids
}

// ----- leasing -----

async function seedLeasing(api: Api, today: string, ids: Map<string, string>, log: (line: string) => void): Promise<{ period: string; siteId: string | null }> {
  const id = (key: string) => ids.get(key)!
  const sites = await api.get<Page<{ id: string }>>('/api/sites?limit=50')
  const site = sites.items.find((s) => s.id === DEMO.site.id) ?? sites.items[0]
  const siteId = site?.id ?? null

  const mall = await api.post<{ id: string }>('/api/leasing/malls', { name: 'Galería Don Julio', siteId, address: 'Av. Santa Fe 4120, Palermo, CABA' })
  const zone = await api.post<{ id: string }>('/api/leasing/zones', { mallId: mall.id, name: 'Planta baja' })
  const space = (code: string, areaCentiM2: number, type: string, baseRentMinor: number, currency: string) =>
    api.post<{ id: string }>('/api/leasing/spaces', { mallId: mall.id, zoneId: zone.id, code, areaCentiM2, type, baseRentMinor, currency })
  const local = await space('L-01', 4250, 'local', ars(850_000), 'ARS')
  const kiosco = await space('K-01', 600, 'kiosco', ars(280_000), 'ARS')
  const oficina = await space('O-01', 2400, 'oficina', 45_000, 'USD')
  await space('D-01', 1800, 'deposito', ars(190_000), 'ARS')

  // An ICL-like index, a value on the first of each month from a year back.
  const index = await api.post<{ id: string }>('/api/leasing/index-tables', { name: 'ICL (BCRA) — Índice para Contratos de Locación' })
  const values = Array.from({ length: 14 }, (_, i) => ({ date: monthStart(today, i - 12), value: (18.4213 * 1.027 ** i).toFixed(4) }))
  await api.put(`/api/leasing/index-tables/${index.id}/values`, { values })

  const leases = [
    // The greengrocer: a two-year lease from ten months ago, adjusted by the index every 6 months.
    { tenantContactId: id('verduleria'), spaceIds: [local.id], startsOn: monthStart(today, -10), endsOn: monthEnd(today, 13), rentMinor: ars(650_000), currency: 'ARS',
      depositMinor: ars(1_300_000), rentTaxRateBp: 2100, billingDay: 10, escalation: { kind: 'index', tableId: index.id, everyMonths: 6 }, notes: 'Ajuste semestral por ICL.' },
    // The kiosk: +12 % every 3 months.
    { tenantContactId: id('kiosco'), spaceIds: [kiosco.id], startsOn: monthStart(today, -4), endsOn: monthEnd(today, 19), rentMinor: ars(240_000), currency: 'ARS',
      depositMinor: ars(480_000), rentTaxRateBp: 2100, billingDay: 5, escalation: { kind: 'percent', percentBp: 1200, everyMonths: 3 } },
    // The accountants' office, in dollars, ending within two months (it shows under expirations).
    { tenantContactId: id('estudio'), spaceIds: [oficina.id], startsOn: monthStart(today, -22), endsOn: monthEnd(today, 1), rentMinor: 45_000, currency: 'USD',
      depositMinor: 90_000, rentTaxRateBp: 2100, billingDay: 1, escalation: { kind: 'none' }, notes: 'Alquiler en dólares; renovación a conversar.' },
  ]
  for (const lease of leases) await api.post('/api/leasing/leases', lease)

  const period = today.slice(0, 7)
  const rent = await api.post<{ created: number; existing: number }>('/api/leasing/rent-runs', { period })
  await api.put('/api/leasing/tariffs', { mallId: mall.id, kind: 'energy', currency: 'ARS', priceMinor: 18_050, taxRateBp: 2100 })

  // The shop's energy meter stands for the greengrocer's sub-meter when the site has one.
  let meter = 'sin medidor de energía en el sitio (no energy meter on the site)'
  if (siteId) {
    const detail = await api.get<{ devices: { id: string; kind: string }[] }>(`/api/sites/${siteId}`)
    const energy = detail.devices.find((d) => d.kind === 'energy_meter')
    if (energy) {
      await api.post('/api/leasing/meters', { spaceId: local.id, siteId, deviceId: energy.id, metric: 'energy_kwh', kind: 'energy', unit: 'kwh' })
      meter = `el medidor de energía ${energy.id} mide L-01`
    }
  }
  // Incidents are reported from the tenant portal by the tenant shop's own users (a contact
  // linked to another organization): there is no route for the landlord to write one, so
  // the demo has none.
  log(`· Locales: «Galería Don Julio», 1 zona, 4 locales, ${leases.length} contratos (ICL, +12 % trimestral, USD), alquileres de ${period}: ${rent.created} cargos, tarifa de energía, ${meter}`)
  return { period, siteId }
}

// ----- billing -----

interface InvoiceDetail {
  id: string
  number: string | null
  totalMinor: number
  openMinor: number
  lines: { id: string; description: string; quantityMilli: number }[]
}

async function seedBilling(api: Api, today: string, ids: Map<string, string>, period: string, log: (line: string) => void): Promise<void> {
  const id = (key: string) => ids.get(key)!
  const kg = (n: number) => Math.round(n * 1000)
  const CARNE = 1050
  const GENERAL = 2100
  const line = (description: string, quantityMilli: number, pesos: number, taxRateBp: number) => ({ description, quantityMilli, unitMinor: ars(pesos), taxRateBp })
  const invoice = (contact: string, issueDays: number, dueDays: number, lines: unknown[], notes?: string) =>
    api.post<InvoiceDetail>('/api/billing/invoices', {
      contactId: id(contact), currency: 'ARS', issueDate: addDays(today, issueDays), dueDate: addDays(today, dueDays), lines, post: true, ...(notes ? { notes } : {}),
    })

  // Overdue: issued 40 days ago, due 10 days ago, nothing paid.
  const arcos = await invoice('arcos', -40, -10, [
    line('Media res novillo (kg)', kg(112.4), 5_850, CARNE),
    line('Vacío (kg)', kg(18), 13_900, CARNE),
    line('Pan de campo (unidad)', kg(40), 3_200, GENERAL),
    line('Flete refrigerado', kg(1), 18_000, GENERAL),
  ], 'Pedido semanal del martes.')
  // Paid in full by transfer.
  const hotel = await invoice('hotel', -21, -6, [
    line('Pan de campo (unidad)', kg(120), 3_200, GENERAL),
    line('Medialunas de manteca (docena)', kg(60), 7_500, GENERAL),
    line('Bondiola (kg)', kg(12.5), 11_400, CARNE),
  ])
  await api.post('/api/billing/payments', {
    contactId: id('hotel'), currency: 'ARS', amountMinor: hotel.totalMinor, method: 'transfer', paidOn: addDays(today, -8), externalRef: 'TRF-0048213',
    allocations: [{ invoiceId: hotel.id, amountMinor: hotel.totalMinor }],
  })
  // Partly paid in cash, due in a few days.
  const fogon = await invoice('fogon', -12, 3, [
    line('Asado de tira (kg)', kg(45), 12_800, CARNE),
    line('Vacío (kg)', kg(22), 13_900, CARNE),
    line('Chorizo parrillero (kg)', kg(15), 8_900, CARNE),
    line('Pan de campo (unidad)', kg(30), 3_200, GENERAL),
  ])
  const partial = Math.floor(fogon.totalMinor * 0.4 / 100_000) * 100_000
  await api.post('/api/billing/payments', {
    contactId: id('fogon'), currency: 'ARS', amountMinor: partial, method: 'cash', paidOn: addDays(today, -5), notes: 'Entrega a cuenta.',
    allocations: [{ invoiceId: fogon.id, amountMinor: partial }],
  })
  // A credit note: 3 kg of vacío sent back.
  const catering = await invoice('catering', -8, 7, [
    line('Vacío (kg)', kg(30), 13_900, CARNE),
    line('Matambre (kg)', kg(14), 10_500, CARNE),
    line('Pan de campo (unidad)', kg(80), 3_200, GENERAL),
  ], 'Evento del sábado (casamiento, 150 cubiertos).')
  const detail = await api.get<InvoiceDetail>(`/api/billing/invoices/${catering.id}`)
  const vacio = detail.lines.find((l) => l.description.startsWith('Vacío'))!
  await api.post(`/api/billing/invoices/${catering.id}/credit-notes`, {
    issueDate: addDays(today, -6), reason: 'Devolución: 3 kg de vacío fuera de temperatura al recibir.', lines: [{ invoiceLineId: vacio.id, quantityMilli: kg(3) }],
  })
  // Issued this week, open.
  await invoice('pepe', -2, 13, [
    line('Nalga para milanesas (kg)', kg(20), 11_900, CARNE),
    line('Carne picada especial (kg)', kg(15), 8_400, CARNE),
    line('Pan rallado (kg)', kg(5), 2_900, GENERAL),
  ])

  const run = await api.post<{ invoices: number }>('/api/leasing/invoice-runs', { period })
  log(`· Facturación: 5 facturas a clientes (1 pagada, 1 con pago parcial, 1 vencida, 1 con nota de crédito), ${run.invoices} facturas de alquiler de ${period} para la galería`)
}

// ----- appointments -----

async function seedAppointments(api: Api, now: Date, userId: string, siteId: string | null, ids: Map<string, string>, log: (line: string) => void): Promise<void> {
  const asesoria = await api.post<{ id: string }>('/api/appointments/services', {
    name: 'Asesoría de cortes para eventos', description: 'Julio te ayuda a elegir cortes y cantidades para tu asado, cumpleaños o casamiento.',
    durationMin: 30, bufferAfterMin: 10, priceMinor: ars(12_000), currency: 'ARS',
  })
  const clase = await api.post<{ id: string }>('/api/appointments/services', {
    name: 'Clase de despostado para parrilleros', description: 'Una hora y media en la cámara: cómo se despieza una media res y qué pedir al carnicero.',
    durationMin: 90, bufferBeforeMin: 15, bufferAfterMin: 15, priceMinor: ars(38_000), currency: 'ARS',
  })
  const julio = await api.post<{ id: string }>('/api/appointments/professionals', {
    name: 'Julio Pérez', specialty: 'Maestro carnicero', email: 'julio@donjulio.com.ar', timeZone: TZ, userId,
    ...(siteId ? { siteId } : {}), serviceIds: [asesoria.id, clase.id],
  })
  const ranges = [1, 2, 3, 4, 5].map((weekday) => ({ weekday, start: '15:00', end: '19:00' }))
  ranges.push({ weekday: 6, start: '09:00', end: '13:00' })
  await api.put(`/api/appointments/professionals/${julio.id}/availability`, { ranges })
  await api.post('/api/appointments/booking-pages', {
    slug: 'don-julio', title: 'Turnos con Julio — Carnicería y Panadería Don Julio', serviceIds: [asesoria.id, clase.id], professionalIds: [julio.id],
    minNoticeMin: 120, maxDaysAhead: 30,
  })

  // Two bookings in the coming days, on two different days.
  const from = new Date(now.getTime() + DAY_MS).toISOString()
  const to = new Date(now.getTime() + 10 * DAY_MS).toISOString()
  const slots = (service: string) =>
    api.get<{ slots: { start: string; localStart: string }[] }>(`/api/appointments/slots?serviceId=${service}&professionalId=${julio.id}&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}&stepMin=30`)
  const first = (await slots(asesoria.id)).slots[0]
  if (!first) throw new Error('demo seed: Julio has no free slot in the next 10 days')
  await api.post('/api/appointments/bookings', { serviceId: asesoria.id, professionalId: julio.id, start: first.start, contactId: ids.get('catering'), notes: 'Casamiento de 150 cubiertos: cortes y cantidades.' })
  const firstDay = first.localStart.slice(0, 10)
  const second = (await slots(clase.id)).slots.find((s) => s.localStart.slice(0, 10) > firstDay)
  if (!second) throw new Error('demo seed: Julio has no free slot for a second day in the next 10 days')
  await api.post('/api/appointments/bookings', { serviceId: clase.id, professionalId: julio.id, start: second.start, contactId: ids.get('maria'), notes: 'Viene con su hijo, que arranca con la parrilla.' })

  log(`· Turnos: 2 servicios, Julio Pérez (lun–vie 15–19 h, sáb 9–13 h), página /reservar/don-julio, 2 turnos (${first.localStart.slice(0, 16).replace('T', ' ')} y ${second.localStart.slice(0, 16).replace('T', ' ')})`)
}

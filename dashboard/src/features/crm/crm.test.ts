import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ApiError } from '../../api/client.js'
import type { Deal, Stage } from '../../api/crm.js'
import { en, es } from '../../i18n/messages/crm.js'
import { contactProblemsFrom, crmErrorKey, describeDefinition, embedSnippet, fieldsInMessage, groupByStage, parseMoneyInput, scoreReason } from './crm.js'
import { useCrmContactsStore } from './contactsStore.js'
import { useCrmPipelineStore } from './pipelineStore.js'
import { stubCloud } from './testing.js'

const stage = (id: string, position: number, name = id): Stage => ({ id, name, position, closing: false, openDeals: 0 })
const deal = (over: Partial<Deal>): Deal => ({
  id: 'd1',
  contactId: 'c1',
  title: 'Heladera',
  valueMinor: 100,
  currency: 'ARS',
  stageId: 's1',
  expectedCloseDate: null,
  ownerUserId: null,
  status: 'open',
  closeReason: null,
  closedAt: null,
  createdAt: 1,
  updatedAt: 1,
  ...over,
})
const contact = (id: string, over: Record<string, unknown> = {}) => ({
  id,
  kind: 'lead',
  name: `Contacto ${id}`,
  company: null,
  email: null,
  phone: null,
  taxId: null,
  vertical: null,
  city: null,
  country: null,
  annualRevenueMinor: null,
  revenueCurrency: null,
  ownerUserId: null,
  source: null,
  tags: [],
  notes: null,
  score: 0,
  lastInteractionAt: null,
  createdAt: 1,
  updatedAt: 1,
  archivedAt: null,
  ...over,
})

afterEach(() => vi.unstubAllGlobals())

describe('crm logic', () => {
  it("reads the fields of the cloud's validation messages, both ways it writes them", () => {
    expect(fieldsInMessage('body/email must match format "email", body/email must be null, body/email must match a schema in anyOf')).toEqual(['email'])
    expect(fieldsInMessage('body/name must not have fewer than 1 characters, body/country must match pattern "^[A-Z]{2}$"')).toEqual(['name', 'country'])
    expect(fieldsInMessage('phone: must hold 6 to 20 digits')).toEqual(['phone'])
    expect(fieldsInMessage('email or phone: give at least one')).toEqual(['email'])
    expect(fieldsInMessage('Something else')).toEqual([])
  })

  it('puts a refused contact on its fields, the duplicate email on the email', () => {
    expect(contactProblemsFrom(new ApiError(400, 'VALIDATION', 'body/email must match format "email"'))).toEqual({ email: 'crm.form.errors.email' })
    expect(contactProblemsFrom(new ApiError(400, 'VALIDATION', 'phone: must hold 6 to 20 digits'))).toEqual({ phone: 'crm.form.errors.phone' })
    expect(contactProblemsFrom(new ApiError(409, 'CRM_CONTACT_DUPLICATE_EMAIL', 'email: another active contact (x) has this address'))).toEqual({
      email: 'crm.form.errors.duplicate',
    })
    // Nothing of the form: the caller shows the error whole.
    expect(contactProblemsFrom(new ApiError(400, 'VALIDATION', 'body must NOT have additional properties'))).toBeNull()
    expect(contactProblemsFrom(new ApiError(0, 'NETWORK_ERROR', 'offline'))).toBeNull()
    expect(crmErrorKey(new ApiError(409, 'CRM_DEAL_CLOSED', ''))).toBe('crm.errors.CRM_DEAL_CLOSED')
    expect(crmErrorKey(new ApiError(0, 'NETWORK_ERROR', ''))).toBe('errors.NETWORK_ERROR')
    expect(crmErrorKey(new Error('x'))).toBe('errors.UNKNOWN')
  })

  it('has a field message for every field the form can get one on, in both languages', () => {
    for (const field of ['name', 'email', 'phone', 'country', 'company', 'vertical', 'city', 'source', 'notes'] as const) {
      expect(es.form.errors[field]).toBeTruthy()
      expect(en.form.errors[field]).toBeTruthy()
    }
  })

  it('writes no message vue-i18n would read as syntax (a bare @ links; braces are placeholders)', () => {
    const leaves = (node: unknown, path = 'crm'): [string, string][] =>
      typeof node === 'string' ? [[path, node]] : Object.entries(node as object).flatMap(([k, v]) => leaves(v, `${path}.${k}`))
    for (const [path, text] of [...leaves(es), ...leaves(en)]) {
      const bare = text.replace(/\{'[^']*'\}/g, '').replace(/\{\w+\}/g, '')
      expect(/[@{}]/.test(bare), `${path}: ${text}`).toBe(false)
      // A plural has its three forms: none | one | many.
      if (text.includes('|')) expect(text.split('|'), path).toHaveLength(3)
    }
  })

  it('reads money as people type it, into minor units of the currency', () => {
    expect(parseMoneyInput('150.000,50', 'ARS', 'es-AR')).toBe(15_000_050)
    expect(parseMoneyInput('150000,5', 'ARS', 'es-AR')).toBe(15_000_050)
    expect(parseMoneyInput('1500.5', 'ARS', 'es-AR')).toBe(150_050)
    expect(parseMoneyInput('$ 2.500', 'ARS', 'es-AR')).toBe(250_000)
    expect(parseMoneyInput('150,000.50', 'USD', 'en')).toBe(15_000_050)
    expect(parseMoneyInput('1500', 'CLP', 'es-AR')).toBe(1500)
    expect(parseMoneyInput('1500,5', 'CLP', 'es-AR')).toBeNull()
    expect(parseMoneyInput('abc', 'ARS', 'es-AR')).toBeNull()
    expect(parseMoneyInput('-5', 'ARS', 'es-AR')).toBeNull()
    expect(parseMoneyInput('', 'ARS', 'es-AR')).toBeNull()
  })

  it('groups open deals under their stage in order, with totals per currency', () => {
    const columns = groupByStage(
      [stage('s2', 1), stage('s1', 0)],
      [
        deal({ id: 'a', stageId: 's1', valueMinor: 100 }),
        deal({ id: 'b', stageId: 's1', valueMinor: 50 }),
        deal({ id: 'c', stageId: 's1', valueMinor: 7, currency: 'USD' }),
        deal({ id: 'd', stageId: 's2', status: 'won' }),
      ],
    )
    expect(columns.map((c) => c.stage.id)).toEqual(['s1', 's2'])
    expect(columns[0]!.deals.map((d) => d.id)).toEqual(['a', 'b', 'c'])
    expect(columns[0]!.totals).toEqual([
      { currency: 'ARS', valueMinor: 150 },
      { currency: 'USD', valueMinor: 7 },
    ])
    expect(columns[1]!.deals).toEqual([])
  })

  it('says a segment definition in words', () => {
    const lines = describeDefinition(
      { kinds: ['lead', 'customer'], cities: ['Rosario'], minScore: 10, revenueMinMinor: 100, revenueCurrency: 'ARS' },
      { kind: (k) => k.toUpperCase(), money: (m, c) => `${c} ${m}` },
    )
    expect(lines).toEqual([
      { key: 'crm.segments.def.kinds', value: 'LEAD, CUSTOMER' },
      { key: 'crm.segments.def.cities', value: 'Rosario' },
      { key: 'crm.segments.def.minScore', value: '10' },
      { key: 'crm.segments.def.revenue', value: '≥ ARS 100' },
    ])
  })

  it('builds an embed snippet that asks for a token and posts it back, with a hidden honeypot', () => {
    const words = { name: 'Nombre', email: 'Email', phone: 'Teléfono', message: 'Mensaje', send: 'Enviar', thanks: '¡Gracias!', failed: 'Falló </script>' }
    const html = embedSnippet('https://tendero.example', 'Abc123_-xyz', words)
    expect(html).toContain('"https://tendero.example/api/public/crm/leads/Abc123_-xyz"')
    expect(html).toContain('body.formToken = t')
    expect(html).toContain('name="website" tabindex="-1"')
    // Words cannot close the script early.
    expect(html.match(/<\/script>/g)).toHaveLength(1)
  })
})

describe('contacts store', () => {
  beforeEach(() => setActivePinia(createPinia()))

  it('loads with the filters, appends the next page without duplicates, and merges saved contacts', async () => {
    const calls = stubCloud({
      'GET /api/crm/contacts': (url) =>
        url.includes('cursor=p2')
          ? Response.json({ items: [contact('b'), contact('c')], nextCursor: null })
          : Response.json({ items: [contact('a'), contact('b')], nextCursor: 'p2' }),
    })
    const store = useCrmContactsStore()
    await store.load({ q: ' ana ', kind: 'lead', city: '', minScore: 10 })
    const first = new URL(calls[0]!.url, 'http://x')
    expect(Object.fromEntries(first.searchParams)).toEqual({ limit: '25', q: 'ana', kind: 'lead', minScore: '10' })
    expect(store.items.map((c) => c.id)).toEqual(['a', 'b'])
    expect(store.nextCursor).toBe('p2')

    await store.loadMore()
    expect(new URL(calls[1]!.url, 'http://x').searchParams.get('cursor')).toBe('p2')
    expect(new URL(calls[1]!.url, 'http://x').searchParams.get('q')).toBe('ana')
    expect(store.items.map((c) => c.id)).toEqual(['a', 'b', 'c'])
    expect(store.nextCursor).toBeNull()

    store.upsert(contact('b', { name: 'Cambiado' }) as never)
    store.upsert(contact('z') as never)
    expect(store.items.map((c) => c.id)).toEqual(['z', 'a', 'b', 'c'])
    expect(store.byId('b')?.name).toBe('Cambiado')
  })

  it('keeps the newest search when an older one answers last', async () => {
    let release!: () => void
    const slow = new Promise<void>((r) => (release = r))
    stubCloud({
      'GET /api/crm/contacts': async (url) => {
        if (url.includes('q=old')) {
          await slow
          return Response.json({ items: [contact('old')], nextCursor: null })
        }
        return Response.json({ items: [contact('new')], nextCursor: null })
      },
    })
    const store = useCrmContactsStore()
    const older = store.load({ q: 'old' })
    await store.load({ q: 'new' })
    release()
    await older
    expect(store.items.map((c) => c.id)).toEqual(['new'])
  })

  it('says why a load failed', async () => {
    stubCloud({})
    const store = useCrmContactsStore()
    await store.load()
    expect(store.status).toBe('error')
    expect(store.error).toBe('errors.UNKNOWN')
  })
})

describe('pipeline store', () => {
  beforeEach(() => setActivePinia(createPinia()))

  it('moves and closes deals with the cloud, sending an Idempotency-Key when opening one', async () => {
    const calls = stubCloud({
      'GET /api/crm/stages': () => Response.json({ items: [stage('s1', 0, 'Contacto inicial'), stage('s4', 3, 'Propuesta')], nextCursor: null }),
      'GET /api/crm/deals': () => Response.json({ items: [deal({ id: 'd1' })], nextCursor: null }),
      'POST /api/crm/deals/d1/move': () => Response.json(deal({ id: 'd1', stageId: 's4' })),
      'POST /api/crm/deals/d1/close': () => Response.json(deal({ id: 'd1', stageId: 's4', status: 'lost', closeReason: 'Precio' })),
      'POST /api/crm/deals': () => Response.json(deal({ id: 'd2', title: 'Nuevo' }), { status: 201 }),
    })
    const store = useCrmPipelineStore()
    await store.load()
    expect(new URL(calls.find((c) => c.url.startsWith('/api/crm/deals'))!.url, 'http://x').searchParams.get('status')).toBe('open')
    expect(store.columns[0]!.deals.map((d) => d.id)).toEqual(['d1'])

    await store.move('d1', 's4')
    expect(calls.at(-1)!.body).toEqual({ stageId: 's4' })
    expect(store.columns[1]!.deals.map((d) => d.id)).toEqual(['d1'])
    expect(store.stageName('s4')).toBe('Propuesta')

    await store.close('d1', 'lost', 'Precio')
    expect(calls.at(-1)!.body).toEqual({ outcome: 'lost', reason: 'Precio' })
    expect(store.columns.flatMap((c) => c.deals)).toEqual([])
    expect(store.closed.map((d) => d.status)).toEqual(['lost'])

    await store.create({ contactId: 'c1', title: 'Nuevo', valueMinor: 1, currency: 'ARS' }, 'key-1')
    expect(calls.at(-1)!.headers['Idempotency-Key']).toBe('key-1')
    expect(store.columns[0]!.deals.map((d) => d.id)).toEqual(['d2'])
  })

  it('throws a refused move and leaves the deal where it was', async () => {
    stubCloud({
      'GET /api/crm/stages': () => Response.json({ items: [stage('s1', 0)], nextCursor: null }),
      'GET /api/crm/deals': () => Response.json({ items: [deal({ id: 'd1' })], nextCursor: null }),
      'POST /api/crm/deals/d1/move': () => Response.json({ error: { code: 'CRM_DEAL_CLOSED', message: 'closed' } }, { status: 409 }),
    })
    const store = useCrmPipelineStore()
    await store.load()
    await expect(store.move('d1', 's1')).rejects.toMatchObject({ code: 'CRM_DEAL_CLOSED' })
    expect(store.deals[0]!.stageId).toBe('s1')
    expect(store.busyIds.size).toBe(0)
  })
})

describe('score reasons', () => {
  const money = (minor: number, currency: string) => `${currency} ${minor / 100}`
  it('words each condition from the cloud\'s data, with a key in both languages', () => {
    const cases = [
      [{ condition: { type: 'vertical_equals', value: 'Carnicería' }, observed: { value: 'Verdulería' } }, 'crm.score.vertical_equals', { value: 'Carnicería', actual: 'Verdulería' }],
      [{ condition: { type: 'revenue_at_least', minor: 100_00, currency: 'ARS' }, observed: { minor: null, currency: null } }, 'crm.score.revenue_at_least', { amount: 'ARS 100', actual: '—' }],
      [{ condition: { type: 'has_email' }, observed: { present: false } }, 'crm.score.no_email', {}],
      [{ condition: { type: 'has_phone' }, observed: { present: true } }, 'crm.score.has_phone', {}],
      [{ condition: { type: 'city_in', values: ['Rosario', 'Córdoba'] }, observed: { value: null } }, 'crm.score.city_in', { values: 'Rosario, Córdoba', actual: '—' }],
      [{ condition: { type: 'interactions_within', days: 30, atLeast: 3 }, observed: { count: 1 } }, 'crm.score.interactions_within', { atLeast: 3, days: 30, count: 1 }],
    ] as const
    for (const [rule, key, values] of cases) {
      expect(scoreReason(rule as Parameters<typeof scoreReason>[0], money, '—')).toEqual({ key, values })
      const leaf = key.split('.').pop()!
      expect((es.score as Record<string, string>)[leaf]).toBeTruthy()
      expect((en.score as Record<string, string>)[leaf]).toBeTruthy()
    }
  })
})

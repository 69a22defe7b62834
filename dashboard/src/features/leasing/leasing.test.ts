import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ApiError } from '../../api/client.js'
import type { Lease, Space } from '../../api/leasing.js'
import { i18n, setLocale } from '../../i18n/index.js'
import { en as leasingEn, es as leasingEs } from '../../i18n/messages/leasing.js'
import LeaseForm from './LeaseForm.vue'
import OccupancyChart from './OccupancyChart.vue'
import { checkLease, cloudFieldOf, leaseProblemOf, occupancyBars, oneYearFrom, parseDecimal, parseMoney, type LeaseDraft } from './leasing.js'
import { useLeasingStore } from './store.js'

type Handler = (url: string, init: RequestInit) => Response | Promise<Response>
function stubCloud(routes: Record<string, Handler>) {
  const calls: { method: string; url: string; body?: unknown; headers: Record<string, string> }[] = []
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init: RequestInit = {}) => {
      const method = init.method ?? 'GET'
      calls.push({ method, url, body: init.body ? JSON.parse(String(init.body)) : undefined, headers: (init.headers ?? {}) as Record<string, string> })
      const handler = routes[`${method} ${url.split('?')[0]}`]
      return handler ? handler(url, init) : Response.json({ error: { code: 'NOT_FOUND', message: url } }, { status: 404 })
    }),
  )
  return calls
}

const space = (over: Partial<Space> = {}): Space => ({
  id: 's1', mallId: 'm1', zoneId: null, code: 'L-01', areaCentiM2: 4250, areaM2: '42.50', type: 'local', baseRentMinor: 150_000_00, currency: 'ARS', ...over,
})
const lease = (over: Partial<Lease> = {}): Lease => ({
  id: 'l1', mallId: 'm1', tenantContactId: 'c1', tenantName: 'Kiosco Ana', spaces: [{ id: 's1', code: 'L-01', areaCentiM2: 4250, type: 'local', zoneId: null }],
  startsOn: '2026-01-01', endsOn: '2026-12-31', terminatedOn: null, terminationReason: null, status: 'active', rentMinor: 150_000_00, currency: 'ARS',
  depositMinor: 0, rentTaxRateBp: 0, billingDay: 1, escalation: { kind: 'none' }, rentSteps: [], previousLeaseId: null, notes: null, ...over,
})
const draft = (over: Partial<LeaseDraft> = {}): LeaseDraft => ({
  tenantContactId: 'c1', spaceIds: ['s1'], startsOn: '2026-01-01', endsOn: '2026-12-31', rent: '1.500,50', currency: 'ARS', deposit: '',
  escalationKind: 'none', percent: '', everyMonths: '6', escalationFrom: '', tableId: '', ...over,
})

beforeEach(() => setActivePinia(createPinia()))
afterEach(() => {
  vi.unstubAllGlobals()
  setLocale('es-AR')
})

describe('leasing logic', () => {
  it('reads amounts typed in the locale, and refuses the other locale’s decimal mark', () => {
    expect(parseMoney('1.234,56', 'es-AR')).toBe(123456)
    expect(parseMoney('1500', 'es-AR')).toBe(150000)
    expect(parseMoney('1500,5', 'es-AR')).toBe(150050)
    expect(parseMoney('$ 1.234,56', 'es-AR')).toBe(123456)
    expect(parseMoney('1,234.56', 'en')).toBe(123456)
    expect(parseMoney('1.5', 'es-AR')).toBeNull()
    expect(parseMoney('12,345', 'es-AR')).toBeNull()
    expect(parseMoney('1.23', 'es-AR')).toBeNull()
    expect(parseMoney('abc', 'en')).toBeNull()
    expect(parseMoney('', 'en')).toBeNull()
    expect(parseDecimal('42,5', 'es-AR', 2)).toBe(4250)
    expect(parseDecimal('1234,567', 'es-AR', 3)).toBe(1234567)
  })

  it('checks a lease draft and builds the body the cloud takes', () => {
    expect(checkLease(draft({ tenantContactId: '', spaceIds: [], rent: '0' }), 'es-AR').problems).toEqual({
      tenantContactId: 'leasing.leaseForm.errors.tenantRequired',
      spaceIds: 'leasing.leaseForm.errors.spacesRequired',
      rent: 'leasing.leaseForm.errors.amountInvalid',
    })
    expect(checkLease(draft({ escalationKind: 'percent', percent: '' }), 'es-AR').problems).toEqual({ percent: 'leasing.leaseForm.errors.percentInvalid' })
    expect(checkLease(draft({ escalationKind: 'index', everyMonths: '0' }), 'es-AR').problems).toEqual({
      tableId: 'leasing.leaseForm.errors.tableRequired',
      everyMonths: 'leasing.leaseForm.errors.everyMonths',
    })
    expect(checkLease(draft({ escalationKind: 'percent', percent: '7,5', everyMonths: '3', deposit: '300.000' }), 'es-AR').body).toEqual({
      tenantContactId: 'c1', spaceIds: ['s1'], startsOn: '2026-01-01', endsOn: '2026-12-31', rentMinor: 150050, currency: 'ARS', depositMinor: 30_000_000,
      escalation: { kind: 'percent', percentBp: 750, everyMonths: 3 },
    })
    expect(oneYearFrom('2026-03-01')).toBe('2027-02-28')
  })

  it('puts the cloud’s refusals on the field they are about', () => {
    expect(cloudFieldOf('endsOn: before startsOn')).toBe('endsOn')
    expect(cloudFieldOf('startsOn, endsOn: not calendar dates')).toBe('startsOn')
    expect(cloudFieldOf('body/escalation/percentBp must be <= 10000')).toBe('escalation.percentBp')
    expect(cloudFieldOf('/spaceIds/0 must match format "uuid"')).toBe('spaceIds')
    expect(leaseProblemOf(new ApiError(409, 'LEASING_SPACE_OVERLAP', 'space L-01 is already leased on some of these dates'))).toEqual({
      field: 'spaceIds', key: 'leasing.errors.LEASING_SPACE_OVERLAP', detail: 'space L-01 is already leased on some of these dates',
    })
    expect(leaseProblemOf(new ApiError(400, 'VALIDATION', 'endsOn: before startsOn'))).toEqual({ field: 'endsOn', key: 'leasing.errors.endsBeforeStart' })
    expect(leaseProblemOf(new ApiError(400, 'VALIDATION', 'body/rentMinor must be >= 1')).field).toBe('rent')
    expect(leaseProblemOf(new ApiError(422, 'LEASING_INDEX_MISSING', 'x')).field).toBe('tableId')
    expect(leaseProblemOf(new ApiError(0, 'NETWORK_ERROR', 'x'))).toEqual({ key: 'errors.NETWORK_ERROR' })
  })

  it('draws bars in proportion, clamped to the chart', () => {
    const bars = occupancyBars([{ key: 'a', name: 'A', occupiedPct: 50 }, { key: 'b', name: 'B', occupiedPct: 120 }], 150, 30)
    expect(bars.map((b) => [b.length, b.y])).toEqual([[75, 0], [150, 30]])
  })

  it('has every Spanish message in English', () => {
    const keys = (o: object, p = ''): string[] => Object.entries(o).flatMap(([k, v]) => (typeof v === 'object' ? keys(v, `${p}${k}.`) : [`${p}${k}`]))
    expect(keys(leasingEn)).toEqual(keys(leasingEs))
  })
})

describe('OccupancyChart', () => {
  it('writes each bar’s value as text and names the chart with all of them', () => {
    const rows = [
      { key: 'z1', name: 'Planta baja', occupiedCentiM2: 4250, totalCentiM2: 8500, occupiedPct: 50, occupiedSpaces: 1, totalSpaces: 2 },
      { key: 'z2', name: 'Primer piso', occupiedCentiM2: 0, totalCentiM2: 1000, occupiedPct: 0, occupiedSpaces: 0, totalSpaces: 1 },
    ]
    const wrapper = mount(OccupancyChart, { props: { rows, title: 'Por zona', group: 'zone' }, global: { plugins: [i18n] } })
    const pct = (v: number) => new Intl.NumberFormat('es-AR', { style: 'percent', maximumFractionDigits: 2 }).format(v)
    expect(wrapper.findAll('[data-testid=occupancy-value]').map((v) => v.text())).toEqual([pct(0.5), pct(0)])
    const svg = wrapper.get('svg')
    expect(svg.attributes('role')).toBe('img')
    expect(svg.attributes('aria-label')).toContain(`Planta baja: ${pct(0.5)}`)
    expect(wrapper.findAll('[data-testid=occupancy-row]')[0]!.text()).toContain('42,50 m² de 85,00 m²')
  })
})

describe('useLeasingStore', () => {
  it('loads the catalog, adds a space and counts a change for the figures', async () => {
    stubCloud({
      'GET /api/leasing/malls': () => Response.json({ items: [{ id: 'm1', name: 'Paseo', siteId: null, address: null, createdAt: '' }], nextCursor: null }),
      'GET /api/leasing/zones': () => Response.json({ items: [{ id: 'z1', mallId: 'm1', name: 'PB' }], nextCursor: null }),
      'GET /api/leasing/spaces': () => Response.json({ items: [], nextCursor: null }),
      'POST /api/leasing/spaces': () => Response.json(space({ zoneId: 'z1' }), { status: 201 }),
    })
    const store = useLeasingStore()
    await store.loadCatalog()
    expect(store.catalogStatus).toBe('ready')
    expect(store.zonesOf('m1').map((z) => z.name)).toEqual(['PB'])
    const before = store.leasesChanged
    await store.addSpace({ mallId: 'm1', zoneId: 'z1', code: 'L-01', areaCentiM2: 4250, type: 'local', baseRentMinor: 15_000_000, currency: 'ARS' })
    expect(store.spacesOf('m1').map((s) => s.code)).toEqual(['L-01'])
    expect(store.leasesChanged).toBe(before + 1)
  })
})

describe('LeaseForm', () => {
  function setup(routes: Record<string, Handler>) {
    const calls = stubCloud({
      'GET /api/crm/contacts': () => Response.json({ items: [{ id: 'c1', name: 'Kiosco Ana', company: null, email: null }], nextCursor: null }),
      'GET /api/leasing/index-tables': () => Response.json({ items: [], nextCursor: null }),
      ...routes,
    })
    const store = useLeasingStore()
    store.malls = [{ id: 'm1', name: 'Paseo', siteId: null, address: null, createdAt: '' }]
    store.spaces = [space()]
    const wrapper = mount(LeaseForm, { attachTo: document.body, global: { plugins: [i18n] } })
    return { calls, wrapper }
  }

  it('suggests the base rent, says what is missing on the field, then posts with an Idempotency-Key', async () => {
    const { calls, wrapper } = setup({ 'POST /api/leasing/leases': () => Response.json(lease({ escalation: { kind: 'percent', percentBp: 1000, everyMonths: 6 } }), { status: 201 }) })
    await flushPromises()
    // The only contact is chosen; the space's base rent is suggested in the locale.
    expect((wrapper.get('[data-testid=lease-tenant]').element as HTMLSelectElement).value).toBe('c1')
    await wrapper.get('[data-testid=lease-space]').setValue(true)
    expect((wrapper.get('[data-testid=lease-rent]').element as HTMLInputElement).value).toBe('150.000,00')
    await wrapper.get('[data-testid=lease-escalation]').setValue('percent')
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    const problem = wrapper.get('[data-testid=lease-field-error][data-field=percent]')
    expect(problem.text()).toBe(leasingEs.leaseForm.errors.percentInvalid)
    expect(wrapper.get('[data-testid=lease-percent]').attributes('aria-invalid')).toBe('true')
    expect(document.activeElement).toBe(wrapper.get('[data-testid=lease-percent]').element)
    expect(calls.some((c) => c.method === 'POST')).toBe(false)

    await wrapper.get('[data-testid=lease-percent]').setValue('10')
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    const post = calls.find((c) => c.method === 'POST')!
    expect(post.body).toMatchObject({ tenantContactId: 'c1', spaceIds: ['s1'], rentMinor: 15_000_000, currency: 'ARS', escalation: { kind: 'percent', percentBp: 1000, everyMonths: 6 } })
    expect(post.headers['Idempotency-Key']).toMatch(/\S{8,}/)
    expect(wrapper.emitted('created')?.[0]?.[0]).toMatchObject({ id: 'l1' })
    wrapper.unmount()
  })

  it('shows the cloud’s refusals on their fields: dates out of order, a space already leased', async () => {
    let answer = () => Response.json({ error: { code: 'VALIDATION', message: 'endsOn: before startsOn' } }, { status: 400 })
    const { wrapper } = setup({ 'POST /api/leasing/leases': () => answer() })
    await flushPromises()
    await wrapper.get('[data-testid=lease-space]').setValue(true)
    await wrapper.get('[data-testid=lease-ends]').setValue('2025-01-01')
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    expect(wrapper.get('[data-testid=lease-field-error][data-field=endsOn]').text()).toBe(leasingEs.errors.endsBeforeStart)
    expect(wrapper.get('[data-testid=lease-form-problems]').attributes('role')).toBe('alert')

    answer = () => Response.json({ error: { code: 'LEASING_SPACE_OVERLAP', message: 'space L-01 is already leased on some of these dates' } }, { status: 409 })
    await wrapper.get('[data-testid=lease-ends]').setValue('2026-12-31')
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    expect(wrapper.find('[data-testid=lease-field-error][data-field=endsOn]').exists()).toBe(false)
    const overlap = wrapper.get('[data-testid=lease-field-error][data-field=spaceIds]')
    expect(overlap.text()).toContain(leasingEs.errors.LEASING_SPACE_OVERLAP)
    expect(overlap.text()).toContain('L-01')
    expect(wrapper.emitted('created')).toBeUndefined()
    wrapper.unmount()
  })
})

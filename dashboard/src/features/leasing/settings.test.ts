import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { i18n } from '../../i18n/index.js'
import { en as leasingEn, es as leasingEs } from '../../i18n/messages/leasing.js'
import IndexTablesPanel from './IndexTablesPanel.vue'
import { formatIndexValue, indexValueForInput, moneyForInput, parseIndexValue, percentForInput } from './settings.js'
import TariffsPanel from './TariffsPanel.vue'
import { useLeasingStore } from './store.js'

type Handler = (url: string, init: RequestInit) => Response | Promise<Response>
function stubCloud(routes: Record<string, Handler>) {
  const calls: { method: string; url: string; body?: unknown }[] = []
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init: RequestInit = {}) => {
      const method = init.method ?? 'GET'
      calls.push({ method, url, body: init.body ? JSON.parse(String(init.body)) : undefined })
      const handler = routes[`${method} ${url.split('?')[0]}`]
      return handler ? handler(url, init) : Response.json({ error: { code: 'NOT_FOUND', message: url } }, { status: 404 })
    }),
  )
  return calls
}
const global = { plugins: [i18n] }
const s = leasingEs.settings

beforeEach(() => {
  setActivePinia(createPinia())
  i18n.global.locale.value = 'es-AR'
})
afterEach(() => vi.unstubAllGlobals())

describe('index values in the locale', () => {
  it('parses Spanish and English typing into the cloud decimal text', () => {
    expect(parseIndexValue('1,234567', 'es')).toBe('1.234567')
    expect(parseIndexValue('1.234,5', 'es')).toBe('1234.5')
    expect(parseIndexValue('1.234567', 'en')).toBe('1.234567')
    expect(parseIndexValue('100', 'es')).toBe('100')
    expect(parseIndexValue('1,2345678', 'es')).toBeNull()
    expect(parseIndexValue('1.5', 'es')).toBeNull()
    expect(parseIndexValue('abc', 'en')).toBeNull()
    expect(parseIndexValue('', 'en')).toBeNull()
  })
  it('shows the cloud decimal in the locale', () => {
    expect(indexValueForInput('1234.567891', 'es')).toBe('1234,567891')
    expect(indexValueForInput('1234.5', 'en')).toBe('1234.5')
    expect(formatIndexValue('1234.567891', 'es-AR')).toBe('1.234,567891')
    expect(moneyForInput(12345, 'es')).toBe('123,45')
    expect(percentForInput(1050, 'es')).toBe('10,5')
    expect(percentForInput(2100, 'en')).toBe('21')
  })
  it('has every settings message in English too', () => {
    const keys = (o: object, p = ''): string[] => Object.entries(o).flatMap(([k, v]) => (typeof v === 'object' ? keys(v as object, `${p}${k}.`) : [`${p}${k}`]))
    expect(keys(leasingEn.settings)).toEqual(keys(leasingEs.settings))
  })
})

describe('IndexTablesPanel', () => {
  it('lists, creates a table, and saves values typed in Spanish as the cloud decimal', async () => {
    const calls = stubCloud({
      'GET /api/leasing/index-tables': () => Response.json({ items: [{ id: 't1', name: 'ICL' }], nextCursor: null }),
      'POST /api/leasing/index-tables': () => Response.json({ id: 't2', name: 'IPC', values: [] }, { status: 201 }),
      'GET /api/leasing/index-tables/t1': () => Response.json({ id: 't1', name: 'ICL', values: [{ date: '2026-01-01', value: '1.5' }] }),
      'PUT /api/leasing/index-tables/t1/values': (_u, init) => {
        const body = JSON.parse(String(init.body)) as { values: { date: string; value: string }[] }
        return Response.json({ id: 't1', name: 'ICL', values: body.values })
      },
    })
    const w = mount(IndexTablesPanel, { props: { canManage: true }, global, attachTo: document.body })
    await flushPromises()
    expect(w.findAll('[data-testid=index-table-item]')).toHaveLength(1)

    await w.find('[data-testid=index-table-form]').trigger('submit')
    expect(w.find('[data-testid=index-table-name-problem]').text()).toContain(s.indexTables.nameRequired)
    await w.find('[data-testid=index-table-name]').setValue('IPC')
    await w.find('[data-testid=index-table-form]').trigger('submit')
    await flushPromises()
    expect(calls.find((c) => c.method === 'POST')?.body).toEqual({ name: 'IPC' })
    expect(w.findAll('[data-testid=index-table-item]').map((i) => i.text())).toEqual([expect.stringContaining('ICL'), expect.stringContaining('IPC')])

    await w.find('[data-testid=index-table-edit][data-table-id=t1]').trigger('click')
    await flushPromises()
    const rows = () => w.findAll('[data-testid=index-value-row]')
    expect(rows()).toHaveLength(1)
    expect((rows()[0]!.find('[data-testid=index-value-value]').element as HTMLInputElement).value).toBe('1,5')
    expect(rows()[0]!.find('[data-testid=index-value-remove]').exists()).toBe(false)

    // Two new rows, one removed; a bad value is shown on its field.
    await w.find('[data-testid=index-value-add]').trigger('click')
    await w.find('[data-testid=index-value-add]').trigger('click')
    expect(rows()).toHaveLength(3)
    await rows()[2]!.find('[data-testid=index-value-remove]').trigger('click')
    expect(rows()).toHaveLength(2)
    await rows()[1]!.find('input[type=date]').setValue('2026-02-01')
    await rows()[1]!.find('[data-testid=index-value-value]').setValue('1.5')
    await w.find('[data-testid=index-values-form]').trigger('submit')
    expect(rows()[1]!.find('[data-testid=index-value-value-problem]').text()).toContain(s.indexTables.valueInvalid)
    expect(rows()[1]!.find('[data-testid=index-value-value]').attributes('aria-invalid')).toBe('true')
    expect(calls.some((c) => c.method === 'PUT')).toBe(false)

    await rows()[1]!.find('[data-testid=index-value-value]').setValue('1,234567')
    await w.find('[data-testid=index-values-form]').trigger('submit')
    await flushPromises()
    expect(calls.find((c) => c.method === 'PUT')?.body).toEqual({ values: [{ date: '2026-01-01', value: '1.5' }, { date: '2026-02-01', value: '1.234567' }] })
    expect(w.find('[data-testid=index-tables-status]').text()).toContain('ICL')
    expect(rows().every((r) => r.attributes('data-saved') === 'true')).toBe(true)
    // Every field has a label.
    for (const input of w.findAll('input, select')) expect(w.find(`label[for="${input.attributes('id')}"]`).exists()).toBe(true)
    w.unmount()
  })

  it('puts the cloud validation error on the row field it names', async () => {
    stubCloud({
      'GET /api/leasing/index-tables': () => Response.json({ items: [{ id: 't1', name: 'ICL' }], nextCursor: null }),
      'GET /api/leasing/index-tables/t1': () => Response.json({ id: 't1', name: 'ICL', values: [] }),
      'PUT /api/leasing/index-tables/t1/values': () => Response.json({ error: { code: 'VALIDATION', message: 'body/values/0/value must match pattern' } }, { status: 400 }),
    })
    const w = mount(IndexTablesPanel, { props: { canManage: true }, global, attachTo: document.body })
    await flushPromises()
    await w.find('[data-testid=index-table-edit]').trigger('click')
    await flushPromises()
    await w.find('input[type=date]').setValue('2026-01-01')
    await w.find('[data-testid=index-value-value]').setValue('12,5')
    await w.find('[data-testid=index-values-form]').trigger('submit')
    await flushPromises()
    expect(w.find('[data-testid=index-value-value-problem]').text()).toContain('must match pattern')
    w.unmount()
  })

  it('shows only the list to whoever cannot manage', async () => {
    stubCloud({ 'GET /api/leasing/index-tables': () => Response.json({ items: [{ id: 't1', name: 'ICL' }], nextCursor: null }) })
    const w = mount(IndexTablesPanel, { props: { canManage: false }, global })
    await flushPromises()
    expect(w.find('[data-testid=index-table-form]').exists()).toBe(false)
    expect(w.find('[data-testid=index-table-edit]').exists()).toBe(false)
  })
})

describe('TariffsPanel', () => {
  function withMalls() {
    const store = useLeasingStore()
    store.malls = [
      { id: 'm1', name: 'Centro Norte', siteId: null, address: null, createdAt: '2026-01-01T00:00:00Z' },
      { id: 'm2', name: 'Alto Sur', siteId: null, address: null, createdAt: '2026-01-01T00:00:00Z' },
    ]
  }

  it('shows a mall\'s tariffs and saves one typed as money in the locale', async () => {
    withMalls()
    const calls = stubCloud({
      'GET /api/leasing/tariffs': () => Response.json({ items: [{ id: 'x1', mallId: 'm1', kind: 'energy', currency: 'ARS', priceMinor: 12345, taxRateBp: 2100 }], nextCursor: null }),
      'PUT /api/leasing/tariffs': (_u, init) => Response.json({ id: 'x2', ...JSON.parse(String(init.body)) }),
    })
    const w = mount(TariffsPanel, { props: { canManage: true }, global, attachTo: document.body })
    await flushPromises()
    // Sorted by name: Alto Sur first, without tariffs.
    expect((w.find('[data-testid=tariff-mall]').element as HTMLSelectElement).value).toBe('m2')
    expect(w.find('[data-testid=tariff-current-energy]').text()).toBe(s.tariffs.none)
    await w.find('[data-testid=tariff-mall]').setValue('m1')
    expect((w.find('[data-testid=tariff-price-energy]').element as HTMLInputElement).value).toBe('123,45')
    expect((w.find('[data-testid=tariff-tax-energy]').element as HTMLInputElement).value).toBe('21')
    expect(w.find('[data-testid=tariff-current-energy]').text()).toContain('123,45')

    await w.find('[data-testid=tariff-price-water]').setValue('abc')
    await w.find('[data-testid=tariff-form-water]').trigger('submit')
    expect(w.find('[data-testid=tariff-price-problem-water]').text()).toContain(s.tariffs.priceInvalid)
    expect(calls.some((c) => c.method === 'PUT')).toBe(false)

    await w.find('[data-testid=tariff-price-water]').setValue('1.500,5')
    await w.find('[data-testid=tariff-currency-water]').setValue('USD')
    await w.find('[data-testid=tariff-tax-water]').setValue('10,5')
    await w.find('[data-testid=tariff-form-water]').trigger('submit')
    await flushPromises()
    expect(calls.find((c) => c.method === 'PUT')?.body).toEqual({ mallId: 'm1', kind: 'water', currency: 'USD', priceMinor: 150050, taxRateBp: 1050 })
    expect(w.find('[data-testid=tariffs-status]').text()).toContain(s.tariffs.kinds.water)
    expect(w.find('[data-testid=tariff-current-water]').text()).not.toBe(s.tariffs.none)
    for (const input of w.findAll('input, select')) expect(w.find(`label[for="${input.attributes('id')}"]`).exists()).toBe(true)
    w.unmount()
  })

  it('puts the cloud validation error on the field it names', async () => {
    withMalls()
    stubCloud({
      'GET /api/leasing/tariffs': () => Response.json({ items: [], nextCursor: null }),
      'PUT /api/leasing/tariffs': () => Response.json({ error: { code: 'VALIDATION', message: 'body/taxRateBp must be <= 100000' } }, { status: 400 }),
    })
    const w = mount(TariffsPanel, { props: { canManage: true }, global, attachTo: document.body })
    await flushPromises()
    await w.find('[data-testid=tariff-price-energy]').setValue('10')
    await w.find('[data-testid=tariff-form-energy]').trigger('submit')
    await flushPromises()
    expect(w.find('[data-testid=tariff-tax-problem-energy]').text()).toContain('100000')
    w.unmount()
  })
})

import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { i18n } from '../../i18n/index.js'
import { es as leasingEs } from '../../i18n/messages/leasing.js'
import MetersPanel from './MetersPanel.vue'
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
const m = leasingEs.settings.meters
const page = (items: unknown[]) => Response.json({ items, nextCursor: null })

const SITE = '11111111-1111-4111-8111-111111111111'
const OTHER = '22222222-2222-4222-8222-222222222222'
const meter = { id: 'me1', spaceId: 's1', siteId: SITE, deviceId: 'em-1', metric: 'energy_kwh', kind: 'energy', unit: 'kwh' }

function catalog() {
  const store = useLeasingStore()
  store.malls = [{ id: 'm1', name: 'Centro Norte', siteId: OTHER, address: null, createdAt: '2026-01-01T00:00:00Z' }]
  store.spaces = [
    { id: 's1', mallId: 'm1', zoneId: null, code: 'L-01', areaCentiM2: 4000, areaM2: '40', type: 'local', baseRentMinor: 0, currency: 'ARS' },
    { id: 's2', mallId: 'm1', zoneId: null, code: 'L-02', areaCentiM2: 4000, areaM2: '40', type: 'local', baseRentMinor: 0, currency: 'ARS' },
  ]
}
const fleet = {
  'GET /api/sites': () => page([{ id: SITE, name: 'Depósito', timezone: 'UTC' }, { id: OTHER, name: 'Shopping', timezone: 'UTC' }]),
  'GET /api/gateways': (url: string) => page(url.includes(OTHER) ? [{ id: 'g2' }] : [{ id: 'g1' }]),
  'GET /api/gateways/g1/devices': () => page([{ id: 'em-1', gatewayId: 'g1', siteId: SITE, name: 'Medidor 1', kind: 'energy_meter', coldBand: null }]),
  'GET /api/gateways/g2/devices': () => page([{ id: 'wm-7', gatewayId: 'g2', siteId: OTHER, name: 'Agua planta baja', kind: 'water_meter', coldBand: null }]),
}

beforeEach(() => {
  setActivePinia(createPinia())
  i18n.global.locale.value = 'es-AR'
})
afterEach(() => vi.unstubAllGlobals())

describe('MetersPanel', () => {
  it('lists meters and creates one from the site\'s devices', async () => {
    catalog()
    const calls = stubCloud({
      ...fleet,
      'GET /api/leasing/meters': () => page([meter]),
      'POST /api/leasing/meters': (_u, init) => Response.json({ id: 'me2', ...JSON.parse(String(init.body)) }, { status: 201 }),
    })
    const w = mount(MetersPanel, { props: { canManage: true }, global, attachTo: document.body })
    await flushPromises()
    expect(w.findAll('[data-testid=meter-item]')).toHaveLength(1)
    expect(w.find('[data-testid=meter-item]').text()).toContain('L-01')

    await w.find('[data-testid=meter-open]').trigger('click')
    await flushPromises()
    // The first space's mall has a site: it is picked, and its devices listed.
    expect((w.find('[data-testid=meter-site]').element as HTMLSelectElement).value).toBe(OTHER)
    expect(w.findAll('[data-testid=meter-device] option').map((o) => o.text())).toEqual(['Agua planta baja (wm-7)'])
    await w.find('[data-testid=meter-space]').setValue('s2')
    await w.find('[data-testid=meter-kind]').setValue('water')
    expect(w.findAll('[data-testid=meter-unit] option').map((o) => o.attributes('value'))).toEqual(['m3', 'l'])
    await w.find('[data-testid=meter-metric]').setValue('')
    await w.find('[data-testid=meter-form]').trigger('submit')
    expect(w.find('[data-testid=meter-metric-problem]').text()).toContain(m.metricRequired)
    expect(document.activeElement).toBe(w.find('[data-testid=meter-metric]').element)
    await w.find('[data-testid=meter-metric]').setValue('water_m3')
    await w.find('[data-testid=meter-unit]').setValue('l')
    await w.find('[data-testid=meter-form]').trigger('submit')
    await flushPromises()
    expect(calls.find((c) => c.method === 'POST')?.body).toEqual({ spaceId: 's2', siteId: OTHER, deviceId: 'wm-7', metric: 'water_m3', kind: 'water', unit: 'l' })
    expect(w.findAll('[data-testid=meter-item]')).toHaveLength(2)
    expect(w.find('[data-testid=meters-status]').text()).toContain('L-02')
    w.unmount()
  })

  it('labels every field and puts the cloud error on its field', async () => {
    catalog()
    stubCloud({
      ...fleet,
      'GET /api/leasing/meters': () => page([]),
      'POST /api/leasing/meters': () => Response.json({ error: { code: 'SITE_NOT_FOUND', message: 'Site not found' } }, { status: 404 }),
    })
    const w = mount(MetersPanel, { props: { canManage: true }, global, attachTo: document.body })
    await flushPromises()
    await w.find('[data-testid=meter-open]').trigger('click')
    await flushPromises()
    for (const input of w.findAll('input, select')) expect(w.find(`label[for="${input.attributes('id')}"]`).exists()).toBe(true)
    await w.find('[data-testid=meter-form]').trigger('submit')
    await flushPromises()
    expect(w.find('[data-testid=meter-site-problem]').text()).toContain(m.siteNotFound)
    expect(w.find('[data-testid=meter-site]').attributes('aria-invalid')).toBe('true')
    w.unmount()
  })

  it('deletes a meter after confirming', async () => {
    catalog()
    const calls = stubCloud({ 'GET /api/leasing/meters': () => page([meter]), 'DELETE /api/leasing/meters/me1': () => Response.json({ deleted: true }) })
    vi.stubGlobal('confirm', vi.fn(() => true))
    const w = mount(MetersPanel, { props: { canManage: true }, global, attachTo: document.body })
    await flushPromises()
    await w.find('[data-testid=meter-delete]').trigger('click')
    await flushPromises()
    expect(calls.some((c) => c.method === 'DELETE')).toBe(true)
    expect(w.findAll('[data-testid=meter-item]')).toHaveLength(0)
    expect(w.find('[data-testid=meters-status]').text()).toContain('L-01')
    w.unmount()
  })

  it('shows only the list to whoever cannot manage', async () => {
    catalog()
    stubCloud({ 'GET /api/leasing/meters': () => page([meter]) })
    const w = mount(MetersPanel, { props: { canManage: false }, global })
    await flushPromises()
    expect(w.find('[data-testid=meter-open]').exists()).toBe(false)
    expect(w.find('[data-testid=meter-delete]').exists()).toBe(false)
  })
})

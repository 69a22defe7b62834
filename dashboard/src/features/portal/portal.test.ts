import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { PortalInvoice, PortalLease } from '../../api/portal.js'
import { i18n, setLocale } from '../../i18n/index.js'
import { en as portalEn, es as portalEs } from '../../i18n/messages/portal.js'
import IncidentReport from './IncidentReport.vue'
import PortalInvoices from './PortalInvoices.vue'
import PortalLeases from './PortalLeases.vue'
import PortalLinks from './PortalLinks.vue'
import { openBalances } from './portal.js'
import { usePortalStore } from './store.js'

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

const lease = (over: Partial<PortalLease> = {}): PortalLease => ({
  id: 'l1', mallName: 'Paseo del Sol', landlordName: 'Paseo SA', spaces: [{ id: 's1', code: 'L-01', areaCentiM2: 4250, type: 'local', zoneId: null }],
  startsOn: '2026-01-01', endsOn: '2026-12-31', terminatedOn: null, status: 'active', rentMinor: 2_500_00, currency: 'USD', depositMinor: 0,
  charges: [], projection: [{ period: '2026-12', amountMinor: 2_500_00, currency: 'USD', segments: [] }], ...over,
})
const invoice = (over: Partial<PortalInvoice> = {}): PortalInvoice => ({
  id: 'i1', status: 'posted', series: 'A', number: 'A-00000001', contactName: 'Kiosco', currency: 'ARS', issueDate: '2026-11-01', dueDate: '2026-11-10',
  totalMinor: 123_456, paidMinor: 23_456, creditedMinor: 0, openMinor: 100_000, ...over,
})

beforeEach(() => setActivePinia(createPinia()))
afterEach(() => {
  vi.unstubAllGlobals()
  setLocale('es-AR')
})

describe('portal logic', () => {
  it('adds open balances per currency, posted invoices only', () => {
    expect(openBalances([invoice(), invoice({ id: 'i2', openMinor: 50 }), invoice({ id: 'i3', currency: 'USD', openMinor: 7 }), invoice({ id: 'i4', status: 'draft' })])).toEqual([
      { currency: 'ARS', amountMinor: 100_050 },
      { currency: 'USD', amountMinor: 7 },
    ])
  })

  it('has every Spanish message in English', () => {
    const keys = (o: object, p = ''): string[] => Object.entries(o).flatMap(([k, v]) => (typeof v === 'object' ? keys(v, `${p}${k}.`) : [`${p}${k}`]))
    expect(keys(portalEn)).toEqual(keys(portalEs))
  })
})

describe('portal components', () => {
  it('shows a USD lease in USD, with its next charges', async () => {
    stubCloud({ 'GET /api/portal/leases': () => Response.json({ items: [lease()], nextCursor: null }) })
    await usePortalStore().loadLeases()
    const wrapper = mount(PortalLeases, { global: { plugins: [i18n] } })
    expect(wrapper.get('[data-testid=portal-lease-rent]').text()).toContain('US$')
    expect(wrapper.get('[data-testid=portal-lease-spaces]').text()).toContain('L-01')
    expect(wrapper.findAll('[data-testid=portal-next-charge]')).toHaveLength(1)
  })

  it('shows invoices with their open balance in es-AR money, or says they are not available', async () => {
    stubCloud({ 'GET /api/portal/invoices': () => Response.json({ items: [invoice()], nextCursor: null }) })
    const store = usePortalStore()
    await store.loadInvoices()
    const wrapper = mount(PortalInvoices, { global: { plugins: [i18n] } })
    expect(wrapper.get('[data-testid=portal-open-total]').text().replace(/\s/g, ' ')).toContain('$ 1.000,00')
    expect(wrapper.get('[data-testid=portal-invoice-open]').text().replace(/\s/g, ' ')).toContain('$ 1.000,00')

    stubCloud({})
    await store.loadInvoices()
    expect(store.invoicesStatus).toBe('unavailable')
  })

  it('reports an incident: the description is required, then it is sent and listed first', async () => {
    const calls = stubCloud({
      'GET /api/portal/leases': () => Response.json({ items: [lease()], nextCursor: null }),
      'POST /api/portal/incidents': (_url, init) =>
        Response.json({ id: 'n1', leaseId: 'l1', spaceId: 's1', category: 'agua', description: JSON.parse(String(init.body)).description, status: 'open', createdAt: '2026-11-21T10:00:00.000Z', resolvedAt: null }, { status: 201 }),
    })
    await usePortalStore().loadLeases()
    const wrapper = mount(IncidentReport, { props: { canReport: true }, attachTo: document.body, global: { plugins: [i18n] } })
    await wrapper.get('form').trigger('submit')
    expect(wrapper.get('[data-testid=incident-description-input]').attributes('aria-invalid')).toBe('true')
    expect(calls.some((c) => c.method === 'POST')).toBe(false)

    await wrapper.get('[data-testid=incident-space]').setValue('s1')
    await wrapper.get('[data-testid=incident-category]').setValue('agua')
    await wrapper.get('[data-testid=incident-description-input]').setValue('Pierde la canilla del baño')
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    expect(calls.at(-1)).toEqual({ method: 'POST', url: '/api/portal/incidents', body: { leaseId: 'l1', spaceId: 's1', category: 'agua', description: 'Pierde la canilla del baño' } })
    expect(wrapper.get('[data-testid=portal-incident]').text()).toContain('Pierde la canilla del baño')
    expect(wrapper.get('[data-testid=incident-status]').text()).toContain('Paseo del Sol')
    wrapper.unmount()
  })

  it('links with a code: a wrong one is a clear error on the field, the right one lists the mall and loads its leases; unlinking asks once more', async () => {
    let linked = false
    const calls = stubCloud({
      'GET /api/portal/links': () => Response.json({ items: [], nextCursor: null }),
      'POST /api/portal/links': (_url, init) => {
        const code = JSON.parse(String(init.body)).code as string
        if (code !== 'hy7qe agk7u') return Response.json({ error: { code: 'PORTAL_LINK_CODE_INVALID', message: 'x' } }, { status: 404 })
        linked = true
        return Response.json({ contactId: 'c1', contactName: 'Kiosco SRL', kind: 'customer', orgId: 'o1', orgName: 'Paseo del Sol', linkedAt: Date.UTC(2026, 10, 21) }, { status: 201 })
      },
      'DELETE /api/portal/links/c1': () => {
        linked = false
        return Response.json({ contactId: 'c1', contactName: 'Kiosco SRL', kind: 'customer', orgId: 'o1', orgName: 'Paseo del Sol', linkedAt: null })
      },
      'GET /api/portal/leases': () => Response.json({ items: linked ? [lease()] : [], nextCursor: null }),
      'GET /api/portal/incidents': () => Response.json({ items: [], nextCursor: null }),
      'GET /api/portal/invoices': () => Response.json({ items: [], nextCursor: null }),
    })
    const store = usePortalStore()
    await store.loadLinks()
    const wrapper = mount(PortalLinks, { props: { canLink: true }, attachTo: document.body, global: { plugins: [i18n] } })
    const input = wrapper.get('[data-testid=portal-link-code]')
    expect(wrapper.get(`label[for="${input.attributes('id')}"]`).text()).toBe('Código de invitación')
    await wrapper.get('form').trigger('submit')
    expect(input.attributes('aria-invalid')).toBe('true')
    expect(calls.filter((c) => c.method === 'POST')).toHaveLength(0)

    await input.setValue('WRONG-CODE1')
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    expect(wrapper.get('[data-testid=portal-link-error]').text()).toContain('Ese código no es válido')
    expect(document.activeElement?.getAttribute('data-testid')).toBe('portal-link-code')

    await input.setValue(' hy7qe agk7u ')
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    expect(wrapper.find('[data-testid=portal-link-error]').exists()).toBe(false)
    expect(wrapper.get('[data-testid=portal-link-status]').text()).toContain('Paseo del Sol')
    expect(wrapper.findAll('[data-testid=portal-link]')).toHaveLength(1)
    expect(store.leases.map((l) => l.id)).toEqual(['l1'])

    await wrapper.get('[data-testid=portal-unlink]').trigger('click')
    await flushPromises()
    expect(calls.some((c) => c.method === 'DELETE')).toBe(false)
    await wrapper.get('[data-testid=portal-unlink-confirm]').trigger('click')
    await flushPromises()
    expect(wrapper.findAll('[data-testid=portal-link]')).toHaveLength(0)
    expect(store.leases).toEqual([])
    wrapper.unmount()
  })
})

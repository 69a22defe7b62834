import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Charge, Lease } from '../../api/leasing.js'
import { i18n } from '../../i18n/index.js'
import { es as leasingEs } from '../../i18n/messages/leasing.js'
import IncidentsPanel from './IncidentsPanel.vue'
import LeaseDetail from './LeaseDetail.vue'
import RentRunPanel from './RentRunPanel.vue'
import ReviewPanel from './ReviewPanel.vue'
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

const lease = (over: Partial<Lease> = {}): Lease => ({
  id: 'l1', mallId: 'm1', tenantContactId: 'c1', tenantName: 'Kiosco Ana', spaces: [{ id: 's1', code: 'L-01', areaCentiM2: 4250, type: 'local', zoneId: null }],
  startsOn: '2026-01-01', endsOn: '2026-12-31', terminatedOn: null, terminationReason: null, status: 'active', rentMinor: 100_000_00, currency: 'USD',
  depositMinor: 0, rentTaxRateBp: 0, billingDay: 1, escalation: { kind: 'percent', percentBp: 1000, everyMonths: 6 }, rentSteps: [], previousLeaseId: null, notes: null, ...over,
})
const charge = (over: Partial<Charge> = {}): Charge => ({
  id: 'ch1', leaseId: 'l1', period: '2026-10', kind: 'utility_energy', currency: 'ARS', amountMinor: null, taxMinor: 0, status: 'needs_review',
  reviewReason: 'data_gap', resolutionNote: null, detail: {}, ...over,
})
const global = { plugins: [i18n] }

beforeEach(() => setActivePinia(createPinia()))
afterEach(() => vi.unstubAllGlobals())

describe('LeaseDetail', () => {
  it('shows charges and the projection in the lease currency, the escalation month as its runs, and terminates with a reason', async () => {
    const segments = [
      { from: '2026-07-01', to: '2026-07-14', days: 14, rentMinor: 100_000_00, amountMinor: 45_161_29 },
      { from: '2026-07-15', to: '2026-07-31', days: 17, rentMinor: 110_000_00, amountMinor: 60_322_58 },
    ]
    const calls = stubCloud({
      'GET /api/leasing/leases/l1/schedule': () =>
        Response.json({
          leaseId: 'l1', currency: 'USD',
          charges: [charge({ id: 'r1', kind: 'rent', currency: 'USD', amountMinor: 100_000_00, status: 'ok', period: '2026-06' })],
          projection: [{ period: '2026-07', amountMinor: 105_483_87, currency: 'USD', segments }],
        }),
      'POST /api/leasing/leases/l1/terminate': () => Response.json(lease({ terminatedOn: '2026-09-30', status: 'active' })),
    })
    const wrapper = mount(LeaseDetail, { props: { lease: lease(), canManage: true }, attachTo: document.body, global })
    await flushPromises()
    expect(wrapper.get('[data-testid=schedule-charge]').text()).toContain('US$')
    const projected = wrapper.get('[data-testid=schedule-projected]')
    expect(projected.attributes('data-segments')).toBe('2')
    expect(projected.findAll('[data-testid=schedule-segments] li')).toHaveLength(2)
    expect(projected.text()).toContain(leasingEs.schedule.escalated)

    await wrapper.get('[data-testid=lease-terminate-open]').trigger('click')
    await wrapper.get('[data-testid=lease-terminate-form]').trigger('submit')
    expect(wrapper.get('[data-testid=lease-terminate-reason]').attributes('aria-invalid')).toBe('true')
    await wrapper.get('[data-testid=lease-terminate-on]').setValue('2026-09-30')
    await wrapper.get('[data-testid=lease-terminate-reason]').setValue('Cierre del local')
    await wrapper.get('[data-testid=lease-terminate-form]').trigger('submit')
    await flushPromises()
    expect(calls.find((c) => c.method === 'POST')?.body).toEqual({ on: '2026-09-30', reason: 'Cierre del local' })
    expect(useLeasingStore().leases[0]?.terminatedOn).toBe('2026-09-30')
    expect(wrapper.get('[data-testid=lease-action-status]').text()).toContain('30')
    wrapper.unmount()
  })

  it('renews with the new rent typed in the locale', async () => {
    const calls = stubCloud({
      'GET /api/leasing/leases/l1/schedule': () => Response.json({ leaseId: 'l1', currency: 'USD', charges: [], projection: [] }),
      'POST /api/leasing/leases/l1/renew': () => Response.json(lease({ id: 'l2', startsOn: '2027-01-01', endsOn: '2027-12-31' }), { status: 201 }),
      'GET /api/leasing/leases': () => Response.json({ items: [], nextCursor: null }),
    })
    const wrapper = mount(LeaseDetail, { props: { lease: lease(), canManage: true }, global })
    await flushPromises()
    await wrapper.get('[data-testid=lease-renew-open]').trigger('click')
    expect(wrapper.get<HTMLInputElement>('[data-testid=lease-renew-ends]').element.value).toBe('2027-12-31')
    await wrapper.get('[data-testid=lease-renew-rent]').setValue('1.100,50')
    await wrapper.get('[data-testid=lease-renew-form]').trigger('submit')
    await flushPromises()
    expect(calls.find((c) => c.method === 'POST')?.body).toEqual({ mode: 'new_term', endsOn: '2027-12-31', rentMinor: 110_050 })
  })
})

describe('RentRunPanel', () => {
  it('charges a month and shows what was created and what existed', async () => {
    let charges: Charge[] = []
    const calls = stubCloud({
      'GET /api/leasing/charges': () => Response.json({ items: charges, nextCursor: null }),
      'GET /api/leasing/leases': () => Response.json({ items: [lease()], nextCursor: null }),
      'POST /api/leasing/rent-runs': (_u, init) => {
        charges = [charge({ kind: 'rent', status: 'ok', amountMinor: 100_000_00, currency: 'USD', period: JSON.parse(String(init.body)).period })]
        return Response.json({ period: '2026-11', created: 1, existing: 2 })
      },
    })
    const wrapper = mount(RentRunPanel, { props: { canManage: true }, global })
    await flushPromises()
    await wrapper.get('[data-testid=rent-run-period]').setValue('2026-11')
    await flushPromises()
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    expect(calls.find((c) => c.method === 'POST')?.body).toEqual({ period: '2026-11' })
    const result = wrapper.get('[data-testid=rent-run-result]')
    expect(result.attributes('data-created')).toBe('1')
    expect(result.text()).toContain('2')
    expect(wrapper.get('[data-testid=period-charge]').text()).toContain('Kiosco Ana')
  })
})

describe('ReviewPanel', () => {
  it('resolves a flagged utility charge with readings typed in the locale and a note', async () => {
    const calls = stubCloud({
      'GET /api/leasing/charges': () => Response.json({ items: [charge()], nextCursor: null }),
      'POST /api/leasing/charges/ch1/resolve': () => Response.json(charge({ status: 'resolved', amountMinor: 5000 })),
    })
    const wrapper = mount(ReviewPanel, { props: { canManage: true }, attachTo: document.body, global })
    await flushPromises()
    await wrapper.get('[data-testid=review-open]').trigger('click')
    await wrapper.get('[data-testid=review-form]').trigger('submit')
    expect(wrapper.get('[data-testid=review-startValue]').attributes('aria-invalid')).toBe('true')
    expect(wrapper.get('[data-testid=review-note]').attributes('aria-invalid')).toBe('true')
    await wrapper.get('[data-testid=review-startValue]').setValue('1.200,5')
    await wrapper.get('[data-testid=review-endValue]').setValue('1.350,25')
    await wrapper.get('[data-testid=review-note]').setValue('Leído en el medidor')
    await wrapper.get('[data-testid=review-form]').trigger('submit')
    await flushPromises()
    expect(calls.find((c) => c.method === 'POST')?.body).toEqual({ startValue: 1200.5, endValue: 1350.25, note: 'Leído en el medidor' })
    expect(wrapper.find('[data-testid=review-charge]').exists()).toBe(false)
    expect(wrapper.get('[data-testid=review-status]').text()).toBe(leasingEs.review.done)
    wrapper.unmount()
  })
})

describe('IncidentsPanel', () => {
  it('changes an incident’s status only when saved', async () => {
    const incident = { id: 'i1', leaseId: 'l1', spaceId: null, category: 'agua', description: 'Gotea', status: 'open', createdAt: '2026-11-21T10:00:00.000Z', resolvedAt: null }
    const calls = stubCloud({
      'GET /api/leasing/incidents': () => Response.json({ items: [incident], nextCursor: null }),
      'GET /api/leasing/leases': () => Response.json({ items: [lease()], nextCursor: null }),
      'PATCH /api/leasing/incidents/i1': () => Response.json({ ...incident, status: 'in_progress' }),
    })
    const wrapper = mount(IncidentsPanel, { props: { canManage: true }, global })
    await flushPromises()
    expect(wrapper.get('[data-testid=incident-item]').text()).toContain('Kiosco Ana')
    await wrapper.get('[data-testid=incident-status-select]').setValue('in_progress')
    expect(calls.some((c) => c.method === 'PATCH')).toBe(false)
    await wrapper.get('[data-testid=incident-status-save]').trigger('click')
    await flushPromises()
    expect(calls.find((c) => c.method === 'PATCH')?.body).toEqual({ status: 'in_progress' })
    expect(wrapper.get('[data-testid=incident-item]').attributes('data-status')).toBe('in_progress')
  })

  it('logs an incident as the mall: the description is asked for, then it is sent with its lease and space and listed first', async () => {
    const calls = stubCloud({
      'GET /api/leasing/incidents': () => Response.json({ items: [], nextCursor: null }),
      'GET /api/leasing/leases': () => Response.json({ items: [lease()], nextCursor: null }),
      'POST /api/leasing/incidents': (_url, init) =>
        Response.json({ id: 'n1', spaceId: null, status: 'open', source: 'mall', createdAt: '2026-11-21T10:00:00.000Z', resolvedAt: null, ...JSON.parse(String(init.body)) }, { status: 201 }),
    })
    const wrapper = mount(IncidentsPanel, { props: { canManage: true }, attachTo: document.body, global })
    await flushPromises()
    await wrapper.get('[data-testid=incident-log-open]').trigger('click')
    await flushPromises()
    for (const field of ['incident-log-lease', 'incident-log-space', 'incident-log-category', 'incident-log-description', 'incident-log-notify']) {
      const idAttr = wrapper.get(`[data-testid=${field}]`).attributes('id')
      expect(wrapper.find(`label[for="${idAttr}"]`).exists(), field).toBe(true)
    }
    await wrapper.get('[data-testid=incident-log-form]').trigger('submit')
    expect(wrapper.get('[data-testid=incident-log-description]').attributes('aria-invalid')).toBe('true')
    expect(calls.some((c) => c.method === 'POST')).toBe(false)
    await wrapper.get('[data-testid=incident-log-space]').setValue('s1')
    await wrapper.get('[data-testid=incident-log-category]').setValue('electricidad')
    await wrapper.get('[data-testid=incident-log-description]').setValue('Corte programado')
    await wrapper.get('[data-testid=incident-log-form]').trigger('submit')
    await flushPromises()
    expect(calls.find((c) => c.method === 'POST')?.body).toEqual({ leaseId: 'l1', spaceId: 's1', category: 'electricidad', description: 'Corte programado', notifyTenant: true })
    const item = wrapper.get('[data-testid=incident-item]')
    expect(item.attributes('data-source')).toBe('mall')
    expect(item.text()).toContain('Registrada por el centro')
    expect(wrapper.get('[data-testid=incidents-status]').text()).toContain('Kiosco Ana')
    wrapper.unmount()
  })
})

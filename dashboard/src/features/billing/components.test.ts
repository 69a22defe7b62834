import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Invoice, InvoiceDetail as Detail } from '../../api/billing.js'
import { i18n, setLocale } from '../../i18n/index.js'
import { es } from '../../i18n/messages/billing.js'
import AgingChart from './AgingChart.vue'
import CreditNoteForm from './CreditNoteForm.vue'
import GatewaysPanel from './GatewaysPanel.vue'
import InvoiceDetail from './InvoiceDetail.vue'
import InvoiceForm from './InvoiceForm.vue'
import PaymentForm from './PaymentForm.vue'

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
const contacts = () => Response.json({ items: [{ id: 'c1', name: 'Kiosco Ana', company: null, email: null }], nextCursor: null })
const money = (minor: number) => new Intl.NumberFormat('es-AR', { style: 'currency', currency: 'ARS', minimumFractionDigits: 2 }).format(minor / 100)
const text = (el: { text(): string }) => el.text().replace(/\s/g, ' ')

const invoice = (over: Partial<Invoice> = {}): Invoice => ({
  id: 'i1', status: 'posted', series: 'A-0001', number: 'A-0001-00000007', contactId: 'c1', contactName: 'Kiosco Ana', currency: 'ARS',
  issueDate: '2026-11-01', dueDate: '2026-12-01', netMinor: 250000, taxMinor: 47250, totalMinor: 297250, paidMinor: 0, creditedMinor: 0, openMinor: 297250,
  taxes: [{ rateBp: 2100, netMinor: 200000, taxMinor: 42000 }, { rateBp: 1050, netMinor: 50000, taxMinor: 5250 }], sourceKey: null, notes: null, postedAt: null,
  createdAt: '2026-11-01T00:00:00Z', ...over,
})
const detail = (over: Partial<Detail> = {}): Detail => ({ ...invoice(), lines: [], contact: { name: 'Kiosco Ana', company: null, taxId: null, email: null }, ...over })

beforeEach(() => setActivePinia(createPinia()))
afterEach(() => {
  vi.unstubAllGlobals()
  setLocale('es-AR')
  document.body.innerHTML = ''
})

describe('InvoiceForm', () => {
  it('shows live totals like the cloud’s, says what is wrong on the field, then posts integers with an Idempotency-Key', async () => {
    const calls = stubCloud({
      'GET /api/crm/contacts': contacts,
      'POST /api/billing/invoices': () => Response.json(detail(), { status: 201 }),
    })
    const wrapper = mount(InvoiceForm, { attachTo: document.body, global: { plugins: [i18n] } })
    await flushPromises()
    // The only contact is not chosen by itself without a search: the picker waits for the user.
    await wrapper.get('[data-testid=invoice-customer]').setValue('c1')
    await wrapper.get('[data-testid=line-description]').setValue('Alquiler')
    await wrapper.get('[data-testid=line-quantity]').setValue('2')
    await wrapper.get('[data-testid=line-unit]').setValue('1.000')
    await wrapper.get('[data-testid=line-add]').trigger('click')
    const second = wrapper.findAll('[data-testid=invoice-line]')[1]!
    expect(document.activeElement).toBe(second.get('[data-testid=line-description]').element)
    await second.get('[data-testid=line-description]').setValue('Expensas')
    await second.get('[data-testid=line-unit]').setValue('500,5')
    await second.get('[data-testid=line-rate]').setValue('1050')
    // 500,50 × 10,5 % = 52,5525 → 52,55; 2.000 × 21 % = 420.
    expect(wrapper.get('[data-testid=live-net]').attributes('data-minor')).toBe('250050')
    expect(wrapper.findAll('[data-testid=live-tax]').map((e) => [e.attributes('data-rate'), e.attributes('data-minor')])).toEqual([['2100', '42000'], ['1050', '5255']])
    expect(wrapper.get('[data-testid=live-total]').attributes('data-minor')).toBe('297305')
    expect(text(wrapper.get('[data-testid=live-total]'))).toBe(money(297305).replace(/\s/g, ' '))

    // A quantity in the wrong locale: refused on its field, focused, nothing sent.
    await second.get('[data-testid=line-quantity]').setValue('1.5')
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    const problem = wrapper.get('[data-testid=invoice-field-error][data-field=line-1-quantity]')
    expect(problem.text()).toBe(es.form.errors.quantityInvalid)
    expect(second.get('[data-testid=line-quantity]').attributes('aria-invalid')).toBe('true')
    expect(second.get('[data-testid=line-quantity]').attributes('aria-describedby')).toContain(problem.attributes('id'))
    expect(document.activeElement).toBe(second.get('[data-testid=line-quantity]').element)
    expect(calls.some((c) => c.method === 'POST')).toBe(false)

    await second.get('[data-testid=line-quantity]').setValue('1')
    await wrapper.get('[data-testid=invoice-save-post]').trigger('click')
    await flushPromises()
    const post = calls.find((c) => c.method === 'POST')!
    expect(post.body).toMatchObject({
      contactId: 'c1',
      currency: 'ARS',
      post: true,
      lines: [
        { description: 'Alquiler', quantityMilli: 2000, unitMinor: 100000, taxRateBp: 2100 },
        { description: 'Expensas', quantityMilli: 1000, unitMinor: 50050, taxRateBp: 1050 },
      ],
    })
    expect(post.headers['Idempotency-Key']).toMatch(/\S{8,}/)
    expect(wrapper.emitted('saved')?.[0]?.[0]).toMatchObject({ id: 'i1' })
    wrapper.unmount()
  })

  it('puts the cloud’s refusal on the line it names', async () => {
    stubCloud({
      'GET /api/crm/contacts': contacts,
      'POST /api/billing/invoices': () => Response.json({ error: { code: 'VALIDATION', message: 'body/lines/0/unitMinor must be <= 9007199254740991' } }, { status: 400 }),
    })
    const wrapper = mount(InvoiceForm, { attachTo: document.body, global: { plugins: [i18n] } })
    await flushPromises()
    await wrapper.get('[data-testid=invoice-customer]').setValue('c1')
    await wrapper.get('[data-testid=line-description]').setValue('Algo')
    await wrapper.get('[data-testid=line-unit]').setValue('10')
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    const problem = wrapper.get('[data-testid=invoice-field-error][data-field=line-0-unit]')
    expect(problem.text()).toContain(es.errors.VALIDATION)
    expect(problem.text()).toContain('unitMinor')
    expect(wrapper.emitted('saved')).toBeUndefined()
    wrapper.unmount()
  })
})

describe('PaymentForm', () => {
  it('allocates to open invoices and shows an over-allocation from the cloud on the invoice’s row', async () => {
    const open = [invoice({ id: 'i1', number: 'A-0001-00000001', openMinor: 100000, dueDate: '2026-10-01' }), invoice({ id: 'i2', number: 'A-0001-00000002', openMinor: 50000 })]
    const calls = stubCloud({
      'GET /api/crm/contacts': contacts,
      'GET /api/billing/invoices': () => Response.json({ items: open, nextCursor: null }),
      'POST /api/billing/payments': () =>
        Response.json({ error: { code: 'ALLOCATION_EXCEEDS_BALANCE', message: "amountMinor: more than the invoice's open balance (50000)" } }, { status: 409 }),
    })
    const wrapper = mount(PaymentForm, { attachTo: document.body, props: { contactId: 'c1' }, global: { plugins: [i18n] } })
    await flushPromises()
    expect(calls.find((c) => c.url.startsWith('/api/billing/invoices'))!.url).toContain('contactId=c1')
    expect(wrapper.findAll('[data-testid=allocation-row]').map((r) => r.attributes('data-number'))).toEqual(['A-0001-00000001', 'A-0001-00000002'])
    await wrapper.get('[data-testid=payment-amount]').setValue('1.200')
    await wrapper.get('[data-testid=allocations-spread]').trigger('click')
    const amounts = wrapper.findAll<HTMLInputElement>('[data-testid=allocation-amount]')
    // Oldest due first: all of the first, the rest to the second.
    expect(amounts.map((a) => a.element.value)).toEqual(['1000,00', '200,00'])
    await amounts[1]!.setValue('600')
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    const post = calls.find((c) => c.method === 'POST')!
    expect(post.body).toMatchObject({ contactId: 'c1', currency: 'ARS', amountMinor: 120000, allocations: [{ invoiceId: 'i1', amountMinor: 100000 }, { invoiceId: 'i2', amountMinor: 60000 }] })
    expect(post.headers['Idempotency-Key']).toMatch(/\S{8,}/)
    const problem = wrapper.get('[data-testid=payment-field-error][data-field=alloc-A-0001-00000002]')
    expect(problem.text()).toContain(es.errors.overInvoice)
    expect(amounts[1]!.attributes('aria-invalid')).toBe('true')
    expect(amounts[0]!.attributes('aria-invalid')).toBeUndefined()
    expect(document.activeElement).toBe(amounts[1]!.element)
    expect(wrapper.emitted('saved')).toBeUndefined()
    wrapper.unmount()
  })
})

describe('InvoiceDetail', () => {
  it('shows the cloud’s totals, posts a draft and announces its number', async () => {
    const draft = detail({ status: 'draft', number: null, lines: [{ id: 'l1', position: 1, description: 'Alquiler', quantityMilli: 2000, unitMinor: 100000, taxRateBp: 2100, netMinor: 200000, taxMinor: 42000, sourceType: null, sourceId: null, detail: null }] })
    stubCloud({
      'GET /api/billing/invoices/i1': () => Response.json(draft),
      'POST /api/billing/invoices/i1/post': () => Response.json({ ...draft, status: 'posted', number: 'A-0001-00000007' }),
      'GET /api/billing/credit-notes': () => Response.json({ items: [], nextCursor: null }),
      'GET /api/billing/contacts/c1/balance': () => Response.json({ contactId: 'c1', balances: [{ currency: 'ARS', receivableMinor: 297250, creditMinor: 0, netMinor: 297250, openInvoicesMinor: 297250, unallocatedPaymentsMinor: 0, consistent: true }] }),
    })
    const wrapper = mount(InvoiceDetail, { props: { invoiceId: 'i1', canManage: true }, global: { plugins: [i18n] } })
    await flushPromises()
    expect(wrapper.get('[data-testid=invoice-number]').text()).toContain('Borrador')
    expect(wrapper.get('[data-testid=invoice-total]').attributes('data-minor')).toBe('297250')
    expect(wrapper.findAll('[data-testid=invoice-tax]').map((e) => e.attributes('data-minor'))).toEqual(['42000', '5250'])
    await wrapper.get('[data-testid=invoice-post]').trigger('click')
    await flushPromises()
    expect(wrapper.get('[data-testid=invoice-number]').text()).toBe('A-0001-00000007')
    expect(wrapper.get('[data-testid=invoice-announcement]').text()).toBe('Factura emitida con el número A-0001-00000007.')
    expect(wrapper.get('[data-testid=invoice-announcement]').attributes('role')).toBe('status')
    expect(wrapper.get('[data-testid=invoice-open]').attributes('data-minor')).toBe('297250')
    expect(wrapper.emitted('changed')?.[0]?.[0]).toMatchObject({ number: 'A-0001-00000007' })
    expect(wrapper.find('[data-testid=invoice-post]').exists()).toBe(false)
    wrapper.unmount()
  })
})

describe('AgingChart', () => {
  it('writes each bucket’s amount as text and names the chart with all of them', () => {
    const wrapper = mount(AgingChart, {
      props: { currency: 'ARS', totals: { current: 0, d1_30: 123456, d31_60: 0, d61_90: 0, over90: 5000, totalMinor: 128456 } },
      global: { plugins: [i18n] },
    })
    const values = wrapper.findAll('[data-testid=aging-value]').map((v) => v.text().replace(/\s/g, ' '))
    expect(values).toEqual([money(0), money(123456), money(0), money(0), money(5000)].map((m) => m.replace(/\s/g, ' ')))
    const svg = wrapper.get('svg')
    expect(svg.attributes('role')).toBe('img')
    expect(svg.attributes('aria-label')!.replace(/\s/g, ' ')).toContain(`1 a 30 días, ${money(123456).replace(/\s/g, ' ')}`)
    const bars = wrapper.findAll('[data-testid=aging-bar]')
    expect(bars.map((b) => b.attributes('data-minor'))).toEqual(['0', '123456', '0', '0', '5000'])
  })
})

describe('CreditNoteForm', () => {
  it('credits quantities of lines, and shows the cloud’s refusal when it exceeds the open balance', async () => {
    let answer = () => Response.json({ error: { code: 'CREDIT_EXCEEDS_BALANCE', message: 'credit 24200 exceeds the open balance 12100' } }, { status: 409 })
    const calls = stubCloud({ 'POST /api/billing/invoices/i1/credit-notes': () => answer() })
    const inv = detail({
      lines: [
        { id: 'l1', position: 1, description: 'Alquiler', quantityMilli: 2000, unitMinor: 100000, taxRateBp: 2100, netMinor: 200000, taxMinor: 42000, sourceType: null, sourceId: null, detail: null },
        { id: 'l2', position: 2, description: 'Expensas', quantityMilli: 1000, unitMinor: 50000, taxRateBp: 1050, netMinor: 50000, taxMinor: 5250, sourceType: null, sourceId: null, detail: null },
      ],
    })
    const wrapper = mount(CreditNoteForm, { attachTo: document.body, props: { invoice: inv }, global: { plugins: [i18n] } })
    await wrapper.get('[data-testid=credit-mode-lines]').setValue(true)
    const quantities = wrapper.findAll('[data-testid=credit-line-quantity]')
    // More than was invoiced: refused on the line, nothing sent.
    await quantities[0]!.setValue('3')
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    expect(quantities[0]!.attributes('aria-invalid')).toBe('true')
    expect(calls).toHaveLength(0)
    await quantities[0]!.setValue('1,5')
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    expect(calls[0]!.body).toMatchObject({ lines: [{ invoiceLineId: 'l1', quantityMilli: 1500 }] })
    expect(calls[0]!.headers['Idempotency-Key']).toMatch(/\S{8,}/)
    expect(wrapper.get('[data-testid=credit-error]').text()).toContain(es.errors.CREDIT_EXCEEDS_BALANCE)

    answer = () => Response.json({ id: 'n1', number: 'NCA-0001-00000001', invoiceId: 'i1', contactId: 'c1', currency: 'ARS', issueDate: '2026-11-21', netMinor: 100000, taxMinor: 21000, totalMinor: 121000, reason: null, createdAt: '', invoiceStatus: 'posted' }, { status: 201 })
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    expect(wrapper.emitted('issued')?.[0]?.[0]).toMatchObject({ number: 'NCA-0001-00000001' })
    wrapper.unmount()
  })
})

describe('GatewaysPanel', () => {
  it('shows a new account’s webhook URL and its secret once', async () => {
    const account = { id: 'g1', provider: 'mercadopago', label: 'MP Palermo', webhookPath: '/api/public/payments/mercadopago/g1', hasAccessToken: false, createdAt: '', disabledAt: null }
    const calls = stubCloud({
      'GET /api/billing/gateways': () => Response.json({ items: [], nextCursor: null }),
      'POST /api/billing/gateways': () => Response.json({ ...account, secret: 'whsec_0123456789abcdef' }, { status: 201 }),
    })
    const wrapper = mount(GatewaysPanel, { attachTo: document.body, global: { plugins: [i18n] } })
    await flushPromises()
    await wrapper.get('[data-testid=gateway-form]').trigger('submit')
    expect(wrapper.get('[data-testid=gateway-label]').attributes('aria-invalid')).toBe('true')
    await wrapper.get('[data-testid=gateway-label]').setValue('MP Palermo')
    await wrapper.get('[data-testid=gateway-secret-input]').setValue('short')
    await wrapper.get('[data-testid=gateway-form]').trigger('submit')
    expect(wrapper.get('[data-testid=gateway-secret-input]').attributes('aria-invalid')).toBe('true')
    await wrapper.get('[data-testid=gateway-secret-input]').setValue('')
    await wrapper.get('[data-testid=gateway-form]').trigger('submit')
    await flushPromises()
    expect(calls.find((c) => c.method === 'POST')!.body).toEqual({ provider: 'mercadopago', label: 'MP Palermo' })
    expect(wrapper.get('[data-testid=gateway-secret]').text()).toBe('whsec_0123456789abcdef')
    expect(wrapper.get('[data-testid=gateway-created-url]').text()).toBe(`${window.location.origin}/api/public/payments/mercadopago/g1`)
    expect(wrapper.findAll('[data-testid=gateway-item]')).toHaveLength(1)
    await wrapper.get('[data-testid=gateway-secret-hide]').trigger('click')
    // Gone for good: the list never has it.
    expect(wrapper.text()).not.toContain('whsec_0123456789abcdef')
    wrapper.unmount()
  })
})

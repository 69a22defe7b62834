import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Deal, Stage } from '../../api/crm.js'
import { i18n, setLocale } from '../../i18n/index.js'
import ContactForm from './ContactForm.vue'
import ContactsPanel from './ContactsPanel.vue'
import DealCard from './DealCard.vue'
import DealForm from './DealForm.vue'
import FunnelPanel from './FunnelPanel.vue'
import LeadFormsPanel from './LeadFormsPanel.vue'
import { stubCloud } from './testing.js'

const created = (over: Record<string, unknown> = {}) => ({
  id: 'c1',
  kind: 'lead',
  name: 'Ana Gómez',
  company: null,
  email: 'ana@example.com',
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

beforeEach(() => setActivePinia(createPinia()))
afterEach(() => {
  vi.unstubAllGlobals()
  vi.restoreAllMocks()
  setLocale('es-AR')
  document.body.innerHTML = ''
})

describe('ContactForm', () => {
  it("shows the cloud's refusals on their fields, focused, then creates the contact", async () => {
    let attempt = 0
    const calls = stubCloud({
      'POST /api/crm/contacts': () => {
        attempt++
        if (attempt === 1) return Response.json({ error: { code: 'VALIDATION', message: 'body/email must match format "email", body/email must be null' } }, { status: 400 })
        if (attempt === 2) return Response.json({ error: { code: 'CRM_CONTACT_DUPLICATE_EMAIL', message: 'email: another active contact (x) has this address' } }, { status: 409 })
        return Response.json(created(), { status: 201 })
      },
    })
    const wrapper = mount(ContactForm, { global: { plugins: [i18n] }, attachTo: document.body })
    // No name: asked for before anything is sent.
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    expect(calls).toHaveLength(0)
    const name = wrapper.get('[data-testid=crm-contact-name]')
    expect(name.attributes('aria-invalid')).toBe('true')
    expect(document.activeElement).toBe(name.element)

    await name.setValue('  Ana Gómez ')
    await wrapper.get('[data-testid=crm-contact-email]').setValue('ana@')
    await wrapper.get('[data-testid=crm-contact-country]').setValue('ar')
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    expect(calls[0]!.body).toEqual({ kind: 'lead', name: 'Ana Gómez', email: 'ana@', country: 'AR' })
    const email = wrapper.get('[data-testid=crm-contact-email]')
    expect(email.attributes('aria-invalid')).toBe('true')
    expect(document.getElementById(email.attributes('aria-describedby')!)?.textContent).toBe('Escribí un email válido, como nombre@empresa.com.')
    expect(document.activeElement).toBe(email.element)
    expect(name.attributes('aria-invalid')).toBeUndefined()

    await email.setValue('ana@example.com')
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    expect(wrapper.get('[data-field=email]').text()).toBe('Otro contacto activo ya tiene este email.')

    await wrapper.get('form').trigger('submit')
    await flushPromises()
    expect(wrapper.emitted('saved')?.[0]?.[0]).toMatchObject({ id: 'c1' })
    expect(wrapper.findAll('[data-testid=crm-field-error]')).toHaveLength(0)
  })

  it('edits: sends a PATCH, clearing what was emptied', async () => {
    const calls = stubCloud({ 'PATCH /api/crm/contacts/c1': () => Response.json(created({ city: null })) })
    const wrapper = mount(ContactForm, { props: { contact: created({ city: 'Rosario' }) as never }, global: { plugins: [i18n] } })
    expect(wrapper.get<HTMLInputElement>('[data-testid=crm-contact-city]').element.value).toBe('Rosario')
    await wrapper.get('[data-testid=crm-contact-city]').setValue('')
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    expect(calls[0]).toMatchObject({ method: 'PATCH', body: { kind: 'lead', name: 'Ana Gómez', email: 'ana@example.com', city: null } })
    expect(wrapper.get('[data-testid=crm-contact-submit]').text()).toBe('Guardar cambios')
  })

  it('labels every field', () => {
    const wrapper = mount(ContactForm, { global: { plugins: [i18n] }, attachTo: document.body })
    for (const field of wrapper.findAll('input, select, textarea')) {
      const id = field.attributes('id')!
      expect(document.querySelector(`label[for="${id}"]`)?.textContent?.trim(), id).toBeTruthy()
    }
  })
})

describe('DealCard', () => {
  const stages: Stage[] = [
    { id: 's1', name: 'Contacto inicial', position: 0, closing: false, openDeals: 1 },
    { id: 's4', name: 'Propuesta', position: 3, closing: false, openDeals: 0 },
  ]
  const deal: Deal = {
    id: 'd1',
    contactId: 'c1',
    title: 'Cámara de frío',
    valueMinor: 15_000_050,
    currency: 'ARS',
    stageId: 's1',
    expectedCloseDate: null,
    ownerUserId: null,
    status: 'open',
    closeReason: null,
    closedAt: null,
    createdAt: 1,
    updatedAt: 1,
  }

  it('shows the value as money in the locale and moves by a labelled select and a button', async () => {
    const wrapper = mount(DealCard, { props: { deal, stages, contactName: 'Ana', canManage: true, busy: false }, global: { plugins: [i18n] }, attachTo: document.body })
    expect(wrapper.get('[data-testid=crm-deal-value-shown]').text().replace(/\s/g, ' ')).toBe('$ 150.000,50')
    const select = wrapper.get('[data-testid=crm-deal-move-stage]')
    expect(document.querySelector(`label[for="${select.attributes('id')}"]`)?.textContent).toBe('Mover Cámara de frío a otra etapa')
    expect(wrapper.get('[data-testid=crm-deal-move]').attributes('disabled')).toBeDefined()
    await select.setValue('s4')
    await wrapper.get('[data-testid=crm-deal-move]').trigger('click')
    expect(wrapper.emitted('move')).toEqual([['s4']])
  })

  it('asks a reason before closing as lost', async () => {
    const wrapper = mount(DealCard, { props: { deal, stages, contactName: 'Ana', canManage: true, busy: false }, global: { plugins: [i18n] }, attachTo: document.body })
    await wrapper.get('[data-testid=crm-deal-won]').trigger('click')
    expect(wrapper.emitted('close')).toEqual([['won']])
    await wrapper.get('[data-testid=crm-deal-lost]').trigger('click')
    await flushPromises()
    const reason = wrapper.get('[data-testid=crm-deal-lost-reason]')
    expect(document.activeElement).toBe(reason.element)
    await wrapper.get('[data-testid=crm-deal-lost-confirm]').trigger('submit')
    expect(reason.attributes('aria-invalid')).toBe('true')
    expect(wrapper.emitted('close')).toHaveLength(1)
    await reason.setValue('Eligió otro proveedor')
    await wrapper.get('form').trigger('submit')
    expect(wrapper.emitted('close')?.[1]).toEqual(['lost', 'Eligió otro proveedor'])
  })

  it('shows no actions to someone who only reads', () => {
    const wrapper = mount(DealCard, { props: { deal, stages, contactName: 'Ana', canManage: false, busy: false }, global: { plugins: [i18n] } })
    expect(wrapper.find('[data-testid=crm-deal-move-stage]').exists()).toBe(false)
    expect(wrapper.find('[data-testid=crm-deal-won]').exists()).toBe(false)
  })
})

describe('FunnelPanel', () => {
  const report = {
    from: Date.UTC(2026, 7, 23),
    to: Date.UTC(2026, 10, 21),
    stages: [
      { stageId: 's1', name: 'Contacto inicial', position: 0, deleted: false, entered: 4, conversionToNextPct: 50, avgDaysInStage: 2.5 },
      { stageId: 's2', name: 'Propuesta', position: 1, deleted: false, entered: 2, conversionToNextPct: null, avgDaysInStage: null },
    ],
    won: [{ currency: 'ARS', count: 1, valueMinor: 100_000 }],
    lost: [],
    wonCount: 1,
    lostCount: 0,
    winRatePct: 100,
  }

  it('draws a table with a bar and the number per stage, and downloads the CSV with the token', async () => {
    const calls = stubCloud({
      'GET /api/crm/reports/funnel': () => Response.json(report),
      'GET /api/crm/reports/funnel.csv': () =>
        new Response('\ufeffSección / Section;Etapa / Stage\r\n', {
          headers: { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': 'attachment; filename="embudo-funnel-2026-08-23-2026-11-21.csv"' },
        }),
    })
    const createObjectURL = vi.fn(() => 'blob:x')
    vi.stubGlobal('URL', Object.assign(URL, { createObjectURL, revokeObjectURL: vi.fn() }))
    const wrapper = mount(FunnelPanel, { global: { plugins: [i18n] } })
    await flushPromises()
    const rows = wrapper.findAll('[data-testid=crm-funnel-stage]')
    expect(rows.map((r) => r.get('th').text())).toEqual(['Contacto inicial', 'Propuesta'])
    expect(rows.map((r) => r.get('[data-testid=crm-funnel-entered]').text())).toEqual(['4', '2'])
    expect(rows[0]!.text()).toContain('50,0 %')
    expect(rows[1]!.findAll('rect')[1]!.attributes('width')).toBe('50')
    expect(wrapper.get('svg').attributes('aria-hidden')).toBe('true')
    expect(wrapper.get('[data-testid=crm-funnel-won]').text()).toContain('1.000')

    await wrapper.get('[data-testid=crm-funnel-csv]').trigger('click')
    await flushPromises()
    const csv = calls.at(-1)!
    expect(csv.url).toBe(`/api/crm/reports/funnel.csv?from=${report.from}&to=${report.to}`)
    expect(createObjectURL).toHaveBeenCalledOnce()
    expect(wrapper.get('[data-testid=crm-funnel-download-status]').text()).toBe('Descargado embudo-funnel-2026-08-23-2026-11-21.csv.')
  })
})

describe('LeadFormsPanel', () => {
  it('creates a form, shows its key and a snippet, and disables it after confirming', async () => {
    const form = { id: 'f1', formKey: 'KEY12345abc', name: 'Web', source: 'web', minFillSeconds: 3, createdAt: 1, disabledAt: null }
    const calls = stubCloud({
      'GET /api/crm/lead-forms': () => Response.json({ items: [], nextCursor: null }),
      'POST /api/crm/lead-forms': () => Response.json(form, { status: 201 }),
      'POST /api/crm/lead-forms/f1/disable': () => Response.json({ ...form, disabledAt: 2 }),
    })
    const wrapper = mount(LeadFormsPanel, { props: { canManage: true }, global: { plugins: [i18n] }, attachTo: document.body })
    await flushPromises()
    await wrapper.get('[data-testid=crm-lead-form-submit]').trigger('submit')
    expect(wrapper.get('[data-testid=crm-lead-form-name]').attributes('aria-invalid')).toBe('true')
    await wrapper.get('[data-testid=crm-lead-form-name]').setValue('Web')
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    expect(calls.at(-1)!.body).toEqual({ name: 'Web', source: 'web' })
    const item = wrapper.get('[data-testid=crm-lead-form]')
    expect(item.text()).toContain('KEY12345abc')
    const snippet = wrapper.get<HTMLTextAreaElement>('[data-testid=crm-lead-form-snippet]')
    expect(snippet.element.value).toContain('/api/public/crm/leads/KEY12345abc')
    expect(document.activeElement).toBe(snippet.element)

    // happy-dom has no confirm(); the browser's own dialog is what the panel uses.
    const confirm = vi.fn().mockReturnValueOnce(false).mockReturnValueOnce(true)
    vi.stubGlobal('confirm', confirm)
    window.confirm = confirm
    await wrapper.get('[data-testid=crm-lead-form-toggle]').trigger('click')
    expect(calls.at(-1)!.method).toBe('POST')
    expect(calls.at(-1)!.url).toBe('/api/crm/lead-forms')
    await wrapper.get('[data-testid=crm-lead-form-toggle]').trigger('click')
    await flushPromises()
    expect(calls.at(-1)!.url).toBe('/api/crm/lead-forms/f1/disable')
    expect(wrapper.get('[data-testid=crm-lead-form]').attributes('data-disabled')).toBe('true')
    expect(wrapper.get('[data-testid=crm-lead-form-toggle]').text()).toContain('Reactivar')
  })
})

describe('ContactsPanel', () => {
  it('filters (the minimum score is a number input), loads more, and opens a contact', async () => {
    const calls = stubCloud({
      'GET /api/crm/contacts': (url) =>
        url.includes('cursor=p2')
          ? Response.json({ items: [created({ id: 'c3', name: 'Carla', score: 60 })], nextCursor: null })
          : Response.json({ items: [created({ id: 'c1', score: 15 }), created({ id: 'c2', name: 'Bruno', kind: 'customer', email: null })], nextCursor: 'p2' }),
    })
    const wrapper = mount(ContactsPanel, { props: { contactId: null, canManage: false, timeZone: 'UTC' }, global: { plugins: [i18n] }, attachTo: document.body })
    await flushPromises()
    expect(wrapper.findAll('[data-testid=crm-contact-item]').map((i) => i.attributes('data-contact-id'))).toEqual(['c1', 'c2'])
    expect(wrapper.get('[data-testid=crm-contact-item] [data-testid=crm-score-badge]').text()).toBe('Puntaje 15')
    // Someone who only reads gets no "new contact".
    expect(wrapper.find('[data-testid=crm-contact-create]').exists()).toBe(false)

    await wrapper.get('[data-testid=crm-filter-kind]').setValue('lead')
    await wrapper.get('[data-testid=crm-filter-city]').setValue('Rosario')
    await wrapper.get('[data-testid=crm-filter-min-score]').setValue('10')
    await wrapper.get('[data-testid=crm-filters]').trigger('submit')
    await flushPromises()
    expect(Object.fromEntries(new URL(calls.at(-1)!.url, 'http://x').searchParams)).toEqual({ limit: '25', kind: 'lead', city: 'Rosario', minScore: '10' })

    await wrapper.get('[data-testid=crm-contacts-load-more]').trigger('click')
    await flushPromises()
    expect(new URL(calls.at(-1)!.url, 'http://x').searchParams.get('minScore')).toBe('10')
    expect(wrapper.findAll('[data-testid=crm-contact-item]')).toHaveLength(3)
    expect(wrapper.find('[data-testid=crm-contacts-load-more]').exists()).toBe(false)

    await wrapper.get('[data-testid=crm-filter-clear]').trigger('click')
    await flushPromises()
    expect(calls.at(-1)!.url).toBe('/api/crm/contacts?limit=25')

    await wrapper.findAll('[data-testid=crm-contact-open]')[1]!.trigger('click')
    expect(wrapper.emitted('select')).toEqual([['c2']])
  })
})

describe('DealForm', () => {
  const stages: Stage[] = [
    { id: 's1', name: 'Contacto inicial', position: 0, closing: false, openDeals: 0 },
    { id: 's6', name: 'Cierre', position: 5, closing: true, openDeals: 0 },
  ]

  it('finds the contact, reads the amount in the locale, and opens the deal once per key', async () => {
    const calls = stubCloud({
      'GET /api/crm/contacts': () => Response.json({ items: [created({ id: 'c7', name: 'Ana', company: 'Polo' })], nextCursor: null }),
      'POST /api/crm/deals': () => Response.json({ id: 'd9', contactId: 'c7', title: 'Cámara', valueMinor: 150_000_050, currency: 'ARS', stageId: 's1', status: 'open' }, { status: 201 }),
    })
    const wrapper = mount(DealForm, { props: { stages }, global: { plugins: [i18n] }, attachTo: document.body })
    await flushPromises()
    // The closing stage is where deals end, not where they start.
    expect(wrapper.findAll('[data-testid=crm-deal-stage] option').map((o) => o.text())).toEqual(['Contacto inicial'])
    await wrapper.get('[data-testid=crm-deal-search]').setValue('ana')
    await wrapper.get('[data-testid=crm-deal-search-go]').trigger('click')
    await flushPromises()
    expect(new URL(calls.at(-1)!.url, 'http://x').searchParams.get('q')).toBe('ana')
    expect(wrapper.get<HTMLSelectElement>('[data-testid=crm-deal-contact]').element.value).toBe('c7')
    expect(wrapper.get('[data-testid=crm-deal-contact] option[value=c7]').text()).toBe('Ana (Polo)')

    await wrapper.get('[data-testid=crm-deal-value]').setValue('mucho')
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    expect(wrapper.get('[data-testid=crm-deal-title]').attributes('aria-invalid')).toBe('true')
    expect(wrapper.get('[data-testid=crm-deal-value]').attributes('aria-invalid')).toBe('true')
    expect(document.activeElement).toBe(wrapper.get('[data-testid=crm-deal-title]').element)
    expect(calls.filter((c) => c.method === 'POST')).toHaveLength(0)

    await wrapper.get('[data-testid=crm-deal-title]').setValue('Cámara')
    await wrapper.get('[data-testid=crm-deal-value]').setValue('1.500.000,50')
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    const post = calls.at(-1)!
    expect(post.body).toEqual({ contactId: 'c7', title: 'Cámara', valueMinor: 150_000_050, currency: 'ARS', stageId: 's1' })
    expect(post.headers['Idempotency-Key']).toMatch(/^[0-9a-f-]{36}$/)
    expect(wrapper.emitted('created')?.[0]?.[1]).toMatchObject({ id: 'c7' })
  })

  it('retries the same deal with the same key, and a changed one with a new key', async () => {
    let attempt = 0
    const calls = stubCloud({
      'POST /api/crm/deals': () => {
        attempt++
        if (attempt === 1) throw new TypeError('Failed to fetch')
        return Response.json({ id: 'd9', contactId: 'c7', title: 'Cámara', valueMinor: 100, currency: 'ARS', stageId: 's1', status: 'open' }, { status: 201 })
      },
    })
    const contact = created({ id: 'c7' }) as never
    const wrapper = mount(DealForm, { props: { stages, contact }, global: { plugins: [i18n] } })
    await wrapper.get('[data-testid=crm-deal-title]').setValue('Cámara')
    await wrapper.get('[data-testid=crm-deal-value]').setValue('1')
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    expect(wrapper.get('[data-testid=crm-deal-error]').text()).toContain('No hay conexión')
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    const [first, second] = calls.map((c) => c.headers['Idempotency-Key'])
    expect(second).toBe(first)
    await wrapper.get('[data-testid=crm-deal-value]').setValue('2')
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    expect(calls[2]!.headers['Idempotency-Key']).not.toBe(first)
  })
})

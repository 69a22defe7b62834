import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { i18n, setLocale } from '../../i18n/index.js'
import SegmentForm from './SegmentForm.vue'
import SegmentsPanel from './SegmentsPanel.vue'
import { stubCloud } from './testing.js'

beforeEach(() => setActivePinia(createPinia()))
afterEach(() => {
  vi.unstubAllGlobals()
  vi.restoreAllMocks()
  setLocale('es-AR')
  document.body.innerHTML = ''
})

const contact = (id: string, name: string) => ({ id, name, kind: 'customer', score: 0, city: 'Rosario', vertical: 'kiosco' })
const segment = { id: 'g1', name: 'Kioscos de Rosario', definition: { verticals: ['kiosco'], cities: ['Rosario'] }, createdAt: 1, updatedAt: 1 }

describe('SegmentForm', () => {
  it('previews an unsaved definition, shows refusals on their fields, and saves', async () => {
    let previews = 0
    const calls = stubCloud({
      'POST /api/crm/segments/preview': () => {
        previews++
        if (previews === 1) return Response.json({ error: { code: 'VALIDATION', message: 'body/definition/inactiveForDays must be <= 3650' } }, { status: 400 })
        return Response.json({ items: [contact('c1', 'Ana'), contact('c2', 'Beto')], nextCursor: null })
      },
      'POST /api/crm/segments': (_u, init) => Response.json({ ...segment, ...JSON.parse(String(init.body)) }, { status: 201 }),
    })
    const wrapper = mount(SegmentForm, { global: { plugins: [i18n] }, attachTo: document.body })
    for (const input of wrapper.findAll('input, select')) expect(wrapper.find(`label[for="${input.attributes('id')}"]`).exists()).toBe(true)

    // Read locally first: a bad country code never reaches the cloud.
    await wrapper.get('[data-testid=crm-segment-countries]').setValue('Argentina')
    await wrapper.get('[data-testid=crm-segment-preview]').trigger('click')
    await flushPromises()
    expect(calls).toHaveLength(0)
    expect(document.activeElement).toBe(wrapper.get('[data-testid=crm-segment-countries]').element)

    await wrapper.get('[data-testid=crm-segment-countries]').setValue('ar')
    await wrapper.get('[data-testid=crm-segment-verticals]').setValue('kiosco, almacén')
    await wrapper.get('[data-testid=crm-segment-revenueMin]').setValue('1.000')
    await wrapper.get('[data-testid=crm-segment-currency]').setValue('ARS')
    await wrapper.get('[data-testid=crm-segment-activeWithinDays]').setValue('30')
    await wrapper.get('[data-testid=crm-segment-inactiveForDays]').setValue('90')
    await wrapper.get('[data-testid=crm-segment-cities]').setValue('Rosario')
    await wrapper.get('[data-testid=crm-segment-preview]').trigger('click')
    await flushPromises()
    // The cloud's refusal lands on the field it names.
    expect(wrapper.get('[data-testid=crm-segment-inactiveForDays]').attributes('aria-invalid')).toBe('true')

    await wrapper.get('[data-testid=crm-segment-preview]').trigger('click')
    await flushPromises()
    expect(calls.at(-1)).toMatchObject({
      method: 'POST',
      body: { definition: { verticals: ['kiosco', 'almacén'], revenueMinMinor: 100000, revenueCurrency: 'ARS', activeWithinDays: 30, inactiveForDays: 90, cities: ['Rosario'], countries: ['AR'] } },
    })
    const result = wrapper.get('[data-testid=crm-segment-preview-result]')
    expect(result.text()).toContain('2 contactos coinciden')
    expect(result.text()).toContain('Ana')
    expect(result.text()).toContain('Beto')

    // No name: asked for before saving.
    const before = calls.length
    await wrapper.get('form').trigger('submit')
    expect(calls.length).toBe(before)
    await wrapper.get('[data-testid=crm-segment-name]').setValue('Kioscos')
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    expect(calls.at(-1)).toMatchObject({ method: 'POST', url: '/api/crm/segments', body: { name: 'Kioscos', definition: { countries: ['AR'] } } })
    expect(wrapper.emitted('saved')?.[0]?.[0]).toMatchObject({ name: 'Kioscos' })

    setLocale('en')
    await flushPromises()
    expect(wrapper.text()).toContain('New segment')
  })
})

describe('SegmentsPanel (managing)', () => {
  it('deletes a segment after confirming, and shows the form only to managers', async () => {
    const calls = stubCloud({
      'GET /api/crm/segments': () => Response.json({ items: [segment], nextCursor: null }),
      'DELETE /api/crm/segments/g1': () => Response.json(segment),
    })
    const confirm = vi.fn().mockReturnValueOnce(false).mockReturnValueOnce(true)
    vi.stubGlobal('confirm', confirm)
    window.confirm = confirm
    const reader = mount(SegmentsPanel, { global: { plugins: [i18n] } })
    await flushPromises()
    expect(reader.find('[data-testid=crm-segment-form]').exists()).toBe(false)
    expect(reader.find('[data-testid=crm-segment-delete]').exists()).toBe(false)
    reader.unmount()

    const wrapper = mount(SegmentsPanel, { props: { canManage: true }, global: { plugins: [i18n] }, attachTo: document.body })
    await flushPromises()
    expect(wrapper.find('[data-testid=crm-segment-form]').exists()).toBe(true)
    await wrapper.get('[data-testid=crm-segment-delete]').trigger('click')
    expect(calls.some((c) => c.method === 'DELETE')).toBe(false)
    await wrapper.get('[data-testid=crm-segment-delete]').trigger('click')
    await flushPromises()
    expect(calls.at(-1)).toMatchObject({ method: 'DELETE', url: '/api/crm/segments/g1' })
    expect(wrapper.findAll('[data-testid=crm-segment]')).toHaveLength(0)
    expect(wrapper.get('[data-testid=crm-segments-status]').text()).toContain('Kioscos de Rosario')
  })
})

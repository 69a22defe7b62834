import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { configureApiClient } from '../../api/client.js'
import { i18n, setLocale } from '../../i18n/index.js'
import ServicesPanel from './ServicesPanel.vue'
import { useAppointmentsStore } from './store.js'

const saved = (body: Record<string, unknown>, id = 's1') => ({ id, description: null, bufferBeforeMin: 0, bufferAfterMin: 0, professionalIds: [], archived: false, createdAt: '', ...body })

describe('ServicesPanel', () => {
  beforeEach(() => {
    localStorage.setItem('tendero.session', JSON.stringify({ token: 't', user: { id: 'u1', email: 'a@b.c', name: 'J', orgId: 'o1', locale: 'es-AR' }, permissions: ['appointments.read', 'appointments.manage'] }))
    configureApiClient({ getToken: () => 't', onUnauthorized: () => {} })
    setActivePinia(createPinia())
    setLocale('es-AR')
  })
  afterEach(() => {
    vi.unstubAllGlobals()
    localStorage.clear()
    document.body.innerHTML = ''
  })

  it('says problems on the fields first, then creates with the price in minor units', async () => {
    const fetchMock = vi.fn(async (url: string, init: RequestInit = {}) => {
      if (init.method === 'POST') return Response.json(saved(JSON.parse(String(init.body))), { status: 201 })
      return Response.json({ items: [], nextCursor: null })
    })
    vi.stubGlobal('fetch', fetchMock)
    const wrapper = mount(ServicesPanel, { global: { plugins: [i18n] }, attachTo: document.body })
    await wrapper.get('[data-testid=service-create-open]').trigger('click')
    await flushPromises()
    expect(document.activeElement).toBe(wrapper.get('[data-testid=service-name]').element)
    await wrapper.get('[data-testid=service-duration]').setValue('2')
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    expect(wrapper.get('[data-testid=service-name]').attributes('aria-invalid')).toBe('true')
    expect(wrapper.get('[data-testid=service-duration]').attributes('aria-invalid')).toBe('true')
    expect(wrapper.get('[data-testid=service-price]').attributes('aria-invalid')).toBe('true')
    expect(fetchMock.mock.calls.some(([, init]) => init?.method === 'POST')).toBe(false)

    await wrapper.get('[data-testid=service-name]').setValue('Corte y brushing')
    await wrapper.get('[data-testid=service-duration]').setValue('45')
    await wrapper.get('[data-testid=service-after]').setValue('15')
    await wrapper.get('[data-testid=service-price]').setValue('12.500,50')
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    const post = fetchMock.mock.calls.find(([, init]) => init?.method === 'POST')!
    expect(post[0]).toBe('/api/appointments/services')
    expect(JSON.parse(String(post[1]!.body))).toEqual({ name: 'Corte y brushing', durationMin: 45, bufferBeforeMin: 0, bufferAfterMin: 15, priceMinor: 1_250_050, currency: 'ARS', professionalIds: [] })
    expect(wrapper.get('[data-testid=service-item]').text()).toContain('Corte y brushing')
    expect(wrapper.get('[data-testid=services-status]').text()).toContain('creado')
    wrapper.unmount()
  })

  it('edits a service with its values filled in, and PATCHes it', async () => {
    const fetchMock = vi.fn(async (_url: string, init: RequestInit = {}) => Response.json(saved({ name: 'Consulta', durationMin: 30, priceMinor: 1_500_000, currency: 'ARS', ...JSON.parse(String(init.body ?? '{}')) })))
    vi.stubGlobal('fetch', fetchMock)
    const store = useAppointmentsStore()
    store.services = [saved({ name: 'Consulta', durationMin: 30, priceMinor: 1_500_000, currency: 'ARS' }) as never]
    const wrapper = mount(ServicesPanel, { global: { plugins: [i18n] }, attachTo: document.body })
    await wrapper.get('[data-testid=service-edit]').trigger('click')
    expect((wrapper.get('[data-testid=service-price]').element as HTMLInputElement).value).toBe('15.000,00')
    await wrapper.get('[data-testid=service-duration]').setValue('40')
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    const [url, init] = fetchMock.mock.calls.at(-1)!
    expect(url).toBe('/api/appointments/services/s1')
    expect(init!.method).toBe('PATCH')
    expect(JSON.parse(String(init!.body))).toMatchObject({ durationMin: 40, priceMinor: 1_500_000 })
    expect(store.services[0]!.durationMin).toBe(40)
    wrapper.unmount()
  })
})

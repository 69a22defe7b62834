import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Professional } from '../../api/appointments.js'
import { configureApiClient } from '../../api/client.js'
import { i18n, setLocale } from '../../i18n/index.js'
import PagesPanel from './PagesPanel.vue'
import ProfessionalsPanel from './ProfessionalsPanel.vue'
import { upsert, useAppointmentsStore } from './store.js'

const ZONE = 'America/Argentina/Buenos_Aires'
const PRO: Professional = { id: 'p1', name: 'Dra. Gómez', specialty: 'Clínica', email: 'gomez@example.com', timeZone: ZONE, siteId: null, userId: null, serviceIds: ['s1'], hasIcsFeed: false, archived: false, createdAt: '' }
const PRO2: Professional = { ...PRO, id: 'p2', name: 'Lic. Díaz', specialty: null, email: null, serviceIds: [] }
const SERVICE = { id: 's1', name: 'Consulta clínica', description: null, durationMin: 30, bufferBeforeMin: 0, bufferAfterMin: 10, priceMinor: 1_500_000, currency: 'ARS', professionalIds: ['p1'], archived: false, createdAt: '' }
const SERVICE2 = { ...SERVICE, id: 's2', name: 'Control', professionalIds: [] }
const PAGE = { id: 'g1', slug: 'clinica', title: 'Turnos Clínica', serviceIds: [], professionalIds: [], requireConfirmation: false, noShowLimit: 3, minNoticeMin: 60, maxDaysAhead: 60, active: true, createdAt: '' }

type Call = { url: string; method: string; body: Record<string, unknown> | undefined }

function fakeCloud(answer: (call: Call) => unknown) {
  const calls: Call[] = []
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init: RequestInit = {}) => {
      const call = { url, method: init.method ?? 'GET', body: init.body ? JSON.parse(String(init.body)) : undefined }
      calls.push(call)
      const out = answer(call)
      return out instanceof Response ? out : Response.json(out)
    }),
  )
  return calls
}

beforeEach(() => {
  localStorage.setItem('tendero.session', JSON.stringify({ token: 't', user: { id: 'u1', email: 'a@b.c', name: 'J', orgId: 'o1', locale: 'es-AR' }, permissions: ['appointments.read', 'appointments.manage'] }))
  configureApiClient({ getToken: () => 't', onUnauthorized: () => {} })
  setActivePinia(createPinia())
  setLocale('es-AR')
  const store = useAppointmentsStore()
  store.services = [SERVICE, SERVICE2]
  store.professionals = upsert(upsert([], PRO), PRO2)
})
afterEach(() => {
  vi.unstubAllGlobals()
  localStorage.clear()
  document.body.innerHTML = ''
})

describe('PagesPanel', () => {
  it('edits a page: the form opens with its settings, says bad numbers on the field, PATCHes them without the slug', async () => {
    const calls = fakeCloud((c) => (c.method === 'PATCH' ? { ...PAGE, ...c.body } : c.url.startsWith('/api/appointments/booking-pages') ? { items: [PAGE], nextCursor: null } : { items: [], nextCursor: null }))
    const wrapper = mount(PagesPanel, { global: { plugins: [i18n] }, attachTo: document.body })
    await flushPromises()
    await wrapper.get('[data-testid=page-edit]').trigger('click')
    await flushPromises()
    const form = wrapper.get('[data-testid=page-form]')
    expect(form.attributes('data-mode')).toBe('edit')
    expect(document.activeElement).toBe(wrapper.get('[data-testid=page-title]').element)
    expect((wrapper.get('[data-testid=page-title]').element as HTMLInputElement).value).toBe('Turnos Clínica')
    expect((wrapper.get('[data-testid=page-min-notice]').element as HTMLInputElement).value).toBe('60')
    // The address is fixed once made: no slug field, the URL is said.
    expect(wrapper.find('[data-testid=page-slug]').exists()).toBe(false)
    expect(wrapper.get('[data-testid=page-fixed-url]').text()).toContain('/reservar/clinica')

    await wrapper.get('[data-testid=page-title]').setValue('Turnos Clínica San Martín')
    await wrapper.get('[data-testid=page-max-days]').setValue('400')
    await form.trigger('submit')
    await flushPromises()
    expect(wrapper.get('[data-testid=page-max-days]').attributes('aria-invalid')).toBe('true')
    expect(document.activeElement).toBe(wrapper.get('[data-testid=page-max-days]').element)
    expect(calls.some((c) => c.method === 'PATCH')).toBe(false)

    await wrapper.get('[data-testid=page-max-days]').setValue('30')
    await wrapper.get('[data-testid=page-min-notice]').setValue('120')
    await wrapper.get('[data-testid=page-no-show-limit]').setValue('1')
    await wrapper.findAll('[data-testid=page-service]')[1]!.setValue(true)
    await wrapper.findAll('[data-testid=page-professional]')[0]!.setValue(true)
    await wrapper.get('[data-testid=page-require-confirmation]').setValue(true)
    await form.trigger('submit')
    await flushPromises()
    const patch = calls.find((c) => c.method === 'PATCH')!
    expect(patch.url).toBe('/api/appointments/booking-pages/g1')
    expect(patch.body).toEqual({ title: 'Turnos Clínica San Martín', serviceIds: ['s2'], professionalIds: ['p1'], requireConfirmation: true, noShowLimit: 1, minNoticeMin: 120, maxDaysAhead: 30 })
    expect(wrapper.find('[data-testid=page-form]').exists()).toBe(false)
    expect(wrapper.get('[data-testid=pages-status]').text()).toBe('Página clinica guardada.')
    const item = wrapper.get('[data-testid=page-item]')
    expect(item.text()).toContain('Turnos Clínica San Martín')
    expect(item.get('[data-testid=page-settings]').text()).toContain('120 min')
    expect(item.get('[data-testid=page-settings]').text()).toContain('El equipo confirma cada turno')
    expect(document.activeElement).toBe(wrapper.get('[data-testid=page-edit]').element)
    wrapper.unmount()
  })

  it('still creates a page with its slug', async () => {
    const calls = fakeCloud((c) => (c.method === 'POST' ? { ...PAGE, ...c.body, id: 'g2' } : { items: [], nextCursor: null }))
    const wrapper = mount(PagesPanel, { global: { plugins: [i18n] }, attachTo: document.body })
    await flushPromises()
    await wrapper.get('[data-testid=page-create-open]').trigger('click')
    await wrapper.get('[data-testid=page-title]').setValue('Peluquería Centro')
    expect((wrapper.get('[data-testid=page-slug]').element as HTMLInputElement).value).toBe('peluqueria-centro')
    await wrapper.get('[data-testid=page-form]').trigger('submit')
    await flushPromises()
    expect(calls.find((c) => c.method === 'POST')!.body).toMatchObject({ slug: 'peluqueria-centro', title: 'Peluquería Centro', noShowLimit: 3, minNoticeMin: 60, maxDaysAhead: 60 })
    wrapper.unmount()
  })
})

describe('ProfessionalsPanel', () => {
  it('clears an email (and a specialty) when editing: PATCH with null', async () => {
    let pro: Professional = PRO
    const calls = fakeCloud((c) => {
      if (c.method === 'PATCH') return (pro = { ...PRO, ...c.body })
      if (c.url.startsWith('/api/appointments/professionals')) return { items: [pro, PRO2], nextCursor: null }
      return { items: [SERVICE, SERVICE2], nextCursor: null }
    })
    const wrapper = mount(ProfessionalsPanel, { global: { plugins: [i18n] }, attachTo: document.body })
    expect(wrapper.get('[data-professional-id=p1] [data-testid=professional-email-shown]').text()).toBe('gomez@example.com')
    await wrapper.get('[data-professional-id=p1] [data-testid=professional-edit]').trigger('click')
    await flushPromises()
    expect((wrapper.get('[data-testid=professional-email]').element as HTMLInputElement).value).toBe('gomez@example.com')
    await wrapper.get('[data-testid=professional-email]').setValue('  ')
    await wrapper.get('[data-testid=professional-specialty]').setValue('')
    await wrapper.get('[data-testid=professional-form]').trigger('submit')
    await flushPromises()
    const patch = calls.find((c) => c.method === 'PATCH')!
    expect(patch.url).toBe('/api/appointments/professionals/p1')
    expect(patch.body).toEqual({ name: 'Dra. Gómez', timeZone: ZONE, serviceIds: ['s1'], specialty: null, email: null })
    expect(wrapper.find('[data-professional-id=p1] [data-testid=professional-email-shown]').exists()).toBe(false)
    wrapper.unmount()
  })

  it('leaves empty fields out when creating', async () => {
    const calls = fakeCloud((c) =>
      c.method === 'POST' ? Response.json({ ...PRO2, ...c.body, id: 'p3' }, { status: 201 }) : { items: c.url.startsWith('/api/appointments/professionals') ? [PRO, PRO2] : [SERVICE, SERVICE2], nextCursor: null },
    )
    const wrapper = mount(ProfessionalsPanel, { global: { plugins: [i18n] }, attachTo: document.body })
    await wrapper.get('[data-testid=professional-create-open]').trigger('click')
    await wrapper.get('[data-testid=professional-name]').setValue('Lic. Ruiz')
    await wrapper.get('[data-testid=professional-form]').trigger('submit')
    await flushPromises()
    expect(calls.find((c) => c.method === 'POST')!.body).toEqual({ name: 'Lic. Ruiz', timeZone: ZONE, serviceIds: [] })
    wrapper.unmount()
  })
})

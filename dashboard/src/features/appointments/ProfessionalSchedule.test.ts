import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { configureApiClient } from '../../api/client.js'
import { i18n, setLocale } from '../../i18n/index.js'
import ProfessionalSchedule from './ProfessionalSchedule.vue'
import { useAppointmentsStore } from './store.js'

const PRO = { id: 'p1', name: 'Dra. Gómez', specialty: null, email: null, timeZone: 'America/Argentina/Buenos_Aires', siteId: null, userId: null, serviceIds: [], hasIcsFeed: true, archived: false, createdAt: '' }

describe('ProfessionalSchedule', () => {
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

  it('edits the week, refuses a range that ends before it starts, saves, and makes a new feed URL after asking', async () => {
    const fetchMock = vi.fn(async (url: string, init: RequestInit = {}) => {
      if (url.endsWith('/availability') && init.method === 'PUT') return Response.json({ professionalId: 'p1', timeZone: PRO.timeZone, weekly: JSON.parse(String(init.body)).ranges })
      if (url.endsWith('/availability')) return Response.json({ professionalId: 'p1', timeZone: PRO.timeZone, weekly: [{ weekday: 1, start: '09:00', end: '13:00' }] })
      if (url.startsWith('/api/appointments/exceptions')) return Response.json({ items: [{ id: 'e1', professionalId: 'p1', date: '2026-12-25', kind: 'off', start: null, end: null, note: 'Navidad' }], nextCursor: null })
      if (url.endsWith('/ics-token')) return Response.json({ token: 'secret-token', path: '/api/public/appointments/ics/secret-token.ics' }, { status: 201 })
      return Response.json({ error: { code: 'NOT_FOUND', message: url } }, { status: 404 })
    })
    vi.stubGlobal('fetch', fetchMock)
    const confirm = vi.fn(() => true)
    vi.stubGlobal('confirm', confirm)
    useAppointmentsStore().professionals = [PRO]
    const wrapper = mount(ProfessionalSchedule, { props: { professional: PRO }, global: { plugins: [i18n] }, attachTo: document.body })
    await flushPromises()
    expect(wrapper.findAll('[data-testid=hours-range]')).toHaveLength(1)
    expect(wrapper.get('[data-testid=days-off]').text()).toContain('Navidad')

    await wrapper.get('[data-testid=hours-add]').trigger('click')
    const rows = wrapper.findAll('[data-testid=hours-range]')
    expect((rows[1]!.get('[data-testid=hours-weekday]').element as HTMLSelectElement).value).toBe('2')
    await rows[1]!.get('[data-testid=hours-end]').setValue('08:00')
    await wrapper.get('[data-testid=hours-save]').trigger('click')
    await flushPromises()
    expect(wrapper.get('[data-testid=hours-error]').text()).toContain('termina después de empezar')
    expect(fetchMock.mock.calls.some(([, init]) => init?.method === 'PUT')).toBe(false)

    await rows[1]!.get('[data-testid=hours-end]').setValue('18:00')
    await wrapper.get('[data-testid=hours-save]').trigger('click')
    await flushPromises()
    const put = fetchMock.mock.calls.find(([, init]) => init?.method === 'PUT')!
    expect(JSON.parse(String(put[1]!.body))).toEqual({ ranges: [{ weekday: 1, start: '09:00', end: '13:00' }, { weekday: 2, start: '09:00', end: '18:00' }] })
    expect(wrapper.get('[data-testid=hours-status]').text()).toBe('Horario guardado.')

    // A feed exists: a new one voids it, so it asks first; the URL is shown once.
    await wrapper.get('[data-testid=ics-rotate]').trigger('click')
    await flushPromises()
    expect(confirm).toHaveBeenCalledOnce()
    expect((wrapper.get('[data-testid=ics-url]').element as HTMLInputElement).value).toBe(`${window.location.origin}/api/public/appointments/ics/secret-token.ics`)
    expect(wrapper.find('label[for]').exists()).toBe(true)
    wrapper.unmount()
  })
})

describe('appointments store', () => {
  beforeEach(() => setActivePinia(createPinia()))
  afterEach(() => vi.unstubAllGlobals())

  it('fetches each client once, with their no-show count', async () => {
    const fetchMock = vi.fn(async (url: string) =>
      url.startsWith('/api/crm/contacts/') ? Response.json({ id: 'c1', name: 'Ana', email: 'ana@example.com', phone: null }) : Response.json({ contactId: 'c1', noShows: 3, lastNoShowAt: null }),
    )
    vi.stubGlobal('fetch', fetchMock)
    const store = useAppointmentsStore()
    await Promise.all([store.ensureClients(['c1', 'c1']), store.ensureClients(['c1'])])
    await store.ensureClients(['c1'])
    expect(fetchMock).toHaveBeenCalledTimes(2)
    expect(store.clients.c1).toEqual({ name: 'Ana', email: 'ana@example.com', phone: null, noShows: 3 })
    await store.ensureClients(['c1'], true)
    expect(fetchMock).toHaveBeenCalledTimes(4)
  })
})

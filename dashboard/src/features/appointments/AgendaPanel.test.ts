import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { BookingStatus } from '../../api/appointments.js'
import { configureApiClient } from '../../api/client.js'
import { i18n, setLocale } from '../../i18n/index.js'
import AgendaPanel from './AgendaPanel.vue'
import { localToday } from './clock.js'
import { upsert, useAppointmentsStore } from './store.js'

const ZONE = 'America/Argentina/Buenos_Aires'
const PRO = { id: 'p1', name: 'Dra. Gómez', specialty: null, email: null, timeZone: ZONE, siteId: null, userId: null, serviceIds: ['s1'], hasIcsFeed: false, archived: false, createdAt: '' }
const SERVICE = { id: 's1', name: 'Consulta clínica', description: null, durationMin: 30, bufferBeforeMin: 0, bufferAfterMin: 10, priceMinor: 1_500_000, currency: 'ARS', professionalIds: ['p1'], archived: false, createdAt: '' }

function booking(id: string, status: string, hh: string, date = localToday(ZONE)) {
  const start = new Date(Date.parse(`${date}T${hh}:00:00-03:00`)).toISOString()
  return {
    id,
    serviceId: 's1',
    professionalId: 'p1',
    contactId: `c-${id}`,
    start,
    end: new Date(Date.parse(start) + 30 * 60_000).toISOString(),
    localStart: `${date}T${hh}:00:00-03:00`,
    blockedFrom: start,
    blockedTo: start,
    status,
    source: 'public',
    staffApproval: false,
    priceMinor: 1_500_000,
    currency: 'ARS',
    notes: null,
    revision: 1,
    confirmedAt: null,
    cancelledAt: null,
    cancelReason: null,
    createdAt: start,
  }
}

function signIn(permissions: string[]): void {
  localStorage.setItem('tendero.session', JSON.stringify({ token: 't', user: { id: 'u1', email: 'a@b.c', name: 'Julio', orgId: 'o1', locale: 'es-AR' }, permissions }))
  configureApiClient({ getToken: () => 't', onUnauthorized: () => {} })
}

function fakeCloud() {
  const calls: { url: string; init: RequestInit }[] = []
  const fetchMock = vi.fn(async (url: string, init: RequestInit = {}) => {
    calls.push({ url, init })
    if (url.startsWith('/api/appointments/bookings?')) return Response.json({ items: [booking('b1', 'confirmed', '09'), booking('b2', 'pending', '11')], nextCursor: null })
    if (url === '/api/appointments/bookings/b1/complete') return Response.json({ ...booking('b1', 'completed', '09') })
    if (url.startsWith('/api/crm/contacts/')) return Response.json({ id: url.split('/').pop(), name: url.endsWith('c-b1') ? 'Ana Paciente' : 'Beto', email: null, phone: null })
    if (url.startsWith('/api/appointments/contacts/')) return Response.json({ contactId: 'x', noShows: url.includes('c-b2') ? 2 : 0, lastNoShowAt: null })
    return Response.json({ error: { code: 'NOT_FOUND', message: url } }, { status: 404 })
  })
  vi.stubGlobal('fetch', fetchMock)
  return calls
}

function mountAgenda(props: Record<string, unknown> = {}) {
  const store = useAppointmentsStore()
  store.services = [SERVICE]
  store.professionals = upsert([], PRO)
  return mount(AgendaPanel, { props, global: { plugins: [i18n] }, attachTo: document.body })
}

describe('AgendaPanel', () => {
  beforeEach(() => {
    localStorage.clear()
    setActivePinia(createPinia())
    setLocale('es-AR')
  })
  afterEach(() => {
    vi.unstubAllGlobals()
    document.body.innerHTML = ''
  })

  it("lists the professional's day in their zone, with the clients and their no-shows, and marks one completed", async () => {
    signIn(['appointments.read', 'appointments.manage'])
    const calls = fakeCloud()
    const wrapper = mountAgenda()
    await flushPromises()
    await flushPromises()
    const list = calls.find((c) => c.url.startsWith('/api/appointments/bookings?'))!.url
    const query = new URL(list, 'http://x').searchParams
    expect(query.get('professionalId')).toBe('p1')
    // The day runs from the professional's midnight (UTC−3) to the next.
    expect(query.get('from')).toBe(`${localToday(ZONE)}T03:00:00.000Z`)
    const items = wrapper.findAll('[data-testid=agenda-booking]')
    expect(items.map((i) => i.attributes('data-status'))).toEqual(['confirmed', 'pending'])
    expect(items[0]!.text()).toContain('09:00–09:30')
    expect(items[0]!.get('[data-testid=booking-client]').text()).toBe('Ana Paciente')
    expect(items[1]!.get('[data-testid=booking-no-shows]').text()).toBe('2 ausencias')
    expect(items[0]!.find('[data-testid=booking-no-shows]').exists()).toBe(false)
    // Only a pending booking has "confirm".
    expect(items[0]!.find('[data-testid=booking-confirm]').exists()).toBe(false)
    expect(items[1]!.find('[data-testid=booking-confirm]').exists()).toBe(true)

    await items[0]!.get('[data-testid=booking-complete]').trigger('click')
    await flushPromises()
    expect(calls.some((c) => c.url === '/api/appointments/bookings/b1/complete' && c.init.method === 'POST')).toBe(true)
    expect(wrapper.findAll('[data-testid=agenda-booking]')[0]!.attributes('data-status')).toBe('completed')
    expect(wrapper.get('[data-testid=agenda-status]').text()).toContain('realizado')
  })

  it('filters by status: the one given (from the query) is asked of the cloud, a change is emitted, and a booking leaving it leaves the list', async () => {
    signIn(['appointments.read', 'appointments.manage'])
    const calls = fakeCloud()
    const wrapper = mountAgenda({ status: 'confirmed', 'onUpdate:status': (v: BookingStatus | '') => wrapper.setProps({ status: v }) })
    await flushPromises()
    const statusOf = (c: { url: string }) => new URL(c.url, 'http://x').searchParams.get('status')
    const lists = () => calls.filter((c) => c.url.startsWith('/api/appointments/bookings?'))
    expect(statusOf(lists()[0]!)).toBe('confirmed')
    const select = wrapper.get('[data-testid=agenda-status-filter]')
    expect((select.element as HTMLSelectElement).value).toBe('confirmed')
    expect(select.findAll('option').map((o) => o.text())).toEqual(['Todos', 'Pendiente', 'Confirmado', 'Realizado', 'Cancelado', 'No vino'])
    expect(document.querySelector(`label[for="${select.attributes('id')}"]`)?.textContent).toBe('Estado')

    await select.setValue('no_show')
    await flushPromises()
    expect(wrapper.emitted('update:status')).toEqual([['no_show']])
    expect(statusOf(lists().at(-1)!)).toBe('no_show')
    await select.setValue('')
    await flushPromises()
    expect(statusOf(lists().at(-1)!)).toBeNull()

    // Filtered on confirmed, completing b1 takes it out of the list.
    await wrapper.setProps({ status: 'confirmed' })
    await flushPromises()
    expect(wrapper.findAll('[data-testid=agenda-booking]')).toHaveLength(2)
    await wrapper.get('[data-booking-id=b1] [data-testid=booking-complete]').trigger('click')
    await flushPromises()
    expect(wrapper.findAll('[data-testid=agenda-booking]').map((i) => i.attributes('data-booking-id'))).toEqual(['b2'])
    expect(wrapper.get('[data-testid=agenda-status]').text()).toContain('realizado')
  })

  it('shows the week as seven days and hides actions without appointments.manage', async () => {
    signIn(['appointments.read'])
    fakeCloud()
    const wrapper = mountAgenda()
    await flushPromises()
    expect(wrapper.find('[data-testid=booking-complete]').exists()).toBe(false)
    expect(wrapper.find('[data-testid=agenda-new]').exists()).toBe(false)
    await wrapper.get('[data-testid=agenda-view]').setValue('week')
    await flushPromises()
    const days = wrapper.findAll('[data-testid=agenda-day]')
    expect(days).toHaveLength(7)
    expect(new Date(`${days[0]!.attributes('data-date')}T12:00:00Z`).getUTCDay()).toBe(1)
  })
})

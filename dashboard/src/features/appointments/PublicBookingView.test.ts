import { flushPromises, mount } from '@vue/test-utils'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { configureApiClient } from '../../api/client.js'
import { i18n, setLocale } from '../../i18n/index.js'
import PublicBookingLinkView from '../../views/PublicBookingLinkView.vue'
import PublicBookingView from '../../views/PublicBookingView.vue'
import PublicOfferView from '../../views/PublicOfferView.vue'

const PAGE = {
  slug: 'clinica',
  title: 'Turnos Clínica San Martín',
  organization: 'Clínica San Martín',
  services: [{ id: 's1', name: 'Consulta clínica', description: null, durationMin: 30, priceMinor: 1_500_000, currency: 'ARS' }],
  professionals: [{ id: 'p1', name: 'Dra. Gómez', specialty: 'Clínica', serviceIds: ['s1'] }],
}
const slot = (hh: string) => ({ start: `2026-11-24T${String(Number(hh) + 3).padStart(2, '0')}:00:00.000Z`, end: '', localStart: `2026-11-24T${hh}:00:00-03:00`, professionalId: 'p1' })
const json = (body: unknown, status = 200) => Response.json(body, { status })

interface Call {
  url: string
  init: RequestInit
}

/** A cloud that answers the public routes; `book` decides each booking answer. */
function fakeCloud(book: (n: number) => Response) {
  const calls: Call[] = []
  let slotsAnswer = [slot('09'), slot('10')]
  let bookings = 0
  const fetchMock = vi.fn(async (url: string, init: RequestInit = {}) => {
    calls.push({ url, init })
    if (url.startsWith('/api/public/booking/clinica/slots')) return json({ serviceId: 's1', slots: slotsAnswer })
    if (url === '/api/public/booking/clinica/bookings') {
      const answer = book(++bookings)
      if (answer.status === 409) slotsAnswer = [slot('10')]
      return answer
    }
    if (url === '/api/public/booking/clinica') return json(PAGE)
    return json({ error: { code: 'NOT_FOUND' } }, 404)
  })
  vi.stubGlobal('fetch', fetchMock)
  return { calls, fetchMock }
}

afterEach(() => {
  vi.unstubAllGlobals()
  setLocale('es-AR')
  document.body.innerHTML = ''
})

describe('PublicBookingView', () => {
  it('books with no token, says problems on the field first, sends the honeypot empty and an idempotency key', async () => {
    // A staff session in the same browser is not the client's to use.
    configureApiClient({ getToken: () => 'staff-token', onUnauthorized: () => {} })
    const cloud = fakeCloud(() => json({ id: 'b1', status: 'pending', start: slot('09').start, end: '', localStart: slot('09').localStart, service: 'Consulta clínica', professional: 'Dra. Gómez', staffApproval: false }, 201))
    const wrapper = mount(PublicBookingView, { props: { slug: 'clinica' }, global: { plugins: [i18n] }, attachTo: document.body })
    await flushPromises()
    expect(wrapper.get('h1').text()).toBe('Turnos Clínica San Martín')
    expect(wrapper.text()).toMatch(/\$\s15\.000/)
    const days = wrapper.findAll('[data-testid=booking-day]')
    expect(days.map((d) => d.attributes('data-date'))).toEqual(['2026-11-24'])
    expect(days[0]!.attributes('aria-pressed')).toBe('true')
    expect(wrapper.findAll('[data-testid=booking-slot]').map((s) => s.text())).toEqual(['09:00', '10:00'])
    expect(wrapper.text()).toContain('UTC−03:00')

    // The honeypot: hidden from people and assistive technology, out of the Tab order.
    const trap = wrapper.get('[data-testid=booking-website]')
    expect(trap.attributes('tabindex')).toBe('-1')
    expect(trap.element.closest('[aria-hidden=true]')).not.toBeNull()

    await wrapper.get('[data-testid=booking-slot][data-start="2026-11-24T12:00:00.000Z"]').trigger('click')
    expect(wrapper.get('[data-testid=booking-summary]').text()).toContain('Consulta clínica')
    await wrapper.get('[data-testid=booking-name]').setValue('Ana')
    await wrapper.get('[data-testid=booking-email]').setValue('ana@')
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    const email = wrapper.get('[data-testid=booking-email]')
    expect(email.attributes('aria-invalid')).toBe('true')
    expect(document.activeElement).toBe(email.element)
    expect(cloud.calls.some((c) => c.init.method === 'POST')).toBe(false)

    await email.setValue('ana@example.com')
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    const post = cloud.calls.find((c) => c.init.method === 'POST')!
    const headers = post.init.headers as Record<string, string>
    expect(headers.authorization).toBeUndefined()
    expect(headers['Idempotency-Key']).toMatch(/^appt-[0-9a-f]{32}$/)
    expect(JSON.parse(String(post.init.body))).toEqual({ serviceId: 's1', start: '2026-11-24T12:00:00.000Z', client: { name: 'Ana', email: 'ana@example.com' }, website: '' })
    const done = wrapper.get('[data-testid=booking-confirmation]')
    expect(done.attributes('data-status')).toBe('pending')
    expect(wrapper.get('[data-testid=booking-mail-sent]').text()).toContain('ana@example.com')
    expect(wrapper.find('[data-testid=booking-staff-confirms]').exists()).toBe(false)
    for (const c of cloud.calls) expect((c.init.headers as Record<string, string>).authorization).toBeUndefined()
    configureApiClient({ getToken: () => null, onUnauthorized: () => {} })
    wrapper.unmount()
  })

  it('on SLOT_TAKEN says so, refetches the free times and books another with a new key', async () => {
    const cloud = fakeCloud((n) =>
      n === 1
        ? json({ error: { code: 'SLOT_TAKEN', message: 'taken' } }, 409)
        : json({ id: 'b2', status: 'pending', start: slot('10').start, end: '', localStart: slot('10').localStart, service: 'Consulta clínica', professional: 'Dra. Gómez', staffApproval: false }, 201),
    )
    const wrapper = mount(PublicBookingView, { props: { slug: 'clinica' }, global: { plugins: [i18n] }, attachTo: document.body })
    await flushPromises()
    await wrapper.get('[data-testid=booking-slot]').trigger('click')
    await wrapper.get('[data-testid=booking-name]').setValue('Ana')
    await wrapper.get('[data-testid=booking-email]').setValue('ana@example.com')
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    expect(wrapper.get('[data-testid=booking-slot-taken]').text()).toContain('se acaba de ocupar')
    expect(wrapper.findAll('[data-testid=booking-slot]').map((s) => s.text())).toEqual(['10:00'])
    expect(wrapper.find('[data-testid=booking-summary]').exists()).toBe(false)

    await wrapper.get('[data-testid=booking-slot]').trigger('click')
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    const keys = cloud.calls.filter((c) => c.init.method === 'POST').map((c) => (c.init.headers as Record<string, string>)['Idempotency-Key'])
    expect(keys).toHaveLength(2)
    expect(keys[0]).not.toBe(keys[1])
    expect(wrapper.find('[data-testid=booking-confirmation]').exists()).toBe(true)
    wrapper.unmount()
  })

  it('says the centre confirms, not the client by mail, when the answer asks for staff approval', async () => {
    fakeCloud(() => json({ id: 'b3', status: 'pending', start: slot('09').start, end: '', localStart: slot('09').localStart, service: 'Consulta clínica', professional: 'Dra. Gómez', staffApproval: true }, 201))
    const wrapper = mount(PublicBookingView, { props: { slug: 'clinica' }, global: { plugins: [i18n] }, attachTo: document.body })
    await flushPromises()
    await wrapper.get('[data-testid=booking-slot]').trigger('click')
    await wrapper.get('[data-testid=booking-name]').setValue('Pedro')
    await wrapper.get('[data-testid=booking-email]').setValue('pedro@example.com')
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    expect(wrapper.get('[data-testid=booking-staff-confirms]').text()).toBe('El centro confirmará tu turno.')
    expect(wrapper.find('[data-testid=booking-mail-sent]').exists()).toBe(false)
    expect(wrapper.get('[data-testid=booking-confirmation]').text()).not.toContain('Confirmalo')
    setLocale('en')
    await flushPromises()
    expect(wrapper.get('[data-testid=booking-staff-confirms]').text()).toBe('The centre will confirm your booking.')
    wrapper.unmount()
  })

  it('says when the page does not exist', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => json({ error: { code: 'APPT_BOOKING_PAGE_NOT_FOUND', message: 'x' } }, 404)))
    const wrapper = mount(PublicBookingView, { props: { slug: 'nada' }, global: { plugins: [i18n] } })
    await flushPromises()
    expect(wrapper.get('[data-testid=booking-load-error]').text()).toContain('no existe')
  })
})

describe('the client links', () => {
  const view = { id: 'b1', status: 'pending', start: '2026-11-24T12:00:00.000Z', end: '', localStart: '2026-11-24T09:00:00-03:00', service: 'Consulta clínica', professional: 'Dra. Gómez', staffApproval: false }

  it('shows the booking and confirms it', async () => {
    const fetchMock = vi.fn(async (url: string, init: RequestInit = {}) =>
      json(init.method === 'POST' && url.endsWith('/confirm') ? { ...view, status: 'confirmed' } : view),
    )
    vi.stubGlobal('fetch', fetchMock)
    const wrapper = mount(PublicBookingLinkView, { props: { token: 'b1.123.sig-abcdefghijklmnop' }, global: { plugins: [i18n] }, attachTo: document.body })
    await flushPromises()
    expect(fetchMock.mock.calls[0]![0]).toBe('/api/public/appointments/bookings/b1.123.sig-abcdefghijklmnop')
    expect(wrapper.get('[data-testid=link-when]').text()).toBe('martes, 24 de noviembre de 2026, 09:00 (UTC−03:00)')
    await wrapper.get('[data-testid=link-confirm]').trigger('click')
    await flushPromises()
    expect(wrapper.get('[data-testid=link-booking]').attributes('data-status')).toBe('confirmed')
    expect(wrapper.get('[data-testid=link-done]').text()).toContain('confirmado')
    expect(wrapper.find('[data-testid=link-confirm]').exists()).toBe(false)
    wrapper.unmount()
  })

  it('asks before cancelling, and words a refusal', async () => {
    vi.stubGlobal('fetch', vi.fn(async (_url: string, init: RequestInit = {}) => (init.method === 'POST' ? json({ error: { code: 'APPT_BAD_TRANSITION', message: 'x' } }, 409) : json(view))))
    const wrapper = mount(PublicBookingLinkView, { props: { token: 'b1.123.sig-abcdefghijklmnop' }, global: { plugins: [i18n] }, attachTo: document.body })
    await flushPromises()
    await wrapper.get('[data-testid=link-cancel]').trigger('click')
    await flushPromises()
    expect(document.activeElement).toBe(wrapper.get('[data-testid=link-keep]').element)
    await wrapper.get('[data-testid=link-cancel-yes]').trigger('click')
    await flushPromises()
    expect(wrapper.get('[data-testid=link-error]').text()).toContain('ya no se puede cambiar')
    wrapper.unmount()
  })

  it('a booking the staff confirm: no confirm button, says the centre confirms', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => json({ ...view, staffApproval: true })))
    const wrapper = mount(PublicBookingLinkView, { props: { token: 'b1.123.sig-abcdefghijklmnop' }, global: { plugins: [i18n] }, attachTo: document.body })
    await flushPromises()
    expect(wrapper.get('[data-testid=link-staff-confirms]').text()).toBe('El centro confirmará tu turno.')
    expect(wrapper.find('[data-testid=link-confirm]').exists()).toBe(false)
    expect(wrapper.find('[data-testid=link-cancel]').exists()).toBe(true)
    wrapper.unmount()
  })

  // 2026-11-24 09:00 in Buenos Aires, held until 08:30 there.
  const OFFER = {
    state: 'open', organization: 'Clínica San Martín', clientFirstName: 'Marta', service: 'Consulta clínica', durationMin: 30, professional: 'Dra. Gómez',
    start: '2026-11-24T12:00:00.000Z', end: '2026-11-24T12:30:00.000Z', localStart: '2026-11-24T09:00:00-03:00', timeZone: 'America/Argentina/Buenos_Aires', expiresAt: '2026-11-24T11:30:00.000Z',
  }
  const offerCloud = (offer: Record<string, unknown> | Response, accept: () => Response) => {
    const calls: { url: string; method: string }[] = []
    vi.stubGlobal('fetch', vi.fn(async (url: string, init: RequestInit = {}) => {
      calls.push({ url, method: init.method ?? 'GET' })
      if (init.method === 'POST') return accept()
      return offer instanceof Response ? offer : json(offer)
    }))
    return calls
  }

  it('shows the offered time in the professional\'s zone before the accept button, then takes it', async () => {
    const calls = offerCloud(OFFER, () => json({ ...view, status: 'confirmed' }, 201))
    const wrapper = mount(PublicOfferView, { props: { token: 'offer-token-0123456789' }, global: { plugins: [i18n] }, attachTo: document.body })
    await flushPromises()
    expect(calls).toEqual([{ url: '/api/public/appointments/offers/offer-token-0123456789', method: 'GET' }])
    expect(wrapper.text()).toContain('Hola, Marta.')
    expect(wrapper.get('[data-testid=offer-service]').text()).toBe('Consulta clínica')
    expect(wrapper.get('[data-testid=offer-professional]').text()).toBe('Dra. Gómez')
    expect(wrapper.get('[data-testid=offer-when]').text()).toBe('martes, 24 de noviembre de 2026, 09:00 (UTC−03:00)')
    expect(wrapper.get('[data-testid=offer-held-until]').text()).toBe('Te lo guardamos hasta las 08:30.')
    // The time comes before the button.
    const facts = wrapper.get('[data-testid=offer-facts]').element
    const button = wrapper.get('[data-testid=offer-accept]').element
    expect(facts.compareDocumentPosition(button) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy()
    await wrapper.get('[data-testid=offer-accept]').trigger('click')
    await flushPromises()
    expect(calls.at(-1)).toEqual({ url: '/api/public/appointments/offers/offer-token-0123456789/accept', method: 'POST' })
    expect(wrapper.get('[data-testid=offer-accepted]').text()).toContain('es tuyo')
    expect(document.activeElement).toBe(wrapper.get('[data-testid=offer-accepted]').element)
    expect(wrapper.find('[data-testid=offer-accept]').exists()).toBe(false)
    wrapper.unmount()
  })

  it('says an expired, taken or already taken offer so, with no button; a dead link too', async () => {
    for (const [state, testid, text] of [['expired', 'offer-expired', 'venció'], ['taken', 'offer-taken', 'Alguien ya tomó'], ['booked', 'offer-booked', 'Ya tomaste']] as const) {
      offerCloud({ ...OFFER, state }, () => json({}, 500))
      const wrapper = mount(PublicOfferView, { props: { token: 'offer-token-0123456789' }, global: { plugins: [i18n] } })
      await flushPromises()
      expect(wrapper.get(`[data-testid=${testid}]`).text()).toContain(text)
      expect(wrapper.get('[data-testid=offer-when]').text()).toContain('09:00')
      expect(wrapper.find('[data-testid=offer-accept]').exists()).toBe(false)
      wrapper.unmount()
    }
    offerCloud(json({ error: { code: 'APPT_LINK_INVALID', message: 'x' } }, 404), () => json({}, 500))
    const dead = mount(PublicOfferView, { props: { token: 'offer-token-0123456789' }, global: { plugins: [i18n] } })
    await flushPromises()
    expect(dead.get('[data-testid=offer-load-error]').text()).toContain('ya no es válido')
    expect(dead.find('[data-testid=offer-accept]').exists()).toBe(false)
  })

  it('an offer that lapses while open: accepting says so and turns the page to expired', async () => {
    offerCloud(OFFER, () => json({ error: { code: 'APPT_OFFER_EXPIRED', message: 'x' } }, 410))
    const wrapper = mount(PublicOfferView, { props: { token: 'offer-token-0123456789' }, global: { plugins: [i18n] } })
    await flushPromises()
    await wrapper.get('[data-testid=offer-accept]').trigger('click')
    await flushPromises()
    expect(wrapper.get('[data-testid=offer-expired]').text()).toContain('venció')
    expect(wrapper.find('[data-testid=offer-accept]').exists()).toBe(false)
  })
})

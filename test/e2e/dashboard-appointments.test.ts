/**
 * Issue 8, appointments (turnos), in a real Chromium against a real cloud: the demo
 * organization's admin sets up a service, a professional with weekly hours and a public
 * booking page in /turnos; a client without a session books on /reservar/<slug> on a phone,
 * by keyboard, through one validation error; the mailed link (read from the outbox)
 * confirms it; the staff see it confirmed in the agenda and mark it completed. Then two
 * clients race for one slot: one books it, the other is told it was taken. A waiting-list
 * offer shows its time before it is taken. A booking that started an hour ago is marked a
 * no-show in the agenda (the client's no-show badge goes up), found again with the status
 * filter kept in the address. The booking page is edited to have the staff confirm, and the
 * client's confirmation screen says so.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mailDb } from '../../cloud/src/modules/mail/tables.js'
import { activateByKeyboard, dashboardDir, DESKTOP, focusByTab, haveChromium, launchBrowser, logIn, PHONE, rawI18nKeys, retype, screenshots, unlabelledFields } from './browser-harness.js'
import { login, startStack, type Stack } from './stack.js'

/** Message keys shown as they are: a missing or misnamed translation. */

describe.skipIf(!haveChromium)('appointments in a real browser', () => {
  let stack: Stack
  let browser: Browser
  let staff: BrowserContext
  let page: Page
  const slug = `turnos-clinica-${Date.now().toString(36)}`
  /** The first day with free times on the public page, on the professional's calendar. */
  let firstDay = ''

  beforeAll(async () => {
    stack = await startStack({ dashboardDir: dashboardDir(), intervalMs: 1000 })
    browser = await launchBrowser()
    staff = await browser.newContext({ viewport: DESKTOP })
    page = await staff.newPage()
  })

  afterAll(async () => {
    await staff?.close()
    await browser?.close()
    await stack?.stop()
  })

  /** A context without a session, as a patient's phone. */
  const patientPage = async (): Promise<{ context: BrowserContext; page: Page }> => {
    const context = await browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true })
    return { context, page: await context.newPage() }
  }

  it('sets up a service, a professional with hours and a booking page; a client books by keyboard, confirms by the mailed link; the staff complete it', async () => {
    page.on('dialog', (dialog) => void dialog.accept())
    await logIn(page, stack.cloudUrl)
    await activateByKeyboard(page, '[data-testid=nav-appointments]')
    await page.waitForURL('**/turnos')
    await page.waitForSelector('[data-testid=agenda-no-professionals]')

    // A service, by keyboard; the price is written as people write it.
    await activateByKeyboard(page, '[data-testid=appt-tab-services]')
    await activateByKeyboard(page, '[data-testid=service-create-open]')
    await focusByTab(page, '[data-testid=service-name]', 0)
    await page.keyboard.type('Consulta clínica')
    await focusByTab(page, '[data-testid=service-duration]')
    await retype(page, '30')
    await focusByTab(page, '[data-testid=service-after]')
    await retype(page, '10')
    await focusByTab(page, '[data-testid=service-price]')
    await page.keyboard.type('15.000,50')
    expect(await unlabelledFields(page)).toEqual([])
    await page.keyboard.press('Enter')
    const service = page.locator('[data-testid=service-item][data-name="Consulta clínica"]')
    await service.waitFor()
    expect(await service.innerText()).toMatch(/15\.000,50/)
    const serviceId = await service.getAttribute('data-service-id')

    // A professional who offers it, then their week: Monday to Sunday, 09:00 to 18:00.
    await activateByKeyboard(page, '[data-testid=appt-tab-professionals]')
    await activateByKeyboard(page, '[data-testid=professional-create-open]')
    await focusByTab(page, '[data-testid=professional-name]', 0)
    await page.keyboard.type('Dra. Laura Gómez')
    await focusByTab(page, '[data-testid=professional-specialty]')
    await page.keyboard.type('Clínica médica')
    await focusByTab(page, `[data-testid=professional-service][data-service-id="${serviceId}"]`)
    await page.keyboard.press('Space')
    await activateByKeyboard(page, '[data-testid=professional-submit]')
    const pro = page.locator('[data-testid=professional-item][data-name="Dra. Laura Gómez"]')
    await pro.waitFor()
    // The new professional's schedule opens, to set the hours next.
    await pro.locator('[data-testid=professional-schedule]').waitFor()
    await focusByTab(page, '[data-testid=hours-add]')
    for (let i = 0; i < 7; i++) await page.keyboard.press('Enter')
    expect(await page.locator('[data-testid=hours-range]').count()).toBe(7)
    expect(await unlabelledFields(page)).toEqual([])
    await activateByKeyboard(page, '[data-testid=hours-save]')
    await expect.poll(() => page.textContent('[data-testid=hours-status]')).toContain('Horario guardado')
    // The calendar feed: a URL shown once, that serves an iCalendar.
    await activateByKeyboard(page, '[data-testid=ics-rotate]')
    const icsUrl = await page.locator('[data-testid=ics-url]').inputValue()
    expect(icsUrl).toMatch(/\/api\/public\/appointments\/ics\/.+\.ics$/)
    const ics = await fetch(icsUrl.replace(/^https?:\/\/[^/]+/, stack.cloudUrl))
    expect(ics.headers.get('content-type')).toContain('text/calendar')
    expect(await ics.text()).toContain('BEGIN:VCALENDAR')
    expect(await rawI18nKeys(page, ['appointments', 'booking'])).toEqual([])
    await screenshots(page, 'appointments-professionals')

    // The public booking page.
    await activateByKeyboard(page, '[data-testid=appt-tab-pages]')
    await activateByKeyboard(page, '[data-testid=page-create-open]')
    await focusByTab(page, '[data-testid=page-title]', 0)
    await page.keyboard.type('Turnos Clínica San Martín')
    await focusByTab(page, '[data-testid=page-slug]')
    expect(await page.inputValue('[data-testid=page-slug]')).toBe('turnos-clinica-san-martin')
    await retype(page, slug)
    expect(await unlabelledFields(page)).toEqual([])
    await page.keyboard.press('Enter')
    const link = page.locator(`[data-testid=page-item][data-slug="${slug}"] [data-testid=page-link]`)
    await link.waitFor()
    expect(await link.getAttribute('href')).toBe(`${stack.cloudUrl}/reservar/${slug}`)
    await screenshots(page, 'appointments-pages')

    // A patient, on a phone, without a session.
    const patient = await patientPage()
    const pub = patient.page
    await pub.goto(`${stack.cloudUrl}/reservar/${slug}`)
    await pub.waitForSelector('[data-testid=booking-form]')
    expect(await pub.locator('h1').innerText()).toBe('Turnos Clínica San Martín')
    // The only service is picked; "anyone" is the default professional.
    expect(await pub.isChecked(`[data-testid=booking-service][data-service-id="${serviceId}"]`)).toBe(true)
    expect(await pub.isChecked('[data-testid=booking-professional][data-professional-id=""]')).toBe(true)
    await pub.waitForSelector('[data-testid=booking-slot]')
    // The honeypot is there for bots, out of sight, out of the Tab order and of the accessibility tree.
    const trap = pub.locator('[data-testid=booking-website]')
    expect(await trap.getAttribute('tabindex')).toBe('-1')
    expect(await trap.evaluate((el) => (el as unknown as { closest(s: string): unknown }).closest('[aria-hidden=true]') !== null)).toBe(true)
    const box = await trap.boundingBox()
    expect(box === null || box.x + box.width <= 0).toBe(true)
    expect(await unlabelledFields(pub)).toEqual([])

    firstDay = (await pub.getAttribute('[data-testid=booking-day] >> nth=0', 'data-date')) ?? ''
    await focusByTab(pub, '[data-testid=booking-day]')
    await pub.keyboard.press('Enter')
    expect(await pub.getAttribute('[data-testid=booking-day] >> nth=0', 'aria-pressed')).toBe('true')
    await focusByTab(pub, '[data-testid=booking-slot]')
    const slotStart = await pub.evaluate(() => (globalThis as unknown as { document: { activeElement: { getAttribute(n: string): string | null } } }).document.activeElement.getAttribute('data-start'))
    const slotLocal = await pub.getAttribute(`[data-testid=booking-slot][data-start="${slotStart}"]`, 'data-local-start')
    expect(slotLocal?.slice(0, 10)).toBe(firstDay)
    await pub.keyboard.press('Enter')
    await expect.poll(() => pub.textContent('[data-testid=booking-summary]')).toContain('Consulta clínica')
    await focusByTab(pub, '[data-testid=booking-name]')
    await pub.keyboard.type('Ana Paciente')
    await focusByTab(pub, '[data-testid=booking-email]')
    await pub.keyboard.type('ana.paciente@')
    await activateByKeyboard(pub, '[data-testid=booking-submit]')
    // The problem is on the field, which gets the focus; nothing was sent.
    await expect.poll(() => pub.getAttribute('[data-testid=booking-email]', 'aria-invalid')).toBe('true')
    await focusByTab(pub, '[data-testid=booking-email]', 0)
    expect(await pub.locator('[data-testid=booking-email]').evaluate((el) => {
      const describedBy = (el as unknown as { getAttribute(n: string): string }).getAttribute('aria-describedby')
      const doc = (globalThis as unknown as { document: { getElementById(id: string): { textContent: string } | null } }).document
      return describedBy.split(' ').map((id) => doc.getElementById(id)?.textContent ?? '').join(' ')
    })).toContain('correo válido')
    await retype(pub, 'ana.paciente@example.com')
    await pub.keyboard.press('Enter')
    const done = pub.locator('[data-testid=booking-confirmation]')
    await done.waitFor({ timeout: 15_000 })
    expect(await done.getAttribute('data-status')).toBe('pending')
    expect(await pub.textContent('[data-testid=booking-mail-sent]')).toContain('ana.paciente@example.com')
    const bookingId = await done.getAttribute('data-booking-id')
    expect(await rawI18nKeys(pub, ['appointments', 'booking'])).toEqual([])
    await screenshots(pub, 'booking-confirmation')

    // The mail queued with the booking carries the client's link.
    const mail = await mailDb(stack.cloud.db).selectFrom('mail_outbox').select(['to_address', 'body']).where('dedup_key', '=', `appt:${bookingId}:booked`).executeTakeFirstOrThrow()
    expect(mail.to_address).toBe('ana.paciente@example.com')
    const token = /\/reserva\/([A-Za-z0-9._~-]+)/.exec(mail.body)?.[1]
    expect(token).toBeTruthy()
    await pub.goto(`${stack.cloudUrl}/reserva/${token}`)
    const linked = pub.locator('[data-testid=link-booking]')
    await linked.waitFor()
    expect(await linked.getAttribute('data-status')).toBe('pending')
    expect(await linked.innerText()).toContain('Dra. Laura Gómez')
    expect(await unlabelledFields(pub)).toEqual([])
    await activateByKeyboard(pub, '[data-testid=link-confirm]')
    await expect.poll(() => linked.getAttribute('data-status')).toBe('confirmed')
    expect(await pub.textContent('[data-testid=link-done]')).toContain('confirmado')
    await screenshots(pub, 'booking-link')
    await patient.context.close()

    // The staff see it confirmed in the agenda, on its day, and mark it completed.
    await activateByKeyboard(page, '[data-testid=appt-tab-agenda]')
    await page.waitForSelector('[data-testid=agenda]')
    await page.fill('[data-testid=agenda-date]', firstDay)
    const row = page.locator(`[data-testid=agenda-booking][data-booking-id="${bookingId}"]`)
    await row.waitFor()
    expect(await row.getAttribute('data-status')).toBe('confirmed')
    await expect.poll(() => row.locator('[data-testid=booking-client]').textContent()).toBe('Ana Paciente')
    expect(await row.innerText()).toContain('Consulta clínica')
    expect(await unlabelledFields(page)).toEqual([])
    await activateByKeyboard(page, `[data-testid=agenda-booking][data-booking-id="${bookingId}"] [data-testid=booking-complete]`)
    await expect.poll(() => row.getAttribute('data-status')).toBe('completed')
    await expect.poll(() => page.textContent('[data-testid=agenda-status]')).toContain('realizado')
    // The week as a grid on a desktop.
    await page.selectOption('[data-testid=agenda-view]', 'week')
    await expect.poll(() => page.locator('[data-testid=agenda-day]').count()).toBe(7)
    await row.waitFor()
    expect(await rawI18nKeys(page, ['appointments', 'booking'])).toEqual([])
    await screenshots(page, 'appointments-agenda')
  })

  it('of two clients racing for one slot, one books it and the other is told it was taken', async () => {
    const a = await patientPage()
    const b = await patientPage()
    try {
      for (const p of [a.page, b.page]) {
        await p.goto(`${stack.cloudUrl}/reservar/${slug}`)
        await p.waitForSelector('[data-testid=booking-slot]')
      }
      // Both see the same first free time.
      const start = await a.page.getAttribute('[data-testid=booking-slot] >> nth=0', 'data-start')
      expect(await b.page.getAttribute('[data-testid=booking-slot] >> nth=0', 'data-start')).toBe(start)
      let n = 0
      for (const p of [a.page, b.page]) {
        n++
        await p.click(`[data-testid=booking-slot][data-start="${start}"]`)
        await p.fill('[data-testid=booking-name]', `Cliente ${n}`)
        await p.fill('[data-testid=booking-email]', `cliente${n}.${Date.now()}@example.com`)
      }
      await Promise.all([a.page.click('[data-testid=booking-submit]'), b.page.click('[data-testid=booking-submit]')])
      const outcome = async (p: Page) => {
        await p.waitForSelector('[data-testid=booking-confirmation], [data-testid=booking-slot-taken]', { timeout: 15_000 })
        return (await p.locator('[data-testid=booking-confirmation]').count()) > 0 ? 'booked' : 'taken'
      }
      const outcomes = await Promise.all([outcome(a.page), outcome(b.page)])
      expect([...outcomes].sort()).toEqual(['booked', 'taken'])
      const loser = outcomes[0] === 'taken' ? a.page : b.page
      // The loser reads why, and the taken time is gone from the fresh list.
      expect(await loser.textContent('[data-testid=booking-slot-taken]')).toContain('se acaba de ocupar')
      await expect.poll(() => loser.locator(`[data-testid=booking-slot][data-start="${start}"]`).count()).toBe(0)
      expect(await loser.locator('[data-testid=booking-slot]').count()).toBeGreaterThan(0)
      expect(await unlabelledFields(loser)).toEqual([])
      await screenshots(loser, 'booking-slot-taken')
    } finally {
      await a.context.close()
      await b.context.close()
    }
  })

  it('books for a known client from the agenda; cancelling it offers the slot to the waiting list, whose client takes it by the mailed link', async () => {
    // Book for Ana (a contact since her public booking), found by name.
    await page.selectOption('[data-testid=agenda-view]', 'day')
    await activateByKeyboard(page, '[data-testid=agenda-new]')
    await focusByTab(page, '[data-testid=booking-create-service]', 0)
    expect(await page.inputValue('[data-testid=booking-create-date]')).toBe(firstDay)
    const slot = page.locator('[data-testid=slot-option] >> nth=0')
    await slot.waitFor()
    const start = await slot.getAttribute('data-start')
    const slotClock = (await slot.innerText()).trim()
    await activateByKeyboard(page, `[data-testid=slot-option][data-start="${start}"]`)
    expect(await slot.getAttribute('aria-pressed')).toBe('true')
    await focusByTab(page, '[data-testid=client-search]')
    await page.keyboard.type('Ana Pac')
    // The matches come after a pause in typing.
    await page.waitForSelector('[data-testid=client-match]')
    await activateByKeyboard(page, '[data-testid=client-match]')
    await expect.poll(() => page.textContent('[data-testid=client-picked]')).toContain('Ana Paciente')
    expect(await unlabelledFields(page)).toEqual([])
    await activateByKeyboard(page, '[data-testid=booking-create-submit]')
    await expect.poll(() => page.textContent('[data-testid=agenda-status]')).toContain('Ana Paciente')
    const staffBooking = page.locator(`[data-testid=agenda-booking][data-status=confirmed]`).filter({ hasText: 'Ana Paciente' })
    await staffBooking.waitFor()
    const staffBookingId = await staffBooking.getAttribute('data-booking-id')

    // Carla waits for any time that day.
    await activateByKeyboard(page, '[data-testid=appt-tab-waitlist]')
    await activateByKeyboard(page, '[data-testid=waitlist-open]')
    await page.fill('[data-testid=waitlist-from]', firstDay)
    await page.fill('[data-testid=waitlist-to]', firstDay)
    await activateByKeyboard(page, '[data-testid=client-new]')
    await focusByTab(page, '[data-testid=client-name]')
    await page.keyboard.type('Carla Espera')
    await focusByTab(page, '[data-testid=client-email]')
    await page.keyboard.type('carla.espera@example.com')
    expect(await unlabelledFields(page)).toEqual([])
    await activateByKeyboard(page, '[data-testid=waitlist-submit]')
    const waiting = page.locator('[data-testid=waitlist-item]').filter({ hasText: 'Carla Espera' })
    await waiting.waitFor()
    expect(await waiting.getAttribute('data-status')).toBe('waiting')
    await screenshots(page, 'appointments-waitlist')

    // Ana's staff booking is cancelled: the slot goes to Carla, by mail.
    await activateByKeyboard(page, '[data-testid=appt-tab-agenda]')
    await page.fill('[data-testid=agenda-date]', firstDay)
    const row = page.locator(`[data-testid=agenda-booking][data-booking-id="${staffBookingId}"]`)
    await row.waitFor()
    await activateByKeyboard(page, `[data-testid=agenda-booking][data-booking-id="${staffBookingId}"] [data-testid=booking-cancel]`)
    await expect.poll(() => row.getAttribute('data-status')).toBe('cancelled')
    const offer = await mailDb(stack.cloud.db).selectFrom('mail_outbox').select(['body']).where('kind', '=', 'appointment.waitlist_offer').where('to_address', '=', 'carla.espera@example.com').executeTakeFirstOrThrow()
    const token = /\/reserva\/oferta\/([A-Za-z0-9._~-]+)/.exec(offer.body)?.[1]
    expect(token).toBeTruthy()
    const carla = await patientPage()
    try {
      await carla.page.goto(`${stack.cloudUrl}/reserva/oferta/${token}`)
      // Before the button: what opened up, when (the professional's clock) and for how long it is held.
      await carla.page.waitForSelector('[data-testid=offer-facts]')
      expect(await carla.page.getAttribute('[data-testid=booking-offer]', 'data-state')).toBe('open')
      expect(await carla.page.textContent('[data-testid=offer-professional]')).toBe('Dra. Laura Gómez')
      expect(await carla.page.textContent('[data-testid=offer-service]')).toBe('Consulta clínica')
      expect(await carla.page.textContent('[data-testid=offer-when]')).toContain(slotClock)
      expect(await carla.page.textContent('[data-testid=booking-offer]')).toContain('Hola, Carla.')
      expect(await carla.page.textContent('[data-testid=booking-offer]')).not.toContain('carla.espera@example.com')
      expect(await carla.page.textContent('[data-testid=offer-held-until]')).toMatch(/Te lo guardamos hasta las \d{2}:\d{2}/)
      expect(await carla.page.locator('[data-testid=offer-facts]').evaluate((facts) => {
        const button = (globalThis as unknown as { document: { querySelector(s: string): unknown } }).document.querySelector('[data-testid=offer-accept]')
        return ((facts as unknown as { compareDocumentPosition(n: unknown): number }).compareDocumentPosition(button) & 4) !== 0
      })).toBe(true)
      // Carla reads English: the switch is there without a session too.
      expect(await carla.page.textContent('[data-testid=offer-accept]')).toContain('Tomar el turno')
      await activateByKeyboard(carla.page, '[data-testid=lang-switch]')
      await expect.poll(() => carla.page.textContent('[data-testid=offer-accept]')).toContain('Take the appointment')
      await activateByKeyboard(carla.page, '[data-testid=offer-accept]')
      await carla.page.waitForSelector('[data-testid=offer-accepted]')
      expect(await carla.page.textContent('[data-testid=offer-accepted]')).toContain('yours and confirmed')
      // Opened again, the link says it is already hers; no button.
      await carla.page.reload()
      await carla.page.waitForSelector('[data-testid=offer-booked]')
      expect(await carla.page.locator('[data-testid=offer-accept]').count()).toBe(0)
      expect(await unlabelledFields(carla.page)).toEqual([])
      await screenshots(carla.page, 'booking-offer')
    } finally {
      await carla.context.close()
    }
    // The staff see Carla in the freed slot.
    await activateByKeyboard(page, '[data-testid=agenda-next]')
    await activateByKeyboard(page, '[data-testid=agenda-prev]')
    const carlaRow = page.locator('[data-testid=agenda-booking][data-status=confirmed]').filter({ hasText: 'Carla Espera' })
    await carlaRow.waitFor()
    expect(await rawI18nKeys(page, ['appointments', 'booking'])).toEqual([])
  })

  it('marks a booking that started an hour ago a no-show in the agenda: the client\'s no-show badge goes up; the status filter finds it and stays in the address', async () => {
    const token = await login(stack.cloudUrl)
    const api = async (method: string, path: string, body?: object) => {
      const res = await fetch(`${stack.cloudUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      })
      expect(res.ok, `${method} ${path}: ${res.status}`).toBe(true)
      // The test reads a handful of known fields from the cloud's JSON.
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      return res.json() as Promise<any>
    }
    const service = ((await api('GET', '/api/appointments/services')).items as { id: string; name: string }[]).find((x) => x.name === 'Consulta clínica')!
    const pro = ((await api('GET', '/api/appointments/professionals')).items as { id: string; name: string }[]).find((x) => x.name === 'Dra. Laura Gómez')!
    const minute = 60_000
    const now = Math.floor(Date.now() / minute) * minute
    // Through the API, as the staff record a walk-in: the cloud computes the blocked span
    // (buffers included) and refuses an overlap. Two past bookings of one client: one marked
    // a no-show here, the other in the browser.
    const client = { name: 'Raúl Ausente', email: `raul.ausente.${Date.now()}@example.com` }
    const book = (start: number) => api('POST', '/api/appointments/bookings', { serviceId: service.id, professionalId: pro.id, start: new Date(start).toISOString(), client, allowOutsideHours: true })
    const earlier = await book(now - 2 * 60 * minute)
    const startedAnHourAgo = await book(now - 60 * minute)
    expect(startedAnHourAgo).toMatchObject({ status: 'confirmed', contactId: earlier.contactId })
    await api('POST', `/api/appointments/bookings/${earlier.id}/no-show`, {})
    expect((await api('GET', `/api/appointments/contacts/${earlier.contactId}/no-shows`)).noShows).toBe(1)

    await page.goto(`${stack.cloudUrl}/turnos`)
    await page.waitForSelector('[data-testid=agenda]')
    await page.selectOption('[data-testid=agenda-view]', 'day')
    await page.fill('[data-testid=agenda-date]', (startedAnHourAgo.localStart as string).slice(0, 10))
    const row = page.locator(`[data-testid=agenda-booking][data-booking-id="${startedAnHourAgo.id}"]`)
    await row.waitFor()
    expect(await row.getAttribute('data-status')).toBe('confirmed')
    await expect.poll(() => row.locator('[data-testid=booking-client]').textContent()).toBe('Raúl Ausente')
    await expect.poll(() => row.locator('[data-testid=booking-no-shows]').getAttribute('data-count')).toBe('1')
    // It has started, so "did not come" is offered; by keyboard.
    await activateByKeyboard(page, `[data-testid=agenda-booking][data-booking-id="${startedAnHourAgo.id}"] [data-testid=booking-no-show]`)
    await expect.poll(() => row.getAttribute('data-status')).toBe('no_show')
    await expect.poll(() => page.textContent('[data-testid=agenda-status]')).toContain('ausencia')
    await expect.poll(() => row.locator('[data-testid=booking-no-shows]').getAttribute('data-count')).toBe('2')
    expect(await row.locator('[data-testid=booking-no-shows]').innerText()).toBe('2 ausencias')
    expect((await api('GET', `/api/appointments/contacts/${earlier.contactId}/no-shows`)).noShows).toBe(2)

    // The status filter: no-shows only, in the address, kept on reload.
    await focusByTab(page, '[data-testid=agenda-status-filter]')
    await page.selectOption('[data-testid=agenda-status-filter]', 'no_show')
    await page.waitForURL(/[?&]estado=ausente/)
    await expect.poll(() => page.locator('[data-testid=agenda-booking]').evaluateAll((rows) => rows.map((r) => (r as unknown as { getAttribute(n: string): string }).getAttribute('data-status')))).toEqual(expect.arrayContaining(['no_show']))
    expect(new Set(await page.locator('[data-testid=agenda-booking]').evaluateAll((rows) => rows.map((r) => (r as unknown as { getAttribute(n: string): string }).getAttribute('data-status'))))).toEqual(new Set(['no_show']))
    expect(await unlabelledFields(page)).toEqual([])
    await page.reload()
    await page.waitForSelector('[data-testid=agenda]')
    await page.fill('[data-testid=agenda-date]', (startedAnHourAgo.localStart as string).slice(0, 10))
    expect(await page.inputValue('[data-testid=agenda-status-filter]')).toBe('no_show')
    await row.waitFor()
    // Pending only: neither is.
    await page.selectOption('[data-testid=agenda-status-filter]', 'pending')
    await page.waitForURL(/[?&]estado=pendiente/)
    await expect.poll(() => row.count()).toBe(0)
    // All again: the address loses the filter.
    await page.selectOption('[data-testid=agenda-status-filter]', '')
    await expect.poll(() => new URL(page.url()).searchParams.has('estado')).toBe(false)
    await row.waitFor()
    expect(await rawI18nKeys(page, ['appointments', 'booking'])).toEqual([])
    await screenshots(page, 'appointments-no-show')
  })

  it('edits the booking page to have the staff confirm; the client\'s confirmation then says the centre confirms', async () => {
    await page.goto(`${stack.cloudUrl}/turnos?tab=paginas`)
    const item = page.locator(`[data-testid=page-item][data-slug="${slug}"]`)
    await item.waitFor()
    await activateByKeyboard(page, `[data-testid=page-edit][data-slug="${slug}"]`)
    await page.waitForSelector('[data-testid=page-form][data-mode=edit]')
    expect(await page.inputValue('[data-testid=page-title]')).toBe('Turnos Clínica San Martín')
    expect(await page.locator('[data-testid=page-slug]').count()).toBe(0)
    await focusByTab(page, '[data-testid=page-title]', 0)
    await retype(page, 'Turnos Clínica San Martín (confirmamos)')
    await focusByTab(page, '[data-testid=page-min-notice]')
    await retype(page, '30')
    await focusByTab(page, '[data-testid=page-max-days]')
    await retype(page, '500')
    await focusByTab(page, '[data-testid=page-no-show-limit]')
    await retype(page, '2')
    await focusByTab(page, '[data-testid=page-require-confirmation]')
    await page.keyboard.press('Space')
    expect(await unlabelledFields(page)).toEqual([])
    await activateByKeyboard(page, '[data-testid=page-submit]')
    // 500 days is too far: said on the field, which gets the focus.
    await expect.poll(() => page.getAttribute('[data-testid=page-max-days]', 'aria-invalid')).toBe('true')
    await focusByTab(page, '[data-testid=page-max-days]', 0)
    await retype(page, '90')
    await page.keyboard.press('Enter')
    await expect.poll(() => page.textContent('[data-testid=pages-status]')).toContain('guardada')
    await expect.poll(() => item.innerText()).toContain('Turnos Clínica San Martín (confirmamos)')
    expect(await item.locator('[data-testid=page-settings]').innerText()).toContain('El equipo confirma cada turno')
    await screenshots(page, 'appointments-page-edit')

    const patient = await patientPage()
    try {
      const pub = patient.page
      await pub.goto(`${stack.cloudUrl}/reservar/${slug}`)
      await pub.waitForSelector('[data-testid=booking-slot]')
      expect(await pub.locator('h1').innerText()).toBe('Turnos Clínica San Martín (confirmamos)')
      await pub.click('[data-testid=booking-slot] >> nth=0')
      await pub.fill('[data-testid=booking-name]', 'Marta Nueva')
      await pub.fill('[data-testid=booking-email]', `marta.${Date.now()}@example.com`)
      await pub.click('[data-testid=booking-submit]')
      const done = pub.locator('[data-testid=booking-confirmation]')
      await done.waitFor({ timeout: 15_000 })
      expect(await done.getAttribute('data-status')).toBe('pending')
      expect(await pub.textContent('[data-testid=booking-staff-confirms]')).toBe('El centro confirmará tu turno.')
      expect(await pub.locator('[data-testid=booking-mail-sent]').count()).toBe(0)
      await activateByKeyboard(pub, '[data-testid=lang-switch]')
      await expect.poll(() => pub.textContent('[data-testid=booking-staff-confirms]')).toBe('The centre will confirm your booking.')
      expect(await rawI18nKeys(pub, ['appointments', 'booking'])).toEqual([])
      await screenshots(pub, 'booking-staff-confirms')
    } finally {
      await patient.context.close()
    }
  })
})

import { randomBytes } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hashPassword } from '../src/modules/auth/password.js'
import { listMail } from '../src/modules/mail/queue.js'
import { mailDb } from '../src/modules/mail/tables.js'
import { DEMO } from '../src/seed.js'
import { addOrganization, buildTestApp, loginDemo, type TestApp } from './support/app.js'
import { appointmentsFixture } from './support/appointments-fixtures.js'
import { testDrivers } from './support/drivers.js'

// Appointments (issue 8): slot search, bookings and their mail, no-shows, the waiting
// list, the ICS feed, the public booking page, and tenant isolation. The concurrent
// booking race is in appointments-race.db.test.ts.

const HOUR = 3_600_000

/** A strict reading of an iCalendar body (RFC 5545 3.1): CRLF only, 75-octet lines, unfolded. */
function parseIcs(body: string): { name: string; props: Record<string, string> }[] {
  expect(body.endsWith('\r\n')).toBe(true)
  expect(body.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/)
  const physical = body.slice(0, -2).split('\r\n')
  for (const line of physical) expect(Buffer.byteLength(line, 'utf8')).toBeLessThanOrEqual(75)
  const lines: string[] = []
  for (const line of physical) {
    if (line.startsWith(' ')) lines[lines.length - 1] += line.slice(1)
    else lines.push(line)
  }
  const stack: { name: string; props: Record<string, string> }[] = []
  const done: { name: string; props: Record<string, string> }[] = []
  for (const line of lines) {
    const colon = line.indexOf(':')
    expect(colon, line).toBeGreaterThan(0)
    const [name, value] = [line.slice(0, colon), line.slice(colon + 1)]
    expect(name).toMatch(/^[A-Z-]+$/)
    if (name === 'BEGIN') stack.push({ name: value, props: {} })
    else if (name === 'END') {
      const top = stack.pop()
      expect(top?.name).toBe(value)
      done.push(top!)
    } else stack[stack.length - 1]!.props[name] = value
  }
  expect(stack).toEqual([])
  return done
}

const unescapeText = (v: string): string => v.replace(/\\n/g, '\n').replace(/\\([\\;,])/g, '$1')

describe.each(testDrivers())('appointments (%s)', (driver) => {
  let t: TestApp
  let app: FastifyInstance
  let token: string
  const auth = () => ({ authorization: `Bearer ${token}` })
  const api = (method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, payload?: object, headers: Record<string, string> = {}) =>
    app.inject({ method, url, headers: { ...auth(), ...headers }, ...(payload ? { payload } : {}) })
  const ok = async (method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, payload?: object, status = method === 'POST' ? 201 : 200) => {
    const res = await api(method, url, payload)
    expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(status)
    return res.json()
  }
  const mailBody = async (dedupPrefix: string): Promise<string> => {
    const row = await mailDb(app.db).selectFrom('mail_outbox').select('body').where('org_id', '=', DEMO.organization.id).where('dedup_key', 'like', `${dedupPrefix}%`).orderBy('id', 'desc').executeTakeFirstOrThrow()
    return row.body
  }
  const linkToken = (body: string, kind: 'turnos' | 'oferta'): string => {
    const m = kind === 'turnos' ? /\/reserva\/([A-Za-z0-9_.-]+)/.exec(body) : /\/reserva\/oferta\/([A-Za-z0-9_-]+)/.exec(body)
    expect(m, body).not.toBeNull()
    return m![1]!
  }

  let service: { id: string }
  let pro: { id: string; timeZone: string }

  beforeAll(async () => {
    t = await buildTestApp(driver)
    app = t.app
    token = await loginDemo(app)
    service = await ok('POST', '/api/appointments/services', { name: 'Consulta clínica', durationMin: 30, bufferBeforeMin: 10, bufferAfterMin: 15, priceMinor: 1_500_000, currency: 'ARS' })
    pro = await ok('POST', '/api/appointments/professionals', { name: 'Dra. Ana Gómez', specialty: 'Clínica médica', serviceIds: [service.id] })
    // Monday 09:00-12:00 and 14:00-16:00, Saturday 10:00-13:00 (Buenos Aires).
    await ok('PUT', `/api/appointments/professionals/${pro.id}/availability`, {
      ranges: [{ weekday: 1, start: '09:00', end: '12:00' }, { weekday: 1, start: '14:00', end: '16:00' }, { weekday: 6, start: '10:00', end: '13:00' }],
    }, 200)
  }, 120_000)
  afterAll(async () => t?.close())

  it('takes the time zone of the site and lists the catalog', async () => {
    expect(pro.timeZone).toBe('America/Argentina/Buenos_Aires')
    const services = await ok('GET', '/api/appointments/services')
    expect(services.items.find((s: { id: string }) => s.id === service.id)).toMatchObject({ durationMin: 30, bufferBeforeMin: 10, bufferAfterMin: 15, priceMinor: 1_500_000, currency: 'ARS', professionalIds: [pro.id] })
    expect((await ok('GET', `/api/appointments/professionals/${pro.id}/availability`)).weekly).toEqual([
      { weekday: 1, start: '09:00', end: '12:00' },
      { weekday: 1, start: '14:00', end: '16:00' },
      { weekday: 6, start: '10:00', end: '13:00' },
    ])
    const bad = await api('PUT', `/api/appointments/professionals/${pro.id}/availability`, { ranges: [{ weekday: 1, start: '12:00', end: '09:00' }] })
    expect(bad.statusCode).toBe(400)
    expect((await api('POST', '/api/appointments/professionals', { name: 'X', timeZone: 'Marte/Olympus' })).statusCode).toBe(400)
  })

  it('finds exactly the free slots, honouring durations, buffers, bookings and exceptions', async () => {
    const day = '2027-03-01' // a Monday
    const slots = async (query: Record<string, string>) =>
      (await ok('GET', `/api/appointments/slots?${new URLSearchParams({ serviceId: service.id, from: `${day}T00:00:00-03:00`, to: `${day}T23:59:00-03:00`, stepMin: '30', ...query })}`)).slots.map((s: { localStart: string }) => s.localStart.slice(11, 16))
    expect(await slots({})).toEqual(['09:00', '09:30', '10:00', '10:30', '11:00', '11:30', '14:00', '14:30', '15:00', '15:30'])
    // A booking at 10:00 blocks 09:50-10:45: a 30-min slot whose own buffers (10 before, 15 after) touch that is out.
    const booking = await ok('POST', '/api/appointments/bookings', { serviceId: service.id, professionalId: pro.id, start: `${day}T10:00:00-03:00`, client: { name: 'Juan Pérez', email: 'juan@example.com' } })
    expect(booking).toMatchObject({ status: 'confirmed', blockedFrom: `${day}T12:50:00.000Z`, blockedTo: `${day}T13:45:00.000Z`, priceMinor: 1_500_000 })
    // 09:00 blocks 08:50-09:45 (free); 09:30 blocks 09:20-10:15 (no); 10:30 and 11:00 run into 10:45 (11:00-10 = 10:50: free).
    expect(await slots({})).toEqual(['09:00', '11:00', '11:30', '14:00', '14:30', '15:00', '15:30'])
    expect(await slots({ stepMin: '15' })).toEqual(['09:00', '11:00', '11:15', '11:30', '14:00', '14:15', '14:30', '14:45', '15:00', '15:15', '15:30'])
    // The afternoon off, and extra hours that evening.
    const off = await ok('POST', `/api/appointments/professionals/${pro.id}/exceptions`, { date: day, kind: 'off', start: '14:00', end: '16:00', note: 'Congreso' })
    await ok('POST', `/api/appointments/professionals/${pro.id}/exceptions`, { date: day, kind: 'extra', start: '18:00', end: '19:00' })
    expect(await slots({})).toEqual(['09:00', '11:00', '11:30', '18:00', '18:30'])
    expect((await ok('GET', `/api/appointments/exceptions?professionalId=${pro.id}`)).items).toHaveLength(2)
    await ok('DELETE', `/api/appointments/exceptions/${off.id}`)
    expect(await slots({})).toEqual(['09:00', '11:00', '11:30', '14:00', '14:30', '15:00', '15:30', '18:00', '18:30'])
    // A whole day off.
    await ok('POST', `/api/appointments/professionals/${pro.id}/exceptions`, { date: '2027-03-08', kind: 'off' })
    const nextMonday = (await ok('GET', `/api/appointments/slots?${new URLSearchParams({ serviceId: service.id, from: '2027-03-08T00:00:00-03:00', to: '2027-03-09T00:00:00-03:00' })}`)).slots
    expect(nextMonday).toEqual([])
    // Bad windows are 400s.
    expect((await api('GET', `/api/appointments/slots?${new URLSearchParams({ serviceId: service.id, from: '2027-03-02T00:00:00Z', to: '2027-03-01T00:00:00Z' })}`)).statusCode).toBe(400)
    expect((await api('GET', `/api/appointments/slots?${new URLSearchParams({ serviceId: service.id, from: 'ayer', to: '2027-03-01T00:00:00Z' })}`)).statusCode).toBe(400)
    expect((await api('GET', `/api/appointments/slots?${new URLSearchParams({ serviceId: service.id, from: '2027-01-01T00:00:00Z', to: '2027-03-01T00:00:00Z' })}`)).statusCode).toBe(400)
  })

  it('keeps a New York professional at 09:00 local across the DST change', async () => {
    const ny = await ok('POST', '/api/appointments/professionals', { name: 'Dr. Smith', timeZone: 'America/New_York', serviceIds: [service.id] })
    await ok('PUT', `/api/appointments/professionals/${ny.id}/availability`, { ranges: [{ weekday: 7, start: '09:00', end: '10:00' }, { weekday: 7, start: '01:00', end: '04:00' }] }, 200)
    const sunday = async (date: string) =>
      (await ok('GET', `/api/appointments/slots?${new URLSearchParams({ serviceId: service.id, professionalId: ny.id, from: `${date}T00:00:00Z`, to: `${date}T23:00:00Z`, stepMin: '30' })}`)).slots.map((s: { start: string; localStart: string }) => `${s.start} ${s.localStart.slice(11)}`)
    // Before the change (EST, -05:00) and after it (EDT, -04:00).
    expect(await sunday('2027-03-07')).toEqual(expect.arrayContaining(['2027-03-07T14:00:00.000Z 09:00:00-05:00', '2027-03-07T14:30:00.000Z 09:30:00-05:00']))
    expect(await sunday('2027-03-14')).toEqual(expect.arrayContaining(['2027-03-14T13:00:00.000Z 09:00:00-04:00', '2027-03-14T13:30:00.000Z 09:30:00-04:00']))
    // The night of the change, 01:00-04:00 local is two real hours: 01:00, 01:30, 03:00, 03:30 (02:xx never happens).
    const night = (await sunday('2027-03-14')).filter((s: string) => s < '2027-03-14T12')
    expect(night).toEqual(['2027-03-14T06:00:00.000Z 01:00:00-05:00', '2027-03-14T06:30:00.000Z 01:30:00-05:00', '2027-03-14T07:00:00.000Z 03:00:00-04:00', '2027-03-14T07:30:00.000Z 03:30:00-04:00'])
  })

  it('refuses overlapping and out-of-hours bookings, and books over buffers only when they clear', async () => {
    const day = '2027-03-06' // Saturday 10:00-13:00
    const book = (start: string, extra: object = {}) => api('POST', '/api/appointments/bookings', { serviceId: service.id, professionalId: pro.id, start: `${day}T${start}-03:00`, client: { name: 'Lucía', email: 'lucia@example.com' }, ...extra })
    expect((await book('10:00:00')).statusCode).toBe(201)
    // 10:30 would start its buffer at 10:20, inside the first booking's blocked 09:50-10:45.
    const taken = await book('10:30:00')
    expect(taken.statusCode).toBe(409)
    expect(taken.json().error.code).toBe('SLOT_TAKEN')
    expect((await book('10:55:00')).statusCode).toBe(201)
    const outside = await book('17:00:00')
    expect(outside.statusCode).toBe(422)
    expect(outside.json().error.code).toBe('SLOT_UNAVAILABLE')
    expect((await book('17:00:00', { allowOutsideHours: true })).statusCode).toBe(201)
    // The same client is one contact, found by email.
    const contacts = await app.db.selectFrom('contacts' as never).select('id' as never).where('org_id' as never, '=', DEMO.organization.id as never).where('email' as never, '=', 'lucia@example.com' as never).execute()
    expect(contacts).toHaveLength(1)
    // Malformed input is a clear 400 and writes nothing.
    const before = (await ok('GET', '/api/appointments/bookings?limit=500')).items.length
    for (const body of [{ serviceId: service.id, professionalId: pro.id, start: 'mañana', client: { name: 'X', email: 'x@example.com' } }, { serviceId: service.id, professionalId: pro.id, start: `${day}T12:00:00-03:00` }, { serviceId: service.id, professionalId: pro.id, start: `${day}T12:00:00-03:00`, client: { name: 'X', email: 'x@example.com' }, precio: 1 }]) {
      expect((await api('POST', '/api/appointments/bookings', body)).statusCode).toBe(400)
    }
    expect((await ok('GET', '/api/appointments/bookings?limit=500')).items.length).toBe(before)
  })

  it('queues the confirmation and reminders 24 h and 2 h before, moves them with the booking and cancels them with it', async () => {
    const start = Date.parse('2027-03-01T11:00:00-03:00')
    const booking = await ok('POST', '/api/appointments/bookings', { serviceId: service.id, professionalId: pro.id, start: new Date(start).toISOString(), client: { name: 'Marta Ruiz', email: 'marta@example.com' } })
    const mine = (all: Awaited<ReturnType<typeof listMail>>) => all.map((m) => ({ key: m.dedupKey.replace(booking.id, 'B'), sendAfter: m.sendAfter, status: m.status }))
    expect(mine(await listMail(app.db, DEMO.organization.id, { dedupPrefix: `appt:${booking.id}:` }))).toEqual([
      { key: 'appt:B:booked', sendAfter: expect.any(String), status: 'pending' },
      { key: 'appt:B:remind:r1:24h', sendAfter: new Date(start - 24 * HOUR).toISOString(), status: 'pending' },
      { key: 'appt:B:remind:r1:2h', sendAfter: new Date(start - 2 * HOUR).toISOString(), status: 'pending' },
    ])
    const confirmation = await listMail(app.db, DEMO.organization.id, { kind: 'appointment.confirmation', dedupPrefix: `appt:${booking.id}:` })
    expect(confirmation[0]!.subject).toMatch(/^Turno confirmado \/ Appointment confirmed: Consulta clínica, 01\/03\/2027 11:00/)
    expect(confirmation[0]!.to).toBe('marta@example.com')

    const moved = await ok('POST', `/api/appointments/bookings/${booking.id}/reschedule`, { start: '2027-03-01T15:00:00-03:00' }, 200)
    expect(moved.revision).toBe(2)
    const newStart = Date.parse('2027-03-01T15:00:00-03:00')
    expect(mine(await listMail(app.db, DEMO.organization.id, { dedupPrefix: `appt:${booking.id}:remind:` }))).toEqual([
      { key: 'appt:B:remind:r1:24h', sendAfter: new Date(start - 24 * HOUR).toISOString(), status: 'cancelled' },
      { key: 'appt:B:remind:r1:2h', sendAfter: new Date(start - 2 * HOUR).toISOString(), status: 'cancelled' },
      { key: 'appt:B:remind:r2:24h', sendAfter: new Date(newStart - 24 * HOUR).toISOString(), status: 'pending' },
      { key: 'appt:B:remind:r2:2h', sendAfter: new Date(newStart - 2 * HOUR).toISOString(), status: 'pending' },
    ])

    const movedMail = await listMail(app.db, DEMO.organization.id, { kind: 'appointment.moved', dedupPrefix: `appt:${booking.id}:` })
    expect(movedMail.map((m) => m.subject)).toEqual([expect.stringMatching(/^Turno reprogramado \/ Appointment moved: Consulta clínica, 01\/03\/2027 15:00/)])
    // The old link is void, the new one works.
    const oldLink = linkToken(await mailBody(`appt:${booking.id}:booked`), 'turnos')
    const newLink = linkToken(await mailBody(`appt:${booking.id}:moved`), 'turnos')
    expect((await app.inject({ url: `/api/public/appointments/bookings/${oldLink}` })).statusCode).toBe(404)
    expect((await app.inject({ url: `/api/public/appointments/bookings/${newLink}` })).json()).toMatchObject({ id: booking.id, localStart: '2027-03-01T15:00:00-03:00' })
    const cancelled = await ok('POST', `/api/appointments/bookings/${booking.id}/cancel`, { reason: 'Viaje' }, 200)
    expect(cancelled).toMatchObject({ status: 'cancelled', cancelReason: 'Viaje' })
    expect((await listMail(app.db, DEMO.organization.id, { dedupPrefix: `appt:${booking.id}:remind:` })).map((m) => m.status)).toEqual(['cancelled', 'cancelled', 'cancelled', 'cancelled'])
    expect(await listMail(app.db, DEMO.organization.id, { kind: 'appointment.cancelled', dedupPrefix: `appt:${booking.id}:` })).toHaveLength(1)
    // Cancelled is final; the audit trail has every step.
    expect((await api('POST', `/api/appointments/bookings/${booking.id}/confirm`)).statusCode).toBe(409)
    const trail = await app.db.selectFrom('audit_log').select('action').where('target_id', '=', booking.id).orderBy('id').execute()
    expect(trail.map((r) => r.action)).toEqual(['appointment.booking.create', 'appointment.booking.reschedule', 'appointment.booking.cancelled'])
    // A booking within 24 h gets only the 2 h reminder.
    const soon = await ok('POST', '/api/appointments/bookings', { serviceId: service.id, professionalId: pro.id, start: new Date(Date.now() + 5 * HOUR).toISOString(), client: { name: 'Marta Ruiz', email: 'marta@example.com' }, allowOutsideHours: true })
    expect((await listMail(app.db, DEMO.organization.id, { dedupPrefix: `appt:${soon.id}:remind:` })).map((m) => m.dedupKey.slice(-3))).toEqual([':2h'])
  })

  it('counts no-shows per contact, only for appointments that have started', async () => {
    const past = await ok('POST', '/api/appointments/bookings', { serviceId: service.id, professionalId: pro.id, start: '2026-01-05T09:00:00-03:00', client: { name: 'Pedro Faltón', email: 'pedro@example.com' } })
    const future = await ok('POST', '/api/appointments/bookings', { serviceId: service.id, professionalId: pro.id, start: '2027-03-13T11:00:00-03:00', contactId: past.contactId })
    expect((await ok('GET', `/api/appointments/contacts/${past.contactId}/no-shows`)).noShows).toBe(0)
    expect((await api('POST', `/api/appointments/bookings/${future.id}/no-show`)).statusCode).toBe(409)
    expect((await ok('POST', `/api/appointments/bookings/${past.id}/no-show`, undefined, 200)).status).toBe('no_show')
    expect(await ok('GET', `/api/appointments/contacts/${past.contactId}/no-shows`)).toEqual({ contactId: past.contactId, noShows: 1, lastNoShowAt: '2026-01-05T12:00:00.000Z' })
    expect((await ok('GET', `/api/appointments/bookings?contactId=${past.contactId}&status=no_show`)).items.map((b: { id: string }) => b.id)).toEqual([past.id])
  })

  it('offers a cancelled slot to the first matching waiting-list entry, held for its client, first to book wins', async () => {
    const day = '2027-03-13' // Saturday 10:00-13:00
    const booking = await ok('POST', '/api/appointments/bookings', { serviceId: service.id, professionalId: pro.id, start: `${day}T12:00:00-03:00`, client: { name: 'Ocupa', email: 'ocupa@example.com' } })
    const first = await ok('POST', '/api/appointments/waitlist', { serviceId: service.id, client: { name: 'Primera en espera', email: 'espera1@example.com' }, from: `${day}T08:00:00-03:00`, to: `${day}T14:00:00-03:00` })
    const second = await ok('POST', '/api/appointments/waitlist', { serviceId: service.id, professionalId: pro.id, client: { name: 'Segunda', email: 'espera2@example.com' }, from: `${day}T08:00:00-03:00`, to: `${day}T14:00:00-03:00` })
    // Another window: does not match.
    await ok('POST', '/api/appointments/waitlist', { serviceId: service.id, client: { name: 'Otro día', email: 'otro@example.com' }, from: '2027-04-01T08:00:00-03:00', to: '2027-04-01T14:00:00-03:00' })
    await ok('POST', `/api/appointments/bookings/${booking.id}/cancel`, {}, 200)
    const entries = (await ok('GET', '/api/appointments/waitlist?limit=500')).items as { id: string; status: string; offer: { start: string; expiresAt: string } | null }[]
    expect(entries.find((e) => e.id === first.id)).toMatchObject({ status: 'offered', offer: { start: `${day}T15:00:00.000Z` } })
    expect(entries.find((e) => e.id === second.id)?.status).toBe('waiting')
    const offers = await listMail(app.db, DEMO.organization.id, { kind: 'appointment.waitlist_offer' })
    expect(offers.map((m) => m.to)).toEqual(['espera1@example.com'])
    const offerToken = linkToken(await mailBody(`appt-wait:${first.id}:`), 'oferta')

    // Held: the public page does not show 12:00 while the offer stands.
    await ok('POST', '/api/appointments/booking-pages', { slug: 'clinica-espera', title: 'Clínica', minNoticeMin: 0, maxDaysAhead: 365 })
    const publicSlots = (await app.inject({ url: `/api/public/booking/clinica-espera/slots?${new URLSearchParams({ serviceId: service.id, from: `${day}T00:00:00-03:00`, to: `${day}T23:00:00-03:00` })}` })).json().slots.map((s: { localStart: string }) => s.localStart.slice(11, 16))
    expect(publicSlots).not.toContain('12:00')
    expect(publicSlots).toContain('10:00')

    // The client sees the offer before taking it: the time in the professional's zone, the hold, only their first name.
    const offerUrl = `/api/public/appointments/offers/${offerToken}`
    const shown = await app.inject({ url: offerUrl })
    expect(shown.statusCode, shown.body).toBe(200)
    expect(shown.json()).toMatchObject({
      state: 'open', organization: DEMO.organization.name, clientFirstName: 'Primera', service: 'Consulta clínica', durationMin: 30, professional: 'Dra. Ana Gómez',
      start: `${day}T15:00:00.000Z`, end: `${day}T15:30:00.000Z`, localStart: `${day}T12:00:00-03:00`, timeZone: pro.timeZone,
    })
    expect(Date.parse(shown.json().expiresAt) - Date.now()).toBeGreaterThan(29 * 60_000)
    expect(shown.body).not.toContain('espera1@example.com')
    expect(shown.body).not.toContain('Primera en espera')
    expect(shown.body).not.toContain(first.id)
    expect((await app.inject({ url: `/api/public/appointments/offers/${'x'.repeat(43)}` })).statusCode).toBe(404)

    const accepted = await app.inject({ method: 'POST', url: `/api/public/appointments/offers/${offerToken}/accept` })
    expect(accepted.statusCode, accepted.body).toBe(201)
    expect(accepted.json()).toMatchObject({ status: 'confirmed', start: `${day}T15:00:00.000Z` })
    expect((await app.inject({ url: offerUrl })).json().state).toBe('booked')
    const again = await app.inject({ method: 'POST', url: `/api/public/appointments/offers/${offerToken}/accept` })
    expect(again.statusCode).toBe(410)
    expect(again.json().error.code).toBe('APPT_OFFER_EXPIRED')
    expect((await ok('GET', '/api/appointments/waitlist?status=booked')).items.map((e: { id: string }) => e.id)).toEqual([first.id])

    // A lapsed hold: the next cancellation's offer expires, and a staff booking took the slot meanwhile.
    const other = await ok('POST', '/api/appointments/bookings', { serviceId: service.id, professionalId: pro.id, start: `${day}T10:00:00-03:00`, client: { name: 'Otra', email: 'otra@example.com' } })
    await ok('POST', `/api/appointments/bookings/${other.id}/cancel`, {}, 200)
    const secondToken = linkToken(await mailBody(`appt-wait:${second.id}:`), 'oferta')
    await ok('POST', '/api/appointments/bookings', { serviceId: service.id, professionalId: pro.id, start: `${day}T10:00:00-03:00`, client: { name: 'Mostrador', email: 'mostrador@example.com' } })
    // Taken by the staff booking: the offer says so before the client tries.
    expect((await app.inject({ url: `/api/public/appointments/offers/${secondToken}` })).json()).toMatchObject({ state: 'taken', localStart: `${day}T10:00:00-03:00`, clientFirstName: 'Segunda' })
    const lost = await app.inject({ method: 'POST', url: `/api/public/appointments/offers/${secondToken}/accept` })
    expect(lost.statusCode).toBe(409)
    expect(lost.json().error.code).toBe('SLOT_TAKEN')
    expect(await app.jobs.run('appointments.waitlist', new Date(Date.now() + 31 * 60_000))).toBe(1)
    expect((await ok('GET', `/api/appointments/waitlist?status=waiting`)).items.map((e: { id: string }) => e.id)).toContain(second.id)
    // Lapsed: the link says so, and taking it is 410.
    expect((await app.inject({ url: `/api/public/appointments/offers/${secondToken}` })).json().state).toBe('expired')
    expect((await app.inject({ method: 'POST', url: `/api/public/appointments/offers/${secondToken}/accept` })).statusCode).toBe(410)
  })

  it('serves each professional an ICS feed at a secret, rotatable URL', async () => {
    const feedPro = await ok('POST', '/api/appointments/professionals', { name: 'Lic. Paula Díaz; kinesióloga, turno tarde, consultorio 3 del primer piso (frente)', serviceIds: [service.id] })
    await ok('PUT', `/api/appointments/professionals/${feedPro.id}/availability`, { ranges: [{ weekday: 2, start: '08:00', end: '20:00' }] }, 200)
    const a = await ok('POST', '/api/appointments/bookings', { serviceId: service.id, professionalId: feedPro.id, start: '2027-03-02T09:00:00-03:00', notes: 'Traer estudios; ayuno, 8 h\nsegunda línea', client: { name: 'Raúl Núñez, hijo', email: 'raul@example.com' } })
    const b = await ok('POST', '/api/appointments/bookings', { serviceId: service.id, professionalId: feedPro.id, start: '2027-03-02T11:00:00-03:00', client: { name: 'Inés', email: 'ines@example.com' } })
    await ok('POST', `/api/appointments/bookings/${b.id}/cancel`, {}, 200)
    const { token: feedToken, path } = await ok('POST', `/api/appointments/professionals/${feedPro.id}/ics-token`)
    expect(path).toBe(`/api/public/appointments/ics/${feedToken}.ics`)
    const res = await app.inject({ url: path })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.headers['content-type']).toMatch(/^text\/calendar/)
    const components = parseIcs(res.body)
    const cal = components.find((c) => c.name === 'VCALENDAR')!
    expect(cal.props).toMatchObject({ VERSION: '2.0', PRODID: expect.any(String) })
    const events = components.filter((c) => c.name === 'VEVENT')
    expect(events).toHaveLength(2)
    const ea = events.find((e) => e.props.UID === `${a.id}@tendero`)!
    expect(ea.props).toMatchObject({ DTSTART: '20270302T120000Z', DTEND: '20270302T123000Z', STATUS: 'CONFIRMED', DTSTAMP: expect.stringMatching(/^\d{8}T\d{6}Z$/) })
    expect(unescapeText(ea.props.SUMMARY!)).toBe('Consulta clínica: Raúl Núñez, hijo')
    expect(ea.props.SUMMARY).toContain('\\,')
    expect(unescapeText(ea.props.DESCRIPTION!)).toBe('Traer estudios; ayuno, 8 h\nsegunda línea')
    expect(events.find((e) => e.props.UID === `${b.id}@tendero`)!.props.STATUS).toBe('CANCELLED')
    // The long calendar name was folded and reads back whole.
    expect(res.body).toMatch(/\r\n [^\r]/)
    expect(unescapeText(cal.props['X-WR-CALNAME']!)).toBe('Turnos: Lic. Paula Díaz; kinesióloga, turno tarde, consultorio 3 del primer piso (frente)')
    // Rotation kills the old URL.
    const rotated = await ok('POST', `/api/appointments/professionals/${feedPro.id}/ics-token`)
    expect((await app.inject({ url: path })).statusCode).toBe(404)
    expect((await app.inject({ url: rotated.path })).statusCode).toBe(200)
    expect((await app.inject({ url: `/api/public/appointments/ics/${randomBytes(32).toString('base64url')}.ics` })).statusCode).toBe(404)
  })

  it('books from the public page: pending until the client confirms by the mailed link', async () => {
    const page = await ok('POST', '/api/appointments/booking-pages', { slug: 'peluqueria-centro', title: 'Peluquería Centro', serviceIds: [service.id], minNoticeMin: 0, maxDaysAhead: 365 })
    expect((await api('POST', '/api/appointments/booking-pages', { slug: 'peluqueria-centro', title: 'Otra' })).statusCode).toBe(409)
    const info = (await app.inject({ url: '/api/public/booking/peluqueria-centro' })).json()
    expect(info).toMatchObject({ slug: 'peluqueria-centro', organization: DEMO.organization.name, services: [{ id: service.id, priceMinor: 1_500_000, currency: 'ARS' }] })
    expect(info.professionals.map((p: { id: string }) => p.id)).toContain(pro.id)
    const day = '2027-03-20' // Saturday
    const slots = (await app.inject({ url: `/api/public/booking/peluqueria-centro/slots?${new URLSearchParams({ serviceId: service.id, professionalId: pro.id, from: `${day}T00:00:00-03:00`, to: `${day}T23:00:00-03:00` })}` })).json().slots
    expect(slots[0].localStart).toBe(`${day}T10:00:00-03:00`)
    const post = (body: object, headers: Record<string, string> = {}, remoteAddress = '198.51.100.10') =>
      app.inject({ method: 'POST', url: '/api/public/booking/peluqueria-centro/bookings', payload: body, headers, remoteAddress })
    const body = { serviceId: service.id, professionalId: pro.id, start: slots[0].start, client: { name: 'Carla Web', email: 'Carla@Example.com', phone: '+54 11 5555-1234' } }
    const res = await post(body, { 'idempotency-key': 'reserva-web-0001' })
    expect(res.statusCode, res.body).toBe(201)
    expect(res.json()).toMatchObject({ status: 'pending', service: 'Consulta clínica', professional: 'Dra. Ana Gómez', localStart: `${day}T10:00:00-03:00`, staffApproval: false })
    // A retry with the same key is the same booking, not a second one (nor a 409).
    const replay = await post(body, { 'idempotency-key': 'reserva-web-0001' })
    expect(replay.statusCode).toBe(201)
    expect(replay.json().id).toBe(res.json().id)
    const other = await post({ ...body, client: { name: 'Intrusa', email: 'intrusa@example.com' } })
    expect(other.statusCode).toBe(409)
    expect(other.json().error.code).toBe('SLOT_TAKEN')

    const bookingId = res.json().id as string
    const link = linkToken(await mailBody(`appt:${bookingId}:booked`), 'turnos')
    expect((await app.inject({ url: `/api/public/appointments/bookings/${link}` })).json().status).toBe('pending')
    // A forged or tampered link is refused.
    expect((await app.inject({ method: 'POST', url: `/api/public/appointments/bookings/${link.slice(0, -2)}xx/confirm` })).statusCode).toBe(404)
    const confirmed = await app.inject({ method: 'POST', url: `/api/public/appointments/bookings/${link}/confirm` })
    expect(confirmed.statusCode, confirmed.body).toBe(200)
    expect(confirmed.json().status).toBe('confirmed')
    const staffView = await ok('GET', `/api/appointments/bookings/${bookingId}`)
    expect(staffView).toMatchObject({ status: 'confirmed', source: 'public' })
    const contact = await app.db.selectFrom('contacts' as never).selectAll().where('id' as never, '=', staffView.contactId as never).executeTakeFirstOrThrow() as { kind: string; email: string }
    expect(contact).toMatchObject({ kind: 'customer', email: 'carla@example.com' })

    // The client cancels by the same link.
    const cancelled = await app.inject({ method: 'POST', url: `/api/public/appointments/bookings/${link}/cancel` })
    expect(cancelled.json().status).toBe('cancelled')
    expect(page.id).toBeTruthy()
  })

  it('refuses spam and bad input on the public page, writing nothing, and limits bookings per address', async () => {
    await ok('POST', '/api/appointments/booking-pages', { slug: 'consultorio-spam', title: 'Consultorio', minNoticeMin: 0, maxDaysAhead: 365 })
    const url = '/api/public/booking/consultorio-spam/bookings'
    const count = async () => (await ok('GET', '/api/appointments/bookings?limit=500')).items.length
    const contacts = async () => (await app.db.selectFrom('contacts' as never).select('id' as never).where('org_id' as never, '=', DEMO.organization.id as never).execute()).length
    const before = [await count(), await contacts()]
    const good = { serviceId: service.id, professionalId: pro.id, start: '2027-03-27T10:00:00-03:00', client: { name: 'Bot', email: 'bot@example.com' } }
    const cases: [object, number][] = [
      [{ ...good, website: 'http://spam.example' }, 422],
      [{ ...good, client: { name: 'Bot', email: 'no-es-un-email' } }, 400],
      [{ ...good, client: { name: 'Bot' } }, 400],
      [{ ...good, orgId: DEMO.organization.id }, 400],
      [{ ...good, start: '2027-03-27 10:00' }, 400],
      [{ ...good, start: '2027-03-27T03:00:00-03:00' }, 422],
      [{ ...good, start: '2020-03-28T10:00:00-03:00' }, 422],
    ]
    for (const [payload, status] of cases) {
      const res = await app.inject({ method: 'POST', url, payload, remoteAddress: '203.0.113.50' })
      expect(res.statusCode, `${JSON.stringify(payload)}: ${res.body}`).toBe(status)
    }
    expect((await app.inject({ method: 'POST', url: '/api/public/booking/no-existe/bookings', payload: good })).statusCode).toBe(404)
    expect([await count(), await contacts()]).toEqual(before)

    // Ten bookings an address per ten minutes (each attempt counts), then 429 with Retry-After.
    const statuses: number[] = []
    for (let i = 0; i < 12; i++) {
      const res = await app.inject({ method: 'POST', url, payload: { ...good, start: '2020-01-01T10:00:00-03:00' }, remoteAddress: '203.0.113.77' })
      statuses.push(res.statusCode)
      if (res.statusCode === 429) expect(Number(res.headers['retry-after'])).toBeGreaterThan(0)
    }
    expect(statuses.slice(0, 10).every((s) => s === 422)).toBe(true)
    expect(statuses.slice(10)).toEqual([429, 429])
  })

  it('asks staff to confirm for a client past the no-show limit', async () => {
    await ok('POST', '/api/appointments/booking-pages', { slug: 'centro-medico', title: 'Centro médico', minNoticeMin: 0, maxDaysAhead: 365, noShowLimit: 1 })
    // pedro@example.com has one no-show (earlier test).
    const res = await app.inject({ method: 'POST', url: '/api/public/booking/centro-medico/bookings', remoteAddress: '198.51.100.99', payload: { serviceId: service.id, professionalId: pro.id, start: '2027-03-27T11:00:00-03:00', client: { name: 'Pedro', email: 'PEDRO@example.com' } } })
    expect(res.statusCode, res.body).toBe(201)
    // The answer tells the page to say the centre confirms, not the client by mail.
    expect(res.json()).toMatchObject({ status: 'pending', staffApproval: true })
    const booking = await ok('GET', `/api/appointments/bookings/${res.json().id}`)
    expect(booking).toMatchObject({ status: 'pending', staffApproval: true })
    const link = linkToken(await mailBody(`appt:${booking.id}:booked`), 'turnos')
    expect((await app.inject({ url: `/api/public/appointments/bookings/${link}` })).json()).toMatchObject({ status: 'pending', staffApproval: true })
    const self = await app.inject({ method: 'POST', url: `/api/public/appointments/bookings/${link}/confirm` })
    expect(self.statusCode).toBe(409)
    expect(self.json().error.code).toBe('APPT_NEEDS_STAFF')
    expect((await ok('POST', `/api/appointments/bookings/${booking.id}/confirm`, undefined, 200)).status).toBe('confirmed')

    // The page's own setting: a first-time client, staff confirm all the same.
    const strict = await ok('POST', '/api/appointments/booking-pages', { slug: 'centro-confirma', title: 'Centro', minNoticeMin: 0, maxDaysAhead: 365 })
    expect((await ok('PATCH', `/api/appointments/booking-pages/${strict.id}`, { requireConfirmation: true, title: 'Centro (confirmamos)', noShowLimit: 5 }))).toMatchObject({ requireConfirmation: true, title: 'Centro (confirmamos)', noShowLimit: 5 })
    const fresh = await app.inject({ method: 'POST', url: '/api/public/booking/centro-confirma/bookings', remoteAddress: '198.51.100.98', payload: { serviceId: service.id, professionalId: pro.id, start: '2027-05-15T10:00:00-03:00', client: { name: 'Nueva Paciente', email: 'nueva.paciente@example.com' } } })
    expect(fresh.statusCode, fresh.body).toBe(201)
    expect(fresh.json()).toMatchObject({ status: 'pending', staffApproval: true })
  })

  it('edits, archives and deactivates, refusing to archive what has upcoming bookings', async () => {
    const extra = await ok('POST', '/api/appointments/services', { name: 'Manicura', durationMin: 40, priceMinor: 550_000, currency: 'ARS', professionalIds: [pro.id] })
    expect((await ok('PATCH', `/api/appointments/services/${extra.id}`, { durationMin: 50, bufferAfterMin: 10 })).durationMin).toBe(50)
    expect((await ok('GET', `/api/appointments/professionals/${pro.id}`)).serviceIds).toEqual(expect.arrayContaining([service.id, extra.id]))
    expect((await ok('PATCH', `/api/appointments/professionals/${pro.id}`, { specialty: 'Clínica y manicura' })).specialty).toBe('Clínica y manicura')
    // An email set, then cleared with null (not left as it was, not refused).
    expect((await ok('PATCH', `/api/appointments/professionals/${pro.id}`, { email: 'ana.gomez@example.com' })).email).toBe('ana.gomez@example.com')
    expect(await ok('PATCH', `/api/appointments/professionals/${pro.id}`, { email: null, specialty: null })).toMatchObject({ email: null, specialty: null })
    expect(await ok('GET', `/api/appointments/professionals/${pro.id}`)).toMatchObject({ email: null, specialty: null, name: 'Dra. Ana Gómez' })
    expect((await api('PATCH', `/api/appointments/professionals/${pro.id}`, { email: 'no es un mail' })).statusCode).toBe(400)
    expect((await api('PATCH', `/api/appointments/professionals/${pro.id}`, { name: null })).statusCode).toBe(400)
    const pending = await ok('POST', '/api/appointments/bookings', { serviceId: extra.id, professionalId: pro.id, start: '2027-04-05T09:00:00-03:00', client: { name: 'Nora', email: 'nora@example.com' }, status: 'pending' })
    expect(pending).toMatchObject({ status: 'pending', end: '2027-04-05T12:50:00.000Z', blockedTo: '2027-04-05T13:00:00.000Z' })
    const archive = await api('DELETE', `/api/appointments/services/${extra.id}`)
    expect(archive.statusCode).toBe(409)
    expect(archive.json().error.code).toBe('APPT_IN_USE')
    expect((await ok('POST', `/api/appointments/bookings/${pending.id}/confirm`, undefined, 200)).status).toBe('confirmed')
    expect((await ok('POST', `/api/appointments/bookings/${pending.id}/complete`, undefined, 200)).status).toBe('completed')
    expect((await ok('DELETE', `/api/appointments/services/${extra.id}`)).archived).toBe(true)
    expect((await ok('GET', '/api/appointments/services?archived=true')).items.map((x: { id: string }) => x.id)).toEqual([extra.id])
    expect((await api('POST', '/api/appointments/bookings', { serviceId: extra.id, professionalId: pro.id, start: '2027-04-12T09:00:00-03:00', client: { name: 'Nora', email: 'nora@example.com' } })).statusCode).toBe(404)

    const page = await ok('POST', '/api/appointments/booking-pages', { slug: 'pagina-temporal', title: 'Temporal' })
    expect((await app.inject({ url: '/api/public/booking/pagina-temporal' })).statusCode).toBe(200)
    expect((await ok('PATCH', `/api/appointments/booking-pages/${page.id}`, { active: false })).active).toBe(false)
    expect((await app.inject({ url: '/api/public/booking/pagina-temporal' })).statusCode).toBe(404)
    await ok('DELETE', `/api/appointments/booking-pages/${page.id}`)
    expect((await api('GET', `/api/appointments/booking-pages/${page.id}`)).statusCode).toBe(404)
    const entry = await ok('POST', '/api/appointments/waitlist', { serviceId: service.id, client: { name: 'Se arrepiente', phone: '+57 300 123 4567' }, from: '2027-05-01T08:00:00-05:00', to: '2027-05-01T12:00:00-05:00' })
    expect((await ok('DELETE', `/api/appointments/waitlist/${entry.id}`)).status).toBe('cancelled')
    expect((await api('DELETE', `/api/appointments/waitlist/${entry.id}`)).statusCode).toBe(409)
  })

  it('pages every list of the module one item at a time with no gap or duplicate, and refuses forged cursors', async () => {
    await ok('POST', '/api/appointments/services', { name: 'Control', durationMin: 15, priceMinor: 0, currency: 'ARS' })
    for (const list of ['services', 'professionals', 'bookings', 'waitlist', 'booking-pages', 'exceptions']) {
      const url = `/api/appointments/${list}`
      const everything = (await ok('GET', `${url}?limit=500`)).items as unknown[]
      expect(everything.length, list).toBeGreaterThan(1)
      const walked: unknown[] = []
      let cursor: string | null = null
      do {
        const page = await ok('GET', `${url}?limit=1${cursor ? `&cursor=${cursor}` : ''}`)
        walked.push(...page.items)
        cursor = page.nextCursor
      } while (cursor && walked.length <= everything.length)
      expect(walked, list).toEqual(everything)
      for (const forged of [Buffer.from(JSON.stringify({ forged: true })).toString('base64url'), 'no-es-un-cursor', Buffer.from('[1').toString('base64url')]) {
        const res = await api('GET', `${url}?cursor=${forged}`)
        expect(res.json().error?.code, `${list} ${forged}`).toBe('PAGINATION_BAD_CURSOR')
      }
      expect((await api('GET', `${url}?limit=0`)).statusCode).toBe(400)
    }
  })

  it("answers 404 to another organization's ids and changes nothing of theirs", async () => {
    const other = await addOrganization(app)
    const email = `admin.${randomBytes(3).toString('hex')}@otra.test`
    await app.db.insertInto('users').values({ org_id: other.orgId, email, name: 'Admin otra', password_hash: await hashPassword('una-clave-larga-1'), role: 'org_admin', locale: 'es-AR' }).execute()
    await app.db.updateTable('organizations').set({ require_admin_totp: false }).where('id', '=', other.orgId).execute()
    const login = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email, password: 'una-clave-larga-1' }, remoteAddress: '10.20.30.40' })
    expect(login.statusCode, login.body).toBe(200)
    const theirs = await appointmentsFixture(app, login.json().token, other)
    const before = await theirs.footprint()
    for (const table of ['appt_services', 'appt_professionals', 'appt_weekly_hours', 'appt_exceptions', 'appt_bookings', 'appt_waitlist', 'appt_booking_pages']) expect(before[table], table).toBeGreaterThan(0)
    const ids = theirs.ids!
    const failures: string[] = []
    const payloadFor = (url: string, method: string): object | undefined => {
      if (method === 'GET' || method === 'DELETE' || url.endsWith('/ics-token')) return undefined
      if (url.endsWith('/availability')) return { ranges: [] }
      if (url.endsWith('/exceptions')) return { date: '2027-03-01', kind: 'off' }
      if (url.endsWith('/reschedule')) return { start: '2027-03-01T09:00:00-03:00' }
      if (url.includes('/bookings/')) return {}
      if (url.includes('/booking-pages/')) return { title: 'Intruso' }
      return { name: 'Intruso' }
    }
    for (const [url, params] of Object.entries(theirs.params)) {
      const path = url.replace(/:(\w+)/g, (_, name: string) => params[name]!)
      for (const route of app.routeCatalog.filter((r) => r.url === url && r.permission)) {
        const res = await api(route.method as 'GET', path, payloadFor(url, route.method))
        if (res.statusCode !== 404) failures.push(`${route.method} ${url}: ${res.statusCode} ${res.body.slice(0, 120)}`)
      }
    }
    // Their ids in bodies and queries.
    const refs = [
      api('POST', '/api/appointments/bookings', { serviceId: ids.serviceId, professionalId: pro.id, start: '2027-03-01T09:00:00-03:00', client: { name: 'X', email: 'x@example.com' } }),
      api('POST', '/api/appointments/bookings', { serviceId: service.id, professionalId: ids.professionalId, start: '2027-03-01T09:00:00-03:00', client: { name: 'X', email: 'x@example.com' } }),
      api('POST', '/api/appointments/bookings', { serviceId: service.id, professionalId: pro.id, start: '2027-03-01T09:00:00-03:00', contactId: ids.contactId }),
      api('GET', `/api/appointments/slots?serviceId=${ids.serviceId}&from=2027-03-01T00:00:00Z&to=2027-03-02T00:00:00Z`),
      api('GET', `/api/appointments/bookings?professionalId=${ids.professionalId}`),
      api('POST', '/api/appointments/services', { name: 'X', durationMin: 30, priceMinor: 1, currency: 'ARS', professionalIds: [ids.professionalId] }),
      api('POST', '/api/appointments/professionals', { name: 'X', siteId: other.siteId }),
      api('POST', '/api/appointments/booking-pages', { slug: 'robada', title: 'X', serviceIds: [ids.serviceId] }),
    ]
    for (const res of await Promise.all(refs)) if (res.statusCode !== 404) failures.push(`${res.statusCode} ${res.body.slice(0, 160)}`)
    expect(failures).toEqual([])
    expect(await theirs.footprint()).toEqual(before)
    // Lists show none of theirs.
    const mine = JSON.stringify(await Promise.all(['services', 'professionals', 'bookings', 'waitlist', 'booking-pages', 'exceptions'].map(async (l) => (await ok('GET', `/api/appointments/${l}?limit=500`)).items)))
    for (const id of Object.values(ids)) expect(mine).not.toContain(id)
  })
})

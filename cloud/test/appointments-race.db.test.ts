import type { FastifyInstance } from 'fastify'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEMO } from '../src/seed.js'
import { buildTestApp, loginDemo, type TestApp } from './support/app.js'
import { testDrivers } from './support/drivers.js'

// Issue 8, tests that must exist: "Double booking. A concurrent booking race on real
// PostgreSQL gives exactly one success."
//
// The race is only a race on PostgreSQL: there the app holds a pool of connections and
// the twenty requests below run as concurrent transactions. PGlite is one backend with
// one session (plugins/db/pglite-dialect.ts hands its single connection to one caller at
// a time), so the same burst is served one transaction after another and cannot lose a
// race; the burst still runs there as a functional check, but the race test and the
// exclusion-constraint test are PostgreSQL's. PGlite also lacks btree_gist unless it is
// loaded at PGlite.create, so migration 0020 leaves the constraint out there.

/** Active bookings of one professional that overlap another (blocked spans): must be none. */
async function overlaps(app: FastifyInstance): Promise<number> {
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from appt_bookings a join appt_bookings b
    on a.professional_id = b.professional_id and a.id < b.id
    and a.blocked_from < b.blocked_to and b.blocked_from < a.blocked_to
    where a.status in ('pending', 'confirmed', 'completed') and b.status in ('pending', 'confirmed', 'completed')`.execute(app.db)
  return rows[0]!.n
}

describe.each(testDrivers())('booking race (%s)', (driver) => {
  let t: TestApp
  let token: string
  let serviceId: string
  const pros: string[] = []

  beforeAll(async () => {
    t = await buildTestApp(driver)
    token = await loginDemo(t.app)
    const post = async (url: string, payload: object, method: 'POST' | 'PUT' = 'POST') => {
      const res = await t.app.inject({ method, url, payload, headers: { authorization: `Bearer ${token}` } })
      expect(res.statusCode, res.body).toBeLessThan(300)
      return res.json()
    }
    serviceId = (await post('/api/appointments/services', { name: 'Turno de kinesiología', durationMin: 30, bufferAfterMin: 5, priceMinor: 900_000, currency: 'ARS' })).id
    for (const name of ['Kinesióloga A', 'Kinesiólogo B']) {
      const pro = await post('/api/appointments/professionals', { name, serviceIds: [serviceId] })
      await post(`/api/appointments/professionals/${pro.id}/availability`, { ranges: [{ weekday: 2, start: '08:00', end: '14:00' }] }, 'PUT')
      pros.push(pro.id)
    }
  }, 120_000)
  afterAll(async () => t?.close())

  /**
   * Twenty bookings fired at once, in three conflicting sets: six for A at 10:00 and six
   * for A at 10:20 (each pair overlaps: 10:00-10:35 blocks 10:20), four for A at 12:00,
   * four for B at 10:00. Each set must yield exactly one booking, every other request 409.
   */
  async function burst(day: string) {
    const sets: Record<string, { pro: string; starts: string[] }> = {
      'A 10:00/10:20': { pro: pros[0]!, starts: [...Array(6).fill('10:00'), ...Array(6).fill('10:20')] },
      'A 12:00': { pro: pros[0]!, starts: Array(4).fill('12:00') },
      'B 10:00': { pro: pros[1]!, starts: Array(4).fill('10:00') },
    }
    const requests = Object.entries(sets).flatMap(([set, { pro, starts }]) =>
      starts.map((hhmm, i) => ({ set, payload: { serviceId, professionalId: pro, start: `${day}T${hhmm}:00-03:00`, client: { name: `Paciente ${set} ${i}`, email: `p${i}.${hhmm.replace(':', '')}.${pro.slice(0, 6)}@example.com` } } })),
    )
    expect(requests).toHaveLength(20)
    const results = await Promise.all(
      requests.map(async (r) => ({ set: r.set, res: await t.app.inject({ method: 'POST', url: '/api/appointments/bookings', payload: r.payload, headers: { authorization: `Bearer ${token}` } }) })),
    )
    const bySet: Record<string, { ok: number; taken: number; other: string[] }> = {}
    for (const { set, res } of results) {
      const entry = (bySet[set] ??= { ok: 0, taken: 0, other: [] })
      if (res.statusCode === 201) entry.ok++
      else if (res.statusCode === 409 && res.json().error.code === 'SLOT_TAKEN') entry.taken++
      else entry.other.push(`${res.statusCode} ${res.body}`)
    }
    return bySet
  }

  const expected = {
    'A 10:00/10:20': { ok: 1, taken: 11, other: [] },
    'A 12:00': { ok: 1, taken: 3, other: [] },
    'B 10:00': { ok: 1, taken: 3, other: [] },
  }

  it.skipIf(driver !== 'postgres')('A concurrent booking race on real PostgreSQL gives exactly one success', async () => {
    // Several rounds on fresh days: a lost race is a matter of timing, so give it chances.
    for (const day of ['2027-03-02', '2027-03-09', '2027-03-16', '2027-03-23', '2027-03-30']) {
      expect(await burst(day), day).toEqual(expected)
      expect(await overlaps(t.app)).toBe(0)
    }
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from appt_bookings where org_id = ${DEMO.organization.id}`.execute(t.app.db)
    expect(rows[0]!.n).toBe(15)
  }, 120_000)

  it.skipIf(driver !== 'postgres')('PostgreSQL itself refuses an overlapping active booking (exclusion constraint), whatever path the row takes', async () => {
    const { rows: ext } = await sql<{ n: number }>`select count(*)::int as n from pg_extension where extname = 'btree_gist'`.execute(t.app.db)
    expect(ext[0]!.n).toBe(1)
    const { rows: existing } = await sql<Record<string, unknown>>`select * from appt_bookings where status = 'confirmed' order by starts_at limit 1`.execute(t.app.db)
    const b = existing[0]!
    const insert = (from: string, to: string, status = 'confirmed') => sql`insert into appt_bookings
      (org_id, professional_id, service_id, contact_id, starts_at, ends_at, blocked_from, blocked_to, status, source, price_minor, currency, link_key)
      values (${b.org_id}, ${b.professional_id}, ${b.service_id}, ${b.contact_id}, ${from}::timestamptz, ${to}::timestamptz, ${from}::timestamptz, ${to}::timestamptz, ${status}, 'staff', 0, 'ARS', 'k')`.execute(t.app.db)
    const start = (b.blocked_from as Date).getTime()
    const iso = (ms: number) => new Date(ms).toISOString()
    await expect(insert(iso(start + 60_000), iso(start + 30 * 60_000))).rejects.toMatchObject({ code: '23P01' })
    // Touching is not overlapping ([from, to) ranges), and cancelled rows do not count.
    await expect(insert(iso((b.blocked_to as Date).getTime()), iso((b.blocked_to as Date).getTime() + 60_000))).resolves.toBeDefined()
    await expect(insert(iso(start), iso(start + 60_000), 'cancelled')).resolves.toBeDefined()
  })

  it('makes one contact of a new client who books twice at once on the public page', async () => {
    const page = await t.app.inject({ method: 'POST', url: '/api/appointments/booking-pages', headers: { authorization: `Bearer ${token}` }, payload: { slug: `carrera-${driver}`, title: 'Carrera', minNoticeMin: 0, maxDaysAhead: 365 } })
    expect(page.statusCode, page.body).toBe(201)
    const starts = ['08:00', '08:40', '09:20', '10:00', '10:40', '11:20'].map((h) => `2027-04-06T${h}:00-03:00`)
    const results = await Promise.all(starts.map((start, i) => t.app.inject({
      method: 'POST',
      url: `/api/public/booking/carrera-${driver}/bookings`,
      remoteAddress: `198.51.100.${i + 1}`,
      payload: { serviceId, professionalId: pros[1], start, client: { name: 'Nueva Paciente', email: `nueva.${driver}@example.com` } },
    })))
    expect(results.map((r) => r.statusCode)).toEqual(starts.map(() => 201))
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from contacts where lower(email) = ${`nueva.${driver}@example.com`}`.execute(t.app.db)
    expect(rows[0]!.n).toBe(1)
  }, 60_000)

  it('serves the same burst on PGlite one transaction at a time, with the same outcome', async () => {
    if (driver === 'postgres') return
    expect(await burst('2027-03-02')).toEqual(expected)
    expect(await overlaps(t.app)).toBe(0)
  }, 120_000)
})

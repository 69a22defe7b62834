import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runRent } from '../src/modules/leasing/charges.js'
import { listMail } from '../src/modules/mail/queue.js'
import { buildTestApp, type TestApp } from './support/app.js'
import { testDrivers } from './support/drivers.js'
import { addContact, addLeasingOrg, leasingFixture } from './support/leasing-fixtures.js'

// Issue 8, tests that must exist: the idempotent rent job and escalation. Also lease
// overlap, occupancy, expirations and their reminders, and another tenant's ids.

type Org = Awaited<ReturnType<typeof addLeasingOrg>>

describe.each(testDrivers())('leasing (%s)', (driver) => {
  let t: TestApp
  let mallOrg: Org
  let otherOrg: Org
  let mallId: string
  const zones: Record<string, string> = {}
  const spaces: Record<string, string> = {}

  const call = (org: Org, method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: object, headers: Record<string, string> = {}) =>
    t.app.inject({ method, url, headers: { authorization: `Bearer ${org.token}`, ...headers }, ...(payload ? { payload } : {}) })
  const ok = async (org: Org, method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: object) => {
    const res = await call(org, method, url, payload)
    expect(res.statusCode, `${method} ${url}: ${res.body}`).toBeLessThan(300)
    return res.json()
  }
  const space = async (code: string, zone: string, areaCentiM2: number, type = 'local') => {
    const s = await ok(mallOrg, 'POST', '/api/leasing/spaces', { mallId, zoneId: zones[zone], code, areaCentiM2, type, baseRentMinor: 1_000_000, currency: 'ARS' })
    spaces[code] = s.id
    return s.id as string
  }
  const lease = async (body: Record<string, unknown>) => {
    const tenantContactId = body.tenantContactId ?? (await addContact(t.app, mallOrg.orgId))
    return ok(mallOrg, 'POST', '/api/leasing/leases', { currency: 'ARS', rentMinor: 1_000_000, ...body, tenantContactId })
  }
  const rentOf = async (leaseId: string) => {
    const res = await ok(mallOrg, 'GET', `/api/leasing/charges?leaseId=${leaseId}&kind=rent&limit=500`)
    return Object.fromEntries((res.items as { period: string; amountMinor: number }[]).map((c) => [c.period, c.amountMinor]))
  }

  beforeAll(async () => {
    t = await buildTestApp(driver, { seedDemo: false })
    mallOrg = await addLeasingOrg(t.app, 'Malplaza', 'operator')
    otherOrg = await addLeasingOrg(t.app, 'Otro shopping', 'operator')
    mallId = (await ok(mallOrg, 'POST', '/api/leasing/malls', { name: 'Malplaza Centro', siteId: mallOrg.siteId })).id
    for (const name of ['Planta baja', 'Patio de comidas']) zones[name] = (await ok(mallOrg, 'POST', '/api/leasing/zones', { mallId, name })).id
  }, 120_000)
  afterAll(async () => t?.close())

  it('Escalation: rent schedules are correct across escalation dates, currencies and partial months', async () => {
    // ARS, +10 % every 3 months from 2026-04-15 (3 months after a mid-month start), terminated mid-November.
    const a = await lease({ spaceIds: [await space('A-01', 'Planta baja', 10_000)], startsOn: '2026-01-15', endsOn: '2026-12-31', rentMinor: 10_000_000,
      escalation: { kind: 'percent', percentBp: 1000, everyMonths: 3 } })
    expect(a.escalation).toEqual({ kind: 'percent', percentBp: 1000, everyMonths: 3, from: '2026-04-15' })

    // USD, an ICL-like index every 6 months from 2026-08-16 (mid-month).
    const icl = await ok(mallOrg, 'POST', '/api/leasing/index-tables', { name: 'ICL' })
    await ok(mallOrg, 'PUT', `/api/leasing/index-tables/${icl.id}/values`, { values: [
      { date: '2026-03-01', value: '100' }, { date: '2026-06-01', value: '110.5' }, { date: '2026-09-01', value: '121.333333' },
    ] })
    const b = await lease({ spaceIds: [await space('B-01', 'Patio de comidas', 3_000, 'patio_comidas')], startsOn: '2026-03-01', endsOn: '2027-02-28', rentMinor: 150_000, currency: 'USD',
      escalation: { kind: 'index', tableId: icl.id, everyMonths: 6, from: '2026-08-16' } })

    // The projection, before anything is written: August splits at the 16th.
    const projected = await ok(mallOrg, 'GET', `/api/leasing/leases/${b.id}/schedule?from=2026-03&months=12`)
    expect(projected.charges).toEqual([])
    expect(projected.projection.map((p: { period: string }) => p.period)).toEqual(['2026-03', '2026-04', '2026-05', '2026-06', '2026-07', '2026-08', '2026-09', '2026-10', '2026-11', '2026-12', '2027-01', '2027-02'])
    expect(projected.projection[5]).toMatchObject({ period: '2026-08', amountMinor: 158_129, currency: 'USD' })

    await ok(mallOrg, 'POST', `/api/leasing/leases/${a.id}/terminate`, { on: '2026-11-10', reason: 'Cierre del local' })
    for (let m = 1; m <= 14; m++) {
      const period = m <= 12 ? `2026-${String(m).padStart(2, '0')}` : `2027-${String(m - 12).padStart(2, '0')}`
      await ok(mallOrg, 'POST', '/api/leasing/rent-runs', { period })
    }

    // By hand: 10,000,000 × 17/31 days = 5,483,870.97 → 5,483,871.
    // April: 14 days at 10,000,000 + 16 at 11,000,000, of 30: 4,666,666.67 → 4,666,667 + 5,866,666.67 → 5,866,667.
    // July: 14 days at 11,000,000 + 17 at 12,100,000, of 31: 4,967,741.94 → 4,967,742 + 6,635,483.87 → 6,635,484.
    // October: 14 days at 12,100,000 + 17 at 13,310,000: 5,464,516.13 → 5,464,516 + 7,299,032.26 → 7,299,032.
    // November: terminated on the 10th: 13,310,000 × 10/30 = 4,436,666.67 → 4,436,667. December: nothing.
    expect(await rentOf(a.id)).toEqual({
      '2026-01': 5_483_871, '2026-02': 10_000_000, '2026-03': 10_000_000, '2026-04': 10_533_334, '2026-05': 11_000_000, '2026-06': 11_000_000,
      '2026-07': 11_603_226, '2026-08': 12_100_000, '2026-09': 12_100_000, '2026-10': 12_763_548, '2026-11': 4_436_667,
    })
    // USD by the index: August 150,000 × 15/31 = 72,580.65 → 72,581 + 165,750 (× 110.5/100) × 16/31 = 85,548.39 → 85,548.
    // February 2027 (the 2027-02-16 adjustment reads 121.333333): 165,750 × 15/28 = 88,794.64 → 88,795
    // + 150,000 × 121.333333/100 = 181,999.9995 → 182,000, × 13/28 = 84,500.
    expect(await rentOf(b.id)).toEqual({
      '2026-03': 150_000, '2026-04': 150_000, '2026-05': 150_000, '2026-06': 150_000, '2026-07': 150_000, '2026-08': 158_129,
      '2026-09': 165_750, '2026-10': 165_750, '2026-11': 165_750, '2026-12': 165_750, '2027-01': 165_750, '2027-02': 173_295,
    })
    const charges = await ok(mallOrg, 'GET', `/api/leasing/charges?leaseId=${b.id}&period=2026-08`)
    expect(charges.items[0]).toMatchObject({ currency: 'USD', status: 'ok' })
    expect(charges.items[0].detail.segments).toEqual([
      { from: '2026-08-01', to: '2026-08-15', days: 15, rentMinor: 150_000, amountMinor: 72_581 },
      { from: '2026-08-16', to: '2026-08-31', days: 16, rentMinor: 165_750, amountMinor: 85_548 },
    ])

    // Extending at a new rent: from the day after the old end, and escalation restarts there.
    const extended = await ok(mallOrg, 'POST', `/api/leasing/leases/${b.id}/renew`, { mode: 'extend', endsOn: '2027-08-31', rentMinor: 200_000 })
    expect(extended.rentSteps).toEqual([{ effectiveOn: '2026-03-01', rentMinor: 150_000 }, { effectiveOn: '2027-03-01', rentMinor: 200_000 }])
    const after = await ok(mallOrg, 'GET', `/api/leasing/leases/${b.id}/schedule?from=2027-03&months=6`)
    expect(after.projection.map((p: { amountMinor: number }) => p.amountMinor)).toEqual([200_000, 200_000, 200_000, 200_000, 200_000, 200_000])
  })

  it('Idempotent rent job: running the rent job twice creates one charge per lease and period', async () => {
    const l1 = await lease({ spaceIds: [await space('I-01', 'Planta baja', 2_000)], startsOn: '2030-01-01', endsOn: '2030-12-31' })
    const l2 = await lease({ spaceIds: [await space('I-02', 'Planta baja', 2_000)], startsOn: '2030-01-10', endsOn: '2030-06-30', currency: 'USD', rentMinor: 310_000 })
    const now = new Date('2030-03-05T12:00:00Z')
    const first = await t.app.jobs.run('leasing.rent', now) as { created: number; existing: number }
    const second = await t.app.jobs.run('leasing.rent', now) as { created: number; existing: number }
    expect(first).toMatchObject({ period: '2030-03', created: 2, existing: 0 })
    expect(second).toMatchObject({ period: '2030-03', created: 0, existing: 2 })
    const viaRoute = await ok(mallOrg, 'POST', '/api/leasing/rent-runs', { period: '2030-03' })
    expect(viaRoute).toEqual({ period: '2030-03', created: 0, existing: 2 })

    // Concurrently: the route twice and the job twice at once, for a new period. Not under the
    // job's advisory lock (runRent directly), so only the unique constraint keeps them apart.
    const results = await Promise.all([
      call(mallOrg, 'POST', '/api/leasing/rent-runs', { period: '2030-04' }).then((r) => r.json()),
      call(mallOrg, 'POST', '/api/leasing/rent-runs', { period: '2030-04' }).then((r) => r.json()),
      runRent(t.app.db, '2030-04'),
      runRent(t.app.db, '2030-04'),
    ])
    expect(results.reduce((a, r) => a + r.created, 0)).toBe(2)
    for (const id of [l1.id, l2.id]) {
      const rows = await sql<{ period: string }>`select period from leasing_charges where lease_id = ${id}::uuid order by period`.execute(t.app.db)
      const periods = rows.rows.map((r) => r.period)
      expect(periods).toEqual(['2030-03', '2030-04'])
    }
    // And the database itself refuses a second charge for the same lease, period and kind.
    await expect(runRentDuplicateInsert(l1.id)).rejects.toThrow()
  })

  async function runRentDuplicateInsert(leaseId: string) {
    await t.app.db.insertInto('leasing_charges' as 'users').values({
      org_id: mallOrg.orgId, lease_id: leaseId, period: '2030-03', kind: 'rent', currency: 'ARS', amount_minor: 1, status: 'ok', detail: '{}',
    } as never).execute()
  }

  it('refuses a space in two leases on overlapping days, also when both arrive at once', async () => {
    const id = await space('O-01', 'Planta baja', 5_000)
    const first = await lease({ spaceIds: [id], startsOn: '2031-01-01', endsOn: '2031-12-31' })
    const tenant = await addContact(t.app, mallOrg.orgId)
    const clash = await call(mallOrg, 'POST', '/api/leasing/leases', { tenantContactId: tenant, spaceIds: [id], startsOn: '2031-12-31', endsOn: '2032-06-30', rentMinor: 1, currency: 'ARS' })
    expect(clash.statusCode, clash.body).toBe(409)
    expect(clash.json().error.code).toBe('LEASING_SPACE_OVERLAP')
    // Terminated early, the space is free from the next day.
    await ok(mallOrg, 'POST', `/api/leasing/leases/${first.id}/terminate`, { on: '2031-06-30', reason: 'Mutuo acuerdo' })
    await lease({ spaceIds: [id], startsOn: '2031-07-01', endsOn: '2031-12-31' })

    const raced = await space('O-02', 'Planta baja', 5_000)
    const body = (tenantContactId: string, startsOn: string) => ({ tenantContactId, spaceIds: [raced], startsOn, endsOn: '2033-12-31', rentMinor: 1, currency: 'ARS' })
    const answers = await Promise.all([
      call(mallOrg, 'POST', '/api/leasing/leases', body(tenant, '2033-01-01')),
      call(mallOrg, 'POST', '/api/leasing/leases', body(tenant, '2033-02-01')),
      call(mallOrg, 'POST', '/api/leasing/leases', body(tenant, '2033-03-01')),
    ])
    expect(answers.map((r) => r.statusCode).sort()).toEqual([201, 409, 409])

    if (driver === 'postgres') {
      // Past the service, the database itself: the exclusion constraint (btree_gist).
      const attempt = sql`insert into leasing_lease_spaces (lease_id, space_id, org_id, period)
        values (${first.id}::uuid, ${raced}::uuid, ${mallOrg.orgId}::uuid, daterange('2033-06-01', '2033-06-30', '[]'))`.execute(t.app.db)
      await expect(attempt).rejects.toMatchObject({ code: '23P01' })
    }
  })

  it('renews into a new term linked to the old one, once, and the renewed lease no longer expires', async () => {
    const id = await space('R-01', 'Planta baja', 2_500)
    const old = await lease({ spaceIds: [id], startsOn: '2034-01-01', endsOn: '2034-12-31', rentMinor: 2_000_000, depositMinor: 4_000_000, rentTaxRateBp: 2100 })
    const soon = async () => (await ok(mallOrg, 'GET', '/api/leasing/expirations?within=60&at=2034-11-15&limit=500')).items.map((i: { leaseId: string }) => i.leaseId)
    expect(await soon()).toContain(old.id)
    const renewed = await call(mallOrg, 'POST', `/api/leasing/leases/${old.id}/renew`, { mode: 'new_term', endsOn: '2036-12-31', rentMinor: 2_600_000, escalation: { kind: 'percent', percentBp: 800, everyMonths: 12 } })
    expect(renewed.statusCode, renewed.body).toBe(201)
    expect(renewed.json()).toMatchObject({ previousLeaseId: old.id, tenantContactId: old.tenantContactId, startsOn: '2035-01-01', endsOn: '2036-12-31', rentMinor: 2_600_000,
      depositMinor: 4_000_000, rentTaxRateBp: 2100, spaces: [{ id, code: 'R-01' }], escalation: { kind: 'percent', percentBp: 800, everyMonths: 12, from: '2036-01-01' } })
    expect(await soon()).not.toContain(old.id)
    const twice = await call(mallOrg, 'POST', `/api/leasing/leases/${old.id}/renew`, { mode: 'new_term', endsOn: '2037-12-31', rentMinor: 1 })
    expect(twice.statusCode).toBe(409)
    // The new term's second year: +8 % from 2036-01-01.
    const schedule = await ok(mallOrg, 'GET', `/api/leasing/leases/${renewed.json().id}/schedule?from=2035-12&months=2`)
    expect(schedule.projection.map((p: { amountMinor: number }) => p.amountMinor)).toEqual([2_600_000, 2_808_000])
    // An end before the current one is refused; a terminated lease cannot be renewed.
    expect((await call(mallOrg, 'POST', `/api/leasing/leases/${renewed.json().id}/renew`, { mode: 'extend', endsOn: '2036-06-30', rentMinor: 1 })).statusCode).toBe(400)
    await ok(mallOrg, 'POST', `/api/leasing/leases/${renewed.json().id}/terminate`, { on: '2035-06-30', reason: 'Quiebra' })
    const closed = await call(mallOrg, 'POST', `/api/leasing/leases/${renewed.json().id}/renew`, { mode: 'extend', endsOn: '2038-06-30', rentMinor: 1 })
    expect(closed.json().error.code).toBe('LEASING_LEASE_CLOSED')
  })

  it('reports occupancy by zone and by type on a day', async () => {
    const org = await addLeasingOrg(t.app, 'Paseo Norte', 'operator')
    const mall = (await ok(org, 'POST', '/api/leasing/malls', { name: 'Paseo Norte' })).id
    const z1 = (await ok(org, 'POST', '/api/leasing/zones', { mallId: mall, name: 'Ala este' })).id
    const z2 = (await ok(org, 'POST', '/api/leasing/zones', { mallId: mall, name: 'Ala oeste' })).id
    const mk = async (code: string, zoneId: string, areaCentiM2: number, type: string) =>
      (await ok(org, 'POST', '/api/leasing/spaces', { mallId: mall, zoneId, code, areaCentiM2, type, baseRentMinor: 1, currency: 'ARS' })).id
    const e1 = await mk('E1', z1, 10_000, 'local')
    await mk('E2', z1, 5_000, 'local')
    const w1 = await mk('W1', z2, 3_000, 'isla')
    const tenant = await addContact(t.app, org.orgId)
    await ok(org, 'POST', '/api/leasing/leases', { tenantContactId: tenant, spaceIds: [e1, w1], startsOn: '2026-01-01', endsOn: '2026-06-30', rentMinor: 1, currency: 'ARS' })
    const occ = await ok(org, 'GET', '/api/leasing/occupancy?at=2026-03-01')
    expect(occ.total).toMatchObject({ occupiedCentiM2: 13_000, totalCentiM2: 18_000, occupiedPct: 72.22, occupiedSpaces: 2, totalSpaces: 3 })
    expect(occ.byZone).toEqual([
      { key: z1, name: 'Ala este', occupiedCentiM2: 10_000, totalCentiM2: 15_000, occupiedPct: 66.67, occupiedSpaces: 1, totalSpaces: 2 },
      { key: z2, name: 'Ala oeste', occupiedCentiM2: 3_000, totalCentiM2: 3_000, occupiedPct: 100, occupiedSpaces: 1, totalSpaces: 1 },
    ])
    expect(occ.byType.map((r: { key: string; occupiedPct: number }) => [r.key, r.occupiedPct])).toEqual([['isla', 100], ['local', 66.67]])
    expect((await ok(org, 'GET', '/api/leasing/occupancy?at=2026-07-01')).total.occupiedSpaces).toBe(0)
    const csv = await call(org, 'GET', '/api/leasing/occupancy?at=2026-03-01&format=csv')
    expect(csv.headers['content-type']).toContain('text/csv')
    expect(csv.body.split('\r\n')[0]).toBe('\uFEFFAgrupación / Grouping;Nombre / Name;m² ocupados / Occupied m²;m² totales / Total m²;Ocupación % / Occupancy %;Locales ocupados / Occupied spaces;Locales totales / Total spaces')
    expect(csv.body).toContain('zona / zone;Ala este;100.00;150.00;66.67;1;2')
    const pdf = await call(org, 'GET', '/api/leasing/occupancy?at=2026-03-01&format=pdf')
    expect(pdf.headers['content-type']).toBe('application/pdf')
    expect(pdf.rawPayload.subarray(0, 5).toString()).toBe('%PDF-')
  })

  it('lists expirations within 30, 60 and 90 days and queues one reminder per threshold', async () => {
    const org = await addLeasingOrg(t.app, 'Paseo Sur', 'operator')
    const mall = (await ok(org, 'POST', '/api/leasing/malls', { name: 'Paseo Sur' })).id
    const at = '2027-01-01'
    const ends = { '2027-01-21': 20, '2027-02-20': 50, '2027-03-22': 80, '2027-05-01': 120 }
    const ids: Record<number, string> = {}
    for (const [endsOn, days] of Object.entries(ends)) {
      const sp = (await ok(org, 'POST', '/api/leasing/spaces', { mallId: mall, code: `X${days}`, areaCentiM2: 100, type: 'kiosco', baseRentMinor: 1, currency: 'ARS' })).id
      const tenant = await addContact(t.app, org.orgId, { email: `inquilino${days}@tendero.test` })
      ids[days] = (await ok(org, 'POST', '/api/leasing/leases', { tenantContactId: tenant, spaceIds: [sp], startsOn: '2026-01-01', endsOn, rentMinor: 1, currency: 'ARS' })).id
    }
    const within = async (n: number) => (await ok(org, 'GET', `/api/leasing/expirations?within=${n}&at=${at}`)).items.map((i: { daysLeft: number }) => i.daysLeft)
    expect(await within(30)).toEqual([20])
    expect(await within(60)).toEqual([20, 50])
    expect(await within(90)).toEqual([20, 50, 80])
    expect((await call(org, 'GET', '/api/leasing/expirations?within=45')).statusCode).toBe(400)

    const now = new Date(`${at}T10:00:00Z`)
    await t.app.jobs.run('leasing.expiry-reminders', now)
    await t.app.jobs.run('leasing.expiry-reminders', now)
    const mail = await listMail(t.app.db, org.orgId, { kind: 'leasing.expiry' })
    // Three leases × (tenant + the one admin), each at its nearest threshold, once.
    expect(mail).toHaveLength(6)
    expect(mail.map((m) => m.dedupKey.split(':')[2]).sort()).toEqual(['30', '30', '60', '60', '90', '90'])
    expect(mail.filter((m) => m.to === 'inquilino20@tendero.test')[0]!.subject).toContain('20 días')
    expect(mail.filter((m) => m.to === org.email)).toHaveLength(3)
    // Thirty days on: the 50-day lease crosses 30, the 80-day one 60, the 120-day one 90
    // (two mails each); the 20-day one has ended and gets nothing.
    await t.app.jobs.run('leasing.expiry-reminders', new Date('2027-01-31T10:00:00Z'))
    const later = await listMail(t.app.db, org.orgId, { kind: 'leasing.expiry' })
    expect(later.length - mail.length).toBe(6)
    expect(later.filter((m) => m.dedupKey.startsWith(`lease-expiry:${ids[80]}:60:`))).toHaveLength(2)
  })

  it('sums rent income per period, currency and zone, as JSON, CSV and PDF', async () => {
    const json = await ok(mallOrg, 'GET', '/api/leasing/reports/rent-income?from=2026-08&to=2026-08')
    expect(json.rows).toEqual([
      { period: '2026-08', currency: 'ARS', zone: 'Planta baja', kind: 'rent', amountMinor: 12_100_000, charges: 1 },
      { period: '2026-08', currency: 'USD', zone: 'Patio de comidas', kind: 'rent', amountMinor: 158_129, charges: 1 },
    ])
    expect(json.totals).toEqual([{ currency: 'ARS', amountMinor: 12_100_000 }, { currency: 'USD', amountMinor: 158_129 }])
    const csv = await call(mallOrg, 'GET', '/api/leasing/reports/rent-income?from=2026-08&to=2026-08&format=csv')
    expect(csv.body.split('\r\n')).toEqual([
      '\uFEFFPeriodo / Period;Moneda / Currency;Zona / Zone;Concepto / Kind;Importe / Amount;Cargos / Charges',
      '2026-08;ARS;Planta baja;Alquiler;121000.00;1',
      '2026-08;USD;Patio de comidas;Alquiler;1581.29;1',
      '',
    ])
    const pdf = await call(mallOrg, 'GET', '/api/leasing/reports/rent-income?from=2026-01&to=2026-12&format=pdf')
    expect(pdf.rawPayload.subarray(0, 5).toString()).toBe('%PDF-')
  })

  it("answers 404 to another organization's ids and changes nothing", async () => {
    const fx = await leasingFixture(t.app, mallOrg.token, mallOrg)
    const before = await fx.footprint()
    for (const [url, params] of Object.entries(fx.params)) {
      const path = url.replace(/:(\w+)/g, (_, name: string) => params[name]!)
      const get = await call(otherOrg, 'GET', path)
      expect(get.statusCode, `GET ${path}`).toBe(404)
    }
    // Every leasing and portal route with a path param, from the app's catalog, with a valid
    // body: another organization's id is a 404 whatever the method.
    const bodies: Record<string, object | undefined> = {
      'PATCH /api/leasing/malls/:id': { name: 'Robado' },
      'PATCH /api/leasing/zones/:id': { name: 'Robada' },
      'PATCH /api/leasing/spaces/:id': { baseRentMinor: 1 },
      'PUT /api/leasing/index-tables/:id/values': { values: [{ date: '2030-01-01', value: '9.5' }] },
      'PATCH /api/leasing/leases/:id': { notes: 'x' },
      'POST /api/leasing/leases/:id/terminate': { on: '2030-01-01', reason: 'x' },
      'POST /api/leasing/leases/:id/renew': { mode: 'extend', endsOn: '2099-12-31', rentMinor: 1 },
      'POST /api/leasing/charges/:id/resolve': { estimatedQuantityMilli: 1, note: 'x' },
      'PATCH /api/leasing/incidents/:id': { status: 'resolved' },
    }
    const routes = t.app.routeCatalog.filter((r) => /^\/api\/(leasing\/|portal\/(leases|incidents))/.test(r.url) && r.url.includes(':') && r.method !== 'HEAD')
    expect(routes.length).toBeGreaterThan(15)  // the portal's are lists, without params
    for (const route of routes) {
      const params = fx.params[route.url]
      expect(params, `leasingFixture gives no params for ${route.url}`).toBeDefined()
      const path = route.url.replace(/:(\w+)/g, (_, name: string) => params![name]!)
      const key = `${route.method} ${route.url}`
      if (route.method !== 'GET' && route.method !== 'DELETE') expect(bodies, `add a valid body for ${key}`).toHaveProperty([key])
      const res = await call(otherOrg, route.method as 'GET', path, bodies[key])
      expect(res.statusCode, `${key}: ${res.body}`).toBe(404)
    }

    const leaseId = fx.params['/api/leasing/leases/:id']!.id!
    expect((await call(otherOrg, 'GET', `/api/leasing/leases/${leaseId}`)).statusCode).toBe(404)
    expect((await call(otherOrg, 'GET', `/api/leasing/leases/${leaseId}/schedule`)).statusCode).toBe(404)
    expect((await call(otherOrg, 'POST', `/api/leasing/leases/${leaseId}/terminate`, { on: '2030-01-01', reason: 'x' })).statusCode).toBe(404)
    expect((await call(otherOrg, 'PATCH', `/api/leasing/malls/${fx.params['/api/leasing/malls/:id']!.id}`, { name: 'Robado' })).statusCode).toBe(404)
    expect((await call(otherOrg, 'DELETE', `/api/leasing/spaces/${fx.params['/api/leasing/spaces/:id']!.id}`)).statusCode).toBe(404)
    expect((await call(otherOrg, 'POST', `/api/leasing/charges/${fx.params['/api/leasing/charges/:id/resolve']!.id}/resolve`, { estimatedQuantityMilli: 1, note: 'x' })).statusCode).toBe(404)
    expect((await call(otherOrg, 'PATCH', `/api/leasing/incidents/${fx.params['/api/leasing/incidents/:id']!.id}`, { status: 'resolved' })).statusCode).toBe(404)
    expect((await call(otherOrg, 'POST', '/api/leasing/incidents', { leaseId, category: 'otro', description: 'x' })).statusCode).toBe(404)
    // Using the other organization's space or contact in one's own lease.
    const ownContact = await addContact(t.app, otherOrg.orgId)
    const foreignSpace = await call(otherOrg, 'POST', '/api/leasing/leases', { tenantContactId: ownContact, spaceIds: [fx.params['/api/leasing/spaces/:id']!.id], startsOn: '2040-01-01', endsOn: '2040-12-31', rentMinor: 1, currency: 'ARS' })
    expect(foreignSpace.statusCode).toBe(404)
    const foreignSite = await call(otherOrg, 'POST', '/api/leasing/malls', { name: 'Ajeno', siteId: mallOrg.siteId })
    expect(foreignSite.statusCode).toBe(404)
    // And the lists show none of it.
    for (const url of ['/api/leasing/malls', '/api/leasing/spaces', '/api/leasing/leases', '/api/leasing/charges', '/api/leasing/incidents', '/api/portal/leases']) {
      expect((await ok(otherOrg, 'GET', url)).items, url).toEqual([])
    }
    expect(await fx.footprint()).toEqual(before)
  })

  it('pages every leasing list by keyset, one item a page giving the big page', async () => {
    // Two more ending on the same day: the lease id breaks the tie in the expirations' order.
    for (const code of ['P-01', 'P-02']) await lease({ spaceIds: [await space(code, 'Planta baja', 1_000)], startsOn: '2030-01-01', endsOn: '2030-11-30' })
    const lists = ['/api/leasing/malls', '/api/leasing/zones', '/api/leasing/spaces', '/api/leasing/leases', '/api/leasing/charges', '/api/leasing/index-tables',
      '/api/leasing/meters', '/api/leasing/tariffs', '/api/leasing/incidents', '/api/leasing/expirations?at=2030-10-15', '/api/portal/leases']
    for (const url of lists) {
      const sep = url.includes('?') ? '&' : '?'
      const big = await ok(mallOrg, 'GET', `${url}${sep}limit=500`)
      expect(big.nextCursor, url).toBeNull()
      const walked: unknown[] = []
      let cursor: string | null = null
      do {
        const page: { items: unknown[]; nextCursor: string | null } = await ok(mallOrg, 'GET', `${url}${sep}limit=1${cursor ? `&cursor=${cursor}` : ''}`)
        walked.push(...page.items)
        cursor = page.nextCursor
      } while (cursor && walked.length <= big.items.length)
      expect(walked, url).toEqual(big.items)
    }
    // Enough rows for the walk to mean something.
    expect((await ok(mallOrg, 'GET', '/api/leasing/charges?limit=500')).items.length).toBeGreaterThan(25)
    expect((await ok(mallOrg, 'GET', '/api/leasing/expirations?at=2030-10-15&limit=500')).items.length).toBe(3)
    const forged = await call(mallOrg, 'GET', '/api/leasing/charges?cursor=bm9wZQ')
    expect(forged.json().error.code).toBe('PAGINATION_BAD_CURSOR')
  })
})

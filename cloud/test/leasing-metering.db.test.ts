import { randomBytes } from 'node:crypto'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { LogEvent } from '@tendero/protocol'
import { hashGatewayKey } from '../src/modules/ingest/repository.js'
import { startOfLocalDay } from '../src/modules/reports/zone.js'
import { buildTestApp, ingest, type TestApp } from './support/app.js'
import { testDrivers } from './support/drivers.js'
import { addContact, addLeasingOrg } from './support/leasing-fixtures.js'

// Metered utilities (issue 8): sub-meter counters from the IoT layer become monthly
// charges that carry their readings; a gap is flagged for review, never billed as zero.

const TZ = 'America/Argentina/Buenos_Aires'
const STEP_MS = 3 * 3_600_000
const BOOT_ID = '0b7c9d1e-3f7a-4c55-9a49-1f0c2f6c8a11'

/** Two months before this one: recent enough that ingest trusts the readings' times. */
function testPeriod(): { period: string; next: string; days: number } {
  const now = new Date()
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 2, 1))
  const n = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1))
  const days = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate()
  return { period: d.toISOString().slice(0, 7), next: n.toISOString().slice(0, 7), days }
}

describe.each(testDrivers())('leasing: metered utilities (%s)', (driver) => {
  let t: TestApp
  let org: Awaited<ReturnType<typeof addLeasingOrg>>
  let gatewayId: string
  let gatewayKey: string
  let mallId: string
  const { period, next, days } = testPeriod()
  let from: number
  let to: number
  let seq = 0

  const call = (method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) =>
    t.app.inject({ method, url, headers: { authorization: `Bearer ${org.token}` }, ...(payload ? { payload } : {}) })
  const ok = async (method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) => {
    const res = await call(method, url, payload)
    expect(res.statusCode, `${method} ${url}: ${res.body}`).toBeLessThan(300)
    return res.json()
  }
  /** A leased space with a meter on `deviceId`; returns the lease id. */
  const leasedSpace = async (code: string, deviceId: string, metric = 'energy_kwh', kind = 'energy', unit = 'kwh') => {
    const space = await ok('POST', '/api/leasing/spaces', { mallId, code, areaCentiM2: 5_000, type: 'local', baseRentMinor: 1, currency: 'ARS' })
    await ok('POST', '/api/leasing/meters', { spaceId: space.id, siteId: org.siteId, deviceId, metric, kind, unit })
    const tenant = await addContact(t.app, org.orgId)
    return (await ok('POST', '/api/leasing/leases', { tenantContactId: tenant, spaceIds: [space.id], startsOn: `${period}-01`, endsOn: '2099-12-31', rentMinor: 1, currency: 'ARS' })).id as string
  }
  /** Readings straight into the telemetry table, as ingest stores them. */
  const insertReadings = async (deviceId: string, metric: string, points: [number, number][]) => {
    await t.app.db.insertInto('telemetry').values(points.map(([time, value]) => ({ site_id: org.siteId, gateway_id: gatewayId, device_id: deviceId, metric, time: new Date(time), value, seq: ++seq + 100_000 }))).execute()
  }
  /** A counter every 3 h from 12 h before the period to 12 h after: value(k) = base + k × rate. */
  const series = (base: number, rate: number, until = to + 12 * 3_600_000): [number, number][] => {
    const out: [number, number][] = []
    for (let time = from - 12 * 3_600_000, k = 0; time <= until; time += STEP_MS, k++) out.push([time, base + ((time - from) / STEP_MS) * rate])
    return out
  }
  const chargesOf = async (leaseId: string) => (await ok('GET', `/api/leasing/charges?leaseId=${leaseId}&period=${period}`)).items as Record<string, any>[] // eslint-disable-line @typescript-eslint/no-explicit-any

  beforeAll(async () => {
    t = await buildTestApp(driver, { seedDemo: false })
    org = await addLeasingOrg(t.app, 'Malplaza', 'operator', TZ)
    gatewayId = `gw-${randomBytes(4).toString('hex')}`
    gatewayKey = `key-${randomBytes(12).toString('hex')}`
    await t.app.db.insertInto('gateways').values({ id: gatewayId, org_id: org.orgId, site_id: org.siteId, name: 'Tablero', key_hash: hashGatewayKey(gatewayKey) }).execute()
    mallId = (await ok('POST', '/api/leasing/malls', { name: 'Malplaza', siteId: org.siteId })).id
    await ok('PUT', '/api/leasing/tariffs', { mallId, kind: 'energy', currency: 'ARS', priceMinor: 15_000, taxRateBp: 2100 })
    await ok('PUT', '/api/leasing/tariffs', { mallId, kind: 'water', currency: 'ARS', priceMinor: 250_000, taxRateBp: 2100 })
    from = startOfLocalDay(`${period}-01`, TZ)
    to = startOfLocalDay(`${next}-01`, TZ)
  }, 120_000)
  afterAll(async () => t?.close())

  it('bills a clean month from the readings at its boundaries, and keeps them on the charge', async () => {
    const lease = await leasedSpace('M-01', 'medidor-a')
    // Energy through the real ingest path: the energy meter's `energy_kwh` counter, +0.5 kWh every 3 h.
    const events: LogEvent[] = series(1520.35, 0.5).map(([time, value]) => ({
      seq: ++seq, kind: 'telemetry', deviceId: 'medidor-a', time, receivedAt: time, bootId: BOOT_ID, monoMs: seq, clockSynced: true, body: { readings: { energy_kwh: value } },
    }))
    for (let i = 0; i < events.length; i += 200) {
      const res = await ingest(t.app, gatewayKey, gatewayId, events.slice(i, i + 200))
      expect(res.statusCode, res.body).toBe(200)
    }
    // Water on the same space in litres, inserted as stored: +25 l every 3 h.
    const spaceId = (await ok('GET', `/api/leasing/leases/${lease}`)).spaces[0].id
    await ok('POST', '/api/leasing/meters', { spaceId, siteId: org.siteId, deviceId: 'medidor-a', metric: 'volume_l', kind: 'water', unit: 'l' })
    await insertReadings('medidor-a', 'volume_l', series(88_000, 25))

    const run = await ok('POST', '/api/leasing/utility-runs', { period })
    expect(run.created).toBeGreaterThanOrEqual(2)
    const [energy] = (await chargesOf(lease)).filter((c) => c.kind === 'utility_energy')
    // 8 readings a day × 0.5 kWh = 4 kWh a day; at 150.00 ARS/kWh, 600.00 ARS a day; IVA 21 %.
    const kwh = days * 4
    expect(energy).toMatchObject({ status: 'ok', currency: 'ARS', amountMinor: kwh * 15_000, taxMinor: Math.round(kwh * 15_000 * 0.21), reviewReason: null })
    expect(energy!.detail.quantityMilli).toBe(kwh * 1000)
    expect(energy!.detail.readings).toEqual([expect.objectContaining({
      deviceId: 'medidor-a', metric: 'energy_kwh', unit: 'kwh', quantityMilli: kwh * 1000, problem: null,
      start: { value: 1520.35, time: new Date(from).toISOString() },
      end: { value: expect.closeTo(1520.35 + kwh, 6), time: new Date(to).toISOString() },
    })])
    const [water] = (await chargesOf(lease)).filter((c) => c.kind === 'utility_water')
    // 200 l a day = 0.2 m³ a day, at 2,500.00 ARS/m³.
    expect(water).toMatchObject({ status: 'ok', amountMinor: days * 200 * 250, detail: expect.objectContaining({ quantityMilli: days * 200 }) })
  })

  it('flags a gap, a missing boundary reading and a counter reset for review, never as zero, and a person resolves it', async () => {
    const gap = await leasedSpace('M-02', 'medidor-b')
    await insertReadings('medidor-b', 'energy_kwh', series(500, 1))
    await t.app.db.insertInto('data_gaps').values({
      site_id: org.siteId, gateway_id: gatewayId, seq: ++seq, reason: 'dropped', from_seq: 10, to_seq: 90, from_time: new Date(from + 10 * 86_400_000), to_time: new Date(from + 11 * 86_400_000),
      removed: 80, written: 0, devices: JSON.stringify(['medidor-b']), recorded_at: new Date(),
    }).execute()
    const silent = await leasedSpace('M-03', 'medidor-c')
    await insertReadings('medidor-c', 'energy_kwh', series(10, 1, to - 5 * 86_400_000))
    const reset = await leasedSpace('M-04', 'medidor-d')
    await insertReadings('medidor-d', 'energy_kwh', series(900, 1).map(([time, value]) => [time, time > from + 15 * 86_400_000 ? value - 800 : value]))

    // Events the gateway discarded for good (absent seqs) between the boundary readings.
    const absent = await leasedSpace('M-05', 'medidor-e')
    await insertReadings('medidor-e', 'energy_kwh', series(50, 1))
    const mid = await t.app.db.selectFrom('telemetry').select('seq').where('device_id', '=', 'medidor-e').orderBy('time').offset(100).limit(1).executeTakeFirstOrThrow()
    await t.app.db.insertInto('absent_ranges').values({ gateway_id: gatewayId, from_seq: mid.seq, to_seq: mid.seq + 2 }).execute()

    // On the 2nd the job waits for late readings from offline gateways; from the 4th it meters.
    const early = await t.app.jobs.run('leasing.utilities', new Date(to + 1 * 86_400_000)) as { waiting?: boolean; created: number }
    expect(early).toMatchObject({ waiting: true, created: 0 })
    const first = await t.app.jobs.run('leasing.utilities', new Date(to + 4 * 86_400_000)) as { period: string; needsReview: number }
    expect(first.period).toBe(period)
    for (const [lease, reason] of [[gap, /data gap \(dropped\)/], [silent, /no reading within 6 h of the end/], [reset, /counter went down/], [absent, /discarded events/]] as const) {
      const [charge] = await chargesOf(lease)
      expect(charge, String(reason)).toMatchObject({ kind: 'utility_energy', status: 'needs_review', amountMinor: null })
      expect(charge!.reviewReason).toMatch(reason)
    }
    // Idempotent: a second run writes nothing.
    const second = await t.app.jobs.run('leasing.utilities', new Date(to + 5 * 86_400_000)) as { created: number }
    expect(second.created).toBe(0)

    const [flagged] = await chargesOf(gap)
    const resolved = await ok('POST', `/api/leasing/charges/${flagged!.id}/resolve`, { estimatedQuantityMilli: 240_500, note: 'Estimado por promedio de los últimos 3 meses' })
    expect(resolved).toMatchObject({ status: 'resolved', amountMinor: 3_607_500, taxMinor: 757_575, resolutionNote: 'Estimado por promedio de los últimos 3 meses' })
    const again = await call('POST', `/api/leasing/charges/${flagged!.id}/resolve`, { estimatedQuantityMilli: 1, note: 'x' })
    expect(again.statusCode).toBe(409)
    // A reading taken on site for the meter that went silent.
    const [silentCharge] = await chargesOf(silent)
    const onSite = await ok('POST', `/api/leasing/charges/${silentCharge!.id}/resolve`, { startValue: 10, endValue: 130.25, note: 'Lectura tomada en el local el día 1' })
    expect(onSite).toMatchObject({ status: 'resolved', amountMinor: 1_803_750 })
    const bad = await call('POST', `/api/leasing/charges/${silentCharge!.id}/resolve`, { note: 'sin datos' })
    expect(bad.statusCode).toBe(409)
  })

  it('invoices each lease\'s period once: rent and utilities with their readings, charges under review held', async () => {
    await ok('POST', '/api/leasing/rent-runs', { period })
    const run = await ok('POST', '/api/leasing/invoice-runs', { period })
    // Five leases, each with its rent; the reset and the discarded-events meters' charges are still under review.
    expect(run).toMatchObject({ period, invoices: 5, existing: 0, heldForReview: 2 })
    const again = await ok('POST', '/api/leasing/invoice-runs', { period })
    expect(again).toMatchObject({ invoices: 0 })
    const job = await t.app.jobs.run('leasing.invoice', new Date(to + 5 * 86_400_000)) as { invoices: number }
    expect(job.invoices).toBe(0)

    const invoices = await sql<{ id: string; source_key: string; total_minor: number; notes: string | null; status: string; issue_date: string; due_date: string }>`
      select id, source_key, total_minor, notes, status, issue_date, due_date from billing_invoices where org_id = ${org.orgId}::uuid order by source_key`.execute(t.app.db)
    expect(invoices.rows).toHaveLength(5)
    // Due on the lease's billing day (1 by default) on or after the issue date.
    for (const i of invoices.rows) expect(i.due_date >= i.issue_date && i.due_date.endsWith('-01')).toBe(true)
    expect(invoices.rows.every((i) => i.status === 'posted' && /^lease:[0-9a-f-]{36}:\d{4}-\d{2}$/.test(i.source_key))).toBe(true)
    const charges = await sql<{ lease_id: string; kind: string; invoice_ref: string | null; status: string }>`
      select lease_id, kind, invoice_ref, status from leasing_charges where org_id = ${org.orgId}::uuid and period = ${period}`.execute(t.app.db)
    for (const c of charges.rows) expect(c.invoice_ref === null, `${c.kind} ${c.status}`).toBe(c.status === 'needs_review')
    const held = invoices.rows.filter((i) => i.notes?.includes('no facturados'))
    expect(held).toHaveLength(2)
    expect(held.map((i) => i.notes).join('\n')).toMatch(/Energía \/ Energy \(.*counter went down/)

    // The clean lease: rent, energy and water lines, the readings in the description.
    const clean = charges.rows.find((c) => c.kind === 'utility_water')!
    const lines = await sql<{ description: string; quantity_milli: number; unit_minor: number; net_minor: number }>`
      select description, quantity_milli, unit_minor, net_minor from billing_invoice_lines where invoice_id = ${clean.invoice_ref}::uuid order by position`.execute(t.app.db)
    expect(lines.rows.map((l) => l.description.split(' ')[0])).toEqual(['Alquiler', 'Energía', 'Agua'])
    expect(lines.rows[1]).toMatchObject({ quantity_milli: days * 4000, unit_minor: 15_000, net_minor: days * 4 * 15_000 })
    expect(lines.rows[1]!.description).toContain(`medidor-a/energy_kwh 1520.35 (${new Date(from).toISOString().slice(0, 16)}Z)`)
    expect(lines.rows[2]!.description).toContain('medidor-a/volume_l 88000')
  })
})

import { randomBytes, randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { LogEvent } from '@tendero/protocol'
import { hashPassword } from '../src/modules/auth/password.js'
import { hashGatewayKey } from '../src/modules/ingest/repository.js'
import { coldChainPdf } from '../src/modules/reports/pdf.js'
import { coldChainReport } from '../src/modules/reports/service.js'
import { DEMO } from '../src/seed.js'
import { addDemoGateway, alarmEvent, buildTestApp, gapEvent, ingest, loginDemo, telemetryEvent, type TestApp } from './support/app.js'
import { testDrivers } from './support/drivers.js'
import { parseCsv } from './support/csv.js'

const MIN = 60_000
const HOUR = 60 * MIN
const DAY = 24 * HOUR
const BA = 'America/Argentina/Buenos_Aires'

/** YYYY-MM-DD in a zone, by Intl alone (the report's own zone code is what is tested). */
const dateIn = (ms: number, timeZone: string) => new Intl.DateTimeFormat('en-CA', { timeZone }).format(new Date(ms))
/** The zone's offset from UTC at `ms`, in ms, from Intl's "GMT-5" style names. */
function offsetOf(ms: number, timeZone: string): number {
  const name = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'shortOffset' }).formatToParts(new Date(ms)).find((p) => p.type === 'timeZoneName')!.value
  const m = /GMT([+-])(\d+)(?::(\d+))?/.exec(name)
  return m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * HOUR + Number(m[3] ?? 0) * MIN) : 0
}

/** Buenos Aires has no DST: its day is 03:00Z to 03:00Z. */
const baDay = (date: string) => ({ from: Date.parse(`${date}T03:00:00Z`), to: Date.parse(`${date}T03:00:00Z`) + DAY })

function asDevice(event: LogEvent, deviceId: string): LogEvent {
  return { ...event, deviceId, ...(event.kind === 'alarm' ? { body: { ...event.body, deviceId, alarmId: `${event.body.ruleId}:${deviceId}` } } : {}) } as LogEvent
}

/** Sends events in batches as the gateway would, seqs from `nextSeq`. */
async function send(t: TestApp, gw: { gatewayId: string; gatewayKey: string; nextSeq: number }, make: ((seq: number) => LogEvent)[]) {
  for (let i = 0; i < make.length; i += 500) {
    const events = make.slice(i, i + 500).map((m) => m(gw.nextSeq++))
    const res = await ingest(t.app, gw.gatewayKey, gw.gatewayId, events)
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json().stored).toBe(events.length)
  }
}

/**
 * The text an uncompressed pdfkit document prints: its standard fonts write each run as
 * hex strings in TJ arrays (WinAnsi, Latin-1 for the letters used here), kerning between.
 */
function pdfText(pdf: Buffer): string {
  const source = pdf.toString('latin1')
  const runs: string[] = []
  for (const m of source.matchAll(/\[([^\]]*)\]\s*TJ/g)) {
    runs.push([...m[1]!.matchAll(/<([0-9a-fA-F]*)>/g)].map((h) => Buffer.from(h[1]!, 'hex').toString('latin1')).join(''))
  }
  return runs.join('\n')
}

describe.each(testDrivers())('cold-chain report (%s)', (driver) => {
  let t: TestApp
  let token: string
  let gw: { gatewayId: string; gatewayKey: string; nextSeq: number }
  const now = Date.now()
  // Whole days before today on the site's clock: the first is the one with the incidents.
  const day1 = dateIn(now - DAY, BA)
  const day2 = dateIn(now - 2 * DAY, BA)
  const day3 = dateIn(now - 3 * DAY, BA)
  const d1 = baDay(day1)
  const at = (h: number, m = 0) => d1.from + h * HOUR + m * MIN

  const get = (url: string, auth = token) => t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${auth}` } })
  const report = (query: string, siteId: string = DEMO.site.id) => get(`/api/sites/${siteId}/reports/cold-chain?${query}`)

  beforeAll(async () => {
    t = await buildTestApp(driver)
    token = await loginDemo(t.app)
    gw = { ...(await addDemoGateway(t.app)), nextSeq: 1 }

    // Day 1 of the demo cold room (camara-1, 0-5 °C by default): a reading a minute at
    // 3 °C; 10:00-10:19 at 7.5 °C with a peak of 8.2 °C at 10:10, an alarm raised at 10:02
    // and cleared at 10:25; nothing from 14:00 to 14:39 (silent); nothing from 18:00 to
    // 18:29, which the gateway reports as dropped.
    const day: ((seq: number) => LogEvent)[] = []
    for (let time = d1.from; time < d1.to; time += MIN) {
      const minute = (time - d1.from) / MIN
      if ((minute >= 14 * 60 && minute < 14 * 60 + 40) || (minute >= 18 * 60 && minute < 18 * 60 + 30)) continue
      const value = minute === 10 * 60 + 10 ? 8.2 : minute >= 10 * 60 && minute < 10 * 60 + 20 ? 7.5 : 3
      day.push((seq) => telemetryEvent(seq, { temperature_c: value, humidity_pct: 80 }, time))
    }
    day.push((seq) => alarmEvent(seq, 'raised', at(10, 2), 7.5))
    day.push((seq) => alarmEvent(seq, 'cleared', at(10, 25), 4.2))
    day.push((seq) => gapEvent(seq, { reason: 'dropped', fromTime: at(18), toTime: at(18, 30), removed: 30, written: 0, devices: ['camara-1'] }, at(19)))
    await send(t, gw, day)

    // Day 2: clean. Day 3: nothing at all.
    const clean: ((seq: number) => LogEvent)[] = []
    const d2 = baDay(day2)
    for (let time = d2.from; time < d2.to; time += MIN) clean.push((seq) => telemetryEvent(seq, { temperature_c: 2.5 }, time))
    await send(t, gw, clean)

    // A freezer with a band of its own and an oven, registered through the API.
    for (const body of [
      { id: 'freezer-hielo', name: 'Freezer de hielo', kind: 'freezer', coldBand: { minC: null, maxC: -10 } },
      { id: 'horno-pan', name: 'Horno', kind: 'oven' },
    ]) {
      const res = await t.app.inject({ method: 'POST', url: `/api/gateways/${gw.gatewayId}/devices`, headers: { authorization: `Bearer ${token}` }, payload: body })
      expect(res.statusCode, res.body).toBe(201)
    }
    await send(t, gw, Array.from({ length: 6 }, (_, i) => (seq: number) => asDevice(telemetryEvent(seq, { temperature_c: -14 + i }, at(20, i * 10)), 'freezer-hielo')))
  }, 120_000)
  afterAll(async () => t?.close())

  it('reports the excursion, the silent gap and the gateway gap of a day, in numbers', async () => {
    const res = await report(`date=${day1}&deviceId=camara-1`)
    expect(res.statusCode, res.body).toBe(200)
    const r = res.json()
    expect(r).toMatchObject({ siteId: DEMO.site.id, siteName: DEMO.site.name, date: day1, timezone: BA, from: d1.from, to: d1.to, partial: false })
    expect(r.fridges).toHaveLength(1)
    const f = r.fridges[0]
    expect(f).toMatchObject({
      deviceId: 'camara-1', kind: 'cold_room', metric: 'temperature_c', band: { minC: 0, maxC: 5, origin: 'default' }, verdict: 'excursion',
      readings: 1440 - 70, expected: 1440, coveragePct: 95.1, medianIntervalMs: MIN, gapThresholdMs: 5 * MIN, minC: 3, maxC: 8.2,
    })
    expect(f.avgC).toBeCloseTo((3 * (1440 - 90) + 7.5 * 19 + 8.2) / 1370, 2)
    // Every reading holds its minute: 20 of 1,370 minutes out of band.
    expect(f.inBandPct).toBe(Math.round(((1370 - 20) / 1370) * 1000) / 10)
    expect(f.excursions).toEqual([{ start: at(10), end: at(10, 20), durationMs: 20 * MIN, direction: 'high', peakC: 8.2, closedBy: 'reading',
      alarmCovered: true, alarmIds: ['camara-alta:camara-1'] }])
    expect(f.gaps).toEqual([
      { start: at(13, 59), end: at(14, 40), durationMs: 41 * MIN, source: 'silent', kind: 'no_readings' },
      { start: at(17, 59), end: at(18, 30), durationMs: 31 * MIN, source: 'silent', kind: 'no_readings' },
      { start: at(18), end: at(18, 30), durationMs: 30 * MIN, source: 'gateway', kind: 'dropped' },
    ])
    // The two silences; the dropped half hour lies inside the second and counts once.
    expect(f.missingMs).toBe(72 * MIN)
    expect(f.missingPct).toBe(5)
  })

  it("passes a clean day, calls an empty one incomplete, and lists the site's fridges and freezers only", async () => {
    const clean = (await report(`date=${day2}`)).json()
    expect(clean.fridges.map((f: { deviceId: string }) => f.deviceId)).toEqual(['camara-1', 'freezer-hielo'])
    expect(clean.fridges[0]).toMatchObject({ verdict: 'ok', readings: 1440, coveragePct: 100, inBandPct: 100, gaps: [], excursions: [] })
    // The freezer sent nothing that day: incomplete, one gap over the whole day.
    expect(clean.fridges[1]).toMatchObject({ verdict: 'incomplete', readings: 0, band: { minC: null, maxC: -10, origin: 'device' } })
    expect(clean.fridges[1].gaps).toEqual([{ start: baDay(day2).from, end: baDay(day2).to, durationMs: DAY, source: 'silent', kind: 'no_readings' }])

    const empty = (await report(`date=${day3}&deviceId=camara-1`)).json()
    expect(empty.fridges[0]).toMatchObject({ verdict: 'incomplete', readings: 0, coveragePct: 0, missingPct: 100, minC: null, avgC: null, maxC: null })

    // The freezer's own band: -14 °C to -9 °C in steps of one, so -9 is over -10.
    const freezer = (await report(`date=${day1}&deviceId=freezer-hielo`)).json().fridges[0]
    expect(freezer).toMatchObject({ verdict: 'excursion', readings: 6, minC: -14, maxC: -9 })
    expect(freezer.excursions).toMatchObject([{ start: at(20, 50), peakC: -9, direction: 'high', alarmCovered: false }])
  })

  it('writes the CSV an inspector opens in Excel: BOM, ; and decimal comma in Spanish, every excursion and gap a row', async () => {
    const res = await report(`date=${day1}&deviceId=camara-1&format=csv`)
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8')
    expect(res.headers['content-disposition']).toBe(`attachment; filename="cadena-frio-sucursal-palermo-${day1}.csv"`)
    expect(res.body.startsWith('\uFEFF')).toBe(true)
    const rows = parseCsv(res.body.slice(1), ';')
    const header = rows[0]!
    const col = (row: string[], name: string) => row[header.indexOf(name)]
    expect(header.slice(0, 6)).toEqual(['seccion', 'sitio', 'fecha', 'zona_horaria', 'dispositivo_id', 'dispositivo'])
    expect(rows.slice(1).map((r) => r[0])).toEqual(['resumen', 'excursion', 'hueco', 'hueco', 'hueco'])
    for (const row of rows) expect(row).toHaveLength(header.length)
    const [summary, excursion, silent, , dropped] = rows.slice(1) as [string[], string[], string[], string[], string[]]
    expect(col(summary, 'resultado')).toBe('No cumple')
    expect(col(summary, 'cobertura_pct')).toBe('95,1')
    expect(col(summary, 'maxima_c')).toBe('8,2')
    expect(col(summary, 'origen_rango')).toMatch(/por defecto/)
    expect(col(excursion, 'inicio_local')).toBe(`${day1} 10:00:00`)
    expect(col(excursion, 'fin_local')).toBe(`${day1} 10:20:00`)
    expect(col(excursion, 'duracion_min')).toBe('20')
    expect(col(excursion, 'pico_c')).toBe('8,2')
    expect(col(excursion, 'alarma')).toBe('sí: camara-alta:camara-1')
    expect(col(silent, 'inicio_local')).toBe(`${day1} 13:59:00`)
    expect(col(silent, 'duracion_min')).toBe('41')
    expect(col(silent, 'detalle')).toBe('sin lecturas (no llegaron lecturas)')
    expect(col(dropped, 'detalle')).toBe('descartado (informado por el gateway)')

    const en = await report(`date=${day1}&deviceId=camara-1&format=csv&lang=en`)
    const enRows = parseCsv(en.body.slice(1), ',')
    expect(enRows[0]!.slice(0, 2)).toEqual(['section', 'site'])
    expect(enRows[1]![enRows[0]!.indexOf('result')]).toBe('Fail')
    expect(enRows[1]![enRows[0]!.indexOf('max_c')]).toBe('8.2')
  })

  it('prints a PDF with the verdict, the excursion, the gaps and a signature line', async () => {
    const res = await report(`date=${day1}&format=pdf`)
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toBe('application/pdf')
    expect(res.headers['content-disposition']).toBe(`attachment; filename="cadena-frio-sucursal-palermo-${day1}.pdf"`)
    expect(res.rawPayload.subarray(0, 5).toString('latin1')).toBe('%PDF-')
    // Compressed streams by default: the text is not readable as is.
    expect(pdfText(res.rawPayload)).not.toContain('No cumple')

    const data = await coldChainReport(t.app.db, DEMO.organization.id, DEMO.site.id, { date: day1, deviceId: 'camara-1' })
    const text = pdfText(await coldChainPdf(data, { lang: 'es', compress: false }))
    for (const expected of ['Registro diario de cadena de frío', DEMO.site.name, day1, BA, 'No cumple', '0,0 a 5,0 °C',
      '10:00', '10:20', '20 min', '8,2 °C', 'camara-alta:camara-1', '13:59', '14:40', '41 min', 'sin lecturas', 'descartado',
      'informado por el gateway', 'Responsable / Firma']) {
      expect(text, expected).toContain(expected)
    }
    const english = pdfText(await coldChainPdf(data, { lang: 'en', compress: false }))
    for (const expected of ['Daily cold-chain record', 'Fail', 'dropped', 'Responsible / Signature']) expect(english).toContain(expected)
  })

  it('bounds a day across a DST change at local midnights: 23 or 25 hours, no gap at either end', async () => {
    // The last day within the cloud's clock-trust year on which one of these zones changed its clocks.
    let found: { zone: string; date: string; from: number; to: number } | undefined
    for (const zone of ['America/New_York', 'Europe/Madrid', 'Australia/Sydney']) {
      for (let back = 2; back < 330 && !found; back++) {
        const noon = now - back * DAY
        const before = offsetOf(noon - DAY, zone)
        const after = offsetOf(noon + DAY, zone)
        if (before === after || offsetOf(noon, zone) === offsetOf(noon - DAY, zone) && offsetOf(noon, zone) === after) continue
        // The day whose own noon is already on the new offset, the previous noon on the old one.
        if (offsetOf(noon, zone) !== after || offsetOf(noon - DAY, zone) !== before) continue
        const date = dateIn(noon, zone)
        const midnight = Date.parse(`${date}T00:00:00Z`)
        found = { zone, date, from: midnight - before, to: midnight + DAY - after }
      }
      if (found) break
    }
    expect(found, 'a DST change in the last year').toBeDefined()
    const { zone, date, from, to } = found!
    expect([23 * HOUR, 25 * HOUR]).toContain(to - from)

    const siteId = randomUUID()
    const gatewayId = `gw-${randomBytes(4).toString('hex')}`
    const gatewayKey = `key-${randomBytes(12).toString('hex')}`
    await t.app.db.insertInto('sites').values({ id: siteId, org_id: DEMO.organization.id, name: 'Sucursal con horario de verano', timezone: zone }).execute()
    await t.app.db.insertInto('gateways').values({ id: gatewayId, org_id: DEMO.organization.id, site_id: siteId, name: gatewayId, key_hash: hashGatewayKey(gatewayKey) }).execute()
    await t.app.db.insertInto('devices').values({ id: 'camara-1', gateway_id: gatewayId, site_id: siteId, name: 'Cámara', kind: 'cold_room' }).execute()
    const dst = { gatewayId, gatewayKey, nextSeq: 1 }
    const events: ((seq: number) => LogEvent)[] = []
    // Every 5 minutes from the day's first instant to its last, and one each side outside it.
    for (let time = from - 5 * MIN; time <= to; time += 5 * MIN) events.push((seq) => telemetryEvent(seq, { temperature_c: 4 }, time))
    await send(t, dst, events)

    const r = (await report(`date=${date}`, siteId)).json()
    expect(r).toMatchObject({ timezone: zone, from, to })
    expect(r.fridges[0]).toMatchObject({ verdict: 'ok', readings: (to - from) / (5 * MIN), expected: (to - from) / (5 * MIN), coveragePct: 100, gaps: [] })
  })

  it('answers 404 for an unknown site or device, 400 for a device that is no fridge or a day not begun', async () => {
    expect((await report(`date=${day1}`, randomUUID())).json().error.code).toBe('SITE_NOT_FOUND')
    const unknown = await report(`date=${day1}&deviceId=no-existe`)
    expect([unknown.statusCode, unknown.json().error.code]).toEqual([404, 'REPORT_DEVICE_NOT_FOUND'])
    const oven = await report(`date=${day1}&deviceId=horno-pan`)
    expect([oven.statusCode, oven.json().error.code]).toEqual([400, 'REPORT_NOT_COLD_DEVICE'])
    const future = await report(`date=${dateIn(now + 3 * DAY, BA)}`)
    expect([future.statusCode, future.json().error.code]).toEqual([400, 'REPORT_BAD_DATE'])
    expect((await report('date=2026-02-30')).json().error.code).toBe('REPORT_BAD_DATE')
    expect((await report('format=xls')).statusCode).toBe(400)
  })

  it("lets a mall operator's staff read the report of a site shared with it for telemetry, until the grant is revoked", async () => {
    const operatorId = randomUUID()
    await t.app.db.insertInto('organizations').values({ id: operatorId, name: 'Shopping Norte', kind: 'operator', require_admin_totp: false }).execute()
    const email = `operador.${randomBytes(3).toString('hex')}@tendero.test`
    await t.app.db.insertInto('users').values({ org_id: operatorId, email, name: 'Operador', password_hash: await hashPassword('una-clave-larga-1'), role: 'operator', locale: 'es-AR' }).execute()
    const login = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email, password: 'una-clave-larga-1' }, remoteAddress: '10.7.7.7' })
    const operator = login.json().token as string
    const url = `/api/sites/${DEMO.site.id}/reports/cold-chain?date=${day1}&deviceId=camara-1`
    expect((await get(url, operator)).json().error.code).toBe('SITE_NOT_FOUND')

    const grant = await t.app.inject({ method: 'POST', url: '/api/grants', headers: { authorization: `Bearer ${token}` },
      payload: { granteeOrgId: operatorId, siteId: DEMO.site.id, scopes: ['telemetry.read'] } })
    expect(grant.statusCode, grant.body).toBe(201)
    const shared = await get(url, operator)
    expect(shared.statusCode, shared.body).toBe(200)
    expect(shared.json().fridges[0].verdict).toBe('excursion')

    await t.app.inject({ method: 'DELETE', url: `/api/grants/${grant.json().id}`, headers: { authorization: `Bearer ${token}` } })
    expect((await get(url, operator)).json().error.code).toBe('SITE_NOT_FOUND')
  })

  it('reports today up to now, marked partial', async () => {
    const r = (await report('deviceId=camara-1')).json()
    expect(r).toMatchObject({ date: dateIn(Date.now(), BA), partial: true })
    expect(r.generatedAt).toBeGreaterThanOrEqual(now)
  })

  it('keeps a cold band on the device registry, checked, and back to the default with null', async () => {
    const url = `/api/gateways/${gw.gatewayId}/devices/freezer-hielo`
    const patch = (payload: object) => t.app.inject({ method: 'PATCH', url, headers: { authorization: `Bearer ${token}` }, payload })
    const bad = await patch({ coldBand: { minC: -10, maxC: -20 } })
    expect([bad.statusCode, bad.json().error.code]).toEqual([400, 'DEVICE_BAD_COLD_BAND'])
    expect((await patch({ coldBand: { minC: -25, maxC: -12 } })).json().coldBand).toEqual({ minC: -25, maxC: -12 })
    expect((await get(url)).json().coldBand).toEqual({ minC: -25, maxC: -12 })
    expect((await patch({ coldBand: null })).json().coldBand).toBeNull()
    const f = (await report(`date=${day1}&deviceId=freezer-hielo`)).json().fridges[0]
    expect(f.band).toEqual({ minC: null, maxC: -18, origin: 'default' })
  })
})

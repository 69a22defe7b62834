import type { FastifyInstance } from 'fastify'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { LogEvent } from '@tendero/protocol'
import { buildApp } from '../src/app.js'
import { ensurePartitions, maintainPartitions, monthStart, partitionName } from '../src/modules/telemetry/partitions.js'
import telemetryRoutes from '../src/modules/telemetry/routes.js'
import { DEMO } from '../src/seed.js'
import { addDemoGateway, addOrganization, ingest, loginDemo, rollupEvent, telemetryEvent, testConfig } from './support/app.js'
import { createTestDatabase, testDrivers, type TestDatabase } from './support/drivers.js'
import { parseCsv } from './support/csv.js'

const DAY_MS = 24 * 3600_000
const MINUTE_MS = 60_000
const HOUR_MS = 3_600_000

/** The app with the telemetry routes, registered here until app.ts registers them itself. */
async function buildTelemetryApp(testDb: TestDatabase): Promise<FastifyInstance> {
  const app = await buildApp(testConfig(testDb.database))
  if (!app.hasRoute({ method: 'GET', url: '/api/sites/:siteId/series' })) {
    await app.register(telemetryRoutes, { prefix: '/api', retentionDays: 400 })
  }
  await app.ready()
  return app
}

/** Where each of a gateway's rows is stored: partition name → rows. */
async function rowsByPartition(app: FastifyInstance, gatewayId: string): Promise<Record<string, number>> {
  const { rows } = await sql<{ part: string; n: number | string }>`
    select tableoid::regclass::text as part, count(*) as n from telemetry where gateway_id = ${gatewayId} group by 1`.execute(app.db)
  return Object.fromEntries(rows.map((r) => [r.part, Number(r.n)]))
}

async function attachedPartitions(app: FastifyInstance): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`
    select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
    where i.inhparent = 'telemetry'::regclass order by 1`.execute(app.db)
  return rows.map((r) => r.name)
}

interface Expected {
  time: number
  min: number
  avg: number
  max: number
  count: number
}

/** Buckets computed here from the raw points, each weighted by the readings it stands for. */
function expectedBuckets(points: { time: number; value: number; min: number; max: number; count: number }[], bucketMs: number): Expected[] {
  const buckets = new Map<number, { min: number; max: number; sum: number; count: number }>()
  for (const p of points) {
    const start = Math.floor(p.time / bucketMs) * bucketMs
    const b = buckets.get(start) ?? { min: Infinity, max: -Infinity, sum: 0, count: 0 }
    b.min = Math.min(b.min, p.min)
    b.max = Math.max(b.max, p.max)
    b.sum += p.value * p.count
    b.count += p.count
    buckets.set(start, b)
  }
  return [...buckets.entries()].sort(([a], [b]) => a - b)
    .map(([time, b]) => ({ time, min: b.min, avg: b.sum / b.count, max: b.max, count: b.count }))
}

describe.each(testDrivers())('telemetry partitions and charts on %s', (driver) => {
  let testDb: TestDatabase
  let app: FastifyInstance
  let token: string

  beforeAll(async () => {
    testDb = await createTestDatabase(driver)
    app = await buildTelemetryApp(testDb)
    token = await loginDemo(app)
  })
  afterAll(async () => {
    await app?.close()
    await testDb?.drop()
  })

  const get = (url: string, auth = token) => app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${auth}` } })

  it('creates this month and the next at startup, and a past month on demand when ingest needs it', async () => {
    const now = Date.now()
    const partitions = await attachedPartitions(app)
    expect(partitions).toContain('telemetry_default')
    expect(partitions).toContain(partitionName(now))
    expect(partitions).toContain(partitionName(monthStart(now) + 40 * DAY_MS))

    const old = monthStart(now) - 70 * DAY_MS
    expect(partitions).not.toContain(partitionName(old))
    const { gatewayId, gatewayKey } = await addDemoGateway(app)
    const res = await ingest(app, gatewayKey, gatewayId, [
      telemetryEvent(1, { temperature_c: 4.1, humidity_pct: 80 }, now - 60_000),
      telemetryEvent(2, { temperature_c: 3.9 }, old),
    ])
    expect(res.json()).toMatchObject({ ackSeq: 2, stored: 2 })
    expect(await attachedPartitions(app)).toContain(partitionName(old))
    expect(await rowsByPartition(app, gatewayId)).toEqual({ [partitionName(now - 60_000)]: 2, [partitionName(old)]: 1 })
  })

  it('lets gateways that need the same new month at once all store their batches', async () => {
    const month = monthStart(Date.now()) - 130 * DAY_MS
    expect(await attachedPartitions(app)).not.toContain(partitionName(month))
    const gateways = await Promise.all([1, 2, 3, 4].map(() => addDemoGateway(app)))
    const replies = await Promise.all(gateways.map(({ gatewayId, gatewayKey }) => ingest(app, gatewayKey, gatewayId,
      Array.from({ length: 50 }, (_, i) => telemetryEvent(i + 1, { temperature_c: i }, month + DAY_MS + i * 1000)))))
    expect(replies.map((r) => r.statusCode)).toEqual([200, 200, 200, 200])
    // A creation that had to wait gives up and leaves its rows in the default partition; maintenance moves them.
    await maintainPartitions(app.db, 400)
    for (const { gatewayId } of gateways) {
      expect(await rowsByPartition(app, gatewayId)).toEqual({ [partitionName(month)]: 50 })
    }
  })

  it('keeps a row no month covers in the default partition, queryable, and maintenance moves it to its month', async () => {
    const { gatewayId } = await addDemoGateway(app)
    const time = monthStart(Date.now()) - 100 * DAY_MS
    expect(await attachedPartitions(app)).not.toContain(partitionName(time))
    // Written straight to the table, as a row would be when its month could not be created.
    await sql`insert into telemetry (site_id, gateway_id, device_id, metric, time, value, seq)
      values (${DEMO.site.id}, ${gatewayId}, 'horno-1', 'temperature_c', epoch_ms_to_timestamptz(${time}::int8), 181.5, 1)`.execute(app.db)
    expect(await rowsByPartition(app, gatewayId)).toEqual({ telemetry_default: 1 })

    const url = `/api/sites/${DEMO.site.id}/series?deviceId=horno-1&metric=temperature_c&from=${time - 1}&to=${time + 1}&resolution=raw`
    await expect(get(url).then((r) => r.json().items)).resolves.toEqual([{ time, min: 181.5, avg: 181.5, max: 181.5, count: 1 }])

    const result = await maintainPartitions(app.db, 400)
    expect(result.created).toContain(partitionName(time))
    expect(await rowsByPartition(app, gatewayId)).toEqual({ [partitionName(time)]: 1 })
    await expect(get(url).then((r) => r.json().items)).resolves.toEqual([{ time, min: 181.5, avg: 181.5, max: 181.5, count: 1 }])
  })

  it('retention drops whole months older than the retention, and old rows of the default partition, nothing newer', async () => {
    const { gatewayId } = await addDemoGateway(app)
    const now = Date.now()
    const expired = now - 430 * DAY_MS
    const kept = now - 380 * DAY_MS
    await ensurePartitions(app.db, [monthStart(expired), monthStart(kept)])
    const insert = (seq: number, time: number) => sql`insert into telemetry (site_id, gateway_id, device_id, metric, time, value, seq)
      values (${DEMO.site.id}, ${gatewayId}, 'camara-1', 'temperature_c', epoch_ms_to_timestamptz(${time}::int8), 4, ${seq})`.execute(app.db)
    await insert(1, expired)
    await insert(2, kept)
    // No partition for these: both land in the default one; only the older goes.
    await insert(3, now - 500 * DAY_MS)
    expect((await rowsByPartition(app, gatewayId)).telemetry_default).toBe(1)

    const result = await maintainPartitions(app.db, 400, now)
    expect(result.dropped).toContain(partitionName(expired))
    expect(result.dropped).not.toContain(partitionName(kept))
    expect(result.deletedFromDefault).toBe(1)
    const partitions = await attachedPartitions(app)
    expect(partitions).not.toContain(partitionName(expired))
    expect(partitions).toContain(partitionName(kept))
    expect(partitions).toContain(partitionName(now))
    expect(await rowsByPartition(app, gatewayId)).toEqual({ [partitionName(kept)]: 1 })
    // A month that ends after the cutoff stays even though it started before it.
    expect(result.dropped.every((name) => name < partitionName(now - 400 * DAY_MS))).toBe(true)
  })

  it('downsamples to 1-minute and 1-hour buckets with the min, avg, max and count of the raw readings', async () => {
    const { gatewayId, gatewayKey } = await addDemoGateway(app)
    const deviceId = 'camara-series'
    const start = Math.floor((Date.now() - 5 * HOUR_MS) / HOUR_MS) * HOUR_MS
    let seed = 42
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
    const events: LogEvent[] = []
    const points: { time: number; value: number; min: number; max: number; count: number }[] = []
    for (let i = 0; i < 3 * 180; i++) {
      const time = start + i * 20_000 + Math.floor(random() * 1000)
      const value = Math.round((2 + random() * 4) * 100) / 100
      events.push({ ...telemetryEvent(i + 1, { temperature_c: value, door_open: i % 2 }, time), deviceId })
      points.push({ time, value, min: value, max: value, count: 1 })
    }
    // A minute the gateway folded into a rollup: it weighs 30 readings in the averages.
    const rollupAt = start + 2 * HOUR_MS + 30 * MINUTE_MS + 5_000
    events.push(rollupEvent(events.length + 1, deviceId, rollupAt, { temperature_c: 1.5 }, { temperature_c: 3 }, { temperature_c: 7.25 }, 30))
    points.push({ time: rollupAt, value: 3, min: 1.5, max: 7.25, count: 30 })
    for (let i = 0; i < events.length; i += 200) {
      const res = await ingest(app, gatewayKey, gatewayId, events.slice(i, i + 200))
      expect(res.statusCode).toBe(200)
    }
    points.sort((a, b) => a.time - b.time)
    const from = start
    const to = start + 3 * HOUR_MS
    const base = `/api/sites/${DEMO.site.id}/series?deviceId=${deviceId}&metric=temperature_c&from=${from}&to=${to}`
    const close = (actual: Expected[], expected: Expected[]) => {
      expect(actual.map((p) => [p.time, p.min, p.max, p.count])).toEqual(expected.map((p) => [p.time, p.min, p.max, p.count]))
      actual.forEach((p, i) => expect(p.avg).toBeCloseTo(expected[i]!.avg, 9))
    }

    const minute = await get(`${base}&resolution=1m`)
    expect(minute.statusCode).toBe(200)
    expect(minute.json()).toMatchObject({ resolution: '1m', truncated: false, deviceId, metric: 'temperature_c', from, to })
    close(minute.json().items, expectedBuckets(points, MINUTE_MS))
    expect(minute.json().items).toHaveLength(180)

    const hour = await get(`${base}&resolution=1h`)
    close(hour.json().items, expectedBuckets(points, HOUR_MS))
    expect(hour.json().items.map((p: Expected) => p.count)).toEqual([180, 180, 210])

    const raw = await get(`${base}&resolution=raw&limit=100`)
    expect(raw.json()).toMatchObject({ resolution: 'raw', truncated: true })
    expect(raw.json().items).toEqual(points.slice(0, 100).map((p) => ({ time: p.time, min: p.min, avg: p.value, max: p.max, count: p.count })))

    // auto: three hours → 1-minute buckets, an hour → raw, a week → 1-hour buckets.
    expect((await get(base)).json().resolution).toBe('1m')
    expect((await get(`${base.replace(`to=${to}`, `to=${from + HOUR_MS}`)}`)).json().resolution).toBe('raw')
    expect((await get(`${base.replace(`from=${from}`, `from=${to - 7 * DAY_MS}`)}`)).json().resolution).toBe('1h')
  })

  it('refuses a range that ends before it starts, or too many buckets, naming the problem', async () => {
    const base = `/api/sites/${DEMO.site.id}/series?deviceId=camara-1&metric=temperature_c`
    const backwards = await get(`${base}&from=2000&to=1000`)
    expect(backwards.statusCode).toBe(400)
    expect(backwards.json().error).toMatchObject({ code: 'TELEMETRY_BAD_RANGE' })
    expect(backwards.json().error.message).toMatch(/from .* before to/)
    const huge = await get(`${base}&from=0&to=${365 * DAY_MS}&resolution=1m`)
    expect(huge.statusCode).toBe(400)
    expect(huge.json().error.message).toMatch(/resolution 1m/)
    expect((await get(`${base}&resolution=5m`)).statusCode).toBe(400)
  })

  it('exports CSV with a header, UTC and site-local times, and quotes commas, quotes and line breaks', async () => {
    const { gatewayId, gatewayKey } = await addDemoGateway(app)
    const deviceId = 'camara-csv'
    const name = 'Cámara "norte", fila 1\nabajo'
    await app.db.insertInto('devices').values({ id: deviceId, gateway_id: gatewayId, site_id: DEMO.site.id, name, kind: 'cold_room' }).execute()
    // A month back, on a whole second plus 250 ms: the times keep their milliseconds.
    const t1 = Math.floor((Date.now() - 30 * DAY_MS) / 1000) * 1000 + 250
    await ingest(app, gatewayKey, gatewayId, [
      { ...telemetryEvent(1, { temperature_c: -1.25, door_open: 1 }, t1), deviceId },
      { ...telemetryEvent(2, { temperature_c: 3 }, t1 + 1000), deviceId },
    ])
    const res = await get(`/api/sites/${DEMO.site.id}/telemetry.csv?deviceId=${deviceId}&from=${t1 - 1000}&to=${t1 + 2000}`)
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8')
    const day = (ms: number) => new Date(ms).toISOString().slice(0, 10)
    expect(res.headers['content-disposition']).toBe(`attachment; filename="telemetria-${day(t1 - 1000)}-${day(t1 + 2000)}.csv"`)
    expect(res.body.startsWith('\uFEFF')).toBe(true)
    expect(res.body).toContain('"Cámara ""norte"", fila 1\nabajo"')
    const rows = parseCsv(res.body.slice(1))
    expect(rows[0]).toEqual(['hora_utc', 'hora_local', 'zona_horaria', 'dispositivo_id', 'dispositivo', 'metrica', 'valor',
      'minimo', 'maximo', 'muestras'])
    const local = (ms: number) => new Date(ms - 3 * HOUR_MS).toISOString().slice(0, 23)
    expect(rows.slice(1)).toEqual([
      [new Date(t1).toISOString(), local(t1), DEMO.site.timezone, deviceId, name, 'door_open', '1', '', '', ''],
      [new Date(t1).toISOString(), local(t1), DEMO.site.timezone, deviceId, name, 'temperature_c', '-1.25', '', '', ''],
      [new Date(t1 + 1000).toISOString(), local(t1 + 1000), DEMO.site.timezone, deviceId, name, 'temperature_c', '3', '', '', ''],
    ])
  })

  it('pages a long export without losing or repeating a row', async () => {
    const { gatewayId, gatewayKey } = await addDemoGateway(app)
    const deviceId = 'camara-larga'
    const start = Date.now() - 2 * DAY_MS
    const events = Array.from({ length: 6000 }, (_, i) => ({ ...telemetryEvent(i + 1, { temperature_c: i }, start + i * 1000), deviceId }))
    for (let i = 0; i < events.length; i += 1000) await ingest(app, gatewayKey, gatewayId, events.slice(i, i + 1000))
    const res = await get(`/api/sites/${DEMO.site.id}/telemetry.csv?deviceId=${deviceId}&from=${start}&to=${start + DAY_MS}`)
    const rows = parseCsv(res.body.slice(1)).slice(1)
    expect(rows.map((r) => Number(r[6]))).toEqual(events.map((_, i) => i))
  })

  it("answers 404 for another organization's site, and 401 without a token", async () => {
    const other = await addOrganization(app)
    await ingest(app, other.gatewayKey, other.gatewayId, [telemetryEvent(1, { temperature_c: 9 })])
    for (const url of [
      `/api/sites/${other.siteId}/series?deviceId=camara-1&metric=temperature_c`,
      `/api/sites/${other.siteId}/telemetry.csv`,
      `/api/sites/not-a-uuid/telemetry.csv`,
    ]) {
      const res = await get(url)
      expect(res.statusCode).toBe(404)
      expect(res.json().error.code).toBe('SITE_NOT_FOUND')
    }
    expect((await app.inject({ method: 'GET', url: `/api/sites/${DEMO.site.id}/telemetry.csv` })).statusCode).toBe(401)
  })
})

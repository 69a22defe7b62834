import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { DEMO } from '../src/seed.js'
import {
  addDemoGateway,
  addOrganization,
  alarmEvent,
  buildTestApp,
  gapEvent,
  ingest,
  loginDemo,
  rollupEvent,
  telemetryEvent,
  type TestApp,
} from './support/app.js'
import { testDrivers } from './support/drivers.js'

const seqs = (...list: number[]) => list.map((seq) => telemetryEvent(seq, { temperature_c: seq / 10 }))

describe.each(testDrivers())('store-and-forward (absent ranges, rollups, gaps) on %s', (driver) => {
  let t: TestApp
  let token: string
  const get = (url: string) => t.app.inject({ url, headers: { authorization: `Bearer ${token}` } })
  const absentRows = (gatewayId: string) =>
    t.app.db.selectFrom('absent_ranges').select(['from_seq', 'to_seq']).where('gateway_id', '=', gatewayId)
      .orderBy('to_seq').orderBy('from_seq').execute()

  beforeAll(async () => {
    t = await buildTestApp(driver)
    token = await loginDemo(t.app)
  })
  afterAll(async () => {
    await t?.close()
  })

  describe('absent ranges', () => {
    it('let ackSeq pass over them only once every other seq is stored or quarantined', async () => {
      const { gatewayId, gatewayKey } = await addDemoGateway(t.app)
      const first = await ingest(t.app, gatewayKey, gatewayId, seqs(1, 7), { absent: [[3, 5]] })
      expect(first.statusCode).toBe(200)
      expect(first.json()).toMatchObject({ ackSeq: 1, stored: 2 })

      // 2 arrives: the run goes 1, 2, absent 3-5, and stops before the missing 6.
      expect((await ingest(t.app, gatewayKey, gatewayId, seqs(2))).json().ackSeq).toBe(5)
      // 6 arrives quarantined: accounted for as well.
      const poison = { ...telemetryEvent(6, {}), body: { readings: { temperature_c: 'hot' } } }
      expect((await ingest(t.app, gatewayKey, gatewayId, [poison])).json()).toMatchObject({ ackSeq: 7, quarantined: [{ seq: 6 }] })
      const gateway = await t.app.db.selectFrom('gateways').select('ack_seq').where('id', '=', gatewayId).executeTakeFirstOrThrow()
      expect(gateway.ack_seq).toBe(7)
    })

    it('can end at the top of the batch and start below the current ackSeq', async () => {
      const { gatewayId, gatewayKey } = await addDemoGateway(t.app)
      expect((await ingest(t.app, gatewayKey, gatewayId, seqs(1, 2, 3))).json().ackSeq).toBe(3)
      // A range reaching back under the watermark still counts for its part above it.
      const res = await ingest(t.app, gatewayKey, gatewayId, seqs(4, 9), { absent: [[2, 8]] })
      expect(res.json().ackSeq).toBe(9)
    })

    it('walks runs longer than the window it reads at a time, ranges spanning window ends included', async () => {
      const { gatewayId, gatewayKey } = await addDemoGateway(t.app)
      // Seq 2 missing: nothing moves, however much lies stored and absent above it.
      const held = await ingest(t.app, gatewayKey, gatewayId, seqs(1, 3, 9000, 12_000, 12_001),
        { absent: [[4, 8999], [9001, 11_999]] })
      expect(held.json().ackSeq).toBe(1)
      expect((await ingest(t.app, gatewayKey, gatewayId, seqs(2))).json().ackSeq).toBe(12_001)
    })

    it("does not count another gateway's ranges", async () => {
      const a = await addDemoGateway(t.app)
      const b = await addDemoGateway(t.app)
      expect((await ingest(t.app, a.gatewayKey, a.gatewayId, seqs(1, 10), { absent: [[2, 9]] })).json().ackSeq).toBe(10)
      expect((await ingest(t.app, b.gatewayKey, b.gatewayId, seqs(1, 10))).json().ackSeq).toBe(1)
    })

    it('stores duplicate and overlapping ranges once, and answers the same on a resend', async () => {
      const { gatewayId, gatewayKey } = await addDemoGateway(t.app)
      const absent = [[2, 5], [2, 5], [4, 8], [3, 3], [9, 9]]
      const first = await ingest(t.app, gatewayKey, gatewayId, seqs(1, 10), { absent })
      const again = await ingest(t.app, gatewayKey, gatewayId, seqs(1, 10), { absent })
      expect(first.json()).toMatchObject({ ackSeq: 10, stored: 2 })
      expect(again.json()).toMatchObject({ ackSeq: 10, stored: 0, duplicates: 2 })
      expect(await absentRows(gatewayId)).toEqual([
        { from_seq: 3, to_seq: 3 }, { from_seq: 2, to_seq: 5 }, { from_seq: 4, to_seq: 8 }, { from_seq: 9, to_seq: 9 },
      ])
    })

    it('handles a full batch of interleaved single-seq ranges', async () => {
      const { gatewayId, gatewayKey } = await addDemoGateway(t.app)
      // What downsampling leaves: one rollup seq kept, its neighbours gone.
      const events = seqs(...Array.from({ length: 1000 }, (_, i) => 2 * i + 1))
      const absent = Array.from({ length: 999 }, (_, i) => [2 * i + 2, 2 * i + 2])
      const res = await ingest(t.app, gatewayKey, gatewayId, events, { absent })
      expect(res.json()).toMatchObject({ ackSeq: 1999, stored: 1000 })
      // One seq missing in the middle holds the watermark right there.
      const other = await addDemoGateway(t.app)
      const holed = await ingest(t.app, other.gatewayKey, other.gatewayId, events.filter((e) => e.seq !== 901), { absent })
      expect(holed.json().ackSeq).toBe(900)
    })

    it('refuses a bad range with 400 and stores nothing of that batch', async () => {
      const { gatewayId, gatewayKey } = await addDemoGateway(t.app)
      const reversed = await ingest(t.app, gatewayKey, gatewayId, seqs(1, 10), { absent: [[2, 4], [8, 5]] })
      expect(reversed.statusCode).toBe(400)
      expect(reversed.json().error).toEqual({ code: 'INGEST_BAD_ABSENT_RANGE',
        message: 'Bad absent seq range: absent[1]: from 8 is after to 5' })
      const above = await ingest(t.app, gatewayKey, gatewayId, seqs(1, 10), { absent: [[2, 11]] })
      expect(above.statusCode).toBe(400)
      expect(above.json().error.message).toMatch(/to 11 is above the batch's highest seq 10/)
      for (const absent of [[[0, 3]], [[2]], [[2, 3, 4]], [['2', 3]], 'none']) {
        const malformed = await ingest(t.app, gatewayKey, gatewayId, seqs(1, 10), { absent })
        expect(malformed.statusCode, JSON.stringify(absent)).toBe(400)
        expect(malformed.json().error.code).toBe('VALIDATION')
      }
      const stored = await t.app.db.selectFrom('events').select('seq').where('gateway_id', '=', gatewayId).execute()
      expect(stored).toEqual([])
      expect(await absentRows(gatewayId)).toEqual([])
      // The refused requests still count as contact (recorded once the reply is out).
      await vi.waitFor(async () => {
        const gateway = await t.app.db.selectFrom('gateways').select(['last_contact_at', 'last_seen_at', 'ack_seq'])
          .where('id', '=', gatewayId).executeTakeFirstOrThrow()
        expect(gateway).toMatchObject({ last_seen_at: null, ack_seq: 0 })
        expect(gateway.last_contact_at).toBeInstanceOf(Date)
      })
    })
  })

  describe('rollups and gaps', () => {
    it('shows a rollup as a downsampled point (avg with min, max, samples) beside raw points', async () => {
      const { gatewayId, gatewayKey } = await addDemoGateway(t.app)
      const start = Date.now() - 10 * 60_000
      const res = await ingest(t.app, gatewayKey, gatewayId, [
        rollupEvent(1, 'camara-9', start, { temperature_c: 3.5 }, { temperature_c: 4.1 }, { temperature_c: 4.9 }, 58),
        { ...telemetryEvent(3, { temperature_c: 4.4 }, start + 60_000), deviceId: 'camara-9' },
      ], { absent: [[2, 2]] })
      expect(res.json()).toMatchObject({ ackSeq: 3, stored: 2 })
      const points = (await get(`/api/sites/${DEMO.site.id}/telemetry?deviceId=camara-9&from=${start - 1}`)).json().items
      expect(points).toEqual([
        { time: start, deviceId: 'camara-9', metric: 'temperature_c', value: 4.1, min: 3.5, max: 4.9, samples: 58 },
        { time: start + 60_000, deviceId: 'camara-9', metric: 'temperature_c', value: 4.4 },
      ])
    })

    it('stores a gap once, lists it newest first, and filters by window, device and limit', async () => {
      const { gatewayId, gatewayKey } = await addDemoGateway(t.app)
      const now = Date.now()
      const hour = 3_600_000
      const older = gapEvent(2, { reason: 'dropped', fromSeq: 10, toSeq: 20, fromTime: now - 5 * hour, toTime: now - 4 * hour,
        removed: 11, written: 0, devices: ['camara-7'] })
      const newer = gapEvent(3, { reason: 'downsampled', fromSeq: 30, toSeq: 90, fromTime: now - 3 * hour,
        toTime: now - 2 * hour, removed: 58, written: 2, devices: ['camara-8'] })
      const everyone = gapEvent(4, { fromTime: now - 7 * hour, toTime: now - 6 * hour, devices: [] })
      await ingest(t.app, gatewayKey, gatewayId, [alarmEvent(1, 'raised'), older, newer, everyone])
      // Resent: no second row.
      await ingest(t.app, gatewayKey, gatewayId, [older, newer])

      const all = (await get(`/api/sites/${DEMO.site.id}/gaps?from=${now - 8 * hour}`)).json().items
        .filter((g: { gatewayId: string }) => g.gatewayId === gatewayId)
      expect(all.map((g: { seq: number }) => g.seq)).toEqual([3, 2, 4])
      expect(all[0]).toEqual({ gatewayId, seq: 3, reason: 'downsampled', fromSeq: 30, toSeq: 90, fromTime: now - 3 * hour,
        toTime: now - 2 * hour, removed: 58, written: 2, devices: ['camara-8'], recordedAt: newer.time })

      const query = async (q: string) => (await get(`/api/sites/${DEMO.site.id}/gaps?${q}`)).json().items
        .filter((g: { gatewayId: string }) => g.gatewayId === gatewayId).map((g: { seq: number }) => g.seq)
      // Overlapping the window, not contained in it.
      expect(await query(`from=${now - 4.5 * hour}&to=${now - 2.5 * hour}`)).toEqual([3, 2])
      expect(await query(`to=${now - 4.5 * hour}`)).toEqual([2, 4])
      // An empty device list cannot rule a device out.
      expect(await query('deviceId=camara-7')).toEqual([2, 4])
      const limited = (await get(`/api/sites/${DEMO.site.id}/gaps?limit=1`)).json().items
      expect(limited).toHaveLength(1)
      expect((await get(`/api/sites/${DEMO.site.id}/gaps?limit=0`)).statusCode).toBe(400)
      expect((await get(`/api/sites/${DEMO.site.id}/gaps?limit=1001`)).statusCode).toBe(400)
    })

    it('keeps a gap with a suspect time out of the read model but in the raw log', async () => {
      const { gatewayId, gatewayKey } = await addDemoGateway(t.app)
      const future = Date.now() + 24 * 3_600_000
      const res = await ingest(t.app, gatewayKey, gatewayId, [gapEvent(1, { fromTime: future, toTime: future + 60_000 })])
      expect(res.json()).toMatchObject({ ackSeq: 1, stored: 1 })
      const gaps = await t.app.db.selectFrom('data_gaps').select('seq').where('gateway_id', '=', gatewayId).execute()
      expect(gaps).toEqual([])
      const raw = await t.app.db.selectFrom('events').select('kind').where('gateway_id', '=', gatewayId).execute()
      expect(raw).toEqual([{ kind: 'gap' }])
    })

    it("answers 404 SITE_NOT_FOUND for another organization's gaps, and 401 without a token", async () => {
      const other = await addOrganization(t.app)
      await ingest(t.app, other.gatewayKey, other.gatewayId, [gapEvent(1)])
      const res = await get(`/api/sites/${other.siteId}/gaps`)
      expect(res.statusCode).toBe(404)
      expect(res.json().error.code).toBe('SITE_NOT_FOUND')
      expect((await t.app.inject({ url: `/api/sites/${DEMO.site.id}/gaps` })).statusCode).toBe(401)
      // And their gaps never show on ours.
      const ours = (await get(`/api/sites/${DEMO.site.id}/gaps`)).json().items
      expect(ours.filter((g: { gatewayId: string }) => g.gatewayId === other.gatewayId)).toEqual([])
    })
  })
})

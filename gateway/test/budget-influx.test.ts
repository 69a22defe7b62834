/**
 * The disk budget with a dead InfluxDB (a guard cursor like the uplink's): the log thins
 * what InfluxDB lacks, and once a real `influxd` is back the sink writes rollups into the
 * telemetry series and gaps as `data_gap` annotations, and its cursor reaches the end.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { InfluxDB } from 'influx'
import { pino } from 'pino'
import { afterAll, describe, expect, it } from 'vitest'
import type { EventInput } from '../src/log/event-log.js'
import { EventLog } from '../src/log/event-log.js'
import { INFLUX_CURSOR, InfluxSink } from '../src/sinks/influx.js'
import { UPLINK_CURSOR } from '../src/uplink/uploader.js'
import { waitFor } from './harness.js'
import { INFLUXD, haveInfluxd, startInfluxd, type InfluxServer } from './influx-harness.js'

if (!haveInfluxd && process.env.CI === 'true') {
  throw new Error(`CI=true but no influxd at ${INFLUXD}: .ci/run installs Debian's influxdb`)
}

const DATABASE = 'tendero_budget'
const T0 = Math.floor((Date.now() - 2 * 3600_000) / 60_000) * 60_000

describe.skipIf(!haveInfluxd)('disk budget and the InfluxDB sink', () => {
  let server: InfluxServer | undefined
  let sink: InfluxSink | undefined
  let log: EventLog | undefined
  const dir = mkdtempSync(join(tmpdir(), 'tendero-budget-influx-'))

  afterAll(async () => {
    await sink?.stop()
    log?.close()
    await server?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('thins history InfluxDB lacks, then writes rollups and gaps once influxd is back', { timeout: 60_000 }, async () => {
    log = new EventLog({
      path: join(dir, 'log.db'), bootId: 'boot-1', clockSynced: () => true, gatewayId: 'gw-test', maxBatch: 100_000,
      guardCursors: [UPLINK_CURSOR, INFLUX_CURSOR], retention: { maxAgeMs: 0, maxBytes: 256 * 1024, intervalMs: 3_600_000, compactTailRows: 100 },
    })
    const inputs: EventInput[] = []
    for (let s = 0; s < 1800; s++)
      for (const d of ['camara-1', 'camara-2'])
        inputs.push({ kind: 'telemetry', deviceId: d, time: T0 + s * 1000, body: { readings: { temperature_c: (s % 13) - 2, humidity_pct: 70 + (s % 3) } } })
    await log.append(inputs)
    // The cloud has it all; InfluxDB has been down the whole time.
    log.setCursor(UPLINK_CURSOR, log.lastSeq())
    while (log.prune().more);
    const thinned = log.read(0, 100_000)
    const rollups = thinned.filter((e) => e.kind === 'rollup')
    const gaps = thinned.filter((e) => e.kind === 'gap')
    expect(rollups.length).toBeGreaterThan(10)
    expect(gaps.length).toBeGreaterThan(0)

    server = await startInfluxd()
    sink = new InfluxSink({
      url: server.url, database: DATABASE, log, logger: pino({ level: 'silent' }), gatewayId: 'gw-test',
      idleMs: 20, backoffBaseMs: 50, backoffCapMs: 200, batchSize: 500,
    })
    sink.start()
    await waitFor(() => log!.getCursor(INFLUX_CURSOR) === log!.lastSeq(), 20_000)
    expect(sink.status()).toMatchObject({ lastError: null, refusedBatches: 0 })

    const { port } = new URL(server.url)
    const client = new InfluxDB({ host: '127.0.0.1', port: Number(port), database: DATABASE })
    const points = await client.query<{ log_seq: number; temperature_c: number; temperature_c_min: number | null; temperature_c_max: number | null; rollup_count: number | null }>(
      `SELECT log_seq, temperature_c, temperature_c_min, temperature_c_max, rollup_count FROM telemetry`,
      { precision: 'ms' },
    )
    // One point per row of the log: raw readings and rollups in the same series.
    expect(points.map((p) => p.log_seq).sort((a, b) => a - b)).toEqual(thinned.filter((e) => e.kind === 'telemetry' || e.kind === 'rollup').map((e) => e.seq))
    for (const r of rollups) {
      if (r.kind !== 'rollup') continue
      const p = points.find((x) => x.log_seq === r.seq)!
      expect(p).toMatchObject({
        temperature_c: r.body.avg.temperature_c, temperature_c_min: r.body.min.temperature_c, temperature_c_max: r.body.max.temperature_c, rollup_count: r.body.count,
      })
      expect(p.time.getTime()).toBe(r.time)
    }
    const marks = await client.query<{ log_seq: number; reason: string; removed: number }>(`SELECT log_seq, reason, removed FROM data_gap`)
    expect(marks.map((m) => [m.log_seq, m.reason, m.removed]).sort((a, b) => Number(a[0]) - Number(b[0]))).toEqual(
      gaps.map((g) => [g.seq, g.kind === 'gap' ? g.body.reason : '', g.kind === 'gap' ? g.body.removed : 0]),
    )
  })
})

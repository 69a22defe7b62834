/**
 * Ingest into PostgreSQL in points per second (issue 6): how many readings the cloud stores
 * when gateways POST real uplink batches of 1, 100 and 1000 events. Goal: 100,000 points/s
 * on the bench's 2 cores (ThingsBoard publishes 15,000 data points/s on 2 vCPU).
 *
 * - Cloud: a real process (`node --import tsx cloud/src/server.ts`, bench/lib/cloud.ts) on a
 *   fresh PostgreSQL database on 127.0.0.1:5432, created for the run and dropped after; the
 *   telemetry table is the partitioned one (migration 0009).
 * - Load: `--gateways` gateways at once (default 8), each its own identity and seq space,
 *   each with one request in flight, as a gateway's uplink sends. Every batch is an
 *   UplinkBatch of telemetry events shaped like the catch-up backlog (bench/lib/backlog.ts:
 *   200 devices of 4 kinds with 1 to 4 readings each, 2.25 on average); a point is one
 *   reading, one telemetry row. The events are history (an hour old or more), so the cost
 *   measured is storing them, not live pushes.
 * - Rate: points acknowledged by requests that completed inside the measured window (after
 *   a warm-up second), over the window. At the end the table must hold exactly the points
 *   acknowledged.
 *
 * Peer, same run, same database and table, as many connections as gateways: the plain way,
 * one INSERT statement per point through `pg`, autocommit.
 *
 * Also measured, for the choice of query-time downsampling (modules/telemetry/repository.ts):
 * the chart queries over a month of one series at one reading per 10 s (259,200 rows).
 *
 * Options: --seconds S per batch size (BENCH_SECONDS, default 10), --gateways N
 * (BENCH_GATEWAYS, default 8), --sizes 1,100,1000 (BENCH_SIZES: the batch sizes to run),
 * --keep-db (BENCH_KEEP_DB=1).
 */
import { sql } from 'kysely'
import pg from 'pg'
import type { BenchResult } from '../run.js'
import { openDatabase } from '../../cloud/src/plugins/db/database.js'
import { bucketSeries, rawSeries } from '../../cloud/src/modules/telemetry/repository.js'
import { backlogReadings } from '../lib/backlog.js'
import { addGateway, createDatabase, startCloud, DEMO, type BenchDatabase, type CloudProcess } from '../lib/cloud.js'
import { cpuSeconds } from '../lib/processes.js'

const BATCH_SIZES = [1, 100, 1000]
const DEVICES = 200
const WARMUP_MS = 1000
const GATEWAY_KEY = 'bench-cloud-ingest-key-0123456789'
const DAY_MS = 24 * 3600_000

function option(name: string, env: string): string | undefined {
  const args = process.argv.slice(3)
  const i = args.indexOf(`--${name}`)
  if (i >= 0) return args[i + 1] && !args[i + 1]!.startsWith('--') ? args[i + 1] : 'true'
  return process.env[env] || undefined
}

function numberOption(name: string, env: string, fallback: number, min: number): number {
  const raw = option(name, env)
  if (raw === undefined) return fallback
  const n = Number(raw)
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} (${env}): an integer >= ${min}, got "${raw}"`)
  return n
}

function batchSizes(raw: string | undefined): number[] {
  if (raw === undefined) return BATCH_SIZES
  const sizes = raw.split(',').map(Number)
  if (sizes.length === 0 || sizes.some((n) => !Number.isInteger(n) || n < 1 || n > 10_000)) {
    throw new Error(`--sizes (BENCH_SIZES): comma-separated batch sizes from 1 to 10000, got "${raw}"`)
  }
  return sizes
}

const round = (n: number, digits = 0) => Number(n.toFixed(digits))
const fmt = (n: number) => Math.round(n).toLocaleString('en-US')

/** One gateway's stream of telemetry events: device k % 200, each device once a second. */
class EventSource {
  private k = 0
  constructor(private readonly startAt: number) {}

  /** The next batch's JSON body and how many points (readings) it carries. */
  batch(gatewayId: string, size: number): { body: string; points: number } {
    const events = []
    let points = 0
    for (let i = 0; i < size; i++, this.k++) {
      const d = this.k % DEVICES
      const time = this.startAt + Math.floor(this.k / DEVICES) * 1000 + Math.floor((d * 1000) / DEVICES)
      const readings = backlogReadings(d, time / 1000)
      points += Object.keys(readings).length
      events.push({ seq: this.k + 1, kind: 'telemetry', deviceId: `bench-${d}`, time, receivedAt: time + 3,
        bootId: 'bench-cloud-ingest', monoMs: this.k, clockSynced: true, body: { readings } })
    }
    return { body: JSON.stringify({ gatewayId, sentAt: Date.now(), events }), points }
  }
}

interface Window {
  points: number
  /** CPU seconds of the cloud process and of the database's PostgreSQL backends during the run. */
  cloudCpuS: number
  pgCpuS: number
  requests: number
  seconds: number
  /** Every point acknowledged, warm-up included, to check against the table. */
  acknowledged: number
}

/** Each gateway sends its next batch as soon as the previous one is answered, for `seconds`. */
async function runIngest(db: BenchDatabase, cloud: CloudProcess, gateways: { id: string; key: string }[], size: number, seconds: number): Promise<Window> {
  const started = performance.now()
  const windowStart = started + WARMUP_MS
  const windowEnd = windowStart + seconds * 1000
  const window = { points: 0, requests: 0, seconds, acknowledged: 0, cloudCpuS: 0, pgCpuS: 0 }
  const cpu = await cpuMeter(db, cloud.pid)
  await Promise.all(gateways.map(async (gateway) => {
    // History an hour back and older: stored, not pushed live.
    const source = new EventSource(Date.now() - 6 * 3600_000)
    while (performance.now() < windowEnd) {
      const { body, points } = source.batch(gateway.id, size)
      const res = await fetch(`${cloud.url}/api/ingest`, {
        method: 'POST',
        headers: { authorization: `Bearer ${gateway.key}`, 'content-type': 'application/json' },
        body,
      })
      const text = await res.text()
      if (res.status !== 200) throw new Error(`ingest answered ${res.status}: ${text.slice(0, 300)}`)
      const ack = JSON.parse(text) as { stored: number }
      if (ack.stored !== size) throw new Error(`ingest stored ${ack.stored} of ${size} events: ${text.slice(0, 300)}`)
      window.acknowledged += points
      const now = performance.now()
      if (now >= windowStart && now < windowEnd) {
        window.points += points
        window.requests++
      }
    }
  }))
  Object.assign(window, await cpu.used())
  return window
}

/**
 * CPU used from now on by the cloud process and by the PostgreSQL backends of the bench
 * database (the pool's connections, open since startup), from /proc: on a shared 2-core
 * box CPU per point compares better than wall time.
 */
async function cpuMeter(db: BenchDatabase, cloudPid: number) {
  const backends = async () => (await db.query<{ pid: number }>(
    'select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()')).map((r) => r.pid)
  const pids = await backends()
  const pgCpu = (list: number[]) => list.reduce((sum, pid) => sum + cpuSeconds(pid), 0)
  const cloudStart = cpuSeconds(cloudPid)
  const pgStart = pgCpu(pids)
  return {
    async used() {
      // Backends opened during the run count whole; the pool is warm after startup.
      const now = await backends()
      const fresh = now.filter((pid) => !pids.includes(pid))
      return { cloudCpuS: cpuSeconds(cloudPid) - cloudStart, pgCpuS: pgCpu(pids) - pgStart + pgCpu(fresh) }
    },
  }
}

/** The peer: one INSERT per point, autocommit, one connection per gateway, for `seconds`. */
async function runPlainInserts(db: BenchDatabase, connections: number, seconds: number): Promise<Window> {
  const clients = Array.from({ length: connections }, () => new pg.Client({ connectionString: db.url }))
  await Promise.all(clients.map((c) => c.connect()))
  const started = performance.now()
  const windowStart = started + WARMUP_MS
  const windowEnd = windowStart + seconds * 1000
  const window = { points: 0, requests: 0, seconds, acknowledged: 0, cloudCpuS: 0, pgCpuS: 0 }
  try {
    await Promise.all(clients.map(async (client, c) => {
      const gatewayId = `peer-plain-${c}`
      const startAt = Date.now() - 6 * 3600_000
      for (let k = 0; performance.now() < windowEnd; k++) {
        const d = k % DEVICES
        const time = startAt + Math.floor(k / DEVICES) * 1000 + Math.floor((d * 1000) / DEVICES)
        for (const [metric, value] of Object.entries(backlogReadings(d, time / 1000))) {
          await client.query(
            'insert into telemetry (site_id, gateway_id, device_id, metric, time, value, seq) values ($1, $2, $3, $4, $5, $6, $7)',
            [DEMO.site.id, gatewayId, `bench-${d}`, metric, new Date(time), value, k + 1])
          window.acknowledged++
          const now = performance.now()
          if (now >= windowStart && now < windowEnd) {
            window.points++
            window.requests++
          }
        }
      }
    }))
  } finally {
    await Promise.all(clients.map((c) => c.end().catch(() => {})))
  }
  return window
}

/** Median of `runs` timings of `fn`, in ms, after one untimed run. */
async function medianMs(fn: () => Promise<unknown>, runs = 5): Promise<number> {
  await fn()
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    const t = performance.now()
    await fn()
    times.push(performance.now() - t)
  }
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)]!
}

/** A month of one series at one reading per 10 s, then the chart queries over it. */
async function chartQueries(db: BenchDatabase): Promise<BenchResult[]> {
  const to = Date.now() - 60_000
  const from = to - 30 * DAY_MS
  await db.query(`select telemetry_ensure_partition(m) from generate_series(to_timestamp($1 / 1000.0), to_timestamp($2 / 1000.0), interval '1 day') as m`, [from, to])
  await db.query(`
    insert into telemetry (site_id, gateway_id, device_id, metric, time, value, seq)
    select $1, 'bench-chart', 'camara-grafico', 'temperature_c', to_timestamp($2 / 1000.0) + i * interval '10 s', 4 + sin(i / 360.0), i + 1
    from generate_series(0, 259199) as i`, [DEMO.site.id, from])
  await db.query('analyze telemetry')
  const kysely = await openDatabase({ driver: 'postgres', url: db.url })
  try {
    const filter = { siteId: DEMO.site.id, deviceId: 'camara-grafico', metric: 'temperature_c' }
    const month = await medianMs(() => bucketSeries(kysely, { ...filter, from, to }, '1h'))
    const day = await medianMs(() => bucketSeries(kysely, { ...filter, from: to - DAY_MS, to }, '1m'))
    const raw = await medianMs(() => rawSeries(kysely, { ...filter, from: to - 2 * 3600_000, to }, 10_001))
    const { rows: [count] } = await sql<{ n: string }>`select count(*)::text as n from telemetry where gateway_id = 'bench-chart'`.execute(kysely)
    if (Number(count!.n) !== 259_200) throw new Error(`chart series holds ${count!.n} rows, expected 259,200`)
    console.log(`chart queries: month at 1h ${round(month, 1)} ms, day at 1m ${round(day, 1)} ms, 2 h raw ${round(raw, 1)} ms`)
    return [
      { metric: 'chart query, 30 days of one series (259,200 rows) in 1-hour buckets, date_bin at query time', value: round(month, 1), unit: 'ms' },
      { metric: 'chart query, 1 day of one series (8,640 rows) in 1-minute buckets', value: round(day, 1), unit: 'ms' },
      { metric: 'chart query, 2 hours of one series raw (720 rows)', value: round(raw, 1), unit: 'ms' },
    ]
  } finally {
    await kysely.destroy()
  }
}

export async function cloudIngest(): Promise<BenchResult[]> {
  const seconds = numberOption('seconds', 'BENCH_SECONDS', 10, 1)
  const gatewayCount = numberOption('gateways', 'BENCH_GATEWAYS', 8, 1)
  const keepDb = ['1', 'true'].includes(option('keep-db', 'BENCH_KEEP_DB') ?? '')
  const sizes = batchSizes(option('sizes', 'BENCH_SIZES'))
  const db = await createDatabase()
  let cloud: CloudProcess | undefined
  try {
    cloud = await startCloud({ databaseUrl: db.url, gatewayKey: GATEWAY_KEY })
    console.log(`cloud on ${cloud.url}, database ${db.name}; ${gatewayCount} gateways, ${seconds} s per batch size`)

    const peer = await runPlainInserts(db, gatewayCount, seconds)
    const peerRate = peer.points / seconds
    console.log(`peer, plain INSERT per point: ${fmt(peerRate)} points/s`)

    const results: BenchResult[] = []
    for (const size of sizes) {
      const gateways = Array.from({ length: gatewayCount }, (_, i) => ({ id: `bench-b${size}-g${i}`, key: `bench-b${size}-g${i}-key-0123456789` }))
      for (const g of gateways) await addGateway(db, g.id, g.key)
      const run = await runIngest(db, cloud, gateways, size, seconds)
      const [stored] = await db.query<{ n: string }>(`select count(*)::text as n from telemetry where gateway_id like $1`, [`bench-b${size}-g%`])
      if (Number(stored!.n) !== run.acknowledged) {
        throw new Error(`batches of ${size}: the table holds ${stored!.n} points, the cloud acknowledged ${run.acknowledged}`)
      }
      const rate = run.points / seconds
      const cpuPerPoint = ((run.cloudCpuS + run.pgCpuS) * 1e6) / run.acknowledged
      console.log(`batches of ${size}: ${fmt(rate)} points/s (${fmt(run.requests / seconds)} requests/s), ` +
        `${fmt(run.acknowledged)} points stored and checked; CPU per point: cloud ${round((run.cloudCpuS * 1e6) / run.acknowledged, 1)} µs, ` +
        `PostgreSQL ${round((run.pgCpuS * 1e6) / run.acknowledged, 1)} µs`)
      results.push({
        metric: `ingest into PostgreSQL, uplink batches of ${size} event${size === 1 ? '' : 's'} (2.25 points per event), ${gatewayCount} gateways at once`,
        unit: 'points/s',
        value: round(rate),
        peer: `plain INSERT per point through pg, ${gatewayCount} connections, same database and table`,
        peerValue: round(peerRate),
        ratio: round(rate / peerRate, 2),
      })
      results.push({ metric: `CPU per point (cloud process + PostgreSQL backends), uplink batches of ${size}`, value: round(cpuPerPoint, 1), unit: 'µs' })
    }
    const [partitions] = await db.query<{ n: string }>(`select count(*)::text as n from pg_inherits where inhparent = 'telemetry'::regclass`)
    console.log(`telemetry partitions: ${partitions!.n} (months and default)`)
    results.push(...(await chartQueries(db)))
    return results
  } finally {
    await cloud?.stop()
    if (keepDb) {
      console.log(`kept database ${db.url}`)
      await db.close()
    } else await db.drop()
  }
}

/**
 * Socket.IO fan-out (issue 6's benchmark): 1,000 dashboards connected to one cloud, all in
 * the demo site's room, and the p99 latency from the gateway's ingest POST to each of them.
 *
 * - Cloud: a real process (`node --import tsx cloud/src/server.ts`) on a fresh PostgreSQL
 *   database with the demo seed, as bench/lib/cloud.ts starts it; one instance, no Redis.
 * - Dashboards: Socket.IO clients in worker processes (bench/procs/dashboard-clients.ts),
 *   split over `--workers`, so the client side's own event loop does not sit in the path
 *   being measured. Each is authenticated with the demo user's token and joined to the room.
 * - Load: the demo gateway POSTs /api/ingest at a steady rate, one batch of one camara-1
 *   reading at a time (each batch is one live `telemetry` push to the room). The event's own
 *   `time` is the wall clock right before the POST; a client's latency is its arrival time
 *   minus that `time` (same machine, same clock; `time` is whole milliseconds, so latencies
 *   read up to 1 ms high). A warm-up before the measured window is not counted.
 * - Missed: every measured batch must reach every client exactly once.
 *
 * Peer, in the same run, same cloud, database and load: the same path with one dashboard.
 * The ratio is what fanning out to 1,000 sockets costs over delivering to one.
 *
 * Options (after the scenario name, or as environment variables):
 *   --clients N    dashboards (BENCH_CLIENTS, default 1000)
 *   --workers N    client processes (BENCH_WORKERS, default 2)
 *   --rate HZ      ingest batches per second (BENCH_RATE, default 10)
 *   --seconds S    measured window (BENCH_SECONDS, default 30)
 */
import type { BenchResult } from '../run.js'
import type { DashboardClientsInput, DashboardClientsMessage } from '../procs/dashboard-clients.js'
import { createDatabase, startCloud, DEMO } from '../lib/cloud.js'
import { cpuSeconds, forkWorker, sleep, type Worker } from '../lib/processes.js'

const GATEWAY_KEY = 'bench-realtime-fanout-key-0123456789'
const WARMUP_BATCHES = 20
/** After the last batch, stragglers have this long to arrive before the clients stop. */
const DRAIN_MS = 3000
const BOOT_ID = '6f1e2d3c-4b5a-4978-8a1b-2c3d4e5f6a7b'

interface Options {
  clients: number
  workers: number
  rate: number
  seconds: number
}

function option(flag: string, env: string, fallback: number): number {
  const at = process.argv.indexOf(flag)
  const raw = at > 0 ? process.argv[at + 1] : process.env[env]
  const value = raw === undefined || raw === '' ? fallback : Number(raw)
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${flag} (${env}) must be a positive number, got ${raw}`)
  return value
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN
const round = (n: number, digits = 1) => Number(n.toFixed(digits))

interface PhaseResult {
  clients: number
  sorted: number[]
  expected: number
  clientsMissing: number
  missed: number
  duplicates: number
  disconnects: number
  rate: number
  connectMs: number
  cloudCores: number
}

export async function realtimeFanout(): Promise<BenchResult[]> {
  const opts: Options = {
    clients: option('--clients', 'BENCH_CLIENTS', 1000),
    workers: option('--workers', 'BENCH_WORKERS', 2),
    rate: option('--rate', 'BENCH_RATE', 10),
    seconds: option('--seconds', 'BENCH_SECONDS', 30),
  }
  const db = await createDatabase()
  const cloud = await startCloud({ databaseUrl: db.url, gatewayKey: GATEWAY_KEY }).catch(async (err) => {
    await db.drop()
    throw err
  })
  try {
    const token = await login(cloud.url)
    const gateway = ingester(cloud.url)
    const peer = await phase(cloud, token, gateway, { ...opts, clients: 1, workers: 1 })
    console.error(`peer (1 client): p50 ${round(percentile(peer.sorted, 50))} ms, p99 ${round(percentile(peer.sorted, 99))} ms`)
    const main = await phase(cloud, token, gateway, opts)
    return report(main, peer)
  } finally {
    await cloud.stop()
    await db.drop()
  }
}

async function login(url: string): Promise<string> {
  const res = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: DEMO.user.email, password: DEMO.user.password }),
  })
  if (!res.ok) throw new Error(`demo login failed: ${res.status} ${await res.text()}`)
  return ((await res.json()) as { token: string }).token
}

/** The demo gateway uploading one live reading per batch; `time` is unique and increasing. */
function ingester(url: string) {
  let seq = 0
  let lastTime = 0
  return async function send(): Promise<number> {
    const time = Math.max(Date.now(), lastTime + 1)
    lastTime = time
    seq++
    const event = { seq, kind: 'telemetry', deviceId: 'camara-1', time, receivedAt: time, bootId: BOOT_ID, monoMs: seq,
      clockSynced: true, body: { readings: { temperature_c: 4 + (seq % 10) / 10 } } }
    const res = await fetch(`${url}/api/ingest`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${GATEWAY_KEY}` },
      body: JSON.stringify({ gatewayId: DEMO.gateway.id, sentAt: time, events: [event] }),
    })
    if (!res.ok) throw new Error(`ingest answered ${res.status}: ${await res.text()}`)
    return time
  }
}

/** Sends `count` batches on a fixed schedule (the next waits for the previous answer, never for the clients). */
async function steady(send: () => Promise<number>, count: number, rate: number): Promise<{ times: number[]; rate: number }> {
  const period = 1000 / rate
  const start = performance.now()
  const times: number[] = []
  for (let i = 0; i < count; i++) {
    const wait = start + i * period - performance.now()
    if (wait > 0) await sleep(wait)
    times.push(await send())
  }
  return { times, rate: count / ((performance.now() - start) / 1000) }
}

async function phase(cloud: { url: string; pid: number }, token: string, send: () => Promise<number>, opts: Options): Promise<PhaseResult> {
  const perWorker = Math.ceil(opts.clients / opts.workers)
  const workers: Worker<DashboardClientsMessage>[] = []
  for (let w = 0, left = opts.clients; left > 0; w++, left -= perWorker) {
    const input: DashboardClientsInput = { url: cloud.url, token, siteId: DEMO.site.id, clients: Math.min(perWorker, left), concurrency: 25 }
    workers.push(forkWorker<DashboardClientsMessage>('dashboard-clients.ts', input))
  }
  try {
    const ready = await Promise.all(workers.map((w) => w.next<Extract<DashboardClientsMessage, { type: 'ready' }>>('ready', 180_000)))
    const connectMs = Math.max(...ready.map((r) => r.connectMs))
    await steady(send, WARMUP_BATCHES, opts.rate)
    const cpuBefore = cpuSeconds(cloud.pid)
    const wallBefore = performance.now()
    const measured = await steady(send, Math.round(opts.rate * opts.seconds), opts.rate)
    const cloudCores = (cpuSeconds(cloud.pid) - cpuBefore) / ((performance.now() - wallBefore) / 1000)
    await sleep(DRAIN_MS)
    for (const w of workers) w.send({ type: 'stop' })
    const done = await Promise.all(workers.map((w) => w.next<Extract<DashboardClientsMessage, { type: 'done' }>>('done', 120_000)))

    const wanted = new Set(measured.times)
    const latencies: number[] = []
    let clientsMissing = 0
    let missed = 0
    let duplicates = 0
    for (const client of done.flatMap((d) => d.received)) {
      const seen = new Set<number>()
      for (let i = 0; i < client.length; i += 2) {
        const time = client[i]!
        if (!wanted.has(time)) continue
        if (seen.has(time)) duplicates++
        seen.add(time)
        latencies.push(client[i + 1]!)
      }
      const lost = wanted.size - seen.size
      if (lost > 0) clientsMissing++
      missed += lost
    }
    return {
      clients: opts.clients,
      sorted: latencies.sort((x, y) => x - y),
      expected: wanted.size * opts.clients,
      clientsMissing,
      missed,
      duplicates,
      disconnects: done.reduce((sum, d) => sum + d.disconnects, 0),
      rate: measured.rate,
      connectMs,
      cloudCores,
    }
  } finally {
    await Promise.all(workers.map((w) => w.stop()))
  }
}

function report(main: PhaseResult, peer: PhaseResult): BenchResult[] {
  const peerName = 'same cloud, database and ingest rate, 1 dashboard client'
  const withPeer = (metric: string, p: number): BenchResult => {
    const value = round(percentile(main.sorted, p))
    const peerValue = round(percentile(peer.sorted, p))
    return { metric, value, unit: 'ms', peer: peerName, peerValue, ratio: round(value / peerValue, 2) }
  }
  const max = (sorted: number[]) => round(sorted[sorted.length - 1] ?? NaN)
  return [
    { metric: 'connected dashboard clients (one site room)', value: main.clients, unit: 'clients' },
    { metric: `time to connect and join ${main.clients} clients`, value: round(main.connectMs / 1000, 2), unit: 's' },
    { metric: 'ingest rate (one live reading per batch)', value: round(main.rate, 2), unit: 'batches/s' },
    withPeer('ingest POST to client latency p50', 50),
    withPeer('ingest POST to client latency p99', 99),
    { metric: 'ingest POST to client latency max', value: max(main.sorted), unit: 'ms', peer: peerName,
      peerValue: max(peer.sorted), ratio: round(max(main.sorted) / max(peer.sorted), 2) },
    { metric: 'pushes delivered in the measured window', value: main.sorted.length, unit: 'pushes' },
    { metric: 'pushes expected (batches × clients)', value: main.expected, unit: 'pushes' },
    { metric: 'clients that missed at least one push', value: main.clientsMissing, unit: 'clients' },
    { metric: 'pushes missed', value: main.missed, unit: 'pushes' },
    { metric: 'duplicate pushes', value: main.duplicates, unit: 'pushes' },
    { metric: 'client disconnects during the run', value: main.disconnects, unit: 'sockets' },
    { metric: 'cloud process CPU during fan-out', value: round(main.cloudCores, 2), unit: 'cores', peer: peerName,
      peerValue: round(peer.cloudCores, 2), ratio: round(main.cloudCores / peer.cloudCores, 2) },
  ]
}

/**
 * Micro-benchmark of cloud ingest on PostgreSQL, without the gateway: the whole cloud
 * app (body parse, schema, ingest transaction, pushes to one dashboard socket) takes N
 * uplink batches of a catch-up backlog shaped like bench/lib/backlog.ts (200 devices of
 * 4 kinds at 1 Hz, a relay state change per device every 5 minutes), one batch at a time
 * as one gateway sends them.
 *
 *   node --import tsx bench/tools/ingest-bench.ts [--batches 60] [--size 1000]
 *     [--history-s 5000] [--warmup 5] [--keep] [--explain <ms>]
 *
 * Reports events/s and CPU per event of this process (the cloud; requests are built
 * before the clock starts) and of the PostgreSQL backends serving the database. On a
 * shared machine compare CPU per event, not wall time. A fresh database is created on
 * INGEST_BENCH_DATABASE_URL's server (default postgres://postgres@127.0.0.1:5432/test)
 * and dropped at the end unless --keep. --explain has the server log the plan, with
 * actual times, of every statement that takes longer (auto_explain; measure without it).
 */
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { parseArgs } from 'node:util'
import pg from 'pg'
import { buildApp } from '../../cloud/src/app.js'
import { DEMO } from '../../cloud/src/seed.js'
import { backlogReadings as readings } from '../lib/backlog.js'

const { values: args } = parseArgs({
  options: {
    batches: { type: 'string', default: '60' },
    size: { type: 'string', default: '1000' },
    'history-s': { type: 'string', default: '5000' },
    warmup: { type: 'string', default: '5' },
    keep: { type: 'boolean', default: false },
    explain: { type: 'string' },
  },
})
const BATCHES = Number(args.batches)
const SIZE = Number(args.size)
const WARMUP = Number(args.warmup)
/** How far back the first event is: the 1M-event bench backlog spans about 5000 s. */
const HISTORY_MS = Number(args['history-s']) * 1000
const DEVICES = 200
const STATE_EVERY_S = 300
const SERVER = process.env.INGEST_BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test'
const KEY = 'ingest-bench-gateway-key'


/** The backlog as the gateway's uplink sends it: each batch serialized up front. */
function backlogBodies(startAt: number): { bodies: string[]; telemetryRows: number } {
  const bodies: string[] = []
  const counters = new Array<number>(DEVICES).fill(0)
  let events: object[] = []
  let seq = 0
  let telemetryRows = 0
  const flush = () => {
    bodies.push(JSON.stringify({ gatewayId: DEMO.gateway.id, sentAt: Date.now(), events }))
    events = []
  }
  const envelope = (deviceId: string, time: number) =>
    ({ seq: ++seq, deviceId, time, receivedAt: time + 3, bootId: 'ingest-bench-boot', monoMs: time - startAt, clockSynced: true })
  for (let s = 0; bodies.length < BATCHES; s++) {
    const t = startAt + s * 1000
    for (let d = 0; d < DEVICES && bodies.length < BATCHES; d++) {
      const time = t + Math.floor((d * 1000) / DEVICES)
      const values = readings(d, time / 1000)
      telemetryRows += Object.keys(values).length
      events.push({ ...envelope(`bench-${d}`, time), kind: 'telemetry', body: { seq: counters[d]!++, readings: values } })
      if (events.length === SIZE) flush()
      if ((s + d) % STATE_EVERY_S === 0 && bodies.length < BATCHES) {
        events.push({ ...envelope(`bench-${d}`, time), kind: 'state', body: { state: { relay_1: Math.floor((s + d) / STATE_EVERY_S) % 2 === 0 } } })
        if (events.length === SIZE) flush()
      }
    }
  }
  return { bodies, telemetryRows }
}

/** User + system CPU seconds of a process, from /proc (works for PostgreSQL's backends too). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}

async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: SERVER })
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end()
  }
}

/** A dashboard on the site room, in its own process so its CPU is not counted as the cloud's. */
function startDashboardSocket(url: string, token: string): Promise<{ counts(): Promise<Record<string, number>>; stop(): void }> {
  const source = `
    import { io } from 'socket.io-client'
    const socket = io(process.env.URL, { auth: { token: process.env.TOKEN }, transports: ['websocket'] })
    const counts = { telemetry: 0, state: 0, alarm: 0 }
    for (const event of Object.keys(counts)) socket.on(event, () => counts[event]++)
    socket.on('connect', async () => {
      const ack = await socket.emitWithAck('site:join', process.env.SITE)
      process.send({ joined: ack })
    })
    process.on('message', () => process.send({ counts }))
  `
  const child = spawn(process.execPath, ['--input-type=module', '-e', source], {
    env: { ...process.env, URL: url, TOKEN: token, SITE: DEMO.site.id },
    cwd: new URL('..', import.meta.url).pathname,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('message', (m: { joined?: { ok: boolean } }) => {
      if (!m.joined?.ok) return reject(new Error(`dashboard socket could not join: ${JSON.stringify(m)}`))
      resolve({
        counts: () =>
          new Promise((res) => {
            child.once('message', (msg: { counts: Record<string, number> }) => res(msg.counts))
            child.send('counts')
          }),
        stop: () => child.kill(),
      })
    })
  })
}

async function main() {
  const name = `tendero_ingest_bench_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`
  await withAdmin(async (c) => {
    await c.query(`create database ${name}`)
    if (args.explain === undefined) return
    await c.query(`alter database ${name} set session_preload_libraries = 'auto_explain'`)
    await c.query(`alter database ${name} set auto_explain.log_min_duration = '${Number(args.explain)}ms'`)
    await c.query(`alter database ${name} set auto_explain.log_analyze = ${Number(args.explain) > 0 ? 'on' : 'off'}`)
  })
  const url = new URL(SERVER)
  url.pathname = `/${name}`
  const observer = new pg.Client({ connectionString: url.toString() })
  const app = await buildApp({
    port: 0,
    host: '127.0.0.1',
    database: { driver: 'postgres', url: url.toString() },
    dataDir: '/nonexistent',
    jwtSecret: randomBytes(32).toString('hex'),
    dashboardDir: '/nonexistent/dashboard',
    demoGatewayKey: KEY,
    seedDemo: true,
    logLevel: 'warn',
    // A tool that sends back-to-back batches: no budget of the production defaults applies.
    rateLimits: { readPerMin: 0, writePerMin: 0, publicPerMin: 0, gatewayPerMin: 0 },
  })
  let dashboard: Awaited<ReturnType<typeof startDashboardSocket>> | undefined
  try {
    await app.listen({ port: 0, host: '127.0.0.1' })
    await observer.connect()
    const login = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: DEMO.user.email, password: DEMO.user.password } })
    dashboard = await startDashboardSocket(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, login.json().token)

    const startAt = Date.now() - HISTORY_MS
    const { bodies, telemetryRows } = backlogBodies(startAt)
    const headers = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }
    const backends = async () =>
      (await observer.query<{ pid: number }>(`select pid from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()`, [name])).rows.map((r) => r.pid)
    const pgCpu = (pids: number[]) => pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0)

    let measured = { events: 0, startedAt: 0, cpu: process.cpuUsage(), pids: [] as number[], pg: 0 }
    for (const [i, payload] of bodies.entries()) {
      if (i === WARMUP) {
        const pids = await backends()
        measured = { events: 0, startedAt: performance.now(), cpu: process.cpuUsage(), pids, pg: pgCpu(pids) }
      }
      const res = await app.inject({ method: 'POST', url: '/api/ingest', headers, payload })
      if (res.statusCode !== 200) throw new Error(`batch ${i}: ${res.statusCode} ${res.body}`)
      const ack = res.json() as { stored: number; ackSeq: number }
      if (i >= WARMUP) measured.events += ack.stored
    }
    const wallS = (performance.now() - measured.startedAt) / 1000
    const cpu = process.cpuUsage(measured.cpu)
    const cloudCpuS = (cpu.user + cpu.system) / 1e6
    const pids = await backends()
    if (pids.some((pid) => !measured.pids.includes(pid))) console.warn('warning: new PostgreSQL backends appeared while measuring; their CPU before is counted')
    const pgCpuS = pgCpu(pids) - measured.pg

    const [counts] = (await observer.query<{ events: string; telemetry: string; ack: string }>(
      `select (select count(*) from events) as events, (select count(*) from telemetry) as telemetry,
              (select ack_seq from gateways where id = $1) as ack`, [DEMO.gateway.id])).rows
    // Let the last pushes reach the socket before counting them.
    await new Promise((r) => setTimeout(r, 500))
    const pushes = await dashboard.counts()
    const perEvent = (s: number) => ((s * 1e6) / measured.events).toFixed(1)
    console.log(
      `${measured.events} events measured (${BATCHES - WARMUP} batches of ${SIZE}), history from ${HISTORY_MS / 1000} s ago\n` +
        `  ${Math.round(measured.events / wallS)} events/s wall\n` +
        `  cloud CPU ${perEvent(cloudCpuS)} µs/event, PostgreSQL backends ${perEvent(pgCpuS)} µs/event\n` +
        `  stored: ${counts!.events} events, ${counts!.telemetry} telemetry rows (expected ${telemetryRows}), ack ${counts!.ack}\n` +
        `  pushes received: ${JSON.stringify(pushes)}`,
    )
  } finally {
    dashboard?.stop()
    await observer.end().catch(() => {})
    await app.close()
    if (args.keep) console.log(`kept database ${url}`)
    else await withAdmin((c) => c.query(`drop database if exists ${name} with (force)`))
  }
}

await main()

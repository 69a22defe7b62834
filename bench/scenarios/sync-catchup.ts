/**
 * Catch-up after an outage, end to end (issue 4's benchmark): the gateway's log holds a
 * backlog of 1,000,000 events the cloud has not seen, the link comes back, and the gateway
 * drains it into the cloud on PostgreSQL while the shop keeps running.
 *
 * - Backlog: written straight into the gateway's SQLite log with its own EventLog before
 *   it starts (bench/lib/backlog.ts): 200 devices at 1 Hz over the last hours, telemetry
 *   plus a relay state change per device every 5 minutes; `uplink` cursor at 0.
 * - Cloud: a real process (`node --import tsx cloud/src/server.ts`) on a fresh PostgreSQL
 *   database, with the demo seed; a dashboard socket logged in and joined to the site.
 * - Gateway: the production bundle, behind a TCP relay that plays the WAN link
 *   (bench/lib/gate.ts): it is held closed while live traffic starts, then opened; the
 *   drain clock starts there.
 * - Live traffic throughout: the same 200 devices publishing QoS 1 telemetry at 1 Hz
 *   each, and one more device, `bench-alarm`, crossing a threshold rule with an alarm
 *   every 250 ms (a reading above it, then 100 ms later one below it, which clears it).
 *   Alarm latency is from the MQTT publish to the dashboard socket's `alarm` push, both
 *   timed in this process; each push is matched to its reading by the value it carries.
 * - Drained: the cloud's ack watermark (gateways.ack_seq, polled every 200 ms) reaches
 *   the backlog's last seq.
 *
 * Peer, in the same run, against the same cloud and database, with Tendero's live traffic
 * still flowing and the dashboard still open: the upload strategy most edge platforms ship
 * (bench/procs/naive-uplink.ts), strictly oldest first with a fixed batch and one request
 * at a time, as its own gateway identity reading a copy of the same backlog. It runs for
 * a time slice only (default 15 s), and its drain time is extrapolated from its rate;
 * its live alarm latency is at least that drain time, since a live alarm is queued behind
 * the whole backlog. Both extrapolations are labelled as such.
 *
 * Options (after the scenario name, or as environment variables):
 *   --events N        backlog size (BENCH_EVENTS, default 1,000,000)
 *   --timeout S       give up draining after S seconds (BENCH_TIMEOUT_S, default 600)
 *   --peer-seconds S  time slice per peer strategy, 0 skips them (BENCH_PEER_SECONDS, default 15)
 *   --keep-db         keep the PostgreSQL database for profiling (BENCH_KEEP_DB=1)
 *   --cloud-log FILE  the cloud's pino log at info level, one line per request with its
 *                     responseTime (BENCH_CLOUD_LOG)
 *   --cpu-prof DIR    V8 CPU profiles of the cloud and the gateway into DIR/cloud and DIR/gateway,
 *                     one file per thread (BENCH_CPU_PROF)
 * and `--note TEXT` (bench/run.ts) stores a note with the results, e.g. "smoke run".
 */
import { copyFileSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import type { Socket as NetSocket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mqtt, { type MqttClient } from 'mqtt'
import type { Socket } from 'socket.io-client'
import type { BenchResult } from '../run.js'
import type { PublisherDone } from '../procs/publisher.js'
import type { NaiveUplinkDone, NaiveUplinkInput } from '../procs/naive-uplink.js'
import { writeBacklog, type Backlog } from '../lib/backlog.js'
import { addGateway, createDatabase, openDashboardSocket, startCloud, DEMO, type BenchDatabase, type CloudProcess } from '../lib/cloud.js'
import { startGate, type Gate } from '../lib/gate.js'
import { startPublishers } from '../lib/load.js'
import { cpuSeconds, forkWorker, sleep, startGateway, type GatewayProcess, type Worker } from '../lib/processes.js'
import { BENCH_PASSWORD, benchPasswordHash, benchSite } from '../lib/site.js'

const LIVE_DEVICES = 200
const LIVE_RATE = 200
const ALARM_DEVICE = 'bench-alarm'
const ALARM_RULE = 'bench-alarm-high'
const ALARM_ID = `${ALARM_RULE}:${ALARM_DEVICE}`
const ALARM_PERIOD_MS = 250
const CLEAR_AFTER_MS = 100
/** Live traffic runs this long before the link comes back, and this long after the drain. */
const WARMUP_MS = 3000
const AFTER_MS = 5000
/** The gate must open before the uplink's first request times out (15 s). */
const MAX_CLOSED_MS = 10_000
const PEER_BATCHES = [1, 50]
const GATEWAY_KEY = 'bench-sync-catchup-key-0123456789'

export interface SyncCatchupOptions {
  events: number
  timeoutS: number
  peerSeconds: number
  keepDb: boolean
  cloudLog?: string
  cpuProfDir?: string
}

function option(name: string, env: string): string | undefined {
  const args = process.argv.slice(3)
  const i = args.indexOf(`--${name}`)
  if (i >= 0) return args[i + 1] && !args[i + 1]!.startsWith('--') ? args[i + 1] : 'true'
  return process.env[env] || undefined
}

function numberOption(name: string, env: string, fallback: number, min: number): number {
  const raw = option(name, env)
  if (raw === undefined) return fallback
  const n = Number(raw.replace(/_/g, ''))
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} (${env}): an integer >= ${min}, got "${raw}"`)
  return n
}

export function syncCatchupOptions(): SyncCatchupOptions {
  return {
    events: numberOption('events', 'BENCH_EVENTS', 1_000_000, 1000),
    timeoutS: numberOption('timeout', 'BENCH_TIMEOUT_S', 600, 10),
    peerSeconds: numberOption('peer-seconds', 'BENCH_PEER_SECONDS', 15, 0),
    keepDb: ['1', 'true'].includes(option('keep-db', 'BENCH_KEEP_DB') ?? ''),
    ...(option('cloud-log', 'BENCH_CLOUD_LOG') ? { cloudLog: option('cloud-log', 'BENCH_CLOUD_LOG')! } : {}),
    ...(option('cpu-prof', 'BENCH_CPU_PROF') ? { cpuProfDir: option('cpu-prof', 'BENCH_CPU_PROF')! } : {}),
  }
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN
const round = (n: number, digits = 1) => Number(n.toFixed(digits))
const fmt = (n: number) => Math.round(n).toLocaleString('en-US')
const clock = () => performance.timeOrigin + performance.now()

interface LatencySummary {
  count: number
  p50: number
  p99: number
  max: number
}
function summarize(samples: number[]): LatencySummary {
  const sorted = [...samples].sort((a, b) => a - b)
  return { count: sorted.length, p50: round(percentile(sorted, 50)), p99: round(percentile(sorted, 99)), max: round(sorted.at(-1) ?? NaN) }
}

/**
 * The alarm device: a reading above the rule's threshold every ALARM_PERIOD_MS and one
 * below it CLEAR_AFTER_MS later. Readings carry a value unique within 100 periods, so a
 * push is matched to its own publish even when pushes arrive late or out of order.
 */
class AlarmProbe {
  private readonly sentAt = new Map<string, { at: number; state: 'raised' | 'cleared' }>()
  readonly latencies: { at: number; ms: number; state: string }[] = []
  /** Publish times of samples whose value was reused before their push came: lost. */
  private readonly lost: number[] = []
  private running = false
  private loop: Promise<void> | undefined
  private sent = 0
  private unmatched = 0

  constructor(private readonly device: MqttClient, socket: Socket) {
    socket.on('alarm', (push: { alarmId: string; state: string; value: number | null }) => {
      const arrived = clock()
      if (push.alarmId !== ALARM_ID || push.value === null) return
      const key = `${push.state}:${push.value.toFixed(2)}`
      const sent = this.sentAt.get(key)
      if (!sent) {
        this.unmatched++
        return
      }
      this.sentAt.delete(key)
      this.latencies.push({ at: sent.at, ms: arrived - sent.at, state: push.state })
    })
  }

  start(): void {
    this.running = true
    this.loop = this.run()
  }

  async stop(): Promise<void> {
    this.running = false
    await this.loop
  }

  private publish(state: 'raised' | 'cleared', value: number): void {
    const key = `${state}:${value.toFixed(2)}`
    // A value reused 100 periods later replaces a sample that never arrived: count it lost now.
    if (this.sentAt.has(key)) this.lost.push(this.sentAt.get(key)!.at)
    this.sentAt.set(key, { at: clock(), state })
    this.sent++
    this.device.publish(`tendero/v1/${ALARM_DEVICE}/telemetry`, JSON.stringify({ readings: { temperature_c: value } }), { qos: 1 })
  }

  private async run(): Promise<void> {
    for (let i = 0; this.running; i++) {
      const k = (i % 100) / 100
      const started = performance.now()
      this.publish('raised', 6 + k)
      await sleep(CLEAR_AFTER_MS)
      this.publish('cleared', 1 + k)
      await sleep(Math.max(0, ALARM_PERIOD_MS - (performance.now() - started)))
    }
  }

  /** Samples published in [from, to) and how many of them never got a push. */
  window(from: number, to: number): { summary: LatencySummary; missing: number } {
    const ms = this.latencies.filter((l) => l.at >= from && l.at < to).map((l) => l.ms)
    const missing = [...this.sentAt.values()].filter((s) => s.at >= from && s.at < to).length + this.lost.filter((at) => at >= from && at < to).length
    return { summary: summarize(ms), missing }
  }

  counts() {
    return { sent: this.sent, received: this.latencies.length, unmatched: this.unmatched }
  }
}

interface PeerResult {
  batch: number
  acked: number
  posts: number
  errors: number
  rate: number
}

export async function syncCatchup(opts: SyncCatchupOptions = syncCatchupOptions()): Promise<BenchResult[]> {
  const cleanups: (() => Promise<unknown> | unknown)[] = []
  const cleanup = async () => {
    for (const fn of cleanups.reverse()) await Promise.resolve().then(fn).catch((err: unknown) => console.error(`cleanup: ${(err as Error).message}`))
  }
  try {
    return await run(opts, cleanups)
  } finally {
    await cleanup()
  }
}

async function run(opts: SyncCatchupOptions, cleanups: (() => Promise<unknown> | unknown)[]): Promise<BenchResult[]> {
  console.log(`sync-catchup: backlog ${fmt(opts.events)} events, live ${LIVE_DEVICES} devices at 1 Hz + 1 alarm every ${ALARM_PERIOD_MS} ms`)
  const passwordHash = await benchPasswordHash()
  const alarmRule = {
    id: ALARM_RULE,
    description: 'Bench: alarm above 5 °C, cleared below 4.5 °C',
    when: { kind: 'threshold', deviceId: ALARM_DEVICE, metric: 'temperature_c', above: 5, forSeconds: 0, hysteresis: 0.5 },
    alarm: { severity: 'critical', message: 'Bench: temperatura alta / high temperature' },
    actions: [],
  }
  const site = await benchSite({
    devices: LIVE_DEVICES,
    extraDevices: [{ id: ALARM_DEVICE, kind: 'cold_room', passwordHash, relays: [] }],
    extraRules: [alarmRule],
  })
  if (!site.config.rules.some((r) => r.id === ALARM_RULE)) throw new Error(`the alarm rule did not validate: ${site.skipped.join('; ')}`)
  const siteConfig = { ...site.config, gatewayId: DEMO.gateway.id }
  console.log(`site: ${site.rulesLoaded} rules (packs: ${site.packFiles.join(', ') || 'none'}), skipped ${site.skipped.length}`)

  // 1. The backlog, once, into a template log file the gateway and the peers copy.
  const dir = mkdtempSync(join(tmpdir(), 'tendero-bench-catchup-'))
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
  const template = join(dir, 'backlog.db')
  const backlog: Backlog = await writeBacklog({ path: template, events: opts.events, devices: LIVE_DEVICES, endAt: Date.now() - 60_000 })
  const logBytes = statSync(template).size
  console.log(
    `backlog: ${fmt(backlog.lastSeq)} events (${fmt(backlog.state)} state) over ${round((backlog.lastTime - backlog.firstTime) / 3600_000, 2)} h, ` +
      `${round(logBytes / 1048576)} MB, written in ${round(backlog.writeMs / 1000, 2)} s`,
  )

  // 2. The cloud on its own PostgreSQL database, and a dashboard watching the site.
  const db: BenchDatabase = await createDatabase()
  cleanups.push(() => (opts.keepDb ? db.close().then(() => console.log(`kept database ${db.url}`)) : db.drop()))
  const cloud: CloudProcess = await startCloud({
    databaseUrl: db.url,
    gatewayKey: GATEWAY_KEY,
    ...(opts.cloudLog ? { logLevel: 'info', logFile: opts.cloudLog } : {}),
    ...(opts.cpuProfDir ? { nodeFlags: ['--cpu-prof', '--cpu-prof-dir', join(opts.cpuProfDir, 'cloud')] } : {}),
  })
  cleanups.push(() => cloud.stop())
  for (const batch of PEER_BATCHES) await addGateway(db, `gw-peer-${batch}`, `${GATEWAY_KEY}-peer-${batch}`)
  const socket = await openDashboardSocket(cloud.url)
  cleanups.push(() => socket.close())
  const pushes = { telemetry: 0, state: 0, alarm: 0 }
  for (const event of Object.keys(pushes) as (keyof typeof pushes)[]) socket.on(event, () => pushes[event]++)

  // 3. The gateway with the backlog, behind a link that is down.
  const gate: Gate = await startGate(Number(new URL(cloud.url).port))
  cleanups.push(() => gate.close())
  const gatewayStartedAt = clock()
  const gateway: GatewayProcess = await startGateway({
    siteConfig,
    ...(opts.cpuProfDir ? { nodeFlags: ['--cpu-prof', '--cpu-prof-dir', join(opts.cpuProfDir, 'gateway')] } : {}),
    env: {
      CLOUD_URL: gate.url,
      GATEWAY_KEY,
      // Far above the backlog: this run measures catch-up, not the disk budget.
      GATEWAY_LOG_MAX_MB: '8192',
      GATEWAY_MQTT_WS_PORT: '0',
    },
    prepare: (dataDir) => copyFileSync(template, join(dataDir, 'log.db')),
  })
  cleanups.push(() => gateway.stop())
  const health0 = await gateway.health()
  if (health0.log.lastSeq < backlog.lastSeq) throw new Error(`the gateway sees ${health0.log.lastSeq} events, the backlog has ${backlog.lastSeq}`)

  // 4. Live traffic first, then the link comes back.
  const mqttUrl = `mqtt://127.0.0.1:${gateway.mqttPort}`
  const PUBLISHERS = 2
  const publishers = startPublishers(mqttUrl, LIVE_DEVICES, PUBLISHERS, 1, { kind: 'rate', ratePerSecond: LIVE_RATE / PUBLISHERS, maxSeconds: 3600 })
  cleanups.push(() => Promise.all(publishers.map((p) => p.stop())))
  const device = await mqtt.connectAsync(mqttUrl, { clientId: ALARM_DEVICE, username: ALARM_DEVICE, password: BENCH_PASSWORD, reconnectPeriod: 0 })
  ;(device.stream as NetSocket).setNoDelay(true)
  cleanups.push(() => device.endAsync())
  const probe = new AlarmProbe(device, socket)
  cleanups.push(() => probe.stop())
  await Promise.all(publishers.map((p) => p.next('ready')))
  for (const p of publishers) p.send({ type: 'go' })
  probe.start()
  await sleep(Math.max(0, Math.min(WARMUP_MS, MAX_CLOSED_MS - (clock() - gatewayStartedAt))))
  const closedMs = clock() - gatewayStartedAt
  const liveSeqAtOpen = (await gateway.health()).log.lastSeq
  // Where the time goes: CPU of the cloud, the gateway and the PostgreSQL backends serving this database.
  const pgBackends = async () =>
    (await db.query<{ pid: number }>(`select pid from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()`, [db.name])).map((r) => r.pid)
  const cpu = async () => {
    const backends = await pgBackends()
    return { cloud: cpuSeconds(cloud.pid), gateway: cpuSeconds(gateway.pid), pg: new Map(backends.map((pid) => [pid, cpuSeconds(pid)])) }
  }
  const cpuAtOpen = await cpu()
  gate.open()
  const openedAt = clock()
  console.log(`link up after ${round(closedMs / 1000, 1)} s closed; ${fmt(liveSeqAtOpen - backlog.lastSeq)} live events logged meanwhile`)
  if (closedMs > 14_000)
    console.warn('warning: the link was closed long enough for the uplink\'s first request to time out (15 s); its first batches start smaller')

  // 5. Until the cloud's watermark covers the backlog.
  const ackSeq = async () => Number((await db.query<{ ack_seq: string }>(`select ack_seq from gateways where id = $1`, [DEMO.gateway.id]))[0]!.ack_seq)
  let drainedAt: number | undefined
  let last = { at: openedAt, seq: 0 }
  let nextReport = openedAt + 3000
  const deadline = openedAt + opts.timeoutS * 1000
  let acked = 0
  while (clock() < deadline) {
    await sleep(200)
    acked = await ackSeq()
    const now = clock()
    if (acked >= backlog.lastSeq) {
      drainedAt = now
      break
    }
    if (now >= nextReport) {
      const h = (await gateway.health()) as unknown as { uplink: { batchSize: number; heldAhead: number; lag: number } }
      const recent = probe.window(now - 3000, now)
      console.log(
        `  ${round((now - openedAt) / 1000, 0)} s: acked ${fmt(acked)}/${fmt(backlog.lastSeq)} ` +
          `(${fmt(((acked - last.seq) / (now - last.at)) * 1000)} ev/s now, ${fmt((acked / (now - openedAt)) * 1000)} avg), ` +
          `batch ${h.uplink.batchSize}, sent ahead ${fmt(h.uplink.heldAhead)}, lag ${fmt(h.uplink.lag)} | ` +
          `alarms last 3 s: ${recent.summary.count} p99 ${recent.summary.p99} ms, missing ${recent.missing} | pushes ${fmt(pushes.telemetry)}`,
      )
      last = { at: now, seq: acked }
      nextReport += 3000
    }
  }
  const endOfCatchup = drainedAt ?? clock()
  const drainS = (endOfCatchup - openedAt) / 1000
  const cpuAtEnd = await cpu()
  // A backend that started after the link came up counts from zero.
  const pgCpu = [...cpuAtEnd.pg].reduce((sum, [pid, s]) => sum + s - (cpuAtOpen.pg.get(pid) ?? 0), 0)
  const cores = {
    cloud: (cpuAtEnd.cloud - cpuAtOpen.cloud) / drainS,
    gateway: (cpuAtEnd.gateway - cpuAtOpen.gateway) / drainS,
    pg: pgCpu / drainS,
  }
  // Everything the cloud stored meanwhile: the backlog, and the live events sent with it.
  const [uploaded] = await db.query<{ n: string }>(`select count(*) as n from events where gateway_id = $1`, [DEMO.gateway.id])
  const perEvent = Object.fromEntries(Object.entries(cores).map(([k, c]) => [k, ((c * drainS) / Number(uploaded!.n)) * 1e6])) as typeof cores
  console.log(`CPU during catch-up, in cores: cloud ${round(cores.cloud, 2)}, gateway ${round(cores.gateway, 2)}, PostgreSQL backends ${round(cores.pg, 2)} (${cpuAtEnd.pg.size}); per event uploaded, µs: ${JSON.stringify(Object.fromEntries(Object.entries(perEvent).map(([k, v]) => [k, round(v)])))}`)
  console.log(drainedAt ? `drained in ${round(drainS, 2)} s` : `NOT drained within ${opts.timeoutS} s (acked ${fmt(acked)})`)

  // 6. Live traffic a little longer: alarms after the catch-up, and late pushes arrive.
  await sleep(AFTER_MS)
  await probe.stop()
  await sleep(2000)
  const during = probe.window(openedAt, endOfCatchup)
  const after = probe.window(endOfCatchup, clock())
  console.log(`alarms during catch-up ${JSON.stringify(during)}, after ${JSON.stringify(after)}, ${JSON.stringify(probe.counts())}`)

  // 7. The peer strategies, one time slice each, with Tendero's live traffic still on.
  const peers: PeerResult[] = []
  if (opts.peerSeconds > 0)
    for (const batch of PEER_BATCHES) {
      const peerLog = join(dir, `peer-${batch}.db`)
      copyFileSync(template, peerLog)
      const worker: Worker<NaiveUplinkDone> = forkWorker<NaiveUplinkDone>('naive-uplink.ts', {
        cloudUrl: cloud.url,
        gatewayId: `gw-peer-${batch}`,
        gatewayKey: `${GATEWAY_KEY}-peer-${batch}`,
        logPath: peerLog,
        batchSize: batch,
        seconds: opts.peerSeconds,
      } satisfies NaiveUplinkInput)
      try {
        const done = await worker.next<NaiveUplinkDone>('done', (opts.peerSeconds + 60) * 1000)
        const rate = (done.acked / done.elapsedMs) * 1000
        peers.push({ batch, acked: done.acked, posts: done.posts, errors: done.errors, rate })
        console.log(`peer, ${batch} event(s) per POST: ${fmt(done.acked)} events in ${round(done.elapsedMs / 1000, 1)} s = ${fmt(rate)} ev/s (${done.errors} errors)`)
      } finally {
        await worker.stop()
      }
      rmSync(peerLog, { force: true })
    }

  // 8. Exactly once, checked: every seq the gateway logged up to the watermark is in the cloud once.
  for (const p of publishers) p.send({ type: 'stop' })
  const liveDone = await Promise.all(publishers.map((p) => p.next<PublisherDone>('done')))
  const liveAcked = liveDone.reduce((n, d) => n + d.acked, 0)
  const liveSpan = Math.max(...liveDone.map((d) => d.endedAt)) - Math.min(...liveDone.map((d) => d.startedAt))
  const upTo = drainedAt ? backlog.lastSeq : await ackSeq()
  const [stored] = await db.query<{ n: string }>(`select count(*) as n from events where gateway_id = $1 and seq <= $2`, [DEMO.gateway.id, upTo])
  const missingInCloud = upTo - Number(stored!.n)
  // A transition the cloud stored but never pushed was older than one it had already applied
  // (alarms are last writer by event time), i.e. it reached the cloud out of order.
  const [alarmsStored] = await db.query<{ n: string }>(`select count(*) as n from events where gateway_id = $1 and kind = 'alarm' and device_id = $2`, [DEMO.gateway.id, ALARM_DEVICE])
  const probeCounts = probe.counts()
  console.log(`alarm transitions: ${probeCounts.sent} published, ${alarmsStored!.n} stored in the cloud, ${probeCounts.received} pushed to the dashboard`)
  console.log(`cloud holds ${fmt(Number(stored!.n))} of the ${fmt(upTo)} events up to the watermark; live telemetry acked ${fmt((liveAcked / liveSpan) * 1000)} msg/s`)

  // Not drained: the rate so far, and the drain time it would take at that rate.
  const catchupRate = (drainedAt ? backlog.lastSeq : acked) / drainS
  const drainOrEstimate = drainedAt ? drainS : backlog.lastSeq / catchupRate
  const best = peers.reduce<PeerResult | undefined>((a, b) => (!a || b.rate > a.rate ? b : a), undefined)
  const peerName = (p: PeerResult) =>
    `same cloud and PostgreSQL, ${p.batch === 1 ? 'one event per POST' : `fixed batches of ${p.batch} events`}, oldest first, ` +
    `no priorities; ${opts.peerSeconds} s slice, extrapolated`
  const peerDrainS = (p: PeerResult) => backlog.lastSeq / p.rate
  const withPeer = (value: number, p: PeerResult | undefined, peerValue: number | undefined, peer = p && peerName(p)): Omit<BenchResult, 'metric' | 'unit'> =>
    p && peerValue !== undefined ? { value, peer: peer!, peerValue, ratio: round(value / peerValue, 4) } : { value }
  const results: BenchResult[] = [
    { metric: 'backlog events', value: backlog.lastSeq, unit: 'events' },
    {
      metric: drainedAt ? 'backlog drained into the cloud (ack watermark)' : `backlog NOT drained within ${opts.timeoutS} s: estimate at the rate so far`,
      unit: 's',
      ...withPeer(round(drainOrEstimate, 2), best, best && round(peerDrainS(best), 0)),
    },
    ...peers.map((p) => ({ metric: 'catch-up rate (backlog events / drain time)', unit: 'events/s', ...withPeer(Math.round(catchupRate), p, Math.round(p.rate)) })),
    ...(peers.length === 0 ? [{ metric: 'catch-up rate (backlog events / drain time)', unit: 'events/s', value: Math.round(catchupRate) }] : []),
    { metric: 'live alarm latency during catch-up p50', value: during.summary.p50, unit: 'ms' },
    {
      metric: 'live alarm latency during catch-up p99',
      unit: 'ms',
      // Oldest first with no priorities, a live alarm waits for the whole backlog ahead of it.
      ...withPeer(during.summary.p99, best, best && Math.round(peerDrainS(best) * 1000), best && `${peerName(best)}: a live alarm waits behind the whole backlog`),
    },
    { metric: 'live alarm latency during catch-up max', value: during.summary.max, unit: 'ms' },
    { metric: 'live alarm transitions measured during catch-up (raise + clear)', value: during.summary.count, unit: 'pushes' },
    { metric: 'live alarm transitions published during catch-up that never arrived', value: during.missing, unit: 'transitions' },
    { metric: 'alarm transitions published (whole run, link down included)', value: probeCounts.sent, unit: 'transitions' },
    { metric: 'alarm transitions stored in the cloud', value: Number(alarmsStored!.n), unit: 'transitions' },
    { metric: 'alarm transitions pushed to the dashboard', value: probeCounts.received, unit: 'transitions' },
    { metric: 'live alarm latency after catch-up p99', value: after.summary.p99, unit: 'ms' },
    { metric: 'live telemetry acknowledged by the gateway', value: Math.round((liveAcked / liveSpan) * 1000), unit: 'msg/s' },
    { metric: 'events missing in the cloud below its ack watermark', value: missingInCloud, unit: 'events' },
    { metric: 'telemetry pushes the open dashboard received', value: pushes.telemetry, unit: 'pushes' },
    { metric: 'cloud process CPU during catch-up', value: round(cores.cloud, 2), unit: 'cores' },
    { metric: 'PostgreSQL backends CPU during catch-up', value: round(cores.pg, 2), unit: 'cores' },
    { metric: 'gateway process CPU during catch-up', value: round(cores.gateway, 2), unit: 'cores' },
    // CPU time per event holds up on a busy machine better than wall time does.
    { metric: 'cloud CPU per event uploaded during catch-up', value: round(perEvent.cloud, 1), unit: 'µs' },
    { metric: 'PostgreSQL backends CPU per event uploaded during catch-up', value: round(perEvent.pg, 1), unit: 'µs' },
    { metric: 'gateway CPU per event uploaded during catch-up (includes live traffic and rules)', value: round(perEvent.gateway, 1), unit: 'µs' },
    { metric: 'gateway log file with the backlog', value: round(logBytes / 1048576), unit: 'MB' },
  ]
  return results
}

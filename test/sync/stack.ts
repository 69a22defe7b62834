/**
 * One site for a store-and-forward test: a fresh PostgreSQL database, a cloud, a gateway
 * and a simulated fleet, each a real process that can be stopped, killed and started
 * again on the same ports and data, plus readers for what each side holds at the end.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { readAckLog } from '../../simulator/src/index.js'
import { freePort } from '../../gateway/test/crash-harness.js'
import { createSyncDatabase, type SyncDatabase } from './postgres.js'
import { startCloud, startGateway, startSimulator, stopAll, type GatewayProcess, type RunningProcess, type SimulatorOptions } from './processes.js'
import { fleetSite, GATEWAY_ID } from './site.js'
import type { SyncedEvent } from './verify.js'

const GATEWAY_KEY = 'sync-test-gateway-key-0123456789'

export interface SyncStack {
  readonly db: SyncDatabase
  readonly devices: number
  cloud: RunningProcess | undefined
  gateway: GatewayProcess | undefined
  simulator: RunningProcess | undefined
  startCloud(): Promise<RunningProcess>
  startGateway(): Promise<GatewayProcess>
  startSimulator(opts: Pick<SimulatorOptions, 'intervalMs' | 'speed'>): RunningProcess
  /** Throws, with its output, if a process this stack started has died without being told to. */
  assertRunning(): void
  /** The watermark the cloud holds for the gateway (gateways.ack_seq). */
  cloudAckSeq(): Promise<number>
  /** Telemetry rows per device in the cloud so far. */
  cloudTelemetryByDevice(): Promise<Map<string, number>>
  /** Waits until the running gateway has nothing left to send and the cloud's watermark is its last seq. */
  waitForCatchUp(timeoutMs: number): Promise<{ lastSeq: number }>
  /** Every event of the gateway's log (read from log.db; stop the gateway first for a final answer). */
  readGatewayLog(): SyncedEvent[]
  readCloudEvents(): Promise<SyncedEvent[]>
  quarantined(): Promise<number>
  /** Cloud sessions busy on the database right now (a statement running or a transaction open). */
  openTransactions(): Promise<number>
  readAcks(): Map<string, Set<number>>
  close(): Promise<void>
}

export async function createSyncStack(opts: { devices: number }): Promise<SyncStack> {
  const dir = mkdtempSync(join(tmpdir(), 'tendero-sync-'))
  const db = await createSyncDatabase()
  const sitePath = join(dir, 'site.json')
  let ports: number[]
  try {
    writeFileSync(sitePath, JSON.stringify(fleetSite(opts.devices)))
    ports = [await freePort(), await freePort(), await freePort()]
  } catch (err) {
    await db.drop()
    rmSync(dir, { recursive: true, force: true })
    throw err
  }
  const [cloudPort, mqttPort, apiPort] = ports as [number, number, number]
  const gatewayData = join(dir, 'gateway')
  const ackLog = join(dir, 'acks.jsonl')

  const stack: SyncStack = {
    db,
    devices: opts.devices,
    cloud: undefined,
    gateway: undefined,
    simulator: undefined,
    async startCloud() {
      stack.cloud = await startCloud({ port: cloudPort, databaseUrl: db.url, dataDir: join(dir, 'cloud'), gatewayKey: GATEWAY_KEY })
      return stack.cloud
    },
    async startGateway() {
      stack.gateway = await startGateway({
        mqttPort,
        apiPort,
        dataDir: gatewayData,
        sitePath,
        cloudUrl: `http://127.0.0.1:${cloudPort}`,
        gatewayKey: GATEWAY_KEY,
      })
      return stack.gateway
    },
    startSimulator(o) {
      stack.simulator = startSimulator({ ...o, mqttPort, devices: opts.devices, ackLog })
      return stack.simulator
    },
    assertRunning() {
      for (const proc of [stack.cloud, stack.gateway, stack.simulator])
        if (proc && !proc.alive() && !proc.ended) throw new Error(`${proc.name} died:\n${proc.output()}`)
    },
    async cloudAckSeq() {
      const { rows } = await db.pool.query<{ ack_seq: string }>('select ack_seq from gateways where id = $1', [GATEWAY_ID])
      return Number(rows[0]?.ack_seq ?? 0)
    },
    async cloudTelemetryByDevice() {
      const { rows } = await db.pool.query<{ device_id: string; n: string }>(
        `select device_id, count(*) as n from events where gateway_id = $1 and kind = 'telemetry' group by device_id`,
        [GATEWAY_ID],
      )
      return new Map(rows.map((r) => [r.device_id, Number(r.n)]))
    },
    async waitForCatchUp(timeoutMs) {
      const gateway = stack.gateway
      if (!gateway) throw new Error('no gateway running')
      const deadline = Date.now() + timeoutMs
      let last = ''
      for (;;) {
        const health = await gateway.health()
        const ackSeq = await stack.cloudAckSeq()
        last = `gateway lastSeq ${health.log.lastSeq}, uplink acked ${health.uplink.ackedSeq} (lag ${health.uplink.lag}, error ${health.uplink.lastError}), cloud ack_seq ${ackSeq}`
        if (health.uplink.lag === 0 && ackSeq === health.log.lastSeq) return { lastSeq: health.log.lastSeq }
        if (Date.now() > deadline) throw new Error(`no catch-up within ${timeoutMs} ms: ${last}\n${gateway.output()}`)
        await new Promise((r) => setTimeout(r, 200))
      }
    },
    readGatewayLog() {
      const log = new Database(join(gatewayData, 'log.db'), { readonly: true })
      try {
        return log
          .prepare<[], { seq: number; kind: string; device_id: string; node_seq: number | null; boot_id: string }>(
            `SELECT seq, kind, device_id, CASE kind WHEN 'telemetry' THEN json_extract(body, '$.seq') END AS node_seq, boot_id
             FROM events ORDER BY seq`,
          )
          .all()
          .map((r) => ({ seq: r.seq, kind: r.kind, deviceId: r.device_id, nodeSeq: r.node_seq, bootId: r.boot_id }))
      } finally {
        log.close()
      }
    },
    async readCloudEvents() {
      const { rows } = await db.pool.query<{ seq: string; kind: string; device_id: string; node_seq: string | null; boot_id: string }>(
        `select seq, kind, device_id, case kind when 'telemetry' then body->>'seq' end as node_seq, boot_id
         from events where gateway_id = $1 order by seq`,
        [GATEWAY_ID],
      )
      return rows.map((r) => ({
        seq: Number(r.seq),
        kind: r.kind,
        deviceId: r.device_id,
        nodeSeq: r.node_seq === null ? null : Number(r.node_seq),
        bootId: r.boot_id,
      }))
    },
    async quarantined() {
      const { rows } = await db.pool.query<{ n: string }>('select count(*) as n from quarantined_events where gateway_id = $1', [GATEWAY_ID])
      return Number(rows[0]?.n ?? 0)
    },
    async openTransactions() {
      const { rows } = await db.pool.query<{ n: string }>(
        `select count(*) as n from pg_stat_activity
         where datname = $1 and pid <> pg_backend_pid() and state is not null and state <> 'idle'`,
        [db.name],
      )
      return Number(rows[0]?.n ?? 0)
    },
    readAcks() {
      return readAckLog(readFileSync(ackLog, 'utf8'))
    },
    async close() {
      await stopAll()
      await db.drop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
  return stack
}

/**
 * The cloud as a real process on a real PostgreSQL, for scenarios that measure the whole
 * path from the gateway's log to the dashboard: a fresh database per run on the server
 * (dropped after), and `node --import tsx cloud/src/server.ts` with DATABASE_URL, seeded
 * with the demo organization, site, gateway and user (cloud/src/seed.ts).
 */
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, openSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { io as connectSocket, type Socket } from 'socket.io-client'
import { DEMO } from '../../cloud/src/seed.js'
import { hashGatewayKey } from '../../cloud/src/modules/ingest/repository.js'
import { REPO_ROOT, freePort, stopChild, tail, waitForPort } from './processes.js'

export { DEMO }

/** The PostgreSQL server the bench creates its databases on; BENCH_DATABASE_URL overrides it. */
export const BENCH_PG_SERVER = process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test'

export interface BenchDatabase {
  url: string
  name: string
  /** One query on the bench's own connection (not the cloud's pool). */
  query<T extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<T[]>
  /** Closes the bench's connection and leaves the database in place (for profiling). */
  close(): Promise<void>
  drop(): Promise<void>
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: BENCH_PG_SERVER })
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end()
  }
}

/** A new, empty database on the bench server, named so a leftover one is easy to spot. */
export async function createDatabase(): Promise<BenchDatabase> {
  const name = `tendero_bench_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`
  try {
    await admin((c) => c.query(`create database ${name}`))
  } catch (err) {
    throw new Error(`cannot create a bench database on ${BENCH_PG_SERVER} (set BENCH_DATABASE_URL): ${(err as Error).message}`)
  }
  const url = new URL(BENCH_PG_SERVER)
  url.pathname = `/${name}`
  const client = new pg.Client({ connectionString: url.toString() })
  await client.connect()
  return {
    url: url.toString(),
    name,
    query: async <T extends pg.QueryResultRow>(text: string, values?: unknown[]) => (await client.query<T>(text, values)).rows,
    close: () => client.end().catch(() => {}),
    async drop() {
      await client.end().catch(() => {})
      await admin((c) => c.query(`drop database if exists ${name} with (force)`))
    },
  }
}

export interface CloudProcess {
  url: string
  pid: number
  stop(): Promise<void>
}

/**
 * The cloud as `npm start -w @tendero/cloud` runs it, minus the tsx CLI (which forks, so
 * the pid would not be the server's): node with the tsx loader on cloud/src/server.ts.
 */
export async function startCloud(opts: {
  databaseUrl: string
  gatewayKey: string
  logLevel?: string
  logFile?: string
  /** Extra node flags, e.g. `--cpu-prof`. */
  nodeFlags?: string[]
}): Promise<CloudProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'tendero-bench-cloud-'))
  const port = await freePort()
  const child = spawn(process.execPath, [...(opts.nodeFlags ?? []), '--import', 'tsx', join(REPO_ROOT, 'cloud/src/server.ts')], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      CLOUD_PORT: String(port),
      CLOUD_HOST: '127.0.0.1',
      DATABASE_URL: opts.databaseUrl,
      CLOUD_DATA_DIR: join(dir, 'data'),
      JWT_SECRET: randomBytes(32).toString('hex'),
      DASHBOARD_DIR: join(dir, 'no-dashboard'),
      DEMO_GATEWAY_KEY: opts.gatewayKey,
      SEED_DEMO: 'true',
      // The limiter stays in the measured path, with a gateway budget no bench batch rate reaches
      // (batches of 1 from 8 gateways run near 70 requests/s each, the default allows 100/s).
      RATE_LIMIT_GATEWAY_PER_MIN: process.env.RATE_LIMIT_GATEWAY_PER_MIN ?? '600000',
      // Ingest logs one info line per batch; warn keeps the cloud's own cost out of stdout.
      LOG_LEVEL: opts.logLevel ?? 'warn',
    },
    // With a log file, the cloud's pino lines (e.g. each request's responseTime) go there.
    stdio: ['ignore', opts.logFile ? openSync(opts.logFile, 'w') : 'ignore', 'pipe'],
  })
  const stderr = tail(child)
  const url = `http://127.0.0.1:${port}`
  try {
    await waitForPort(port, child, 'cloud', 60_000)
    const res = await fetch(`${url}/api/health`)
    if (!res.ok) throw new Error(`cloud /api/health answered ${res.status}`)
  } catch (err) {
    await stopChild(child)
    rmSync(dir, { recursive: true, force: true })
    throw new Error(`${(err as Error).message}\n${stderr()}`)
  }
  return {
    url,
    pid: child.pid!,
    async stop() {
      await stopChild(child)
      const errors = stderr().trim()
      if (errors) process.stderr.write(`cloud stderr (last lines):\n${errors.slice(-1500)}\n`)
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** One more gateway in the demo site, with its own key and ack watermark (a peer uploader). */
export async function addGateway(db: BenchDatabase, id: string, key: string): Promise<void> {
  await db.query(
    `insert into gateways (id, name, org_id, site_id, key_hash) values ($1, $2, $3, $4, $5)`,
    [id, `bench ${id}`, DEMO.organization.id, DEMO.site.id, hashGatewayKey(key)],
  )
}

/** A dashboard as the browser opens it: logged in as the demo user, joined to the demo site's room. */
export async function openDashboardSocket(cloudUrl: string): Promise<Socket> {
  const res = await fetch(`${cloudUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: DEMO.user.email, password: DEMO.user.password }),
  })
  if (!res.ok) throw new Error(`demo login failed: ${res.status} ${await res.text()}`)
  const { token } = (await res.json()) as { token: string }
  const socket = connectSocket(cloudUrl, { auth: { token }, transports: ['websocket'], reconnection: false })
  const joined = (await socket.timeout(10_000).emitWithAck('site:join', DEMO.site.id)) as { ok: boolean; error?: string }
  if (!joined.ok) {
    socket.close()
    throw new Error(`site:join refused: ${joined.error}`)
  }
  return socket
}

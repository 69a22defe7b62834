/**
 * The three programs as they run in production, each its own OS process so a test can
 * SIGKILL it: the cloud (`node --import tsx cloud/src/server.ts`, not the tsx CLI, whose
 * child would outlive a killed parent), the gateway bundle (`gateway/dist/main.mjs`) and
 * the simulator CLI with a fleet of cold rooms. Every process started here is tracked
 * and stopped by its own pid in `stopAll()`.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url))

export interface RunningProcess {
  readonly name: string
  readonly pid: number
  /** Resolves when the process has exited, however it ended. */
  readonly exited: Promise<void>
  alive(): boolean
  /** True once the test asked it to end (kill or stop), so an exit is expected. */
  readonly ended: boolean
  /** The last few KB of its stdout and stderr, for failure messages. */
  output(): string
  /** SIGKILL, then wait for the exit. */
  kill(): Promise<void>
  /** SIGTERM (a graceful stop), SIGKILL if it has not exited after `graceMs`. */
  stop(graceMs?: number): Promise<void>
}

const running = new Set<RunningProcess>()

function launch(name: string, args: string[], env: Record<string, string>): RunningProcess {
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    // Only what the program needs: nothing of the test runner's environment leaks in.
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let tail = ''
  const keep = (chunk: Buffer) => (tail = (tail + chunk.toString()).slice(-6000))
  child.stdout!.on('data', keep)
  child.stderr!.on('data', keep)
  let done = false
  let ended = false
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      done = true
      resolve()
    }),
  )
  const proc: RunningProcess = {
    name,
    pid: child.pid!,
    exited,
    get ended() {
      return ended
    },
    alive: () => !done,
    output: () => tail,
    async kill() {
      ended = true
      if (!done) child.kill('SIGKILL')
      await exited
    },
    async stop(graceMs = 10_000) {
      ended = true
      if (!done) child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
      await exited
      clearTimeout(timer)
    },
  }
  running.add(proc)
  void exited.then(() => running.delete(proc))
  return proc
}

/** SIGKILLs whatever this module started and is still running (test teardown). */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((p) => p.kill()))
}

async function waitUntil(proc: RunningProcess, what: string, probe: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (!proc.alive()) throw new Error(`${proc.name} exited before ${what}:\n${proc.output()}`)
    if (await probe().catch(() => false)) return
    if (Date.now() > deadline) throw new Error(`${proc.name}: no ${what} within ${timeoutMs} ms:\n${proc.output()}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

export interface CloudOptions {
  port: number
  databaseUrl: string
  dataDir: string
  /** Seeded as the demo gateway's key (DEMO_GATEWAY_KEY). */
  gatewayKey: string
}

/** The cloud on PostgreSQL with the demo org, site and gateway seeded; resolves once /api/health answers. */
export async function startCloud(o: CloudOptions): Promise<RunningProcess> {
  const proc = launch('cloud', ['--import', 'tsx', 'cloud/src/server.ts'], {
    CLOUD_PORT: String(o.port),
    CLOUD_HOST: '127.0.0.1',
    DATABASE_URL: o.databaseUrl,
    CLOUD_DATA_DIR: o.dataDir,
    DASHBOARD_DIR: join(o.dataDir, 'no-dashboard'),
    DEMO_GATEWAY_KEY: o.gatewayKey,
    SEED_DEMO: 'true',
    JWT_SECRET: 'sync-test-jwt-secret-0123456789abcdef',
    LOG_LEVEL: 'error',
  })
  await waitUntil(proc, 'healthy /api/health', async () => (await fetch(`http://127.0.0.1:${o.port}/api/health`)).ok)
  return proc
}

let bundle: string | undefined
/** The gateway as shipped; built once per test file, so it carries the working tree's current source. */
export function gatewayBundle(): string {
  if (!bundle) {
    execFileSync(process.execPath, [join(REPO_ROOT, 'gateway/scripts/build.mjs')], { cwd: REPO_ROOT, stdio: 'pipe' })
    bundle = join(REPO_ROOT, 'gateway/dist/main.mjs')
  }
  return bundle
}

export interface GatewayHealth {
  log: { lastSeq: number }
  mqtt: { clients: number }
  uplink: { ackedSeq: number; lag: number; lastError: string | null; quarantined: { total: number } }
  rejected: Record<string, number>
}

export interface GatewayProcess extends RunningProcess {
  health(): Promise<GatewayHealth>
}

export interface GatewayOptions {
  mqttPort: number
  apiPort: number
  dataDir: string
  sitePath: string
  cloudUrl: string
  gatewayKey: string
}

/** `node gateway/dist/main.mjs` as `npm start -w @tendero/gateway` runs it; resolves once MQTT and /health answer. */
export async function startGateway(o: GatewayOptions): Promise<GatewayProcess> {
  const proc = launch('gateway', [gatewayBundle()], {
    MALLOC_MMAP_THRESHOLD_: '131072',
    GATEWAY_MQTT_HOST: '127.0.0.1',
    GATEWAY_MQTT_PORT: String(o.mqttPort),
    GATEWAY_API_HOST: '127.0.0.1',
    GATEWAY_API_PORT: String(o.apiPort),
    GATEWAY_MQTT_WS_PORT: 'off',
    GATEWAY_DATA_DIR: o.dataDir,
    GATEWAY_CONFIG: o.sitePath,
    CLOUD_URL: o.cloudUrl,
    GATEWAY_KEY: o.gatewayKey,
    GATEWAY_LOG_LEVEL: 'error',
  })
  const health = async (): Promise<GatewayHealth> => {
    const res = await fetch(`http://127.0.0.1:${o.apiPort}/health`)
    if (!res.ok) throw new Error(`gateway /health answered ${res.status}`)
    return (await res.json()) as GatewayHealth
  }
  await waitUntil(proc, 'healthy /health', async () => {
    await health()
    return true
  })
  return Object.assign(proc, { health })
}

export interface SimulatorOptions {
  mqttPort: number
  devices: number
  intervalMs: number
  speed: number
  ackLog: string
  seed?: number
  startTempC?: number
}

/** The simulator CLI running a fleet `camara-01…`, passwords `<id>-demo`, recording every PUBACKed reading. */
export function startSimulator(o: SimulatorOptions): RunningProcess {
  return launch('simulator', [
    '--import', 'tsx', 'simulator/src/main.ts',
    '--mqtt-url', `mqtt://127.0.0.1:${o.mqttPort}`,
    '--devices', String(o.devices),
    '--id-prefix', 'camara',
    '--password', '{id}-demo',
    '--interval', String(o.intervalMs),
    '--speed', String(o.speed),
    '--seed', String(o.seed ?? 1),
    '--start-temp', String(o.startTempC ?? 4),
    // A killed gateway is back within a second or two: retry at that pace, as a node's firmware would.
    '--reconnect', '250',
    '--ack-log', o.ackLog,
    '--log-level', 'error',
  ], {})
}

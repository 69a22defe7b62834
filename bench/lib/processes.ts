/**
 * Starting and stopping the processes a scenario measures: the gateway as shipped
 * (`node gateway/dist/main.mjs`), a bare Aedes broker, a private Mosquitto, and the load
 * generator children. Everything listens on loopback, on ports picked free here, and
 * every process started is stopped by its own pid.
 */
import { execFileSync, spawn, fork, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, connect, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const BENCH_DIR = join(REPO_ROOT, 'bench')
/** Node flags that turn Nagle off on a broker process's accepted sockets (procs/nodelay.ts). */
export const NODELAY_FLAGS = ['--import', 'tsx', '--import', join(BENCH_DIR, 'procs/nodelay.ts')]
const MOSQUITTO = '/usr/sbin/mosquitto'

export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

export async function waitForPort(port: number, child: ChildProcess, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode} before listening`)
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1')
      socket.once('connect', () => (socket.destroy(), resolve(true)))
      socket.once('error', () => resolve(false))
    })
    if (open) return
    await sleep(50)
  }
  throw new Error(`${what} did not listen on ${port} within ${timeoutMs} ms`)
}

/** Resident set size of a process in bytes, from /proc/<pid>/status (VmRSS). */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1]
  if (!kb) throw new Error(`no VmRSS for pid ${pid}`)
  return Number(kb) * 1024
}

/** CPU time a process has used so far (user + system), in seconds, from /proc/<pid>/stat; 0 once it is gone. */
export function cpuSeconds(pid: number): number {
  let stat: string
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return 0
  }
  // Fields after the command name, which may itself hold spaces and parentheses.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  // utime and stime are fields 14 and 15 of the whole line, in clock ticks (USER_HZ, 100 on Linux).
  return (Number(fields[11]) + Number(fields[12])) / 100
}

export interface RunningBroker {
  name: string
  pid: number
  mqttPort: number
  stop(): Promise<void>
}

export async function stopChild(child: ChildProcess, timeoutMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  await exited
  clearTimeout(timer)
}

/** Keeps the last lines of a child's stderr so a failure can say why. */
export function tail(child: ChildProcess): () => string {
  let text = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    text = (text + chunk.toString()).slice(-4000)
  })
  return () => text
}

export interface GatewayProcess extends RunningBroker {
  apiPort: number
  dataDir: string
  /** GET /health from the gateway's local API. */
  health(): Promise<{ log: { lastSeq: number }; mqtt: { clients: number }; [k: string]: unknown }>
}

export interface GatewayProcessOptions {
  siteConfig: unknown
  /** Extra node flags for the gateway process, e.g. `--cpu-prof`. */
  nodeFlags?: string[]
  cwd?: string
  /** Environment on top of the bench defaults, e.g. CLOUD_URL and GATEWAY_KEY for a real cloud. */
  env?: Record<string, string>
  /** Runs on the empty data directory before the process starts (e.g. to write a backlog into the log). */
  prepare?: (dataDir: string) => Promise<void> | void
}

let built = false
/** The gateway as shipped: the esbuild bundle (`npm run build -w @tendero/gateway`), built once per run. */
function buildGateway(): string {
  if (!built) {
    execFileSync(process.execPath, [join(REPO_ROOT, 'gateway/scripts/build.mjs')], { stdio: 'ignore' })
    built = true
  }
  return join(REPO_ROOT, 'gateway/dist/main.mjs')
}

/**
 * The real gateway in its own process, started the way `npm start -w @tendero/gateway`
 * starts it (bundle, MALLOC_MMAP_THRESHOLD_), with no cloud (the uplink idles in backoff).
 */
export async function startGateway(opts: GatewayProcessOptions): Promise<GatewayProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'tendero-bench-gw-'))
  const sitePath = join(dir, 'site.json')
  writeFileSync(sitePath, JSON.stringify(opts.siteConfig))
  const [mqttPort, apiPort] = [await freePort(), await freePort()]
  mkdirSync(join(dir, 'data'), { recursive: true })
  try {
    await opts.prepare?.(join(dir, 'data'))
  } catch (err) {
    rmSync(dir, { recursive: true, force: true })
    throw err
  }
  const child = spawn(process.execPath, [...(opts.nodeFlags ?? []), buildGateway()], {
    cwd: opts.cwd ?? REPO_ROOT,
    env: {
      ...process.env,
      MALLOC_MMAP_THRESHOLD_: '131072',
      GATEWAY_MQTT_PORT: String(mqttPort),
      GATEWAY_MQTT_WS_PORT: 'off',
      GATEWAY_MQTT_HOST: '127.0.0.1',
      GATEWAY_API_PORT: String(apiPort),
      GATEWAY_API_HOST: '127.0.0.1',
      GATEWAY_DATA_DIR: join(dir, 'data'),
      GATEWAY_CONFIG: sitePath,
      CLOUD_URL: 'http://127.0.0.1:9',
      GATEWAY_LOG_LEVEL: 'warn',
      ...opts.env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  const stderr = tail(child)
  try {
    await waitForPort(apiPort, child, 'gateway')
    await waitForPort(mqttPort, child, 'gateway')
  } catch (err) {
    await stopChild(child)
    throw new Error(`${(err as Error).message}\n${stderr()}`)
  }
  return {
    name: 'tendero',
    pid: child.pid!,
    mqttPort,
    apiPort,
    dataDir: join(dir, 'data'),
    async health() {
      const res = await fetch(`http://127.0.0.1:${apiPort}/health`)
      return (await res.json()) as Awaited<ReturnType<GatewayProcess['health']>>
    },
    async stop() {
      await stopChild(child)
      const errors = stderr().trim()
      if (errors) process.stderr.write(`gateway stderr (last lines):\n${errors.slice(-1500)}\n`)
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** Bare Aedes, no hooks and in-memory persistence, in its own process (bench/procs/aedes-broker.mjs). */
export async function startBareAedes(opts: { nodeFlags?: string[] } = {}): Promise<RunningBroker> {
  const port = await freePort()
  const args = [...(opts.nodeFlags ?? []), join(BENCH_DIR, 'procs/aedes-broker.mjs'), String(port)]
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  const stderr = tail(child)
  try {
    await waitForPort(port, child, 'bare Aedes')
  } catch (err) {
    await stopChild(child)
    throw new Error(`${(err as Error).message}\n${stderr()}`)
  }
  return { name: 'bare Aedes', pid: child.pid!, mqttPort: port, stop: () => stopChild(child) }
}

/** A private Mosquitto on a free loopback port; the machine's own one on 1883 is never used. */
export async function startMosquitto(): Promise<RunningBroker> {
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'tendero-bench-mosq-'))
  const conf = join(dir, 'mosquitto.conf')
  const lines = [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false', 'log_dest stderr', 'log_type error']
  // Mosquitto's defaults (20 in flight, 1000 queued per client) drop QoS 1 messages to a
  // subscriber that falls behind; Aedes never drops, so both run unbounded here.
  lines.push('max_inflight_messages 0', 'max_queued_messages 0')
  writeFileSync(conf, lines.join('\n') + '\n')
  const child = spawn(MOSQUITTO, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] })
  const stderr = tail(child)
  try {
    await waitForPort(port, child, 'mosquitto')
  } catch (err) {
    await stopChild(child)
    rmSync(dir, { recursive: true, force: true })
    throw new Error(`${(err as Error).message}\n${stderr()}`)
  }
  return {
    name: 'Mosquitto',
    pid: child.pid!,
    mqttPort: port,
    async stop() {
      await stopChild(child)
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** A child process of bench/procs/ speaking JSON messages over the IPC channel. */
export interface Worker<Out> {
  pid: number
  send(message: unknown): void
  /** Resolves with the next message of this type; rejects if the child dies first. */
  next<T extends Out>(type: string, timeoutMs?: number): Promise<T>
  stop(): Promise<void>
}

export function forkWorker<Out extends { type: string }>(script: string, input: unknown): Worker<Out> {
  const child = fork(join(BENCH_DIR, 'procs', script), [JSON.stringify(input)], {
    cwd: REPO_ROOT,
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
  })
  const stderr = tail(child)
  const inbox: Out[] = []
  const waiters: { type: string; resolve: (m: Out) => void }[] = []
  child.on('message', (m: Out) => {
    const i = waiters.findIndex((w) => w.type === m.type)
    if (i >= 0) waiters.splice(i, 1)[0]!.resolve(m)
    else inbox.push(m)
  })
  return {
    pid: child.pid!,
    send: (message) => child.send(message as object),
    next<T extends Out>(type: string, timeoutMs = 120_000): Promise<T> {
      const i = inbox.findIndex((m) => m.type === type)
      if (i >= 0) return Promise.resolve(inbox.splice(i, 1)[0] as T)
      return new Promise<T>((resolve, reject) => {
        const onExit = (code: number | null) =>
          reject(new Error(`${script} exited (${code}) before sending "${type}"\n${stderr()}`))
        const timer = setTimeout(() => reject(new Error(`${script}: no "${type}" within ${timeoutMs} ms\n${stderr()}`)), timeoutMs)
        child.once('exit', onExit)
        waiters.push({
          type,
          resolve: (m) => {
            clearTimeout(timer)
            child.off('exit', onExit)
            resolve(m as T)
          },
        })
      })
    },
    stop: () => stopChild(child),
  }
}

import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/**
 * A real InfluxDB 1.x (`influxd`, Debian's `influxdb`) on free loopback ports in a temp
 * dir, for the history sink's tests. It can be stopped (SIGTERM, or SIGKILL for a harsh
 * stop) and started again on the same data, as a site's InfluxDB would be by a power cut.
 */
export const INFLUXD = process.env.INFLUXD_PATH ?? '/usr/bin/influxd'
export const haveInfluxd = existsSync(INFLUXD)

export interface InfluxServer {
  /** e.g. http://127.0.0.1:41234 */
  readonly url: string
  readonly dir: string
  start(): Promise<void>
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>
  /** Stops the server and removes its data. */
  close(): Promise<void>
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number }
      srv.close(() => resolve(port))
    })
  })
}

/**
 * Only what a test needs: no auth, no phoning home, no `_internal` monitor database
 * (it writes every 10 s and costs CPU on a 2-core CI box), quiet logs.
 */
function configText(dir: string, httpPort: number, rpcPort: number): string {
  return `reporting-disabled = true
bind-address = "127.0.0.1:${rpcPort}"

[meta]
  dir = "${join(dir, 'meta')}"

[data]
  dir = "${join(dir, 'data')}"
  wal-dir = "${join(dir, 'wal')}"
  query-log-enabled = false

[coordinator]

[retention]

[monitor]
  store-enabled = false

[http]
  enabled = true
  bind-address = "127.0.0.1:${httpPort}"
  auth-enabled = false
  log-enabled = false

[logging]
  level = "warn"

[continuous_queries]
  enabled = false
`
}

export async function startInfluxd(opts: { startTimeoutMs?: number } = {}): Promise<InfluxServer> {
  const dir = mkdtempSync(join(tmpdir(), 'tendero-influxd-'))
  const httpPort = await freePort()
  const rpcPort = await freePort()
  const configPath = join(dir, 'influxdb.conf')
  writeFileSync(configPath, configText(dir, httpPort, rpcPort))
  const url = `http://127.0.0.1:${httpPort}`
  let child: ChildProcess | undefined
  let exited: Promise<void> = Promise.resolve()
  let stderr = ''

  async function start(): Promise<void> {
    if (child) return
    stderr = ''
    const proc = spawn(INFLUXD, ['-config', configPath], { stdio: ['ignore', 'ignore', 'pipe'] })
    child = proc
    proc.stderr!.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000)
    })
    exited = new Promise((resolve) => proc.once('exit', () => resolve()))
    const deadline = Date.now() + (opts.startTimeoutMs ?? 10_000)
    for (;;) {
      if (proc.exitCode !== null || proc.signalCode !== null) {
        child = undefined
        throw new Error(`influxd exited during start (${proc.exitCode ?? proc.signalCode}): ${stderr}`)
      }
      try {
        const res = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(500) })
        if (res.status === 204) return
      } catch {
        // Not listening yet.
      }
      if (Date.now() > deadline) {
        await stop('SIGKILL')
        throw new Error(`influxd did not answer /ping within the timeout: ${stderr}`)
      }
      await new Promise((r) => setTimeout(r, 50))
    }
  }

  async function stop(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    const proc = child
    if (!proc) return
    child = undefined
    proc.kill(signal)
    // A clean shutdown flushes the WAL; should it hang, do not hang the suite with it.
    const killer = setTimeout(() => proc.kill('SIGKILL'), 5000)
    await exited
    clearTimeout(killer)
  }

  await start()
  return {
    url,
    dir,
    start,
    stop,
    async close() {
      await stop('SIGKILL')
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

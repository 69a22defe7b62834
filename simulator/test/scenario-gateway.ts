import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { Scenario } from '../src/scenarios/schema.js'

/**
 * A real gateway process (gateway/src/main.ts under tsx) whose site config is the rule
 * pack of a scenario, with `{id}-demo` passwords, on ephemeral loopback ports and a
 * temporary data directory. Shared by the scenario tests in this folder.
 */

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url))

// Loaded at run time from the gateway's sources, outside this package's type check.
const gatewayModule = async <T>(path: string): Promise<T> => (await import(pathToFileURL(join(REPO_ROOT, path)).href)) as T

export interface PackRule {
  id: string
  alarm?: unknown
  actions: { kind: string }[]
}
export interface Pack {
  timezone: string
  devices: { id: string; relays?: { name: string }[] }[]
  rules: PackRule[]
}
type Packs = {
  loadPack(name: string): Pack
  siteConfigFromPacks(o: { gatewayId: string; packs: unknown[]; passwordHashes: Record<string, string> }): { devices: unknown[] }
}

export interface LogLine {
  msg?: string
  mqtt?: number
  api?: number
  level?: number
  [key: string]: unknown
}

export interface ScenarioGateway {
  pack: Pack
  child: ChildProcess
  mqttPort: number
  apiPort: number
  /** Holds the gateway's log.db. */
  dataDir: string
  /** The local API token for `Authorization: Bearer`. */
  apiToken: string
  /** Every JSON line the gateway printed so far. */
  lines: LogLine[]
  stderr(): string
  /** SIGTERM, then SIGKILL after 5 s; resolves once the process is gone. */
  stop(): Promise<void>
  /** Stops it and removes the temporary directory. */
  dispose(): Promise<void>
}

export async function until<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await probe()
    if (v) return v
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

export async function stopProcess(child: ChildProcess, timeoutMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  await gone
  clearTimeout(timer)
}

export async function startScenarioGateway(scenario: Scenario, opts: { env?: Record<string, string>; logLevel?: string } = {}): Promise<ScenarioGateway> {
  const { loadPack, siteConfigFromPacks } = await gatewayModule<Packs>('gateway/src/rules/packs/index.ts')
  const { hashPassword } = await gatewayModule<{ hashPassword(p: string): Promise<string> }>('gateway/src/broker/passwords.ts')
  const pack = loadPack(scenario.pack as string)
  const hashes: Record<string, string> = {}
  // Pack devices a scenario does not simulate get a login too; they just stay away.
  const ids = [...new Set([...scenario.devices.map((d) => d.id), ...pack.devices.map((d) => d.id)])]
  await Promise.all(ids.map(async (id) => (hashes[id] = await hashPassword(`${id}-demo`))))
  const site = siteConfigFromPacks({ gatewayId: `gw-${scenario.name}`, packs: [pack], passwordHashes: hashes })
  // Scenario devices beyond the pack (a display fridge, a door) join as plain sensors.
  const packIds = new Set(pack.devices.map((d) => d.id))
  for (const d of scenario.devices)
    if (!packIds.has(d.id)) site.devices.push({ id: d.id, kind: 'sensor', passwordHash: hashes[d.id], ...(d.relays?.length ? { relays: d.relays } : {}) })
  const dir = mkdtempSync(join(tmpdir(), 'tendero-scenario-'))
  writeFileSync(join(dir, 'site.json'), JSON.stringify(site))
  const apiToken = 'scenario-test-token-0001'
  const child = spawn(process.execPath, ['--import', 'tsx', 'gateway/src/main.ts'], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH,
      GATEWAY_MQTT_PORT: '0',
      // Not the default 8883: tests run side by side.
      GATEWAY_MQTT_WS_PORT: 'off',
      GATEWAY_MQTT_HOST: '127.0.0.1',
      GATEWAY_API_PORT: '0',
      GATEWAY_API_HOST: '127.0.0.1',
      GATEWAY_API_TOKEN: apiToken,
      GATEWAY_DATA_DIR: join(dir, 'data'),
      GATEWAY_CONFIG: join(dir, 'site.json'),
      CLOUD_URL: 'http://127.0.0.1:9',
      GATEWAY_LOG_LEVEL: opts.logLevel ?? 'info',
      ...opts.env,
    },
  })
  const lines: LogLine[] = []
  let stderr = ''
  child.stderr!.on('data', (d) => (stderr += d))
  let buffered = ''
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString()
    for (const line of buffered.split('\n').slice(0, -1)) {
      try {
        lines.push(JSON.parse(line) as LogLine)
      } catch {
        stderr += `${line}\n`
      }
    }
    buffered = buffered.slice(buffered.lastIndexOf('\n') + 1)
  })
  const stop = () => stopProcess(child)
  const dispose = async () => {
    await stop()
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    const started = await until(
      () => (child.exitCode !== null ? Promise.reject(new Error(`gateway exited: ${stderr}`)) : lines.find((e) => e.msg === 'gateway started')),
      `the gateway to start (${stderr})`,
      30_000,
    )
    return {
      pack,
      child,
      mqttPort: started.mqtt as number,
      apiPort: started.api as number,
      dataDir: join(dir, 'data'),
      apiToken,
      lines,
      stderr: () => stderr,
      stop,
      dispose,
    }
  } catch (err) {
    await dispose()
    throw err
  }
}

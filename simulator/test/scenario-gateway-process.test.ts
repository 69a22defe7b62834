import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { pino } from 'pino'
import { ScenarioRunner } from '../src/scenarios/runner.js'
import { loadScenario, scenarioNames } from '../src/scenarios/schema.js'

// Every scenario against a real gateway process whose site config is the rule pack of the
// same name: the gateway must let every device in, reject none of their messages, and
// hand each pack relay its fail-safe (which it only does for relays it knows by name).

const root = fileURLToPath(new URL('../..', import.meta.url))
// Loaded at run time from the gateway's sources, outside this package's type check.
const gatewayModule = async <T>(path: string): Promise<T> => (await import(pathToFileURL(join(root, path)).href)) as T
type Packs = {
  loadPack(name: string): { devices: { id: string; relays?: { name: string }[] }[] }
  siteConfigFromPacks(o: { gatewayId: string; packs: unknown[]; passwordHashes: Record<string, string> }): { devices: unknown[] }
}

let gateway: ChildProcess | undefined
let runner: ScenarioRunner | undefined
let dir: string | undefined
afterEach(async () => {
  await runner?.stop()
  gateway?.kill('SIGKILL')
  if (dir) rmSync(dir, { recursive: true, force: true })
  gateway = runner = dir = undefined
})

async function until<T>(probe: () => T | undefined | false, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = probe()
    if (v) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe('scenarios against a gateway running their rule pack', () => {
  it.each(scenarioNames())(
    '%s',
    async (name) => {
      const scenario = loadScenario(name)
      const { loadPack, siteConfigFromPacks } = await gatewayModule<Packs>('gateway/src/rules/packs/index.ts')
      const { hashPassword } = await gatewayModule<{ hashPassword(p: string): Promise<string> }>('gateway/src/broker/passwords.ts')
      const pack = loadPack(scenario.pack as string)
      const hashes: Record<string, string> = {}
      // Pack devices no scenario simulates (a rain gauge) get a login too; they just stay away.
      for (const id of new Set([...scenario.devices.map((d) => d.id), ...pack.devices.map((d) => d.id)])) hashes[id] = await hashPassword(`${id}-demo`)
      const site = siteConfigFromPacks({ gatewayId: `gw-${name}`, packs: [pack], passwordHashes: hashes })
      // Scenario devices beyond the pack (a display fridge, a door) join as plain sensors.
      const packIds = new Set(pack.devices.map((d) => d.id))
      for (const d of scenario.devices)
        if (!packIds.has(d.id)) site.devices.push({ id: d.id, kind: 'sensor', passwordHash: hashes[d.id], ...(d.relays?.length ? { relays: d.relays } : {}) })
      dir = mkdtempSync(join(tmpdir(), 'tendero-scenario-'))
      writeFileSync(join(dir, 'site.json'), JSON.stringify(site))
      const child = spawn(process.execPath, ['--import', 'tsx', 'gateway/src/main.ts'], {
        cwd: root,
        env: {
          PATH: process.env.PATH,
          GATEWAY_MQTT_PORT: '0',
          // Not the default 8883: tests run side by side.
          GATEWAY_MQTT_WS_PORT: 'off',
          GATEWAY_MQTT_HOST: '127.0.0.1',
          GATEWAY_API_PORT: '0',
          GATEWAY_API_HOST: '127.0.0.1',
          GATEWAY_DATA_DIR: join(dir, 'data'),
          GATEWAY_CONFIG: join(dir, 'site.json'),
          CLOUD_URL: 'http://127.0.0.1:9',
          GATEWAY_LOG_LEVEL: 'info',
        },
      })
      gateway = child
      const log: { msg?: string; mqtt?: number; level?: number }[] = []
      let stderr = ''
      child.stderr!.on('data', (d) => (stderr += d))
      let buffered = ''
      child.stdout!.on('data', (chunk: Buffer) => {
        buffered += chunk.toString()
        for (const line of buffered.split('\n').slice(0, -1)) log.push(JSON.parse(line))
        buffered = buffered.slice(buffered.lastIndexOf('\n') + 1)
      })
      const port = await until(() => log.find((e) => e.msg === 'gateway started')?.mqtt, `the gateway to start (${stderr})`)

      runner = new ScenarioRunner({
        scenario,
        mqttUrl: `mqtt://127.0.0.1:${port}`,
        password: '{id}-demo',
        speed: 300,
        seed: 2,
        tickMs: 100,
        logger: pino({ level: 'silent' }),
      })
      await runner.start()
      const r = runner
      const packRelays = pack.devices.flatMap((d) => (d.relays ?? []).map((x) => ({ id: d.id, relay: x.name })))
      // One failsafe.set per pack relay, applied (acked ok) by the node that owns it.
      for (const id of new Set(packRelays.map((x) => x.id))) {
        const want = packRelays.filter((x) => x.id === id).length
        await until(() => (r.node(id)?.snapshot().commands.applied ?? 0) >= want, `fail-safes for ${id}`)
      }
      await until(() => r.snapshot().nodes.every((n) => n.sent.telemetry >= 2), 'telemetry from every device')
      expect(r.snapshot().online).toBe(scenario.devices.length)
      for (const n of r.snapshot().nodes) expect(n.commands.refused, n.deviceId).toBe(0)
      const complaints = log.filter((e) => e.msg === 'message rejected' || e.msg?.startsWith('device refused'))
      expect(complaints).toEqual([])
    },
    40_000,
  )
})

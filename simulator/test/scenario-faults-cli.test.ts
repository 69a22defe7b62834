import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { deviceTopic } from '@tendero/protocol'
import { loadScenario } from '../src/scenarios/schema.js'
import { startTestBroker, type TestBroker } from './broker.js'

let broker: TestBroker | undefined
let dir: string | undefined
afterEach(async () => {
  await broker?.close()
  broker = undefined
  if (dir) rmSync(dir, { recursive: true, force: true })
  dir = undefined
})

function runCli(args: string[]): { exited: Promise<number | null>; out: () => string; err: () => string; kill: () => void } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'simulator/src/main.ts', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SIM_LOG_LEVEL: 'warn' },
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  return {
    exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))),
    out: () => stdout,
    err: () => stderr,
    kill: () => child.kill('SIGTERM'),
  }
}

describe('simulate --scenario with --faults', () => {
  it('applies the plan: a stuck sensor publishes its frozen value and the status counts the fault', async () => {
    const ids = loadScenario('tienda-ropa').devices.map((d) => d.id)
    broker = await startTestBroker(Object.fromEntries(ids.map((id) => [id, `${id}-demo`])))
    dir = mkdtempSync(join(tmpdir(), 'tendero-faults-'))
    const plan = join(dir, 'plan.json')
    writeFileSync(plan, JSON.stringify([{ deviceId: 'clima-salon', metric: 'temperature_c', kind: 'stuck', from: 0, params: { value: 99.5 } }]))
    const cli = runCli(['--scenario', 'tienda-ropa', '--speed', '240', '--mqtt-url', broker.url, '--seed', '3', '--faults', plan])
    try {
      const b = broker
      const topic = deviceTopic('clima-salon', 'telemetry')
      await b.waitFor((p) => p.topic === topic, 20_000)
      await b.waitFor(() => b.published.filter((p) => p.topic === topic).length >= 2, 20_000)
    } finally {
      cli.kill()
    }
    expect(await cli.exited, cli.err()).toBe(0)
    const readings = broker.published
      .filter((p) => p.topic === deviceTopic('clima-salon', 'telemetry'))
      .map((p) => (p.body as { readings: Record<string, number> }).readings)
    for (const r of readings) expect(r.temperature_c).toBe(99.5)
    // The other metric of the same device is untouched.
    expect(readings.some((r) => typeof r.humidity_pct === 'number' && r.humidity_pct !== 99.5)).toBe(true)
    expect(cli.out()).toMatch(/fallas activas 1/)
  }, 40_000)

  it('partitions one device from the gateway through a link proxy of its own, and heals', async () => {
    const ids = loadScenario('tienda-ropa').devices.map((d) => d.id)
    broker = await startTestBroker(Object.fromEntries(ids.map((id) => [id, `${id}-demo`])))
    dir = mkdtempSync(join(tmpdir(), 'tendero-faults-'))
    const plan = join(dir, 'plan.json')
    // At 240x: cut from 2 s to 12 s of real time, the bytes sent meanwhile dropped.
    writeFileSync(plan, JSON.stringify([{ deviceId: 'contador-tienda', kind: 'partition', from: 480, to: 2880, params: { mode: 'drop' } }]))
    const cli = runCli(['--scenario', 'tienda-ropa', '--speed', '240', '--mqtt-url', broker.url, '--seed', '3', '--faults', plan])
    const b = broker
    const count = (id: string) => b.published.filter((p) => p.topic === deviceTopic(id, 'telemetry')).length
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
    try {
      await b.waitFor(() => count('contador-tienda') >= 1, 20_000)
      const deadline = Date.now() + 20_000
      while (!/fallas activas 1/.test(cli.out()) && Date.now() < deadline) await sleep(50)
      expect(cli.out()).toMatch(/fallas activas 1/)
      await sleep(500)
      const [cut, others] = [count('contador-tienda'), count('tablero-tienda')]
      await sleep(3000)
      // Nothing of the partitioned device gets through; the rest of the shop carries on.
      expect(count('contador-tienda')).toBe(cut)
      expect(count('tablero-tienda')).toBeGreaterThan(others + 3)
      // Healed: it publishes again, on the connection it kept or on a new one.
      await b.waitFor(() => count('contador-tienda') > cut, 30_000)
    } finally {
      cli.kill()
    }
    expect(await cli.exited, cli.err()).toBe(0)
  }, 60_000)

  it('refuses a bad plan with the path of the mistake and exit 1', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tendero-faults-'))
    const plan = join(dir, 'plan.json')
    writeFileSync(plan, JSON.stringify([{ deviceId: 'no-existe', kind: 'offline', from: 0 }]))
    const cli = runCli(['--scenario', 'tienda-ropa', '--mqtt-url', 'mqtt://127.0.0.1:9', '--faults', plan])
    expect(await cli.exited).toBe(1)
    expect(cli.err()).toMatch(/Invalid --faults .*plan\.json: .*\/faults\/0\/deviceId/)
  }, 20_000)
})

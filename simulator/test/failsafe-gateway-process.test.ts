import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { pino } from 'pino'
import { ColdRoomModel, startColdRoomNode, type ColdRoomNode } from '../src/index.js'

// The real thing: a gateway process (main.ts) that dies by SIGKILL, and a simulated
// cold-room node that must then run its relays by itself as the gateway told it to.

const root = fileURLToPath(new URL('../..', import.meta.url))
const DEVICE = { id: 'camara-1', password: 'camara-1-demo' }

let gateway: ChildProcess | undefined
let node: ColdRoomNode | undefined
let dir: string | undefined
afterEach(async () => {
  gateway?.kill('SIGKILL')
  await node?.stop()
  if (dir) rmSync(dir, { recursive: true, force: true })
  gateway = node = dir = undefined
})

async function until<T>(probe: () => T | undefined | false, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = probe()
    if (v) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

/** Starts main.ts on port 0 with a site config of one cold room; resolves with its MQTT port. */
async function startGatewayProcess(): Promise<number> {
  dir = mkdtempSync(join(tmpdir(), 'tendero-failsafe-'))
  const demo = JSON.parse(readFileSync(join(root, 'gateway/config/demo.json'), 'utf8'))
  const coldRoom = demo.devices.find((d: { id: string }) => d.id === DEVICE.id)
  const site = {
    gatewayId: 'gw-failsafe-test',
    devices: [
      {
        ...coldRoom,
        relays: [
          { name: 'compressor', failsafe: { mode: 'duty', onSeconds: 60, offSeconds: 90 } },
          { name: 'valve', failsafe: { mode: 'off' } },
        ],
      },
    ],
    rules: [],
  }
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
  let stderr = ''
  child.stderr!.on('data', (d) => (stderr += d))
  return new Promise<number>((resolve, reject) => {
    let buffered = ''
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString()
      for (const line of buffered.split('\n').slice(0, -1)) {
        const entry = JSON.parse(line) as { msg?: string; mqtt?: number }
        if (entry.msg === 'gateway started' && typeof entry.mqtt === 'number') resolve(entry.mqtt)
      }
      buffered = buffered.slice(buffered.lastIndexOf('\n') + 1)
    })
    child.once('exit', (code) => reject(new Error(`gateway exited ${code} before starting: ${stderr}`)))
  })
}

describe('fail-safe across a gateway crash', () => {
  it('the node closes the valve and duty-cycles the compressor after the gateway is SIGKILLed', async () => {
    const mqttPort = await startGatewayProcess()
    node = await startColdRoomNode({
      mqttUrl: `mqtt://127.0.0.1:${mqttPort}`,
      deviceId: DEVICE.id,
      password: DEVICE.password,
      intervalMs: 20,
      speed: 1_000, // 20 simulated seconds per tick: a 150 s cycle takes 150 ms
      keepaliveS: 2,
      reconnectPeriodMs: 200,
      extraRelays: { valve: true },
      model: new ColdRoomModel({ doorOpeningsPerHour: 0 }, { startTempC: 4, compressorOn: true }),
      logger: pino({ level: 'silent' }),
    })
    const n = node
    // The gateway tells the node its safe states as soon as it subscribes.
    await until(() => n.snapshot().commands.applied >= 2, 'failsafe.set from the gateway')
    expect(n.snapshot().failsafes).toEqual({ compressor: { mode: 'duty', onSeconds: 60, offSeconds: 90 }, valve: { mode: 'off' } })
    expect(n.snapshot()).toMatchObject({ failsafe: false, compressor: true, relays: { valve: true } })

    const exited = new Promise((resolve) => gateway!.once('exit', resolve))
    gateway!.kill('SIGKILL')
    await exited

    await until(() => n.snapshot().failsafe, 'fail-safe after the gateway died', 5000)
    expect(n.snapshot()).toMatchObject({ connected: false, relays: { valve: false } })
    const changes: { atS: number; on: boolean }[] = []
    let last = n.snapshot().compressor
    const poll = setInterval(() => {
      const s = n.snapshot()
      if (s.compressor !== last) changes.push({ atS: s.simulatedS, on: s.compressor })
      last = s.compressor
    }, 2)
    try {
      await until(() => changes.length >= 5, 'five compressor switches')
    } finally {
      clearInterval(poll)
    }
    // It was running: the on phase ends first, then 90 s off, 60 s on, … (seen at 20 s ticks).
    expect(changes.map((c) => c.on)).toEqual([false, true, false, true, false])
    for (let i = 1; i < changes.length; i++) {
      const lasted = changes[i]!.atS - changes[i - 1]!.atS
      expect(Math.abs(lasted - (changes[i - 1]!.on ? 60 : 90))).toBeLessThanOrEqual(40)
    }
    // The valve stays shut the whole time.
    expect(n.snapshot().relays).toEqual({ valve: false })
  }, 30_000)
})

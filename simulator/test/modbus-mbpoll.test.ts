import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ColdRoomModel } from '../src/models/cold-room.js'
import {
  ColdRoomController,
  EnergyMeter,
  ModbusTcpServer,
  coldRoomControllerMap,
  energyMeterMap,
  manualClock,
  type RegisterEntry,
} from '../src/modbus/index.js'

/**
 * A third-party client, Debian's mbpoll (libmodbus), reads every documented register: if
 * our server and our test decoder shared a misreading of the spec, this is where it shows.
 * `.ci/run` installs mbpoll; locally the test skips without it, but never under CI.
 */
const MBPOLL = '/usr/bin/mbpoll'
const present = existsSync(MBPOLL)
if (!present && process.env.CI === 'true') throw new Error(`${MBPOLL} is missing: .ci/run installs Debian's mbpoll`)

// Async on purpose: the servers live in this process, a sync spawn would block them.
const run = promisify(execFile)

async function mbpoll(port: number, args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(MBPOLL, ['-m', 'tcp', '-p', String(port), '-a', '1', '-0', '-1', '-o', '1', ...args], { timeout: 10_000 })
    return { stdout, stderr, code: 0 }
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; code?: number }
    return { stdout: e.stdout ?? '', stderr: e.stderr ?? '', code: typeof e.code === 'number' ? e.code : -1 }
  }
}

/** `[ref]: \t40` or `[ref]: \t65526 (-10)` (16-bit, signed in brackets) → value per reference. */
function parseValues(stdout: string): Map<number, { plain: number; signed?: number }> {
  const out = new Map<number, { plain: number; signed?: number }>()
  for (const m of stdout.matchAll(/^\[(\d+)\]:\s+(-?[\d.eE+-]+|nan|inf)(?:\s+\((-?\d+)\))?\s*$/gm)) {
    out.set(Number(m[1]), { plain: Number(m[2]), ...(m[3] !== undefined ? { signed: Number(m[3]) } : {}) })
  }
  return out
}

/** The mbpoll data type for an entry, from the register map's table, type and word order. */
function mbpollType(e: RegisterEntry): string[] {
  if (e.table === 'coil') return ['-t', '0']
  if (e.table === 'discrete') return ['-t', '1']
  const t = e.table === 'input' ? '3' : '4'
  if (e.type === 'int16' || e.type === 'uint16') return ['-t', t]
  const suffix = e.type === 'float32' ? 'float' : 'int'
  // mbpoll's 32-bit default is low word first; -B asks for high word first.
  return ['-t', `${t}:${suffix}`, ...(e.wordOrder === 'big' ? ['-B'] : [])]
}

function documentedValue(e: RegisterEntry, v: { plain: number; signed?: number }): number {
  if (e.type === 'int16') return (v.signed ?? v.plain) * e.scale
  if (e.type === 'uint32') return (v.plain >>> 0) * e.scale
  return v.plain * e.scale
}

describe.skipIf(!present)('mbpoll (Debian, libmodbus) reads the simulator', () => {
  const clock = manualClock()
  const controller = new ColdRoomController({
    model: new ColdRoomModel({ doorOpeningsPerHour: 6, seed: 3 }, { startTempC: -3 }),
    clock,
    setpointC: -2.5, // negative, so the int16 sign path is exercised
  })
  const meter = new EnergyMeter({ clock })
  const coldRoom = new ModbusTcpServer(controller)
  const meterServer = new ModbusTcpServer(meter)
  let coldPort = 0
  let meterPort = 0

  beforeAll(async () => {
    coldPort = await coldRoom.listen(0)
    meterPort = await meterServer.listen(0)
    clock.set(5 * 3600 + 17) // hours in: counters and energy are non-trivial, time stands still now
  })
  afterAll(async () => {
    await coldRoom.close()
    await meterServer.close()
  })

  for (const [label, map, port, device] of [
    ['cold-room controller', coldRoomControllerMap, () => coldPort, controller],
    ['energy meter', energyMeterMap, () => meterPort, meter],
  ] as const) {
    it(`gets the documented value of every ${label} register`, async () => {
      const expected = device.values()
      for (const e of map.entries) {
        const res = await mbpoll(port(), [...mbpollType(e), '-r', String(e.address), '-c', '1', '127.0.0.1'])
        expect(res.code, `${e.name}: ${res.stderr}`).toBe(0)
        const raw = parseValues(res.stdout).get(e.address)
        expect(raw, `${e.name}: ${res.stdout}`).toBeDefined()
        const value = documentedValue(e, raw!)
        // mbpoll prints floats with 6 significant digits; integers exact up to one raw step.
        const tol = e.type === 'float32' ? Math.abs(expected[e.name]!) * 1e-5 + 1e-6 : e.type === 'bool' ? 0 : e.scale / 2 + 1e-9
        expect(Math.abs(value - expected[e.name]!), `${e.name}: mbpoll ${value}, model ${expected[e.name]}`).toBeLessThanOrEqual(tol)
      }
    }, 60_000)
  }

  it('writes a negative setpoint and a coil, and gets illegal data address outside the map', async () => {
    // mbpoll writes 16-bit registers as 0..65535: an int16 −45 goes as its two's complement.
    let res = await mbpoll(coldPort, ['-t', '4', '-r', '0', '127.0.0.1', String(-45 & 0xffff)])
    expect(res.code, res.stderr).toBe(0)
    expect(controller.values().setpoint_c).toBeCloseTo(-4.5, 5)
    res = await mbpoll(coldPort, ['-t', '0', '-r', '0', '127.0.0.1', '1'])
    expect(res.code, res.stderr).toBe(0)
    expect(controller.model.compressorOn).toBe(true)
    expect(controller.values().thermostat_auto).toBe(0)
    res = await mbpoll(coldPort, ['-t', '3', '-r', '16', '-c', '1', '127.0.0.1'])
    expect(res.code).not.toBe(0)
    expect(res.stdout + res.stderr).toMatch(/Illegal data address/i)
  }, 30_000)
})

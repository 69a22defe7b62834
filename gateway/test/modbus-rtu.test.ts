import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { pino } from 'pino'
import { ServerSerial } from 'modbus-serial'
import { ModbusPoller } from '../src/modbus/poller.js'
import type { ModbusDeviceConfig } from '../src/modbus/schema.js'
import { waitFor } from './harness.js'
import { words } from './modbus-harness.js'

const cleanups: (() => Promise<unknown> | void)[] = []
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!()
})

const hasSocat = ['/usr/bin/socat', '/bin/socat', '/usr/local/bin/socat'].some(existsSync)

/** A virtual RS-485 bus: two linked pseudo-terminals, the gateway on one end, the devices on the other. */
async function virtualBus(): Promise<{ gateway: string; devices: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'tendero-rtu-'))
  const gateway = join(dir, 'gw')
  const devices = join(dir, 'dev')
  const socat: ChildProcess = spawn('socat', [`pty,raw,echo=0,link=${gateway}`, `pty,raw,echo=0,link=${devices}`], { stdio: 'ignore' })
  cleanups.push(() => {
    socat.kill()
    rmSync(dir, { recursive: true, force: true })
  })
  await waitFor(() => existsSync(gateway) && existsSync(devices), 5000)
  return { gateway, devices }
}

// CI installs socat (.ci/run); there a missing socat is a failure, not a skip.
if (!hasSocat && process.env.CI === 'true') throw new Error('socat is missing: the Modbus RTU test needs it (apt-get install socat)')

describe.skipIf(!hasSocat)('modbus driver over RTU (serial)', () => {
  it('polls several units on one bus; a silent unit goes unavailable without stopping the others', async () => {
    const bus = await virtualBus()
    // Units 1 and 2 answer with their own registers; unit 3 is on the map but not on the wire.
    const holding: Record<number, number[]> = { 1: [...words('int16', -55), ...words('float32', 21.5, 'little')], 2: [...words('int16', 120), ...words('float32', -3.25, 'little')] }
    const coils: Record<number, boolean[]> = { 1: [false], 2: [true] }
    const hang = () => new Promise<never>(() => {})
    const vector = {
      getHoldingRegister: (addr: number, unit: number) => (holding[unit] ? holding[unit][addr]! : hang()),
      getCoil: (addr: number, unit: number) => (coils[unit] ? coils[unit][addr]! : hang()),
      setCoil: (addr: number, value: boolean, unit: number) => {
        coils[unit]![addr] = value
      },
    }
    const server = new ServerSerial(vector, { path: bus.devices, baudRate: 38400, unitID: 255 })
    server.on('error', () => {})
    await new Promise<void>((resolve) => server.once('initialized', () => resolve()))
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())))

    const device = (unitId: number): ModbusDeviceConfig => ({
      transport: 'rtu',
      path: bus.gateway,
      baudRate: 38400,
      unitId,
      pollMs: 150,
      timeoutMs: 100,
      unavailableAfter: 2,
      backoffCapMs: 300,
      registers: [
        { name: 'temperature_c', address: 0, fn: 'holding', type: 'int16', scale: 0.1 },
        { name: 'setpoint_c', address: 1, fn: 'holding', type: 'float32', wordOrder: 'little' },
        { name: 'compressor', address: 0, fn: 'coil' },
      ],
    })
    const readings = new Map<string, Record<string, number>[]>()
    const states: [string, boolean][] = []
    const poller = new ModbusPoller({
      devices: [1, 2, 3].map((u) => ({ id: `unit-${u}`, modbus: device(u) })),
      logger: pino({ level: 'silent' }),
      async onReadings(id, r) {
        readings.set(id, [...(readings.get(id) ?? []), r])
      },
      async onState(id, online) {
        states.push([id, online])
      },
    })
    poller.start()
    cleanups.push(() => poller.stop())

    await waitFor(() => states.some(([id, online]) => id === 'unit-3' && !online), 5000)
    await waitFor(() => (readings.get('unit-1')?.length ?? 0) >= 3 && (readings.get('unit-2')?.length ?? 0) >= 3, 5000)
    expect(readings.get('unit-1')![0]).toEqual({ temperature_c: -5.5, setpoint_c: 21.5, compressor: 0 })
    expect(readings.get('unit-2')![0]).toEqual({ temperature_c: 12, setpoint_c: -3.25, compressor: 1 })
    expect(readings.has('unit-3')).toBe(false)

    await poller.write('unit-1', 'compressor', true)
    expect(coils[1]).toEqual([true])
    await waitFor(() => readings.get('unit-1')!.at(-1)!.compressor === 1, 5000)
    expect(states).toEqual(expect.arrayContaining([['unit-1', true], ['unit-2', true], ['unit-3', false]]))
  })
})

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import type { LogEvent } from '@tendero/protocol'
import { DEFAULT_SITE_CONFIG, parseSiteConfig, readSiteConfig } from '../../gateway/src/config.js'
import { buildGateway, type Gateway } from '../../gateway/src/gateway.js'
import { ColdRoomModel } from '../../simulator/src/index.js'
import {
  ColdRoomController,
  EnergyMeter,
  ModbusTcpServer,
  coldRoomControllerMap,
  energyMeterMap,
  manualClock,
  toDriverRegisters,
  type RegisterEntry,
  type RegisterMap,
} from '../../simulator/src/modbus/index.js'

// Issue 5: the gateway's Modbus driver against the simulator's servers, end to end over
// real TCP. Both devices run on one manual clock, so "what the model holds" is fixed while
// the test reads it and moves only when the test says so: no tolerance for time drift is
// needed, only for the register's raw step.

const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!()
})

async function waitFor<T>(probe: () => T | undefined | null | false, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = probe()
    if (value) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

async function serve(device: ConstructorParameters<typeof ModbusTcpServer>[0]): Promise<ModbusTcpServer> {
  const server = new ModbusTcpServer(device)
  await server.listen(0)
  cleanups.push(() => server.close())
  return server
}

type Telemetry = Extract<LogEvent, { kind: 'telemetry' }>
const telemetry = (gw: Gateway, deviceId: string): Telemetry[] =>
  gw.log.read(0, 100_000).filter((e): e is Telemetry => e.deviceId === deviceId && e.kind === 'telemetry')
const readingsOf = (e: LogEvent) => (e.body as { readings: Record<string, number> }).readings

/** A reading equals the model's value up to what the register can carry. */
function expectReading(entry: RegisterEntry, got: number | undefined, want: number): void {
  const label = `${entry.name} (${entry.table} ${entry.type} ${entry.wordOrder})`
  expect(got, label).toBeTypeOf('number')
  if (entry.type === 'bool') expect(got, label).toBe(want)
  else if (entry.type === 'float32') expect(Math.abs(got! - Math.fround(want)), label).toBeLessThanOrEqual(Math.abs(want) * 1e-7 + 1e-12)
  // Integers: the device rounds to the raw step; the gateway multiplies back in float.
  else expect(Math.abs(got! - want), label).toBeLessThanOrEqual(entry.scale / 2 + 1e-9)
}

function expectMatches(map: RegisterMap, readings: Record<string, number>, model: Record<string, number>): Set<string> {
  const covered = new Set<string>()
  for (const entry of map.entries) {
    expectReading(entry, readings[entry.name], model[entry.name]!)
    covered.add(entry.type === 'bool' ? `${entry.table}:bool` : `${entry.type}:${entry.type.endsWith('32') ? entry.wordOrder : '-'}`)
  }
  expect(Object.keys(readings).sort()).toEqual(map.entries.map((e) => e.name).sort())
  return covered
}

describe('gateway polls the simulator over Modbus TCP', () => {
  it('gets the right scaled values for every register type and word order, and its relay.set reaches the model', async () => {
    // Simulated time starts at 5000 s: the oven (horno) is off, the freezer runs below zero
    // so the signed registers carry negative values.
    const clock = manualClock(5000)
    const controller = new ColdRoomController({ clock, setpointC: -20, model: new ColdRoomModel({}, { startTempC: -17 }) })
    const meter = new EnergyMeter({ clock, loads: { horno: { onKw: 4.2, offKw: 0.05, periodS: 7200, onS: 3600, phaseS: 0 } } })
    const coldRoom = await serve(controller)
    const energy = await serve(meter)

    const dir = mkdtempSync(join(tmpdir(), 'tendero-e2e-modbus-'))
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }))
    const base = readSiteConfig(DEFAULT_SITE_CONFIG)
    const passwordHash = base.devices[0]!.passwordHash
    const site = parseSiteConfig({
      ...structuredClone(base),
      devices: [
        ...base.devices,
        {
          id: 'camara-mb', kind: 'cold_room', passwordHash, relays: ['compressor'],
          modbus: { host: '127.0.0.1', port: coldRoom.port, pollMs: 100, registers: toDriverRegisters(coldRoomControllerMap) },
        },
        {
          id: 'medidor-mb', kind: 'energy_meter', passwordHash,
          modbus: { host: '127.0.0.1', port: energy.port, pollMs: 100, registers: toDriverRegisters(energyMeterMap) },
        },
      ],
      // Load shedding: when the shop draws too much, the freezer's compressor waits.
      rules: [
        {
          id: 'recorte-demanda',
          when: { kind: 'threshold', deviceId: 'medidor-mb', metric: 'total_kw', above: 3, forSeconds: 0 },
          actions: [{ kind: 'relay.set', deviceId: 'camara-mb', relay: 'compressor', on: false }],
        },
      ],
    })
    const gw = buildGateway(
      {
        gatewayId: site.gatewayId, mqtt: { host: '127.0.0.1', port: 0 }, api: { host: '127.0.0.1', port: 0 }, dataDir: dir,
        cloud: { url: 'http://127.0.0.1:9', gatewayKey: 'test-key' }, clockSynced: true, logLevel: 'silent', site, sitePath: 'test',
      },
      { logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }), uplink: { backoffCapMs: 1000 } },
    )
    cleanups.push(() => gw.stop())
    await gw.start()

    // Time stands still: every poll reads what the models hold now.
    const [cold] = await waitFor(() => telemetry(gw, 'camara-mb').length > 0 && telemetry(gw, 'camara-mb'), 10_000, 'cold-room telemetry')
    const [power] = await waitFor(() => telemetry(gw, 'medidor-mb').length > 0 && telemetry(gw, 'medidor-mb'), 10_000, 'meter telemetry')
    const coldModel = controller.values()
    expect(coldModel.temperature_c).toBeLessThan(0)
    expect(coldModel.thermostat_auto).toBe(1)
    const covered = new Set([
      ...expectMatches(coldRoomControllerMap, readingsOf(cold!), coldModel),
      ...expectMatches(energyMeterMap, readingsOf(power!), meter.values()),
    ])
    // Every type and word order the maps hold was compared above.
    expect([...covered].sort()).toEqual(
      ['coil:bool', 'discrete:bool', 'float32:big', 'float32:little', 'int16:-', 'int32:big', 'int32:little', 'uint16:-', 'uint32:big', 'uint32:little'],
    )
    expect(readingsOf(power!).total_kw).toBeLessThan(3)
    expect(telemetry(gw, 'camara-mb').every((e) => readingsOf(e).compressor === coldModel.compressor)).toBe(true)

    // 40 simulated minutes later the oven is on: the readings follow the models, and the
    // load-shedding rule's relay.set becomes a coil write the controller obeys.
    clock.advance(2400)
    await waitFor(() => controller.values().compressor === 0 && controller.values().thermostat_auto === 0, 10_000, 'the compressor write at the simulator')
    const relayOff = gw.log.read(0, 100_000).find((e) => e.kind === 'command' && e.deviceId === 'camara-mb')
    expect(relayOff?.body).toMatchObject({ kind: 'relay.set', relay: 'compressor', on: false })
    await waitFor(() => gw.log.read(0, 100_000).find((e) => e.kind === 'ack' && e.deviceId === 'camara-mb' && (e.body as { ok: boolean }).ok), 5000, 'the ack')
    // Two polls more, so the compared one began after the clock moved and the write landed.
    for (const [id, server] of [['camara-mb', coldRoom], ['medidor-mb', energy]] as const) {
      const seen = telemetry(gw, id).length
      await waitFor(() => telemetry(gw, id).length >= seen + 2, 10_000, `${id} telemetry after the clock moved`)
      const latest = telemetry(gw, id).at(-1)!
      expectMatches(server.device.map, readingsOf(latest), server.currentValues())
    }
    expect(readingsOf(telemetry(gw, 'medidor-mb').at(-1)!).total_kw).toBeGreaterThan(3)
    expect(readingsOf(telemetry(gw, 'camara-mb').at(-1)!)).toMatchObject({ compressor: 0, thermostat_auto: 0 })
  })
})

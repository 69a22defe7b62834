import { readFileSync } from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import type ModbusRTU from 'modbus-serial'
import { ColdRoomModel } from '../src/models/cold-room.js'
import { EnergyMeterModel } from '../src/models/energy-meter.js'
import {
  ColdRoomController,
  DefrostState,
  EnergyMeter,
  ModbusException,
  ModbusTcpServer,
  coldRoomControllerMap,
  energyMeterCircuits,
  energyMeterMap,
  manualClock,
  wallClock,
  registerCount,
  registerMapTable,
  toDriverRegisters,
  type RegisterMap,
  type RegisterTable,
} from '../src/modbus/index.js'
import { closeClient, connectClient, decodeFromWords } from './modbus-client.js'

const cleanup: Array<() => Promise<void>> = []
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!()
})

async function start<D extends ColdRoomController | EnergyMeter>(device: D) {
  const server = new ModbusTcpServer(device)
  const port = await server.listen(0)
  const client = await connectClient(port)
  cleanup.push(() => server.close(), () => closeClient(client))
  return { server, client, device }
}

function coldRoom(opts: ConstructorParameters<typeof ColdRoomController>[0] & { clock?: ReturnType<typeof manualClock> } = {}) {
  const clock = opts.clock ?? manualClock()
  const model = new ColdRoomModel({ doorOpeningsPerHour: 6, seed: 7 }, { startTempC: 6 })
  return { clock, controller: new ColdRoomController({ model, clock, ...opts }) }
}

/** Reads every entry of `map` the way a driver would (one block per table) and decodes it. */
async function readAll(client: ModbusRTU, map: RegisterMap): Promise<Record<string, number>> {
  const out: Record<string, number> = {}
  const tables: RegisterTable[] = ['input', 'holding', 'coil', 'discrete']
  for (const table of tables) {
    const entries = map.entries.filter((e) => e.table === table)
    if (!entries.length) continue
    // Contiguous runs only: the servers answer 0x02 for unmapped gaps.
    const runs: (typeof entries)[] = []
    for (const e of [...entries].sort((a, b) => a.address - b.address)) {
      const run = runs.at(-1)
      const last = run?.at(-1)
      if (run && last && last.address + registerCount(last.type) === e.address) run.push(e)
      else runs.push([e])
    }
    for (const run of runs) {
      const first = run[0]!.address
      const last = run.at(-1)!
      const count = last.address + registerCount(last.type) - first
      const words =
        table === 'input' ? (await client.readInputRegisters(first, count)).data
        : table === 'holding' ? (await client.readHoldingRegisters(first, count)).data
        : table === 'coil' ? (await client.readCoils(first, count)).data.slice(0, count).map(Number)
        : (await client.readDiscreteInputs(first, count)).data.slice(0, count).map(Number)
      for (const e of run) out[e.name] = e.type === 'bool' ? words[e.address - first]! : decodeFromWords(e, words, e.address - first)
    }
  }
  return out
}

function expectMatches(read: Record<string, number>, expected: Record<string, number>, map: RegisterMap) {
  for (const e of map.entries) {
    expect(read[e.name], e.name).toBeDefined()
    // One raw step of tolerance (rounding); float32 to its ~7 significant digits.
    const tol = e.type === 'float32' ? Math.max(1e-6, Math.abs(expected[e.name]!) * 1e-6) : e.type === 'bool' ? 0 : e.scale / 2 + 1e-9
    expect(Math.abs(read[e.name]! - expected[e.name]!), `${e.name}: read ${read[e.name]} expected ${expected[e.name]}`).toBeLessThanOrEqual(tol)
  }
}

describe('cold-room controller over Modbus TCP', () => {
  it('serves every documented register, decoded values equal to the model, as time advances', async () => {
    const { clock, controller } = coldRoom()
    const { client } = await start(controller)
    for (const hours of [0, 0.5, 3, 7]) {
      clock.set(hours * 3600)
      const read = await readAll(client, coldRoomControllerMap)
      expectMatches(read, controller.values(), coldRoomControllerMap)
      expect(read.temperature_c).toBeCloseTo(controller.model.sensorC, 5)
      // The same temperature in every 32-bit type and word order.
      for (const name of ['temperature_float_big_c', 'temperature_float_little_c', 'temperature_int32_big_c', 'temperature_int32_little_c']) {
        expect(Math.abs(read[name]! - controller.model.temperatureC)).toBeLessThan(0.001)
      }
    }
    const final = await readAll(client, coldRoomControllerMap)
    // Seven hours with the default 6 h defrost interval and 6 openings/h: all counters moved.
    expect(final.compressor_run_h).toBeGreaterThan(0.5)
    expect(final.door_openings).toBeGreaterThan(10)
    expect(final.humidity_pct).toBeGreaterThan(60)
    expect(final.humidity_pct).toBeLessThan(95)
  })

  it('runs at the speed factor on a wall clock: one real second at 3600× is a simulated hour', async () => {
    let now = 0
    const controller = new ColdRoomController({ clock: wallClock(3600, () => now), defrostIntervalMin: 0 })
    const { client } = await start(controller)
    now = 1000
    const read = await readAll(client, coldRoomControllerMap)
    expect(controller.elapsedS).toBeCloseTo(3600, 6)
    expect(read.temperature_c).toBeCloseTo(controller.model.sensorC, 5)
  })

  it('the thermostat holds the room around a written setpoint', async () => {
    const { clock, controller } = coldRoom({ defrostIntervalMin: 0 })
    const { client } = await start(controller)
    await client.writeRegister(0, (-1 * 10) & 0xffff) // setpoint −1.0 °C, int16 × 0.1
    expect((await readAll(client, coldRoomControllerMap)).setpoint_c).toBeCloseTo(-1, 5)
    const temps: number[] = []
    for (let i = 0; i < 48; i++) {
      clock.advance(600)
      temps.push((await readAll(client, coldRoomControllerMap)).temperature_c!)
    }
    const settled = temps.slice(24) // after 4 h
    expect(Math.min(...settled)).toBeGreaterThan(-2.5)
    expect(Math.max(...settled)).toBeLessThan(3.5)
  })

  it('a written compressor coil overrides the thermostat and the model obeys it', async () => {
    const { clock, controller } = coldRoom({ defrostIntervalMin: 0 })
    const { client } = await start(controller)
    await client.writeCoil(0, true)
    let read = await readAll(client, coldRoomControllerMap)
    expect(read.compressor).toBe(1)
    expect(read.thermostat_auto).toBe(0)
    expect(read.compressor_running).toBe(1)
    expect(controller.model.compressorOn).toBe(true)
    const before = controller.model.temperatureC
    clock.advance(3 * 3600)
    read = await readAll(client, coldRoomControllerMap)
    // Manual on keeps cooling far below where the thermostat would have stopped.
    expect(read.temperature_float_big_c).toBeLessThan(before - 5)
    expect(read.compressor_run_h).toBeCloseTo(3, 1)
    await client.writeCoil(0, false)
    expect(controller.model.compressorOn).toBe(false)
    clock.advance(3600)
    expect((await readAll(client, coldRoomControllerMap)).compressor_run_h).toBeCloseTo(3, 1)
    await client.writeCoil(1, true) // back to auto
    expect((await readAll(client, coldRoomControllerMap)).thermostat_auto).toBe(1)
  })

  it('a defrost forces the relay off, then drips, then returns to the thermostat', async () => {
    const { clock, controller } = coldRoom({ defrostIntervalMin: 0, defrostDurationMin: 10 })
    const { client } = await start(controller)
    await client.writeCoil(0, true)
    await client.writeCoil(1, true)
    await client.writeCoil(2, true)
    let read = await readAll(client, coldRoomControllerMap)
    expect(read.defrost_state).toBe(DefrostState.defrosting)
    expect(read.defrost_request).toBe(1)
    expect(read.compressor_running).toBe(0)
    clock.advance(11 * 60)
    expect((await readAll(client, coldRoomControllerMap)).defrost_state).toBe(DefrostState.dripping)
    clock.advance(3 * 60)
    read = await readAll(client, coldRoomControllerMap)
    expect(read.defrost_state).toBe(DefrostState.idle)
  })

  it('32-bit holding writes need both words; out-of-range and read-only writes are refused', async () => {
    const { controller } = coldRoom()
    const { client } = await start(controller)
    const buf = Buffer.alloc(4)
    buf.writeFloatBE(6.5)
    await client.writeRegisters(4, [buf.readUInt16BE(2), buf.readUInt16BE(0)]) // little: low word first
    expect((await readAll(client, coldRoomControllerMap)).high_alarm_c).toBeCloseTo(6.5, 5)
    await expect(client.writeRegister(4, 1)).rejects.toMatchObject({ modbusCode: ModbusException.illegalDataAddress })
    await expect(client.writeRegister(0, 500)).rejects.toMatchObject({ modbusCode: ModbusException.illegalDataValue }) // 50 °C
    await expect(client.writeCoil(5, true)).rejects.toMatchObject({ modbusCode: ModbusException.illegalDataAddress })
    expect((await readAll(client, coldRoomControllerMap)).setpoint_c).toBeCloseTo(2, 5)
  })
})

describe('energy meter over Modbus TCP', () => {
  it('serves every documented register, equal to the model', async () => {
    const clock = manualClock()
    const { client, device } = await start(new EnergyMeter({ clock }))
    for (const t of [0, 450, 7_777, 86_400]) {
      clock.set(t)
      const read = await readAll(client, energyMeterMap)
      expectMatches(read, device.values(), energyMeterMap)
      const sum = energyMeterCircuits.reduce((a, c) => a + read[`${c}_kw`]!, 0)
      expect(read.total_kw).toBeCloseTo(sum, 4)
      for (const c of energyMeterCircuits) {
        // P = V·I·PF within the registers' resolution.
        const p = (read[`${c}_voltage_v`]! * read[`${c}_current_a`]! * read[`${c}_power_factor`]!) / 1000
        expect(Math.abs(p - read[`${c}_kw`]!)).toBeLessThan(0.01)
      }
    }
  })

  it('kWh is the integral of kW, sampled over Modbus', async () => {
    const clock = manualClock()
    const { client } = await start(new EnergyMeter({ clock }))
    const first = await readAll(client, energyMeterMap)
    const integral: Record<string, number> = {}
    // Every load edge falls on a whole minute, so a left sum per minute is exact.
    for (let minute = 0; minute < 180; minute++) {
      for (const [i, c] of energyMeterCircuits.entries()) {
        // One block per circuit: the reserved addresses between blocks answer 0x02.
        const read = await client.readInputRegisters(i * 10, 7)
        const kw = decodeFromWords(energyMeterMap.entries.find((e) => e.name === `${c}_kw`)!, read.data, 0)
        integral[c] = (integral[c] ?? 0) + kw / 60
      }
      clock.advance(60)
    }
    const last = await readAll(client, energyMeterMap)
    for (const c of energyMeterCircuits) {
      expect(integral[c]!).toBeGreaterThan(0.5)
      expect(Math.abs(last[`${c}_kwh`]! - first[`${c}_kwh`]! - integral[c]!), c).toBeLessThanOrEqual(0.0101)
    }
  })

  it('a circuit can meter the cold-room controller\'s compressor through the physics meter model', async () => {
    const clock = manualClock()
    const { controller } = coldRoom({ defrostIntervalMin: 0, clock })
    const camara = new EnergyMeterModel({ baseLoadKw: 0.05 }, {
      compressor: { kw: 1.1, powerFactor: 0.8, tracked: { isOn: () => controller.model.compressorOn, onSeconds: () => controller.compressorOnSeconds() } },
    }, 100)
    const { client } = await start(new EnergyMeter({ clock, models: { camara } }))
    controller.write('compressor', 1)
    clock.advance(3600)
    let read = await readAll(client, energyMeterMap)
    expect(read.camara_kw).toBeCloseTo(1.15, 5)
    expect(read.camara_kwh).toBeCloseTo(100 + 1.15, 2)
    expect(read.camara_power_factor).toBeGreaterThan(0.79)
    controller.write('compressor', 0)
    clock.advance(3600)
    read = await readAll(client, energyMeterMap)
    expect(read.camara_kw).toBeCloseTo(0.05, 5)
    expect(read.camara_kwh).toBeCloseTo(100 + 1.15 + 0.05, 2)
  })

  it('kWh is the integral of kW for irregular loads and steps (model, fine grid)', () => {
    const clock = manualClock()
    const meter = new EnergyMeter({ clock, loads: { camara: { periodS: 977, onS: 311.5, phaseS: 13.25, onKw: 1.7, offKw: 0.1 } } })
    const dt = 0.25
    let e = 0
    for (let t = 0; t < 5000; t += dt) e += meter.kwAt('camara', t + dt / 2) * (dt / 3600)
    expect(meter.kwhAt('camara', 5000) - meter.kwhAt('camara', 0)).toBeCloseTo(e, 2)
  })
})

describe('fault hooks', () => {
  it('out-of-map reads answer illegal data address; the server keeps serving', async () => {
    const { controller } = coldRoom()
    const { client } = await start(controller)
    await expect(client.readInputRegisters(14, 4)).rejects.toMatchObject({ modbusCode: ModbusException.illegalDataAddress })
    await expect(client.readHoldingRegisters(100, 1)).rejects.toMatchObject({ modbusCode: ModbusException.illegalDataAddress })
    await expect(client.readCoils(3, 1)).rejects.toMatchObject({ modbusCode: ModbusException.illegalDataAddress })
    expect((await client.readInputRegisters(0, 1)).data).toHaveLength(1)
  })

  it('an injected exception (server device busy) answers every request until cleared', async () => {
    const { server, client } = await start(new EnergyMeter({ clock: manualClock() }))
    server.faults.exception = ModbusException.serverDeviceBusy
    await expect(client.readInputRegisters(0, 2)).rejects.toMatchObject({ modbusCode: 6 })
    await expect(client.readInputRegisters(100, 5)).rejects.toMatchObject({ modbusCode: 6 })
    server.clearFaults()
    expect((await client.readInputRegisters(0, 2)).data).toHaveLength(2)
  })

  it('a timeout fault stops answering without closing the connection, and recovers', async () => {
    const { server, client } = await start(new EnergyMeter({ clock: manualClock() }))
    server.faults.timeout = true
    const t0 = Date.now()
    await expect(client.readInputRegisters(0, 2)).rejects.toMatchObject({ errno: 'ETIMEDOUT' })
    expect(Date.now() - t0).toBeGreaterThanOrEqual(350)
    expect(client.isOpen).toBe(true)
    server.faults.timeout = false
    expect((await client.readInputRegisters(0, 2)).data).toHaveLength(2)
  })

  it('requests for another unit id go unanswered, as on a shared bus', async () => {
    const { client } = await start(new EnergyMeter({ clock: manualClock() }))
    client.setID(7)
    await expect(client.readInputRegisters(0, 2)).rejects.toMatchObject({ errno: 'ETIMEDOUT' })
    client.setID(1)
    expect((await client.readInputRegisters(0, 2)).data).toHaveLength(2)
  })

  it('a stuck value stays frozen while the model moves on, and follows it again when released', async () => {
    const { clock, controller } = coldRoom({ defrostIntervalMin: 0 })
    const { server, client } = await start(controller)
    await client.writeCoil(0, true)
    const stuckAt = (await readAll(client, coldRoomControllerMap)).temperature_c!
    server.stick('temperature_c')
    clock.advance(2 * 3600)
    const read = await readAll(client, coldRoomControllerMap)
    expect(read.temperature_c).toBeCloseTo(stuckAt, 5)
    expect(read.temperature_float_big_c).toBeLessThan(stuckAt - 3) // the other registers still move
    server.unstick('temperature_c')
    expect((await readAll(client, coldRoomControllerMap)).temperature_c).toBeCloseTo(controller.model.sensorC, 5)
    expect(() => server.stick('no_such_register')).toThrow(RangeError)
  })
})

describe('register maps as data', () => {
  it('convert to the gateway driver vocabulary with metric-safe names and no overlaps', () => {
    for (const map of [coldRoomControllerMap, energyMeterMap]) {
      const regs = toDriverRegisters(map)
      expect(regs).toHaveLength(map.entries.length)
      for (const r of regs) expect(r.name).toMatch(/^[a-z][a-z0-9_]{0,47}$/)
      // The server constructor rejects overlapping addresses; building one is the check.
      expect(() => new ModbusTcpServer({ map, values: () => ({}), write() {} })).not.toThrow()
    }
    expect(toDriverRegisters(coldRoomControllerMap).find((r) => r.name === 'door_open')).toEqual({ name: 'door_open', address: 0, fn: 'discrete' })
  })

  it('the README documents exactly these maps', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
    for (const map of [coldRoomControllerMap, energyMeterMap]) expect(readme).toContain(registerMapTable(map))
  })
})

import { afterEach, describe, expect, it } from 'vitest'
import { ColdRoomModel } from '../src/models/cold-room.js'
import { ColdRoomController, ModbusTcpServer, manualClock } from '../src/modbus/index.js'
import { FaultInjector } from '../src/faults/index.js'
import { closeClient, connectClient } from './modbus-client.js'

// Modbus plan entries drive the server's own fault hooks; a real modbus-serial client
// over TCP sees what a gateway would.

const cleanup: Array<() => Promise<void>> = []
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!()
})

describe('modbus faults from a plan', () => {
  it('times out, answers exceptions and freezes a register, each only within its window', async () => {
    const clock = manualClock()
    const model = new ColdRoomModel({ doorOpeningsPerHour: 0, seed: 3 }, { startTempC: 12, compressorOn: true })
    const server = new ModbusTcpServer(new ColdRoomController({ model, clock }))
    const port = await server.listen(0)
    const client = await connectClient(port, 300)
    cleanup.push(() => server.close(), () => closeClient(client))

    const injector = new FaultInjector({
      plan: [
        { deviceId: 'frio-1', kind: 'modbus-stuck', from: 100, to: 4000, params: { register: 'temperature_c' } },
        { deviceId: 'frio-1', kind: 'modbus-timeout', from: 200, to: 300 },
        { deviceId: 'frio-1', kind: 'modbus-exception', from: 400, to: 500, params: { code: 4 } },
        { deviceId: 'frio-1', kind: 'modbus-stuck', from: 0, params: { register: 'humidity_pct', value: 55.5 } },
      ],
      clock,
      targets: { 'frio-1': { modbus: server } },
    })
    const temperature = async () => (await client.readInputRegisters(0, 1)).data[0]! / 10
    const humidity = async () => (await client.readInputRegisters(1, 1)).data[0]! / 10

    injector.update()
    expect(await humidity()).toBe(55.5)

    clock.set(100)
    injector.update()
    const frozen = await temperature()
    clock.set(190)
    expect(await temperature()).toBe(frozen)

    clock.set(200)
    expect(injector.update().map((a) => a.kind)).toEqual(['modbus-stuck', 'modbus-timeout', 'modbus-stuck'])
    await expect(client.readInputRegisters(0, 1)).rejects.toThrow(/timed out/i)

    clock.set(400)
    expect(injector.statusText()).toContain('frio-1: Modbus no responde')
    injector.update()
    expect(injector.statusText()).toContain('frio-1: Modbus excepción 0x04')
    await expect(client.readInputRegisters(0, 1)).rejects.toMatchObject({ modbusCode: 4 })

    clock.set(500)
    injector.update()
    expect(await temperature()).toBe(frozen)

    // The compressor has been pulling the room down all along; once unstuck the probe shows it.
    clock.set(4000)
    injector.update()
    expect(await temperature()).toBeLessThan(frozen - 1)
    expect(await humidity()).toBe(55.5)

    await injector.stop()
    expect(server.faults.stuck.size).toBe(0)
    expect(await humidity()).not.toBe(55.5)
  })
})

import { afterEach, describe, expect, it } from 'vitest'
import { startTestGateway, testSite } from './harness.js'
import { startFakeModbusDevice, startSilentDevice } from './modbus-harness.js'

const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!()
})

interface ModbusHealth {
  state: 'online' | 'unavailable'
  lastPollAt: number | null
  lastError: string | null
  consecutiveFailures: number
  pollMs: number
}

describe('GET /health: modbus', () => {
  it('reports each Modbus device online or unavailable, with its last answer and last error', async () => {
    const dev = await startFakeModbusDevice({ holding: [42] })
    cleanups.push(() => dev.close())
    const silent = await startSilentDevice()
    cleanups.push(() => silent.close())
    const site = await testSite((s) => {
      const passwordHash = s.devices[0]!.passwordHash
      const registers = [{ name: 'temperature_c', address: 0, fn: 'holding' as const, type: 'int16' as const, scale: 0.1 }]
      s.devices.push({ id: 'vivo', kind: 'cold_room', passwordHash, modbus: { host: '127.0.0.1', port: dev.port, pollMs: 100, registers } })
      s.devices.push({
        id: 'mudo', kind: 'cold_room', passwordHash,
        modbus: { host: '127.0.0.1', port: silent.port, pollMs: 100, timeoutMs: 50, unavailableAfter: 2, backoffCapMs: 100, registers },
      })
    })
    const t = await startTestGateway({ site })
    cleanups.push(() => t.close())
    const before = Date.now()
    const health = async () => {
      const res = await fetch(`http://127.0.0.1:${t.apiPort}/health`)
      expect(res.status).toBe(200)
      return ((await res.json()) as { modbus?: Record<string, ModbusHealth> }).modbus
    }
    let modbus: Record<string, ModbusHealth> | undefined
    const deadline = Date.now() + 10_000
    for (;;) {
      modbus = await health()
      if (modbus?.vivo?.state === 'online' && (modbus.mudo?.consecutiveFailures ?? 0) >= 2) break
      if (Date.now() > deadline) throw new Error(`health never showed both devices: ${JSON.stringify(modbus)}`)
      await new Promise((r) => setTimeout(r, 50))
    }
    expect(modbus!.vivo).toEqual({ state: 'online', lastPollAt: expect.any(Number), lastError: null, consecutiveFailures: 0, pollMs: 100 })
    expect(modbus!.vivo!.lastPollAt).toBeGreaterThanOrEqual(before)
    expect(modbus!.mudo).toMatchObject({ state: 'unavailable', lastPollAt: null, lastError: expect.any(String), pollMs: 100 })

    // A gateway without Modbus devices keeps its /health as it was.
    const plain = await startTestGateway()
    cleanups.push(() => plain.close())
    const res = await fetch(`http://127.0.0.1:${plain.apiPort}/health`)
    expect(((await res.json()) as Record<string, unknown>).modbus).toBeUndefined()
  })
})

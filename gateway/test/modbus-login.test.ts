import { afterEach, describe, expect, it } from 'vitest'
import { deviceTopic } from '@tendero/protocol'
import { hashPassword } from '../src/broker/passwords.js'
import { DEMO_DEVICE, startTestGateway, testSite, waitFor } from './harness.js'
import { startFakeModbusDevice } from './modbus-harness.js'

const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!()
})

const POLLED_ONLY = 'medidor-mb'
const DUAL = { id: 'camara-mb', password: 'camara-mb-clave' }

describe('broker: Modbus devices and MQTT login', () => {
  it('refuses any login as a Modbus device without a passwordHash, and keeps serving the others', async () => {
    const dev = await startFakeModbusDevice({ holding: [42] })
    cleanups.push(() => dev.close())
    const registers = [{ name: 'temperature_c', address: 0, fn: 'holding' as const, type: 'int16' as const, scale: 0.1 }]
    const modbus = { host: '127.0.0.1', port: dev.port, pollMs: 100, registers }
    const dualHash = await hashPassword(DUAL.password)
    const site = await testSite((s) => {
      s.devices.push({ id: POLLED_ONLY, kind: 'cold_room', modbus })
      // A controller that is polled and also speaks MQTT keeps its login.
      s.devices.push({ id: DUAL.id, kind: 'cold_room', passwordHash: dualHash, modbus })
    })
    expect(site.devices.find((d) => d.id === POLLED_ONLY)?.passwordHash).toBeUndefined()
    const t = await startTestGateway({ site })
    cleanups.push(() => t.close())

    // Whatever the password: empty, absent, another device's, or the text of some hash.
    const guesses = ['', 'medidor-mb', DEMO_DEVICE.password, DUAL.password, 'undefined', dualHash]
    for (const password of guesses) await expect(t.connect(POLLED_ONLY, password)).rejects.toMatchObject({ code: 4 })
    await expect(t.connect(POLLED_ONLY, '', { password: undefined })).rejects.toMatchObject({ code: 4 })
    expect(t.gw.broker.connectRefusals()).toEqual({ bad_password: guesses.length + 1 })
    expect(t.gw.broker.clientCount()).toBe(0)

    // The auth path is unharmed: a regular device and the dual one log in and publish.
    const camara = await t.connect(DEMO_DEVICE.id, DEMO_DEVICE.password)
    await camara.publishAsync(deviceTopic(DEMO_DEVICE.id, 'telemetry'), JSON.stringify({ readings: { temperature_c: 4.1 } }), { qos: 1 })
    const dual = await t.connect(DUAL.id, DUAL.password)
    await expect(t.connect(DUAL.id, 'otra')).rejects.toMatchObject({ code: 4 })
    expect(dual.connected).toBe(true)
    // Read past the Modbus readings that share the log.
    expect(t.gw.log.read(0, 1000).some((e) => e.deviceId === DEMO_DEVICE.id && e.kind === 'telemetry')).toBe(true)

    // And the password-less device is still polled: its readings reach the log over Modbus.
    await waitFor(() => t.gw.log.read(0, 1000).find((e) => e.deviceId === POLLED_ONLY && e.kind === 'telemetry'))
  })
})

import { afterEach, describe, expect, it } from 'vitest'
import type { LogEvent } from '@tendero/protocol'
import { parseSiteConfig, type DeviceConfig } from '../src/config.js'
import { johnnyFive } from '../src/firmata/io.js'
import type { FirmataDeviceConfig } from '../src/firmata/schema.js'
import { DEMO_DEVICE, startTestGateway, testSite, waitFor, type TestGateway } from './harness.js'
import { boardBench, type BoardBench } from './firmata-harness.js'

/**
 * Firmata boards through johnny-five, driving a real gateway (log, rules, downlink command
 * path) with mock-firmata as the IO plugin. Timings are shrunk: 50 ms windows, 50 ms
 * first retry, 300 ms of silence before a board counts as hung.
 */
const cleanups: (() => Promise<unknown> | void)[] = []
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!()
})

const FAST = { timeoutMs: 500, retryMs: 50, backoffCapMs: 200, silenceMs: 300 }

/** A cold room on an Uno: A0 temperature (10 mV/°C over 0–5 V), a compressor relay module wired active-low. */
function horno(port = '/dev/ttyACM0'): FirmataDeviceConfig {
  return {
    port,
    ...FAST,
    sensors: [
      { pin: 'A0', metric: 'temperature_c', scale: 500 / 1023, offset: -10, decimals: 1, everyMs: 50, threshold: 0.5 },
      { pin: 'A1', metric: 'humidity_pct', scale: 100 / 1023, decimals: 0, everyMs: 50 },
    ],
    relays: [
      { name: 'horno', pin: 7, activeLow: true },
      { name: 'luz', pin: 8 },
    ],
    inputs: [{ pin: 2, state: 'puerta_abierta', pullup: true, everyMs: 20 }],
  }
}

function firmataDevice(id: string, firmata: FirmataDeviceConfig): DeviceConfig {
  return {
    id,
    kind: 'oven',
    // `luz` stays on when nobody is in control (the shop's lights); `horno` defaults to off.
    relays: [{ name: 'horno' }, { name: 'luz', failsafe: { mode: 'on' } }],
    firmata,
  }
}

async function gatewayWith(bench: BoardBench, devices: DeviceConfig[], rules: unknown[] = []): Promise<TestGateway> {
  const site = await testSite((s) => {
    s.devices.push(...devices)
    s.rules = rules as typeof s.rules
  })
  const t = await startTestGateway({ site, gateway: { firmataIo: bench.factory } })
  cleanups.push(() => t.close())
  return t
}

function bench(): BoardBench {
  const b = boardBench()
  cleanups.push(() => b.close())
  return b
}

const events = (t: TestGateway, deviceId: string, kind: LogEvent['kind']) =>
  t.gw.log.read(0, 100_000).filter((e) => e.deviceId === deviceId && e.kind === kind)
const bodies = <T>(t: TestGateway, deviceId: string, kind: LogEvent['kind']) => events(t, deviceId, kind).map((e) => e.body as T)
const readingsOf = (t: TestGateway, deviceId: string) => bodies<{ readings: Record<string, number> }>(t, deviceId, 'telemetry').map((b) => b.readings)
const statesOf = (t: TestGateway, deviceId: string) => bodies<{ state: Record<string, unknown> }>(t, deviceId, 'state').map((b) => b.state)
const acksOf = (t: TestGateway, deviceId: string) => bodies<{ id: string; ok: boolean; error?: string }>(t, deviceId, 'ack')

const HIGH = 1
const LOW = 0
const OUTPUT = 1

describe('firmata boards (johnny-five, mock-firmata IO plugin)', () => {
  it('logs scaled analog readings as telemetry, deduplicated by threshold, and inputs as state', async () => {
    const b = bench()
    b.analog('horno-1', 0, 512) // 512 * 500/1023 - 10 = 240.2 °C... an oven
    b.analog('horno-1', 1, 300) // 29.3 % -> 29
    const t = await gatewayWith(b, [firmataDevice('horno-1', horno())])
    await waitFor(() => readingsOf(t, 'horno-1').length > 0)
    // Both sensors' windows end in the same timers phase: one event carries both.
    expect(readingsOf(t, 'horno-1')[0]).toEqual({ temperature_c: 240.2, humidity_pct: 29 })
    expect(statesOf(t, 'horno-1')[0]).toEqual({ online: true })

    // 513 is 240.7 (+0.5, not more than the threshold): not logged; 514 is 241.2: logged.
    b.analog('horno-1', 0, 513)
    await new Promise((r) => setTimeout(r, 200))
    expect(readingsOf(t, 'horno-1').some((r) => r.temperature_c === 240.7)).toBe(false)
    b.analog('horno-1', 0, 514)
    await waitFor(() => readingsOf(t, 'horno-1').some((r) => r.temperature_c === 241.2))
    // No window was logged twice with the same values, and never the 0 johnny-five reports before the first sample.
    const temps = readingsOf(t, 'horno-1').flatMap((r) => (r.temperature_c === undefined ? [] : [r.temperature_c]))
    expect(temps).toEqual([240.2, 241.2])

    // The door's reed contact to ground, on the pull-up: closed door = LOW = not open.
    const board = b.current('horno-1')!
    expect(board.modes.get(2)).toBe(0x0b)
    board.level(2, LOW)
    await waitFor(() => statesOf(t, 'horno-1').some((s) => s.puerta_abierta === false))
    board.level(2, HIGH)
    await waitFor(() => statesOf(t, 'horno-1').some((s) => s.puerta_abierta === true))

    const health = (await fetch(`http://127.0.0.1:${t.apiPort}/health`).then((r) => r.json())) as { firmata: Record<string, { state: string; lastReadingAt: number | null }> }
    expect(health.firmata['horno-1']).toMatchObject({ state: 'online', lastError: null, connects: 1 })
    expect(health.firmata['horno-1']!.lastReadingAt).toBeGreaterThan(Date.now() - 5000)
  })

  it('puts relays in their fail-safe positions on connect, and a threshold rule switches one with its polarity', async () => {
    const b = bench()
    b.analog('horno-1', 0, 100) // 38.9 °C
    const rule = {
      id: 'horno-frio',
      when: { kind: 'threshold', deviceId: 'horno-1', metric: 'temperature_c', below: 30, forSeconds: 0 },
      actions: [{ kind: 'relay.set', deviceId: 'horno-1', relay: 'horno', on: true }],
    }
    const t = await gatewayWith(b, [firmataDevice('horno-1', horno())], [rule])
    await waitFor(() => readingsOf(t, 'horno-1').length > 0)
    const board = b.current('horno-1')!
    // Active-low `horno` de-energised (off is HIGH), active-high `luz` energised (fail-safe on).
    expect(board.modes.get(7)).toBe(OUTPUT)
    expect(board.levels.get(7)).toBe(HIGH)
    expect(board.levels.get(8)).toBe(HIGH)
    expect(statesOf(t, 'horno-1')).toContainEqual({ horno: false, luz: true })
    expect(acksOf(t, 'horno-1')).toEqual([])

    b.analog('horno-1', 0, 70) // 24.2 °C: below 30
    await waitFor(() => acksOf(t, 'horno-1').length > 0)
    const [command] = bodies<{ id: string; kind: string; relay: string; on: boolean }>(t, 'horno-1', 'command')
    expect(command).toMatchObject({ kind: 'relay.set', relay: 'horno', on: true })
    expect(acksOf(t, 'horno-1')).toEqual([{ id: command!.id, ok: true, ts: expect.any(Number) }])
    // On, for an active-low module, is LOW.
    expect(board.levels.get(7)).toBe(LOW)
    expect(statesOf(t, 'horno-1').at(-1)).toEqual({ horno: true })
  })

  it('runs a cloud command on a board and acks it; a command to a board that is down is acked with the error', async () => {
    const b = bench()
    b.analog('horno-1', 0, 500)
    b.unplug('horno-2')
    const t = await gatewayWith(b, [firmataDevice('horno-1', horno()), firmataDevice('horno-2', horno('/dev/ttyACM1'))])
    await waitFor(() => t.gw.firmata.status().find((d) => d.deviceId === 'horno-1')?.online === true)
    const send = (id: string, deviceId: string, on: boolean) =>
      t.gw.downlink.handle({ type: 'command', id, deviceId, issuedAt: Date.now(), expiresAt: Date.now() + 60_000, command: { kind: 'relay.set', relay: 'luz', on } })

    expect(await send('c-1', 'horno-1', false)).toMatchObject({ type: 'command.ack', id: 'c-1', ok: true })
    await waitFor(() => acksOf(t, 'horno-1').length > 0)
    expect(acksOf(t, 'horno-1')[0]).toMatchObject({ ok: true })
    expect(b.current('horno-1')!.levels.get(8)).toBe(LOW)

    await waitFor(() => statesOf(t, 'horno-2').some((s) => s.online === false))
    await send('c-2', 'horno-2', true)
    await waitFor(() => acksOf(t, 'horno-2').length > 0)
    const [ack] = acksOf(t, 'horno-2')
    expect(ack).toMatchObject({ ok: false })
    expect(ack!.error).toMatch(/^FIRMATA_ERR_UNAVAILABLE: board "horno-2" is not connected \(Error: No such file or directory, cannot open \/dev\/ttyACM1\)/)
    // Not queued for later either: no state change was logged for it.
    expect(statesOf(t, 'horno-2').some((s) => 'luz' in s)).toBe(false)
  })

  it('marks a board that fails unavailable, keeps serving the others, and recovers with backoff', async () => {
    const b = bench()
    b.analog('horno-1', 0, 500)
    b.analog('horno-2', 0, 600)
    const t = await gatewayWith(b, [firmataDevice('horno-1', horno()), firmataDevice('horno-2', horno('/dev/ttyACM1'))])
    await waitFor(() => readingsOf(t, 'horno-1').length > 0 && readingsOf(t, 'horno-2').length > 0)
    const cacheBefore = johnnyFive().Board.cache.length

    b.unplug('horno-1')
    await waitFor(() => statesOf(t, 'horno-1').some((s) => s.online === false))
    const health = () => t.gw.health().firmata!
    expect(health()['horno-1']).toMatchObject({ state: 'unavailable', lastError: 'serial port closed' })
    expect(health()['horno-2']).toMatchObject({ state: 'online' })
    const metrics = await fetch(`http://127.0.0.1:${t.apiPort}/metrics`).then((r) => r.text())
    expect(metrics).toContain('tendero_gateway_firmata_device_up{device="horno-1"} 0')
    expect(metrics).toContain('tendero_gateway_firmata_device_up{device="horno-2"} 1')
    // Retries keep failing (the port is gone) without hammering: backoff from 50 ms, capped at 200 ms.
    await waitFor(() => t.gw.firmata.status()[0]!.consecutiveFailures >= 4, 3000)
    expect(b.boards('horno-1').length).toBeLessThan(20)
    // The other board, and the MQTT devices, carry on.
    const before = readingsOf(t, 'horno-2').length
    b.analog('horno-2', 0, 700)
    await waitFor(() => readingsOf(t, 'horno-2').length > before)
    const mqtt = await t.connect(DEMO_DEVICE.id, DEMO_DEVICE.password)
    await mqtt.publishAsync(`tendero/v1/${DEMO_DEVICE.id}/telemetry`, JSON.stringify({ readings: { temperature_c: 3.1 } }), { qos: 1 })
    expect(events(t, DEMO_DEVICE.id, 'telemetry')).toHaveLength(1)
    // Only one offline event for the whole outage, however many retries.
    expect(statesOf(t, 'horno-1').filter((s) => s.online === false)).toHaveLength(1)

    b.analog('horno-1', 0, 400)
    b.plug('horno-1')
    await waitFor(() => health()['horno-1']!.state === 'online', 3000)
    await waitFor(() => statesOf(t, 'horno-1').filter((s) => 'online' in s).length === 3)
    expect(statesOf(t, 'horno-1').filter((s) => 'online' in s).map((s) => s.online)).toEqual([true, false, true])
    const fresh = b.current('horno-1')!
    // A reconnected board gets the fail-safe positions again; the first reading after the gap is logged.
    expect(fresh.levels.get(7)).toBe(HIGH)
    await waitFor(() => readingsOf(t, 'horno-1').some((r) => r.temperature_c === Math.round((400 * 500 / 1023 - 10) * 10) / 10))
    expect(health()['horno-1']).toMatchObject({ connects: 2, consecutiveFailures: 0, lastError: expect.stringContaining('cannot open /dev/ttyACM0') })
    // Every failed attempt's plugin was let go of, and johnny-five's global registry did not grow.
    expect(b.boards('horno-1').slice(0, -1).every((x) => x.closed)).toBe(true)
    expect(johnnyFive().Board.cache.length).toBeLessThanOrEqual(cacheBefore)
  })

  it('takes a board that goes silent for hung and reconnects it', async () => {
    const b = bench()
    b.analog('horno-1', 0, 500)
    const t = await gatewayWith(b, [firmataDevice('horno-1', horno())])
    await waitFor(() => readingsOf(t, 'horno-1').length > 0)
    b.hang('horno-1')
    await waitFor(() => statesOf(t, 'horno-1').some((s) => s.online === false))
    expect(t.gw.firmata.status()[0]!.lastError).toBe('no data from the board for 300 ms')
    expect(b.boards('horno-1')[0]!.closed).toBe(true)
  })

  it('drives relays to their fail-safe positions when the gateway stops', async () => {
    const b = bench()
    b.analog('horno-1', 0, 500)
    const t = await gatewayWith(b, [firmataDevice('horno-1', horno())])
    await waitFor(() => t.gw.firmata.status()[0]!.online === true)
    t.gw.firmata.write('horno-1', 'horno', true)
    t.gw.firmata.write('horno-1', 'luz', false)
    const board = b.current('horno-1')!
    expect([board.levels.get(7), board.levels.get(8)]).toEqual([LOW, LOW])
    await t.gw.stop()
    expect([board.levels.get(7), board.levels.get(8)]).toEqual([HIGH, HIGH])
    expect(board.closed).toBe(true)
  })

  it('refuses a bad firmata config at boot, naming each path', async () => {
    const passwordHash = (await testSite()).devices[0]!.passwordHash
    const bad = await testSite()
    const broken = horno()
    broken.sensors![1]!.pin = 'A0'
    broken.relays![1]!.name = 'ventilador'
    broken.inputs![0]!.state = 'horno'
    bad.devices.push(
      { ...firmataDevice('horno-1', broken) },
      { ...firmataDevice('horno-2', horno('/dev/ttyACM0')), passwordHash },
      { id: 'vacio', kind: 'oven', firmata: { port: '/dev/ttyACM5' } },
      { id: 'sin-pin', kind: 'oven', relays: ['horno'], firmata: { port: '/dev/ttyACM6', sensors: [{ pin: 'A9', metric: 'x', scale: 0 }] } },
    )
    let message = ''
    try {
      parseSiteConfig(bad)
    } catch (err) {
      message = (err as Error).message
    }
    const at = bad.devices.length - 4
    expect(message).toContain(`/devices/${at}/firmata/sensors/1/pin: pin A0 is already used by /devices/${at}/firmata/sensors/0/pin`)
    expect(message).toContain(`/devices/${at}/firmata/relays/1/name: "ventilador" is not in the device's relays`)
    expect(message).toContain(`/devices/${at}/firmata/relays: relay "luz" of the device needs a pin here`)
    expect(message).toContain(`/devices/${at}/firmata/inputs/0/state: "horno" is already a relay or input of this device`)
    expect(message).toContain(`/devices/${at + 1}/firmata/port: /dev/ttyACM0 is already taken by /devices/${at}/firmata/port`)
    expect(message).toContain(`/devices/${at + 2}/firmata: declare at least one of sensors, relays, inputs`)
    expect(message).toContain(`/devices/${at + 3}/firmata/sensors/0/scale: must not be 0`)
    expect(message).toContain(`/devices/${at + 3}/firmata/relays: relay "horno" of the device needs a pin here`)
    // A Firmata board needs no MQTT password, like a Modbus device.
    expect(message).not.toContain('passwordHash')

    const schemaBad = await testSite()
    schemaBad.devices.push({ id: 'x', kind: 'oven', firmata: { port: '/dev/ttyACM0', sensors: [{ pin: '14', metric: 'temperature_c' }] } as never })
    expect(() => parseSiteConfig(schemaBad)).toThrow(/\/devices\/\d+\/firmata\/sensors\/0\/pin/)
  })
})

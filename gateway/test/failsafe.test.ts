import { afterEach, describe, expect, it } from 'vitest'
import { deviceTopic, validators, type LogEvent } from '@tendero/protocol'
import { hashPassword } from '../src/broker/passwords.js'
import { DEMO_DEVICE, startTestGateway, testSite, waitFor, type TestGateway } from './harness.js'

const VALVE = { id: 'riego-1', password: 'riego-1-pw' }
const valveHash = hashPassword(VALVE.password)

let t: TestGateway | undefined
afterEach(() => t?.close())

async function startWithIrrigation() {
  const site = await testSite()
  site.devices.push({
    id: VALVE.id,
    kind: 'irrigation',
    passwordHash: await valveHash,
    relays: ['pump', { name: 'valve_1', failsafe: { mode: 'off' } }, { name: 'lights', failsafe: { mode: 'on' } }],
  })
  t = await startTestGateway({ site, gateway: { deviceLinks: true } })
  return t
}

const states = (events: LogEvent[], deviceId: string) =>
  events.filter((e) => e.kind === 'state' && e.deviceId === deviceId).map((e) => (e.body as { state: unknown }).state)

describe('fail-safe states, gateway side', () => {
  it('tells a device the safe state of each relay as soon as it subscribes, logged as commands', async () => {
    const gw = await startWithIrrigation()
    const device = await gw.connect(VALVE.id, VALVE.password)
    const received: Record<string, unknown>[] = []
    device.on('message', (_topic, payload) => received.push(JSON.parse(payload.toString())))
    await device.subscribeAsync(deviceTopic(VALVE.id, 'cmd'), { qos: 1 })
    await waitFor(() => received.length === 3)

    expect(received).toMatchObject([
      { kind: 'failsafe.set', relay: 'pump', mode: 'off' },
      { kind: 'failsafe.set', relay: 'valve_1', mode: 'off' },
      { kind: 'failsafe.set', relay: 'lights', mode: 'on' },
    ])
    for (const c of received) expect(validators.command.explain(c)).toEqual([])
    const logged = gw.gw.log.read(0, 100).filter((e) => e.kind === 'command')
    expect(logged.map((e) => (e.body as { id: string }).id)).toEqual(received.map((c) => c.id))
    expect(logged.every((e) => e.deviceId === VALVE.id)).toBe(true)
  })

  it('sends the demo compressor its duty cycle again on every reconnect, once per session', async () => {
    const gw = await startWithIrrigation()
    const cmd = deviceTopic(DEMO_DEVICE.id, 'cmd')
    const session = { clean: false, clientId: DEMO_DEVICE.id }
    for (let round = 1; round <= 2; round++) {
      const device = await gw.connect(DEMO_DEVICE.id, DEMO_DEVICE.password, session)
      const received: Record<string, unknown>[] = []
      device.on('message', (_topic, payload) => received.push(JSON.parse(payload.toString())))
      // Round 2 resumes the persistent session (subscription restored) and subscribes
      // again, like the simulator and most firmware: still one failsafe.set per relay.
      await device.subscribeAsync(cmd, { qos: 1 })
      await waitFor(() => received.length >= 1)
      await new Promise((r) => setTimeout(r, 150))
      expect(received).toMatchObject([{ kind: 'failsafe.set', relay: 'compressor', mode: 'duty', onSeconds: 600, offSeconds: 900 }])
      await device.endAsync()
    }
    await waitFor(() => states(gw.gw.log.read(0, 100), DEMO_DEVICE.id).length === 4)
  })

  it('logs online and offline state events as the device connects and loses its link', async () => {
    const gw = await startWithIrrigation()
    const device = await gw.connect(VALVE.id, VALVE.password)
    await waitFor(() => states(gw.gw.log.read(0, 100), VALVE.id).length === 1)
    // A lost link, not a clean DISCONNECT: the socket just dies.
    device.stream.destroy()
    await waitFor(() => states(gw.gw.log.read(0, 100), VALVE.id).length === 2)
    const events = gw.gw.log.read(0, 100).filter((e) => e.kind === 'state')
    expect(states(events, VALVE.id)).toEqual([{ online: true }, { online: false }])
    for (const e of events) expect(validators.logEvent.explain(e)).toEqual([])
    expect(gw.gw.links.online()).toEqual([])
  })

  it('does not mark a device offline when its new session takes over the old one', async () => {
    const gw = await startWithIrrigation()
    await gw.connect(VALVE.id, VALVE.password)
    await gw.connect(VALVE.id, VALVE.password) // same client id: Aedes closes the first session
    await waitFor(() => states(gw.gw.log.read(0, 100), VALVE.id).length === 3)
    await new Promise((r) => setTimeout(r, 100))
    expect(states(gw.gw.log.read(0, 100), VALVE.id)).toEqual([{ online: true }, { online: false }, { online: true }])
    expect(gw.gw.links.online()).toEqual([VALVE.id])
  })

  it('records every device offline when the gateway stops', async () => {
    const gw = await startWithIrrigation()
    await gw.connect(VALVE.id, VALVE.password)
    await waitFor(() => gw.gw.links.online().length === 1)
    await gw.gw.stop()
    // The log is closed now; a fresh gateway on the same data dir reads it back.
    const again = await startTestGateway({ site: gw.gw.config.site, config: { dataDir: gw.dir } })
    try {
      expect(states(again.gw.log.read(0, 100), VALVE.id)).toEqual([{ online: true }, { online: false }])
    } finally {
      await again.close()
    }
  })
})

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import mqtt, { type MqttClient } from 'mqtt'
import { pino } from 'pino'
import { deviceTopic, validators, type LogEvent } from '@tendero/protocol'
import { buildGateway, type Gateway } from '../src/gateway.js'
import type { SiteConfig } from '../src/config.js'
import { DEMO_DEVICE, testConfig, testSite, waitFor } from './harness.js'

const T0 = 1_763_719_200_000
const dirs: string[] = []
const running: { gw: Gateway; device: MqttClient }[] = []
afterEach(async () => {
  for (const r of running.splice(0)) {
    await r.device.endAsync(true)
    await r.gw.stop()
  }
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

/** One gateway process lifetime on `dir`, with the demo device connected and listening for relay commands. */
async function boot(site: SiteConfig, dir: string, clock: { now: number }) {
  const gw = buildGateway(testConfig(site, dir), {
    logger: pino({ level: 'silent' }),
    now: () => clock.now,
    rulesTickMs: 20,
    stateFlushMs: 20,
    uplink: { backoffCapMs: 1000 },
  })
  const { mqttPort } = await gw.start()
  const device = await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, {
    clientId: DEMO_DEVICE.id, username: DEMO_DEVICE.id, password: DEMO_DEVICE.password, reconnectPeriod: 0,
  })
  const relaySets: { on: boolean; issuedAt: number }[] = []
  device.on('message', (_t, payload) => {
    const command = JSON.parse(payload.toString())
    if (command.kind === 'relay.set') relaySets.push(command)
  })
  await device.subscribeAsync(deviceTopic(DEMO_DEVICE.id, 'cmd'), { qos: 1 })
  const r = { gw, device }
  running.push(r)
  return {
    gw,
    relaySets,
    temperature: (temperature_c: number) =>
      device.publishAsync(deviceTopic(DEMO_DEVICE.id, 'telemetry'), JSON.stringify({ readings: { temperature_c } }), { qos: 1 }),
    door: () => device.publishAsync(deviceTopic(DEMO_DEVICE.id, 'event'), JSON.stringify({ kind: 'door.opened' }), { qos: 1 }),
    /** A clean stop: state is flushed, the process is gone. */
    async stop() {
      running.splice(running.indexOf(r), 1)
      await device.endAsync(true)
      await gw.stop()
    },
  }
}

const quiet = () => new Promise((r) => setTimeout(r, 150))
const ofKind = (events: LogEvent[], kind: string) => events.filter((e) => e.kind === kind)

describe('rule state across a restart', () => {
  it('a hold, a counter, a relay guard and an active alarm carry on where they were', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tendero-rules-'))
    dirs.push(dir)
    const site = await testSite((s) => {
      s.rules[0]!.actions[0]!.minOnSeconds = 300
      s.rules.push({
        id: 'puerta',
        when: { kind: 'counter', deviceId: DEMO_DEVICE.id, event: 'door.opened', windowSeconds: 3600, moreThan: 2 },
        actions: [{ kind: 'state.set', name: 'puerta_abusada', value: true }],
      })
    })
    const clock = { now: T0 }

    // First life: above 5 °C for 60 of the 120 s, two door openings.
    let g = await boot(site, dir, clock)
    await g.temperature(6)
    await g.door()
    await g.door()
    clock.now = T0 + 60_000
    await quiet()
    expect(g.relaySets).toEqual([])
    await g.stop()

    // Second life, 30 s later: the hold did not restart, so it fires at T0 + 120 s, not T0 + 210 s.
    clock.now = T0 + 90_000
    g = await boot(site, dir, clock)
    clock.now = T0 + 119_000
    await quiet()
    expect(g.relaySets).toEqual([])
    clock.now = T0 + 120_000
    expect(await waitFor(() => g.relaySets[0])).toMatchObject({ on: true, issuedAt: T0 + 120_000 })
    await waitFor(() => g.gw.alarms.list().length > 0)
    // The third opening in the hour, two of them in the previous life.
    await g.door()
    await waitFor(() => g.gw.rules.namedStates().puerta_abusada === true)
    await g.stop()

    // Third life: the alarm is still active, and the compressor's 300 s minimum on time still holds.
    clock.now = T0 + 130_000
    g = await boot(site, dir, clock)
    expect(g.gw.alarms.list()).toMatchObject([{ alarmId: 'camara-alta:camara-1', state: 'raised', raisedAt: T0 + 120_000 }])
    await g.temperature(1.5) // camara-baja: compressor off, but only at T0 + 420 s
    clock.now = T0 + 200_000 // held below 2 °C for 70 s ≥ 60 s: the off rule fires, deferred
    await waitFor(() => g.gw.rules.state.relays['camara-1/compressor']?.pending)
    expect(g.relaySets).toEqual([])
    clock.now = T0 + 420_000
    expect(await waitFor(() => g.relaySets[0])).toMatchObject({ on: false, issuedAt: T0 + 420_000 })
    await g.gw.rules.settled()

    const events = g.gw.log.read(0, 1000)
    for (const e of events) expect(validators.logEvent.explain(e)).toEqual([])
    expect(ofKind(events, 'alarm').map((e) => (e.body as { state: string }).state)).toEqual(['raised', 'cleared'])
    expect(ofKind(events, 'command').filter((e) => (e.body as { kind: string }).kind === 'relay.set')).toHaveLength(2)
    expect(ofKind(events, 'state').filter((e) => e.deviceId === 'gateway')).toMatchObject([{ body: { state: { puerta_abusada: true } } }])
  })

  it('an edited condition starts over instead of reusing state that does not fit it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tendero-rules-'))
    dirs.push(dir)
    const clock = { now: T0 }
    let g = await boot(await testSite(), dir, clock)
    await g.temperature(6)
    clock.now = T0 + 100_000
    await quiet()
    await g.stop()
    const edited = await testSite((s) => {
      s.rules[0]!.when.forSeconds = 150
    })
    g = await boot(edited, dir, clock)
    clock.now = T0 + 160_000
    await quiet()
    expect(g.relaySets).toEqual([]) // the old hold (from T0) is not reused
    await g.temperature(6)
    clock.now = T0 + 310_000
    expect(await waitFor(() => g.relaySets[0])).toMatchObject({ on: true })
  })
})

import { afterEach, describe, expect, it } from 'vitest'
import { deviceTopic, validators, type LogEvent } from '@tendero/protocol'
import { DEMO_DEVICE, startTestGateway, testSite, waitFor, type TestGateway } from './harness.js'

let t: TestGateway | undefined
afterEach(() => t?.close())

describe('rules inside the gateway', () => {
  it('cold room above 5 °C for 2 minutes → relay.set to the device, alarm in the log, cleared on recovery', async () => {
    // The gateway's clock is injected, so two minutes pass instantly.
    let clock = 1_763_719_200_000
    t = await startTestGateway({ gateway: { now: () => clock, rulesTickMs: 50 } })
    const device = await t.connect(DEMO_DEVICE.id, DEMO_DEVICE.password)
    const commands: Record<string, unknown>[] = []
    device.on('message', (_topic, payload) => {
      const command = JSON.parse(payload.toString())
      if (command.kind === 'relay.set') commands.push(command)
    })
    await device.subscribeAsync(deviceTopic(DEMO_DEVICE.id, 'cmd'), { qos: 1 })
    const telemetry = deviceTopic(DEMO_DEVICE.id, 'telemetry')
    const publish = (temperature_c: number) => device.publishAsync(telemetry, JSON.stringify({ readings: { temperature_c } }), { qos: 1 })

    await publish(5.6)
    clock += 119_000
    await publish(5.8)
    await new Promise((r) => setTimeout(r, 200))
    expect(commands).toEqual([])

    clock += 1_000 // held for 120 s: the 50 ms tick fires it without a new reading
    const command = await waitFor(() => commands[0])
    expect(command).toMatchObject({ kind: 'relay.set', relay: 'compressor', on: true, issuedAt: clock, expiresAt: clock + 60_000 })
    expect(validators.command.check(command)).toBe(true)

    await device.publishAsync(deviceTopic(DEMO_DEVICE.id, 'ack'), JSON.stringify({ id: command.id, ok: true }), { qos: 1 })
    await device.publishAsync(deviceTopic(DEMO_DEVICE.id, 'state'), JSON.stringify({ state: { compressor: true } }), { qos: 1 })
    await t.gw.rules.settled()
    const byKind = (events: LogEvent[], kind: string) => events.filter((e) => e.kind === kind)
    let events = t.gw.log.read(0, 100)
    expect(byKind(events, 'command')).toMatchObject([{ deviceId: 'camara-1', body: { id: command.id } }])
    expect(byKind(events, 'alarm')).toMatchObject([
      {
        deviceId: 'camara-1',
        body: { alarmId: 'camara-alta:camara-1', ruleId: 'camara-alta', severity: 'critical', state: 'raised', value: 5.8 },
      },
    ])
    expect(byKind(events, 'ack')).toMatchObject([{ body: { id: command.id, ok: true } }])
    expect(byKind(events, 'state')).toHaveLength(1)
    for (const e of events) expect(validators.logEvent.explain(e)).toEqual([])
    // Gap-free across producers: device messages, commands and alarms share one seq.
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1))

    // Fires once per excursion; recovery past the 0.5 °C hysteresis clears the alarm.
    clock += 600_000
    await publish(4.8)
    await publish(4.4)
    await t.gw.rules.settled()
    events = t.gw.log.read(0, 100)
    expect(byKind(events, 'alarm').map((e) => (e.body as { state: string }).state)).toEqual(['raised', 'cleared'])
    expect(commands).toHaveLength(1)
  })

  it('fires with a real short forSeconds on the real clock', async () => {
    const site = await testSite((s) => {
      s.rules[0]!.when.forSeconds = 1
    })
    t = await startTestGateway({ site, gateway: { rulesTickMs: 100 } })
    const device = await t.connect(DEMO_DEVICE.id, DEMO_DEVICE.password)
    // Fail-safe commands also arrive on connect: wait for the rule's relay.set.
    const received = new Promise<Record<string, unknown>>((resolve) =>
      device.on('message', (_topic, payload) => {
        const command = JSON.parse(payload.toString())
        if (command.kind === 'relay.set') resolve(command)
      }),
    )
    await device.subscribeAsync(deviceTopic(DEMO_DEVICE.id, 'cmd'), { qos: 1 })
    await device.publishAsync(deviceTopic(DEMO_DEVICE.id, 'telemetry'), JSON.stringify({ readings: { temperature_c: 7 } }), { qos: 1 })
    expect(await received).toMatchObject({ kind: 'relay.set', on: true })
    await t.gw.rules.settled()
    expect(t.gw.log.read(0, 100).some((e) => e.kind === 'alarm')).toBe(true)
  })
})

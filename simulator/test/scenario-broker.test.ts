import { spawn } from 'node:child_process'
import { afterEach, describe, expect, it } from 'vitest'
import { pino } from 'pino'
import { deviceTopic, upstreamValidators, type UpstreamChannel } from '@tendero/protocol'
import { ScenarioRunner } from '../src/scenarios/runner.js'
import { loadScenario, parseScenario, scenarioNames } from '../src/scenarios/schema.js'
import { startTestBroker, type TestBroker } from './broker.js'

const silent = pino({ level: 'silent' })

let broker: TestBroker | undefined
let runner: ScenarioRunner | undefined
afterEach(async () => {
  await runner?.stop()
  await broker?.close()
  broker = runner = undefined
})

const passwordsFor = (ids: string[]) => Object.fromEntries(ids.map((id) => [id, `${id}-demo`]))

/** Every publish so far checked against the protocol validator of its channel. */
function expectAllValid(b: TestBroker): void {
  for (const p of b.published) {
    const channel = p.topic.split('/')[3] as UpstreamChannel
    const validator = upstreamValidators[channel]
    expect(validator, p.topic).toBeDefined()
    expect(validator.check(p.body), `${p.topic}: ${validator.explain(p.body).join('; ')}`).toBe(true)
  }
}

describe('scenarios against a real MQTT broker', () => {
  it.each(scenarioNames())('%s: every device connects and publishes valid telemetry', async (name) => {
    const scenario = loadScenario(name)
    const ids = scenario.devices.map((d) => d.id)
    broker = await startTestBroker(passwordsFor(ids))
    runner = new ScenarioRunner({ scenario, mqttUrl: broker.url, password: '{id}-demo', speed: 600, seed: 3, tickMs: 50, logger: silent })
    await runner.start()
    const b = broker
    await Promise.all(ids.map((id) => b.waitFor((p) => p.topic === deviceTopic(id, 'telemetry'), 10_000)))
    expect(runner.snapshot().online).toBe(ids.length)
    expectAllValid(b)
  })

  it('reports a door the moment it opens or closes, not at the next interval', async () => {
    const scenario = parseScenario({
      name: 'puerta',
      title: 'Puerta',
      description: 'Una heladera que reporta cada 10 minutos y una puerta que se abre a las 10:05.',
      startAt: '10:00',
      devices: [{ id: 'heladera', name: 'Heladera', model: 'cold-room', params: { doorOpeningsPerHour: 0 }, intervalS: 600 }],
      events: [{ at: '10:05', device: 'heladera', action: 'door.open', durationS: 30 }],
    })
    broker = await startTestBroker(passwordsFor(['heladera']))
    const b = broker
    const r = new ScenarioRunner({ scenario, mqttUrl: broker.url, password: '{id}-demo', speed: 1, seed: 1, logger: silent })
    runner = r
    await r.start()
    const telemetry = () => b.published.filter((p) => p.topic === deviceTopic('heladera', 'telemetry')).map((p) => (p.body as { readings: Record<string, number> }).readings)
    // The clock advanced by hand (speed 1 adds only real seconds): 10:00 → 10:06, the door
    // opened at 10:05 for 30 s; the next interval reading is not due until 10:10.
    r.advance(360)
    await b.waitFor(() => telemetry().some((x) => x.door_open === 1))
    r.advance(60)
    await b.waitFor(() => telemetry().at(-1)?.door_open === 0)
    // Open and close each sent at once; nothing else but (maybe) the reading at connect.
    expect(telemetry().slice(-2).map((x) => x.door_open)).toEqual([1, 0])
    expect(telemetry().length).toBeLessThanOrEqual(3)
  })

  it('obeys and acks relay.set, reports the new state, refuses an unknown relay', async () => {
    const scenario = loadScenario('centro-medico')
    broker = await startTestBroker(passwordsFor(scenario.devices.map((d) => d.id)))
    runner = new ScenarioRunner({ scenario, mqttUrl: broker.url, password: '{id}-demo', speed: 1, seed: 1, tickMs: 100, logger: silent })
    await runner.start()
    const cmd = (id: string, relay: string) => ({ id, issuedAt: Date.now(), expiresAt: Date.now() + 60_000, kind: 'relay.set', relay, on: true })
    await broker.send(deviceTopic('ventilacion-sala', 'cmd'), cmd('c1', 'fan'))
    const ack = await broker.waitFor((p) => p.topic === deviceTopic('ventilacion-sala', 'ack'))
    expect(ack.body).toMatchObject({ id: 'c1', ok: true })
    await broker.waitFor((p) => p.topic === deviceTopic('ventilacion-sala', 'state') && (p.body as { state: { fan?: boolean } }).state.fan === true)
    expect(runner.physicsOf('sala-espera')?.relay('fan')).toBe(true)
    await broker.send(deviceTopic('contador-sala', 'cmd'), cmd('c2', 'fan'))
    const refused = await broker.waitFor((p) => p.topic === deviceTopic('contador-sala', 'ack'))
    expect(refused.body).toMatchObject({ id: 'c2', ok: false, error: 'unknown_relay' })
    expectAllValid(broker)
  })

  it('the CLI runs a scenario with a one-line status and stops cleanly on SIGTERM', async () => {
    const scenario = loadScenario('tienda-ropa')
    const ids = scenario.devices.map((d) => d.id)
    broker = await startTestBroker(passwordsFor(ids))
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'simulator/src/main.ts', '--scenario', 'tienda-ropa', '--speed', '120', '--mqtt-url', broker.url, '--seed', '5'],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SIM_LOG_LEVEL: 'warn' } },
    )
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
    try {
      const b = broker
      await Promise.all(ids.map((id) => b.waitFor((p) => p.topic === deviceTopic(id, 'telemetry'), 20_000)))
    } finally {
      child.kill('SIGTERM')
    }
    expect(await exited, stderr).toBe(0)
    expect(stdout).toMatch(/tienda-ropa · día 1 \d\d:\d\d · dispositivos \d\/3 en línea · [\d.]+ msg\/s · fallas activas 0 · ×120/)
    expectAllValid(broker)
  }, 30_000)
})

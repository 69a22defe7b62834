import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { pino } from 'pino'
import { validators } from '@tendero/protocol'
import { ColdRoomModel, ColdRoomNode, SimulatorError, startColdRoomNode } from '../src/index.js'
import { startTestBroker, type Published, type TestBroker } from './broker.js'

const DEVICE = 'camara-1'
const PASSWORD = 'camara-1-demo'
const topic = (channel: string) => `tendero/v1/${DEVICE}/${channel}`
const silent = pino({ level: 'silent' })

let broker: TestBroker
let node: ColdRoomNode | undefined

beforeEach(async () => {
  broker = await startTestBroker({ [DEVICE]: PASSWORD })
})

afterEach(async () => {
  await node?.stop()
  node = undefined
  await broker.close()
})

function relaySet(id: string, on: boolean, expiresInMs = 60_000, relay = 'compressor') {
  const now = Date.now()
  return { id, issuedAt: now, expiresAt: now + expiresInMs, kind: 'relay.set', relay, on }
}

async function startNode(model = new ColdRoomModel({ doorOpeningsPerHour: 0 }, { startTempC: 6 }), speed = 1) {
  node = await startColdRoomNode({
    mqttUrl: broker.url,
    deviceId: DEVICE,
    password: PASSWORD,
    intervalMs: 50,
    speed,
    model,
    logger: silent,
  })
  await broker.subscribed(topic('cmd'))
  return node
}

const on = (channel: string, match: (body: any) => boolean = () => true) => (p: Published) =>
  p.topic === topic(channel) && p.clientId === DEVICE && match(p.body)

describe('cold room node over MQTT', () => {
  it('publishes its state on connect and schema-valid telemetry on every tick', async () => {
    await startNode()
    const state = await broker.waitFor(on('state'))
    expect(state.body).toMatchObject({ state: { compressor: false } })
    await broker.waitFor(on('telemetry', (b) => b.seq >= 3))
    const telemetry = broker.published.filter(on('telemetry'))
    for (const t of telemetry) expect(validators.telemetry.check(t.body), JSON.stringify(t.body)).toBe(true)
    expect(telemetry[0]!.body).toMatchObject({ seq: 0, readings: { temperature_c: 6, door_open: 0 } })
    expect(telemetry.map((t) => (t.body as { seq: number }).seq)).toEqual(telemetry.map((_, i) => i))
  })

  it('switches the compressor on a relay.set, then acks and publishes state', async () => {
    const n = await startNode()
    await broker.send(topic('cmd'), relaySet('cmd-on-1', true))
    const ack = await broker.waitFor(on('ack', (b) => b.id === 'cmd-on-1'))
    expect(ack.body).toMatchObject({ id: 'cmd-on-1', ok: true })
    expect(validators.ack.check(ack.body)).toBe(true)
    await broker.waitFor(on('state', (b) => b.state.compressor === true))
    expect(n.snapshot()).toMatchObject({ compressor: true, commands: { applied: 1 } })
  })

  it('refuses an expired command and leaves the relay alone', async () => {
    const n = await startNode()
    await broker.send(topic('cmd'), relaySet('cmd-old', true, -1_000))
    const ack = await broker.waitFor(on('ack', (b) => b.id === 'cmd-old'))
    expect(ack.body).toMatchObject({ ok: false, error: 'expired' })
    expect(n.model.compressorOn).toBe(false)
    expect(broker.published.filter(on('state', (b) => b.state.compressor === true))).toHaveLength(0)
  })

  it('refuses an unknown relay and ignores invalid payloads', async () => {
    const n = await startNode()
    await broker.send(topic('cmd'), { kind: 'relay.set', relay: 'compressor', on: true }) // no id, no expiry
    await broker.send(topic('cmd'), relaySet('cmd-fan', true, 60_000, 'fan'))
    const ack = await broker.waitFor(on('ack', (b) => b.id === 'cmd-fan'))
    expect(ack.body).toMatchObject({ ok: false, error: 'unknown_relay' })
    expect(broker.published.filter(on('ack'))).toHaveLength(1)
    expect(n.snapshot()).toMatchObject({ compressor: false, commands: { applied: 0, refused: 1, invalid: 1 } })
  })

  it('cools the room once the compressor runs, at high speed', async () => {
    await startNode(undefined, 3_600) // 180 simulated seconds per 50 ms tick
    await broker.send(topic('cmd'), relaySet('cmd-cool', true))
    await broker.waitFor(on('ack', (b) => b.id === 'cmd-cool'))
    const afterAck = broker.published.filter(on('telemetry')).length
    await broker.waitFor(on('telemetry', (b) => b.seq >= afterAck + 5))
    const temps = broker.published
      .filter(on('telemetry'))
      .slice(afterAck)
      .map((t) => (t.body as { readings: { temperature_c: number } }).readings.temperature_c)
    expect(temps.at(-1)!).toBeLessThan(temps[0]!)
    for (let i = 1; i < temps.length; i++) expect(temps[i]!).toBeLessThanOrEqual(temps[i - 1]!)
  })

  it('announces door openings as device events', async () => {
    // 60 openings per simulated hour at 180 s per tick: one every few ticks.
    await startNode(new ColdRoomModel({ doorOpeningsPerHour: 60, seed: 9 }), 3_600)
    const event = await broker.waitFor(on('event'))
    expect(event.body).toMatchObject({ kind: 'door.opened' })
    expect(validators.event.check(event.body)).toBe(true)
  })

  it('rejects bad credentials with SIM_MQTT_REFUSED', async () => {
    const attempt = startColdRoomNode({ mqttUrl: broker.url, deviceId: DEVICE, password: 'wrong', logger: silent })
    await expect(attempt).rejects.toBeInstanceOf(SimulatorError)
    await expect(attempt).rejects.toMatchObject({ code: 'SIM_MQTT_REFUSED', message: expect.stringMatching(/bad username or password/) })
  })

  it('keeps counting acknowledged messages in its snapshot', async () => {
    const n = await startNode()
    await broker.waitFor(on('telemetry', (b) => b.seq >= 2))
    await new Promise((resolve) => setTimeout(resolve, 100))
    const snap = n.snapshot()
    expect(snap.connected).toBe(true)
    expect(snap.sent.telemetry).toBeGreaterThanOrEqual(3)
    expect(snap.sent.state).toBe(1)
    expect(Object.isFrozen(snap)).toBe(true)
  })
})

import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { deviceTopic } from '@tendero/protocol'
import { DEMO_DEVICE, OTHER_DEVICE, startTestGateway, waitFor, type TestGateway } from './harness.js'

let t: TestGateway
beforeEach(async () => {
  t = await startTestGateway()
})
afterEach(() => t.close())

const telemetry = (temperature_c: number) => JSON.stringify({ readings: { temperature_c } })

describe('broker', () => {
  it('refuses unknown devices and wrong passwords at CONNACK', async () => {
    await expect(t.connect('intruso', 'x')).rejects.toMatchObject({ code: 4 })
    await expect(t.connect(DEMO_DEVICE.id, 'wrong')).rejects.toMatchObject({ code: 4 })
    await expect(t.connect(DEMO_DEVICE.id, DEMO_DEVICE.password, { username: OTHER_DEVICE.id })).rejects.toMatchObject({ code: 2 })
    await expect(t.connect(DEMO_DEVICE.id, '', { password: undefined })).rejects.toMatchObject({ code: 4 })
    expect(t.gw.broker.clientCount()).toBe(0)
    expect(t.gw.broker.connectRefusals()).toEqual({ unknown_device: 1, bad_password: 2, bad_client_id: 1 })
  })

  it('has the QoS 1 message in the log when the PUBACK arrives', async () => {
    const device = await t.connect(DEMO_DEVICE.id, DEMO_DEVICE.password)
    const ts = Date.now() - 1000
    await device.publishAsync(deviceTopic(DEMO_DEVICE.id, 'telemetry'), JSON.stringify({ ts, readings: { temperature_c: 4.6 } }), { qos: 1 })
    // Read synchronously right after the PUBACK: no waiting, it must already be committed.
    const [event] = t.gw.log.read(0, 10)
    expect(event).toMatchObject({
      seq: 1,
      kind: 'telemetry',
      deviceId: 'camara-1',
      time: ts,
      bootId: t.gw.bootId,
      body: { ts, readings: { temperature_c: 4.6 } },
    })
    await device.publishAsync(deviceTopic(DEMO_DEVICE.id, 'state'), JSON.stringify({ state: { compressor: true } }), { qos: 1 })
    expect(t.gw.log.read(1, 10)).toMatchObject([{ seq: 2, kind: 'state', body: { state: { compressor: true } } }])
  })

  it('refuses publishing to another device topic and never logs it', async () => {
    const device = await t.connect(DEMO_DEVICE.id, DEMO_DEVICE.password)
    const closed = new Promise<void>((resolve) => device.once('close', () => resolve()))
    device.publish(deviceTopic(OTHER_DEVICE.id, 'telemetry'), telemetry(9), { qos: 1 })
    // [MQTT-3.3.5-2]: the broker closes the connection of a client that breaks the ACL.
    await closed
    expect(t.gw.log.lastSeq()).toBe(0)
    expect(t.gw.rejectedCounts()).toEqual({ 'camara-1': 1 })
  })

  it('refuses publishing on a cmd topic', async () => {
    const device = await t.connect(DEMO_DEVICE.id, DEMO_DEVICE.password)
    const closed = new Promise<void>((resolve) => device.once('close', () => resolve()))
    device.publish(deviceTopic(DEMO_DEVICE.id, 'cmd'), '{}', { qos: 1 })
    await closed
    expect(t.gw.log.lastSeq()).toBe(0)
  })

  it('only lets a device subscribe to its own cmd topic', async () => {
    const device = await t.connect(DEMO_DEVICE.id, DEMO_DEVICE.password)
    const grants = await device.subscribeAsync(deviceTopic(DEMO_DEVICE.id, 'cmd'), { qos: 1 })
    expect(grants.map((g) => g.qos)).toEqual([1])
    // mqtt.js rejects when any grant is 0x80; the SUBACK itself says which topics failed.
    const refused = device.subscribeAsync([deviceTopic(OTHER_DEVICE.id, 'cmd'), 'tendero/v1/+/cmd', '#'], { qos: 1 })
    await expect(refused).rejects.toMatchObject({ packet: { granted: [128, 128, 128] } })
    expect(device.connected).toBe(true)
  })

  it('drops malformed and schema-violating payloads, counts them, keeps serving', async () => {
    const device = await t.connect(DEMO_DEVICE.id, DEMO_DEVICE.password)
    const topic = deviceTopic(DEMO_DEVICE.id, 'telemetry')
    await device.publishAsync(topic, '{ not json', { qos: 1 })
    await device.publishAsync(topic, JSON.stringify({ readings: { temperature_c: 'hot' } }), { qos: 1 })
    await device.publishAsync(topic, JSON.stringify({ readings: { temperature_c: 4 }, extra: 1 }), { qos: 1 })
    await device.publishAsync(deviceTopic(DEMO_DEVICE.id, 'ack'), JSON.stringify({ id: 'x' }), { qos: 1 })
    expect(t.gw.log.lastSeq()).toBe(0)
    expect(t.gw.rejectedCounts()).toEqual({ 'camara-1': 4 })
    // Same connection, next valid message goes through.
    expect(device.connected).toBe(true)
    await device.publishAsync(topic, telemetry(3.9), { qos: 1 })
    expect(t.gw.log.read(0, 10)).toMatchObject([{ seq: 1, body: { readings: { temperature_c: 3.9 } } }])

    const res = await fetch(`http://127.0.0.1:${t.apiPort}/health`)
    expect(await res.json()).toMatchObject({
      status: 'ok',
      gatewayId: 'gw-demo-01',
      bootId: t.gw.bootId,
      mqtt: { port: t.mqttPort, clients: 1 },
      log: { lastSeq: 1 },
      uplink: { ackedSeq: 0, lag: 1 },
      rejected: { 'camara-1': 4 },
      rejectedByReason: { 'camara-1': { bad_json: 1, bad_payload: 3 } },
    })
  })

  it('keeps serving other devices while one misbehaves', async () => {
    const bad = await t.connect(DEMO_DEVICE.id, DEMO_DEVICE.password)
    const good = await t.connect(OTHER_DEVICE.id, OTHER_DEVICE.password)
    bad.publish(deviceTopic(OTHER_DEVICE.id, 'state'), '{}', { qos: 1 })
    await good.publishAsync(deviceTopic(OTHER_DEVICE.id, 'telemetry'), telemetry(3), { qos: 1 })
    await waitFor(() => !bad.connected)
    expect(t.gw.log.read(0, 10)).toMatchObject([{ deviceId: 'camara-2' }])
  })
})

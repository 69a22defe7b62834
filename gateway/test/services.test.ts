import { afterEach, describe, expect, it } from 'vitest'
import { hashPassword } from '../src/broker/passwords.js'
import { DEMO_DEVICE, startTestGateway, testSite, waitFor, type TestGateway } from './harness.js'

const SERVICE = { id: 'nodered', password: 'nodered-local-pw' }
let t: TestGateway | undefined

afterEach(async () => {
  await t?.close()
  t = undefined
})

async function gatewayWithService() {
  const passwordHash = await hashPassword(SERVICE.password)
  const site = await testSite((s) => {
    s.services = [{ id: SERVICE.id, name: 'Node-RED', passwordHash }]
    s.rules = [{
      id: 'camara-tibia',
      when: { kind: 'threshold', deviceId: DEMO_DEVICE.id, metric: 'temperature_c', above: 5, forSeconds: 0 },
      actions: [{ kind: 'publish', data: { zona: 'carnes' } }],
    }]
  })
  t = await startTestGateway({ site })
  return t
}

describe('local service clients (Node-RED)', () => {
  it("receive a rule's publish and the devices' telemetry, read-only", async () => {
    const gw = await gatewayWithService()
    const service = await gw.connect(SERVICE.id, SERVICE.password)
    const received: { topic: string; body: Record<string, unknown> }[] = []
    service.on('message', (topic, payload) => received.push({ topic, body: JSON.parse(payload.toString()) }))
    await service.subscribeAsync(['tendero/v1/$gateway/#', 'tendero/v1/+/telemetry'], { qos: 1 })

    const device = await gw.connect(DEMO_DEVICE.id, DEMO_DEVICE.password)
    await device.publishAsync('tendero/v1/camara-1/telemetry', JSON.stringify({ readings: { temperature_c: 7 } }), { qos: 1 })

    const rule = await waitFor(() => received.find((m) => m.topic === 'tendero/v1/$gateway/rules/camara-tibia'))
    expect(rule.body).toMatchObject({ ruleId: 'camara-tibia', deviceId: 'camara-1', transition: 'fire', value: 7, data: { zona: 'carnes' } })
    expect(received.find((m) => m.topic === 'tendero/v1/camara-1/telemetry')?.body).toEqual({ readings: { temperature_c: 7 } })
  })

  it('cannot publish: a service pretending to be a device is cut off and counted', async () => {
    const gw = await gatewayWithService()
    const service = await gw.connect(SERVICE.id, SERVICE.password)
    const closed = new Promise<void>((resolve) => service.once('close', () => resolve()))
    service.publish('tendero/v1/camara-1/telemetry', JSON.stringify({ readings: { temperature_c: 1 } }), { qos: 1 })
    await closed
    expect(gw.gw.log.read(0, 100).filter((e) => e.kind === 'telemetry')).toEqual([])
    expect(gw.gw.health().rejectedByReason).toMatchObject({ [SERVICE.id]: { acl: 1 } })
  })

  it("devices still cannot read the gateway's topics or other devices", async () => {
    const gw = await gatewayWithService()
    const device = await gw.connect(DEMO_DEVICE.id, DEMO_DEVICE.password)
    // mqtt.js turns a SUBACK failure code (0x80) into an error carrying the packet.
    const error = (await device.subscribeAsync(['tendero/v1/$gateway/#', 'tendero/v1/+/telemetry']).catch((e: unknown) => e)) as {
      packet?: { granted: number[] }
    }
    expect(error.packet?.granted).toEqual([128, 128])
  })

  it('refuses a service id that is also a device id, naming the path', async () => {
    const passwordHash = await hashPassword(SERVICE.password)
    await expect(testSite((s) => {
      s.services = [{ id: DEMO_DEVICE.id, passwordHash }]
    })).rejects.toThrow(/\/services\/0\/id: "camara-1" is already a device id/)
  })
})

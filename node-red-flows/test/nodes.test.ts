import { createRequire } from 'node:module'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { deviceTopic, type Command, type LogEvent } from '@tendero/protocol'
import type { MqttClient } from 'mqtt'
import { DEMO_DEVICE } from '../../gateway/test/harness.js'
import type { ApiTestGateway } from '../../gateway/test/api-harness.js'
import { gatewayConfigNode, startGatewayForNodeRed, until } from './gateway-fixture.js'

/**
 * Each node in node-red-node-test-helper's runtime against a real gateway (its broker over
 * TCP and its local API over HTTP), started in this process on ephemeral ports.
 */
const require = createRequire(import.meta.url)
const helper = require('node-red-node-test-helper')
const gatewayNode = require('../nodes/tendero-gateway.js')
const telemetryIn = require('../nodes/tendero-telemetry-in.js')
const commandOut = require('../nodes/tendero-command-out.js')
const alarmNode = require('../nodes/tendero-alarm.js')
const statusNode = require('../nodes/tendero-gateway-status.js')
helper.init(require.resolve('node-red'))

type Msg = Record<string, any>
let t: ApiTestGateway
let device: MqttClient

beforeAll(async () => {
  t = await startGatewayForNodeRed()
  device = await t.connect(DEMO_DEVICE.id, DEMO_DEVICE.password)
  await new Promise<void>((resolve, reject) => helper.startServer((err?: Error) => (err ? reject(err) : resolve())))
})
afterEach(async () => {
  await helper.unload()
})
afterAll(async () => {
  await new Promise<void>((resolve) => helper.stopServer(() => resolve()))
  await t?.close()
})

/** Loads `nodes` wired to a helper node `out` (and `errors`, a Catch node's stand-in, when asked). */
async function loadFlow(modules: unknown[], nodes: Msg[]) {
  const gw = gatewayConfigNode(t)
  await helper.load([gatewayNode, ...modules], [gw.node, ...nodes, { id: 'out', type: 'helper' }], gw.credentials)
  const received: Msg[] = []
  helper.getNode('out').on('input', (msg: Msg) => received.push(msg))
  return received
}

/** Errors a node reported, as a Catch node would see them (node.error / done(err)). */
function errorsOf(nodeId: string) {
  const errors: { message: string; code?: string }[] = []
  helper.getNode(nodeId).on('call:error', (call: { args: [unknown, Msg?] }) => {
    const e = call.args[0] as { message?: string; code?: string }
    errors.push({ message: String(e?.message ?? e), ...(e?.code ? { code: e.code } : {}) })
  })
  return errors
}

const logged = (kind: LogEvent['kind']) => t.gw.log.read(0, 10_000).filter((e) => e.kind === kind)

/** Publishes as the device until the node has passed something on (its subscription lands some time after connecting). */
async function publishUntil(topic: string, body: unknown, received: Msg[]) {
  const deadline = Date.now() + 5000
  while (received.length === 0) {
    if (Date.now() > deadline) throw new Error(`nothing came out of the flow for ${topic}`)
    await device.publishAsync(topic, JSON.stringify(body), { qos: 1 })
    await new Promise((r) => setTimeout(r, 100))
  }
}

describe('tendero-telemetry-in', () => {
  it('passes on a device reading with its device, topic and time, and shows the connection', async () => {
    const received = await loadFlow([telemetryIn], [{ id: 'tin', type: 'tendero-telemetry-in', gateway: 'gw', deviceId: 'camara-1', telemetry: true, wires: [['out']] }])
    const statuses: Msg[] = []
    helper.getNode('tin').on('call:status', (call: { args: [Msg] }) => statuses.push(call.args[0]))
    const ts = Date.now()
    await publishUntil(deviceTopic('camara-1', 'telemetry'), { ts, readings: { temperature_c: 4.5 } }, received)
    expect(received[0]).toMatchObject({ deviceId: 'camara-1', topic: 'tendero/v1/camara-1/telemetry', channel: 'telemetry', time: ts, payload: { temperature_c: 4.5 } })
    expect(statuses.some((s) => s.fill === 'green' && s.text === 'tendero-telemetry-in.status.connected')).toBe(true)
  })

  it('follows every device and its state when asked, and only those channels', async () => {
    const received = await loadFlow([telemetryIn], [{ id: 'tin', type: 'tendero-telemetry-in', gateway: 'gw', deviceId: '', telemetry: false, state: true, wires: [['out']] }])
    await publishUntil(deviceTopic('camara-1', 'state'), { state: { compressor: true } }, received)
    await device.publishAsync(deviceTopic('camara-1', 'telemetry'), JSON.stringify({ readings: { temperature_c: 9 } }), { qos: 1 })
    await device.publishAsync(deviceTopic('camara-1', 'state'), JSON.stringify({ state: { compressor: false } }), { qos: 1 })
    await until(() => received.some((m) => m.payload.compressor === false), 5000, 'the second state')
    expect(received.every((m) => m.channel === 'state' && m.deviceId === 'camara-1')).toBe(true)
  })

  it('warns about a malformed message and keeps going', async () => {
    const received = await loadFlow([telemetryIn], [{ id: 'tin', type: 'tendero-telemetry-in', gateway: 'gw', deviceId: 'camara-1', telemetry: true, wires: [['out']] }])
    const warnings: string[] = []
    helper.getNode('tin').on('call:warn', (call: { args: [string] }) => warnings.push(String(call.args[0])))
    await publishUntil(deviceTopic('camara-1', 'telemetry'), { readings: { temperature_c: 1 } }, received)
    // The gateway never forwards a payload it refused, so a bad one is injected where the
    // shared connection hands messages to the nodes: the node must survive it anyway.
    const client = helper.getNode('gw').mqttClient as MqttClient
    client.emit('message', 'tendero/v1/camara-1/telemetry', Buffer.from('{"readings":'), {} as never)
    client.emit('message', 'tendero/v1/camara-1/telemetry', Buffer.from('{"readings":{"temperature_c":"hot"}}'), {} as never)
    await until(() => warnings.length === 2, 2000, 'two warnings')
    expect(warnings).toEqual(['tendero-telemetry-in.errors.bad-json', 'tendero-telemetry-in.errors.bad-payload'])
    await device.publishAsync(deviceTopic('camara-1', 'telemetry'), JSON.stringify({ readings: { temperature_c: 2 } }), { qos: 1 })
    await until(() => received.some((m) => m.payload.temperature_c === 2), 5000, 'a reading after the bad ones')
  })

  it('shows disconnected when the service client cannot log in', async () => {
    const gw = gatewayConfigNode(t)
    gw.credentials.gw!.password = 'wrong-password'
    await helper.load([gatewayNode, telemetryIn], [gw.node, { id: 'tin', type: 'tendero-telemetry-in', gateway: 'gw', deviceId: 'camara-1', telemetry: true, wires: [] }], gw.credentials)
    const statuses: Msg[] = []
    helper.getNode('tin').on('call:status', (call: { args: [Msg] }) => statuses.push(call.args[0]))
    // CONNACK 4 from the gateway's broker: the status says why instead of just "disconnected".
    const refused = await until(() => statuses.find((s) => s.fill === 'red' && /password|refused|authori/i.test(String(s.text))), 5000, 'the refusal')
    expect(refused.text).not.toBe('tendero-telemetry-in.status.disconnected')
    expect(statuses.some((s) => s.fill === 'green')).toBe(false)
    expect(t.gw.health().connectRefused.bad_password).toBeGreaterThan(0)
  })
})

describe('tendero-command-out', () => {
  it('switches a relay on the device through the gateway and passes on the command id', async () => {
    const commands: Command[] = []
    const onMessage = (_topic: string, payload: Buffer) => commands.push(JSON.parse(payload.toString()))
    device.on('message', onMessage)
    await device.subscribeAsync(deviceTopic('camara-1', 'cmd'), { qos: 1 })
    try {
      const received = await loadFlow([commandOut], [
        { id: 'cmd', type: 'tendero-command-out', gateway: 'gw', deviceId: 'camara-1', kind: 'relay.set', relay: 'compressor', setpoint: '', wires: [['out']] },
      ])
      helper.getNode('cmd').receive({ payload: 'on' })
      await until(() => received.length === 1 && commands.length === 1, 5000, 'the command')
      expect(received[0]).toMatchObject({ deviceId: 'camara-1', payload: { status: 'sent' }, commandId: commands[0]!.id })
      expect(commands[0]).toMatchObject({ kind: 'relay.set', relay: 'compressor', on: true })
      expect(commands[0]!.id).toMatch(/^api:env\./)
      expect(logged('command').map((e) => (e.body as Command).id)).toContain(commands[0]!.id)

      // A whole command in the payload, the device from the message.
      helper.getNode('cmd').receive({ deviceId: 'camara-1', payload: { kind: 'setpoint.set', name: 'setpoint_c', value: 3 } })
      await until(() => commands.length === 2, 5000, 'the setpoint')
      expect(commands[1]).toMatchObject({ kind: 'setpoint.set', name: 'setpoint_c', value: 3 })
    } finally {
      device.off('message', onMessage)
      await device.unsubscribeAsync(deviceTopic('camara-1', 'cmd'))
    }
  })

  it('turns a refusal into a node error with the gateway code, and keeps working', async () => {
    const received = await loadFlow([commandOut], [
      { id: 'cmd', type: 'tendero-command-out', gateway: 'gw', deviceId: '', kind: 'relay.set', relay: '', setpoint: '', wires: [['out']] },
    ])
    const errors = errorsOf('cmd')
    const cmd = helper.getNode('cmd')
    cmd.receive({ deviceId: 'camara-1', relay: 'luces', payload: true })
    cmd.receive({ deviceId: 'nadie', relay: 'compressor', payload: true })
    cmd.receive({ deviceId: 'camara-1', relay: 'compressor', payload: 'quizás' })
    await until(() => errors.length === 3, 5000, 'three errors')
    expect(errors.map((e) => e.code).sort()).toEqual(['COMMAND_ERR_UNKNOWN_RELAY', 'COMMAND_INPUT_INVALID', 'DEVICE_ERR_NOT_FOUND'])
    cmd.receive({ deviceId: 'camara-2', relay: 'compressor', payload: false })
    await until(() => received.length === 1, 5000, 'a command after the errors')
    expect(received[0]).toMatchObject({ deviceId: 'camara-2', payload: { status: 'sent' } })
  })

  it('reports an unreachable gateway as GATEWAY_UNREACHABLE', async () => {
    const gw = gatewayConfigNode(t)
    gw.node.apiPort = '9'
    await helper.load([gatewayNode, commandOut], [gw.node, { id: 'cmd', type: 'tendero-command-out', gateway: 'gw', deviceId: 'camara-1', kind: 'relay.set', relay: 'compressor', setpoint: '', wires: [] }], gw.credentials)
    const errors = errorsOf('cmd')
    helper.getNode('cmd').receive({ payload: true })
    await until(() => errors.length === 1, 7000, 'the error')
    expect(errors[0]!.code).toBe('GATEWAY_UNREACHABLE')
  })
})

describe('tendero-alarm', () => {
  it('raises and clears an alarm on the gateway, repeats being harmless', async () => {
    const received = await loadFlow([alarmNode], [
      { id: 'alarm', type: 'tendero-alarm', gateway: 'gw', action: 'msg', key: 'puerta-abierta', deviceId: 'camara-1', severity: 'critical', message: '', wires: [['out']] },
    ])
    const node = helper.getNode('alarm')
    node.receive({ action: 'raise', payload: 'Puerta abierta / Door open' })
    await until(() => received.length === 1, 5000, 'the raise')
    expect(received[0]).toMatchObject({ alarmId: 'ext.puerta-abierta:camara-1', payload: { state: 'raised', severity: 'critical', message: 'Puerta abierta / Door open' } })
    expect(t.gw.alarms.get('ext.puerta-abierta:camara-1')).toMatchObject({ state: 'raised' })
    node.receive({ action: 'raise', payload: 'otra vez' })
    node.receive({ action: 'clear' })
    node.receive({ action: 'clear' })
    await until(() => received.length === 4, 5000, 'the other three')
    expect(t.gw.alarms.get('ext.puerta-abierta:camara-1')).toBeUndefined()
    const changes = logged('alarm').map((e) => (e.body as { alarmId: string; state: string })).filter((a) => a.alarmId === 'ext.puerta-abierta:camara-1')
    expect(changes.map((a) => a.state)).toEqual(['raised', 'cleared'])
  })

  it('reports a bad action and an unknown device as errors', async () => {
    await loadFlow([alarmNode], [{ id: 'alarm', type: 'tendero-alarm', gateway: 'gw', action: 'msg', key: 'x', deviceId: '', severity: 'info', message: 'm', wires: [['out']] }])
    const errors = errorsOf('alarm')
    helper.getNode('alarm').receive({ action: 'borrar' })
    helper.getNode('alarm').receive({ action: 'raise', deviceId: 'nadie' })
    await until(() => errors.length === 2, 5000, 'two errors')
    expect(errors.map((e) => e.code).sort()).toEqual(['ALARM_INPUT_INVALID', 'DEVICE_ERR_NOT_FOUND'])
  })
})

describe('tendero-gateway-status', () => {
  it('reports a running gateway without a cloud as no_cloud, with its log stats', async () => {
    const received = await loadFlow([statusNode], [{ id: 'st', type: 'tendero-gateway-status', gateway: 'gw', interval: 1, wires: [['out']] }])
    await until(() => received.length === 1, 5000, 'the first status')
    // The test gateway's cloud URL is a closed port: it runs, but nothing is acknowledged.
    expect(received[0]!.payload).toMatchObject({ state: 'no_cloud', health: { status: 'ok', gatewayId: t.gw.config.gatewayId }, logStats: { eventCount: expect.any(Number) } })
    helper.getNode('st').receive({})
    await until(() => received.length === 2, 5000, 'the forced poll')
    expect(received[1]!.payload.state).toBe('no_cloud')
  })

  it('reports a gateway that does not answer as down', async () => {
    const gw = gatewayConfigNode(t)
    gw.node.apiPort = '9'
    await helper.load([gatewayNode, statusNode], [gw.node, { id: 'st', type: 'tendero-gateway-status', gateway: 'gw', interval: 1, wires: [['out']] }, { id: 'out', type: 'helper' }], gw.credentials)
    const received: Msg[] = []
    helper.getNode('out').on('input', (msg: Msg) => received.push(msg))
    await until(() => received.length === 1, 5000, 'the status')
    expect(received[0]!.payload).toMatchObject({ state: 'down', error: 'GATEWAY_UNREACHABLE' })
  })
})

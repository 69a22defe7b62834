import { afterEach, describe, expect, it } from 'vitest'
import { deviceTopic, type Command, type LogEvent } from '@tendero/protocol'
import { DEMO_DEVICE, waitFor } from './harness.js'
import { ENV_TOKEN, startApiGateway, type ApiTestGateway } from './api-harness.js'

let t: ApiTestGateway | undefined
afterEach(async () => {
  await t?.close()
  t = undefined
})

const commandEvents = (gw: ApiTestGateway['gw']) =>
  gw.log
    .read(0, 1000)
    .filter((e): e is Extract<LogEvent, { kind: 'command' }> => e.kind === 'command')
    .map((e) => ({ deviceId: e.deviceId, ...e.body }))

describe('local API device commands', () => {
  it('sends relay.set through the rules path: logged, published to the device, named after the token', async () => {
    t = await startApiGateway()
    const device = await t.connect(DEMO_DEVICE.id, DEMO_DEVICE.password)
    const received: Command[] = []
    device.on('message', (_topic, payload) => received.push(JSON.parse(payload.toString())))
    await device.subscribeAsync(deviceTopic(DEMO_DEVICE.id, 'cmd'), { qos: 1 })

    const res = await t.api('POST', '/api/devices/camara-1/commands', { kind: 'relay.set', relay: 'compressor', on: true })
    expect(res).toMatchObject({ status: 202, body: { status: 'sent', commandId: expect.stringMatching(/^api:ana\./) } })
    const { commandId } = res.body
    await waitFor(() => received.length === 1)
    expect(received[0]).toMatchObject({ id: commandId, kind: 'relay.set', relay: 'compressor', on: true })
    expect(received[0]!.expiresAt).toBeGreaterThan(received[0]!.issuedAt)
    expect(commandEvents(t.gw)).toEqual([expect.objectContaining({ deviceId: 'camara-1', id: commandId, kind: 'relay.set' })])

    const env = await t.api('POST', '/api/devices/camara-1/commands', { kind: 'setpoint.set', name: 'setpoint_c', value: 3.5 }, ENV_TOKEN)
    expect(env).toMatchObject({ status: 202, body: { status: 'sent', commandId: expect.stringMatching(/^api:env\./) } })
    await waitFor(() => received.length === 2)
    expect(received[1]).toMatchObject({ id: env.body.commandId, kind: 'setpoint.set', name: 'setpoint_c', value: 3.5 })
    // Counted under one source for every technician token, never under the token's name.
    const metrics = await fetch(`http://127.0.0.1:${t.apiPort}/metrics`).then((r) => r.text())
    expect(metrics).toContain('tendero_gateway_commands_sent_total{source="api",transport="mqtt"} 2')
    expect(metrics).not.toMatch(/source="(ana|env|api:)/)
  })

  it('refuses unknown devices, undeclared relays and malformed bodies with coded errors, sending nothing', async () => {
    t = await startApiGateway()
    const cases: [string, unknown, number, string, string?][] = [
      ['/api/devices/nadie/commands', { kind: 'relay.set', relay: 'compressor', on: true }, 404, 'DEVICE_ERR_NOT_FOUND'],
      ['/api/devices/camara-1/commands', { kind: 'relay.set', relay: 'lights', on: true }, 400, 'COMMAND_ERR_UNKNOWN_RELAY', '/relay'],
      ['/api/devices/camara-1/commands', { kind: 'relay.set', relay: 'compressor' }, 400, 'API_ERR_VALIDATION', '/on'],
      ['/api/devices/camara-1/commands', { kind: 'relay.set', relay: 'compressor', on: 'yes' }, 400, 'API_ERR_VALIDATION', '/on'],
      ['/api/devices/camara-1/commands', { kind: 'relay.set', relay: 'compressor', on: true, colour: 1 }, 400, 'API_ERR_VALIDATION', '/colour'],
      ['/api/devices/camara-1/commands', { kind: 'setpoint.set', name: 'setpoint_c' }, 400, 'API_ERR_VALIDATION', '/value'],
      ['/api/devices/camara-1/commands', { kind: 'setpoint.set', name: 'setpoint_c', value: 1, on: true }, 400, 'API_ERR_VALIDATION', '/on'],
      ['/api/devices/camara-1/commands', { kind: 'door.open' }, 400, 'API_ERR_VALIDATION', '/kind'],
      ['/api/devices/camara-1/commands', '{"kind":', 400, 'API_ERR_BAD_REQUEST'],
    ]
    for (const [path, body, status, code, at] of cases) {
      const res = await t.api('POST', path, body)
      expect({ body, status: res.status, code: res.body.error.code }).toEqual({ body, status, code })
      if (at) expect(res.body.error.path).toBe(at)
    }
    const res = await t.api('POST', '/api/devices/camara-1/commands', { kind: 'relay.set', relay: 'compressor', on: true }, null)
    expect(res).toMatchObject({ status: 401, body: { error: { code: 'AUTH_ERR_MISSING_TOKEN' } } })
    expect(commandEvents(t.gw)).toEqual([])
  })

  it('holds a relay switch back by the rules minimum on time and says when it goes', async () => {
    t = await startApiGateway({
      edit: (site) =>
        site.rules.push({
          id: 'compresor-protegido',
          when: { kind: 'threshold', deviceId: 'camara-2', metric: 'temperature_c', above: 99, forSeconds: 0 },
          actions: [{ kind: 'relay.set', deviceId: 'camara-2', relay: 'compressor', on: true, minOnSeconds: 300 }],
        }),
    })
    const on = await t.api('POST', '/api/devices/camara-2/commands', { kind: 'relay.set', relay: 'compressor', on: true })
    expect(on).toMatchObject({ status: 202, body: { status: 'sent' } })
    const before = Date.now()
    const off = await t.api('POST', '/api/devices/camara-2/commands', { kind: 'relay.set', relay: 'compressor', on: false })
    expect(off).toMatchObject({ status: 202, body: { status: 'deferred' } })
    expect(off.body.commandId).toBeUndefined()
    expect(off.body.allowedAt).toBeGreaterThan(before + 290_000)
    expect(commandEvents(t.gw).map((c) => c.id)).toEqual([on.body.commandId])
  })

  it('refuses a setpoint a Modbus device has no holding register for', async () => {
    t = await startApiGateway({
      edit: (site) =>
        site.devices.push({
          id: 'horno-modbus',
          kind: 'oven',
          modbus: {
            host: '127.0.0.1',
            port: 9,
            pollMs: 60_000,
            registers: [
              { name: 'temperature_c', address: 0, fn: 'input' },
              { name: 'setpoint_c', address: 10, fn: 'holding' },
            ],
          },
        }),
    })
    const res = await t.api('POST', '/api/devices/horno-modbus/commands', { kind: 'setpoint.set', name: 'humedad_pct', value: 40 })
    expect(res).toMatchObject({ status: 400, body: { error: { code: 'COMMAND_ERR_UNKNOWN_SETPOINT', path: '/name' } } })
    expect(commandEvents(t.gw)).toEqual([])
  })
})

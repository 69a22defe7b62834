import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer, type AddressInfo, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import mqtt from 'mqtt'
import { pino } from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { MAX_PAYLOAD_BYTES, deviceTopic } from '@tendero/protocol'
import { loadConfig, type GatewayConfig } from '../src/config.js'
import { buildGateway } from '../src/gateway.js'
import { DEMO_DEVICE, OTHER_DEVICE, startTestGateway, testConfig, testSite, waitFor, type TestGateway } from './harness.js'

let t: TestGateway | undefined
const cleanups: (() => unknown)[] = []
afterEach(async () => {
  await t?.close()
  t = undefined
  // Last registered first: clients, then their gateway, then its directory.
  for (const c of cleanups.splice(0).reverse()) await c()
})

const topic = (id: string, channel: 'telemetry' | 'state' | 'event' | 'ack' = 'telemetry') => deviceTopic(id, channel)
const reading = (n: number, extra: object = {}) => JSON.stringify({ readings: { temperature_c: n }, ...extra })
const closedBy = (client: mqtt.MqttClient) => new Promise<void>((resolve) => client.once('close', () => resolve()))

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tendero-sec-'))
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

describe('device rate limit', () => {
  it('acknowledges and drops messages beyond the burst, per device, with the device override winning', async () => {
    // 0.001 msg/s: nothing refills during the test, so the counts are exact.
    const site = await testSite((s) => {
      s.devices.find((d) => d.id === OTHER_DEVICE.id)!.limits = { messagesPerSecond: 0.001, burst: 3 }
    })
    t = await startTestGateway({ site, config: { security: { messagesPerSecond: 0.001, burst: 6 } } })
    const limited = await t.connect(OTHER_DEVICE.id, OTHER_DEVICE.password)
    const global = await t.connect(DEMO_DEVICE.id, DEMO_DEVICE.password)
    await Promise.all(Array.from({ length: 10 }, (_, i) => limited.publishAsync(topic(OTHER_DEVICE.id), reading(i), { qos: 1 })))
    await Promise.all(Array.from({ length: 10 }, (_, i) => global.publishAsync(topic(DEMO_DEVICE.id), reading(i), { qos: 1 })))
    const logged = t.gw.log.read(0, 100)
    expect(logged.filter((e) => e.deviceId === OTHER_DEVICE.id)).toHaveLength(3)
    expect(logged.filter((e) => e.deviceId === DEMO_DEVICE.id)).toHaveLength(6)
    expect(t.gw.broker.rejectionsByReason()).toEqual({ [OTHER_DEVICE.id]: { rate_limited: 7 }, [DEMO_DEVICE.id]: { rate_limited: 4 } })
    expect(limited.connected && global.connected).toBe(true)
  })

  it('refills at the configured rate', async () => {
    let now = Date.now()
    const site = await testSite((s) => {
      s.devices[0]!.limits = { messagesPerSecond: 20, burst: 2 }
    })
    t = await startTestGateway({ site, gateway: { now: () => now } })
    const device = await t.connect(DEMO_DEVICE.id, DEMO_DEVICE.password)
    const send = (n: number) => device.publishAsync(topic(DEMO_DEVICE.id), reading(n), { qos: 1 })
    for (const n of [1, 2, 3]) await send(n) // burst of 2, the third is over
    now += 49 // 0.98 of a token
    await send(4)
    now += 1
    await send(5)
    now += 60_000 // refills only up to the burst
    for (const n of [6, 7, 8]) await send(n)
    const logged = t.gw.log.read(0, 10).map((e) => (e.body as { readings: { temperature_c: number } }).readings.temperature_c)
    expect(logged).toEqual([1, 2, 5, 6, 7])
    expect(t.gw.broker.rejectionsByReason()).toEqual({ [DEMO_DEVICE.id]: { rate_limited: 3 } })
  })

  it('logs a flood of rejections at most once a second per device and reason', async () => {
    const lines: { msg: string; deviceId?: string; reason?: string; suppressed?: number }[] = []
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line))
        cb()
      },
    })
    const site = await testSite((s) => {
      s.devices[0]!.limits = { messagesPerSecond: 0.001, burst: 1 }
    })
    t = await startTestGateway({ site, gateway: { logger: pino({ level: 'warn' }, sink) } })
    const device = await t.connect(DEMO_DEVICE.id, DEMO_DEVICE.password)
    await Promise.all(Array.from({ length: 200 }, (_, i) => device.publishAsync(topic(DEMO_DEVICE.id), reading(i), { qos: 1 })))
    expect(t.gw.broker.rejectionsByReason()).toEqual({ [DEMO_DEVICE.id]: { rate_limited: 199 } })
    const logged = lines.filter((l) => l.msg === 'message rejected')
    expect(logged.length).toBeGreaterThanOrEqual(1)
    expect(logged.length).toBeLessThanOrEqual(2)
    expect(logged[0]).toMatchObject({ deviceId: DEMO_DEVICE.id, reason: 'rate_limited' })
  })
})

describe('payload checks', () => {
  it('refuses payloads over the protocol limit, and over a lower per-device limit', async () => {
    const site = await testSite((s) => {
      s.devices.find((d) => d.id === OTHER_DEVICE.id)!.limits = { maxPayloadBytes: 200 }
    })
    t = await startTestGateway({ site })
    const demo = await t.connect(DEMO_DEVICE.id, DEMO_DEVICE.password)
    const small = await t.connect(OTHER_DEVICE.id, OTHER_DEVICE.password)
    // 1.000…0 is valid JSON of any length.
    const padded = (bytes: number) => {
      const base = reading(1.5)
      return base.replace('1.5', `1.${'0'.repeat(bytes - base.length)}5`)
    }
    expect(Buffer.byteLength(padded(300))).toBe(300)
    await demo.publishAsync(topic(DEMO_DEVICE.id), Buffer.alloc(MAX_PAYLOAD_BYTES + 1, 0x20), { qos: 1 })
    await demo.publishAsync(topic(DEMO_DEVICE.id), padded(300), { qos: 1 })
    await small.publishAsync(topic(OTHER_DEVICE.id), padded(300), { qos: 1 })
    await small.publishAsync(topic(OTHER_DEVICE.id), padded(200), { qos: 1 })
    expect(t.gw.log.read(0, 10).map((e) => e.deviceId)).toEqual([DEMO_DEVICE.id, OTHER_DEVICE.id])
    expect(t.gw.broker.rejectionsByReason()).toEqual({ [DEMO_DEVICE.id]: { too_large: 1 }, [OTHER_DEVICE.id]: { too_large: 1 } })
  })

  it('refuses NaN and Infinity on every channel', async () => {
    t = await startTestGateway()
    const device = await t.connect(DEMO_DEVICE.id, DEMO_DEVICE.password)
    // JSON has no Infinity, but 1e999 parses to it; NaN is not JSON at all.
    await device.publishAsync(topic(DEMO_DEVICE.id), '{"readings":{"temperature_c":1e999}}', { qos: 1 })
    await device.publishAsync(topic(DEMO_DEVICE.id), '{"readings":{"temperature_c":-1e999}}', { qos: 1 })
    await device.publishAsync(topic(DEMO_DEVICE.id, 'state'), '{"state":{"setpoint":1e400}}', { qos: 1 })
    await device.publishAsync(topic(DEMO_DEVICE.id, 'event'), '{"kind":"door.opened","data":{"count":1e999}}', { qos: 1 })
    await device.publishAsync(topic(DEMO_DEVICE.id), '{"ts":1e999,"readings":{"temperature_c":1}}', { qos: 1 })
    await device.publishAsync(topic(DEMO_DEVICE.id), '{"readings":{"temperature_c":NaN}}', { qos: 1 })
    await device.publishAsync(topic(DEMO_DEVICE.id), '{"readings":{"temperature_c":Infinity}}', { qos: 1 })
    expect(t.gw.log.lastSeq()).toBe(0)
    expect(t.gw.broker.rejectionsByReason()).toEqual({ [DEMO_DEVICE.id]: { non_finite: 5, bad_json: 2 } })
  })

  it('refuses device timestamps far ahead of or behind the gateway clock, with a reason', async () => {
    const now = Date.UTC(2026, 10, 21, 12)
    t = await startTestGateway({ config: { security: { maxAheadMs: 5 * 60_000, maxBehindMs: 7 * 86_400_000 } }, gateway: { now: () => now } })
    const device = await t.connect(DEMO_DEVICE.id, DEMO_DEVICE.password)
    const send = (ts: number) => device.publishAsync(topic(DEMO_DEVICE.id), reading(1, { ts }), { qos: 1 })
    await send(now + 6 * 60_000)
    await send(now - 8 * 86_400_000)
    await send(now + 4 * 60_000)
    await send(now - 6 * 86_400_000)
    expect(t.gw.log.read(0, 10).map((e) => e.time)).toEqual([now + 4 * 60_000, now - 6 * 86_400_000])
    expect(t.gw.broker.rejectionsByReason()).toEqual({ [DEMO_DEVICE.id]: { bad_timestamp: 2 } })
  })

  it('does not judge timestamps while the gateway clock is not synced', async () => {
    t = await startTestGateway({ config: { clockSynced: false } })
    const device = await t.connect(DEMO_DEVICE.id, DEMO_DEVICE.password)
    await device.publishAsync(topic(DEMO_DEVICE.id), reading(1, { ts: Date.now() + 30 * 86_400_000 }), { qos: 1 })
    expect(t.gw.log.lastSeq()).toBe(1)
  })
})

describe('topic ACL', () => {
  it('refuses wildcards in publish topics, closes the connection and counts them', async () => {
    t = await startTestGateway()
    for (const bad of [`tendero/v1/${DEMO_DEVICE.id}/+`, 'tendero/v1/+/telemetry', '#', `tendero/v1/${DEMO_DEVICE.id}/telemetry/#`]) {
      const device = await t.connect(DEMO_DEVICE.id, DEMO_DEVICE.password)
      const closed = closedBy(device)
      device.publish(bad, reading(1), { qos: 1 })
      await closed
    }
    const device = await t.connect(DEMO_DEVICE.id, DEMO_DEVICE.password)
    const closed = closedBy(device)
    device.publish(topic(OTHER_DEVICE.id), reading(1), { qos: 1 })
    await closed
    expect(t.gw.log.lastSeq()).toBe(0)
    await waitFor(() => t!.gw.rejectedCounts()[DEMO_DEVICE.id] === 5)
    expect(t.gw.broker.rejectionsByReason()).toEqual({ [DEMO_DEVICE.id]: { wildcard_topic: 4, acl: 1 } })
  })

  it('shows rejections by reason and refused connections in /health', async () => {
    t = await startTestGateway()
    await expect(t.connect('intruso', 'x')).rejects.toMatchObject({ code: 4 })
    const device = await t.connect(DEMO_DEVICE.id, DEMO_DEVICE.password)
    await device.publishAsync(topic(DEMO_DEVICE.id), '{', { qos: 1 })
    await device.publishAsync(topic(DEMO_DEVICE.id), '{"readings":{}}', { qos: 1 })
    const health = await (await fetch(`http://127.0.0.1:${t.apiPort}/health`)).json()
    expect(health).toMatchObject({
      status: 'ok',
      rejected: { [DEMO_DEVICE.id]: 2 },
      rejectedByReason: { [DEMO_DEVICE.id]: { bad_json: 1, bad_payload: 1 } },
      connectRefused: { unknown_device: 1 },
    })
  })
})

describe('TLS and WebSocket listeners', () => {
  function selfSignedCert(): { cert: string; key: string } {
    const dir = tempDir()
    execFileSync('/usr/bin/openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ], { stdio: 'ignore' })
    return { cert: readFileSync(join(dir, 'cert.pem'), 'utf8'), key: readFileSync(join(dir, 'key.pem'), 'utf8') }
  }

  it('serves MQTT over TLS with the same authentication and durable log', async () => {
    const pem = selfSignedCert()
    const { mqttsPort, gw } = await startWith({ mqttTls: { host: '127.0.0.1', port: 0, ...pem } })
    const opts = { clientId: DEMO_DEVICE.id, username: DEMO_DEVICE.id, reconnectPeriod: 0, connectTimeout: 5000, ca: pem.cert }
    await expect(mqtt.connectAsync(`mqtts://127.0.0.1:${mqttsPort}`, { ...opts, password: 'wrong' })).rejects.toMatchObject({ code: 4 })
    // Without the CA the client must refuse the gateway's certificate.
    await expect(
      mqtt.connectAsync(`mqtts://127.0.0.1:${mqttsPort}`, { ...opts, ca: undefined, password: DEMO_DEVICE.password }),
    ).rejects.toThrow(/self-signed|certificate/)
    const device = await mqtt.connectAsync(`mqtts://127.0.0.1:${mqttsPort}`, { ...opts, password: DEMO_DEVICE.password })
    cleanups.push(() => device.endAsync(true))
    await device.publishAsync(topic(DEMO_DEVICE.id), reading(4.2), { qos: 1 })
    expect(gw.log.read(0, 10)).toMatchObject([{ deviceId: DEMO_DEVICE.id, body: { readings: { temperature_c: 4.2 } } }])
  })

  it('serves MQTT over WebSocket with the same authentication and ACL', async () => {
    const { wsPort, gw } = await startWith({ mqttWs: { host: '127.0.0.1', port: 0 } })
    const url = `ws://127.0.0.1:${wsPort}`
    const opts = { clientId: DEMO_DEVICE.id, username: DEMO_DEVICE.id, reconnectPeriod: 0, connectTimeout: 5000 }
    await expect(mqtt.connectAsync(url, { ...opts, password: 'wrong' })).rejects.toMatchObject({ code: 4 })
    const device = await mqtt.connectAsync(url, { ...opts, password: DEMO_DEVICE.password })
    cleanups.push(() => device.endAsync(true))
    await device.publishAsync(topic(DEMO_DEVICE.id), reading(3.3), { qos: 1 })
    expect(gw.log.read(0, 10)).toMatchObject([{ deviceId: DEMO_DEVICE.id, body: { readings: { temperature_c: 3.3 } } }])
    const closed = closedBy(device)
    device.publish(topic(OTHER_DEVICE.id), reading(1), { qos: 1 })
    await closed
    expect(gw.broker.rejectionsByReason()).toEqual({ [DEMO_DEVICE.id]: { acl: 1 } })
    expect(gw.log.lastSeq()).toBe(1)
  })

  it('names the variable to set when the TLS or WebSocket port is taken', async () => {
    const blocker: Server = createServer()
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r))
    cleanups.push(() => new Promise((r) => blocker.close(r)))
    const taken = (blocker.address() as AddressInfo).port
    const site = await testSite()
    const pem = selfSignedCert()
    for (const [over, envVar] of [
      [{ mqttWs: { host: '127.0.0.1', port: taken } }, 'GATEWAY_MQTT_WS_PORT'],
      [{ mqttTls: { host: '127.0.0.1', port: taken, ...pem } }, 'GATEWAY_MQTTS_PORT'],
    ] as const) {
      const gw = buildGateway(testConfig(site, tempDir(), over), { logger: pino({ level: 'silent' }) })
      await expect(gw.start()).rejects.toMatchObject({
        code: 'GATEWAY_ERR_PORT_IN_USE',
        message: `Port ${taken} is already in use. Set ${envVar} to a free port.`,
      })
    }
  })
})

describe('security configuration', () => {
  it('reads limits, retention and listeners from the environment', () => {
    const dir = tempDir()
    execFileSync('/usr/bin/openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=x',
      '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem')], { stdio: 'ignore' })
    const config = loadConfig({
      GATEWAY_DEVICE_RATE: '5',
      GATEWAY_DEVICE_BURST: '20',
      GATEWAY_DEVICE_MAX_PAYLOAD_BYTES: '4096',
      GATEWAY_TS_MAX_AHEAD_S: '60',
      GATEWAY_TS_MAX_BEHIND_S: '3600',
      GATEWAY_LOG_RETENTION_DAYS: '7',
      GATEWAY_LOG_MAX_MB: '64',
      GATEWAY_LOG_FLUSH_MS: '2',
      GATEWAY_MQTTS_PORT: '8884',
      GATEWAY_TLS_CERT: join(dir, 'c.pem'),
      GATEWAY_TLS_KEY: join(dir, 'k.pem'),
      GATEWAY_MQTT_WS_PORT: '9001',
    })
    expect(config).toMatchObject({
      security: { messagesPerSecond: 5, burst: 20, maxPayloadBytes: 4096, maxAheadMs: 60_000, maxBehindMs: 3_600_000 },
      log: { flushIntervalMs: 2, retention: { maxAgeMs: 7 * 86_400_000, maxBytes: 64 * 1024 * 1024 } },
      mqttTls: { port: 8884, cert: expect.stringContaining('BEGIN CERTIFICATE'), key: expect.stringContaining('PRIVATE KEY') },
      mqttWs: { port: 9001 },
    })
  })

  it('defaults: WebSocket on 8883, no TLS; off turns WebSocket off', () => {
    expect(loadConfig({})).toMatchObject({ mqttWs: { port: 8883 }, security: { messagesPerSecond: 100, maxPayloadBytes: MAX_PAYLOAD_BYTES } })
    expect(loadConfig({}).mqttTls).toBeUndefined()
    expect(loadConfig({ GATEWAY_MQTT_WS_PORT: 'off' }).mqttWs).toBeUndefined()
  })

  it('names every bad security variable, and a half-configured TLS listener', () => {
    const load = () =>
      loadConfig({ GATEWAY_DEVICE_RATE: '-1', GATEWAY_DEVICE_MAX_PAYLOAD_BYTES: '20000', GATEWAY_LOG_MAX_MB: 'lots', GATEWAY_MQTTS_PORT: '8884' })
    expect(load).toThrow('GATEWAY_DEVICE_RATE: must be a number from 0')
    expect(load).toThrow('GATEWAY_DEVICE_MAX_PAYLOAD_BYTES: must be a number from 1 to 16384')
    expect(load).toThrow('GATEWAY_LOG_MAX_MB: must be a number')
    expect(load).toThrow('set all three for the TLS listener')
    expect(() => loadConfig({ GATEWAY_MQTTS_PORT: '1', GATEWAY_TLS_CERT: '/nope.pem', GATEWAY_TLS_KEY: '/nope.pem' })).toThrow(
      'GATEWAY_TLS_CERT: cannot read /nope.pem',
    )
  })

  it('checks device limits in the site config and points at the field', async () => {
    const site = await testSite((s) => {
      ;(s.devices[0] as { limits?: unknown }).limits = { maxPayloadBytes: 20_000 }
    }).catch((err: Error) => err)
    expect(site).toBeInstanceOf(Error)
    expect((site as Error).message).toContain('/devices/0/limits/maxPayloadBytes')
  })
})

/** A gateway with extra listeners; the harness only reports the MQTT and API ports. */
async function startWith(over: Partial<GatewayConfig>) {
  const gw = buildGateway(testConfig(await testSite(), tempDir(), over), { logger: pino({ level: 'silent' }) })
  const ports = await gw.start()
  cleanups.push(() => gw.stop())
  return { gw, ...ports }
}

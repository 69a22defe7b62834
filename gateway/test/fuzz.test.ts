import { randomBytes, scryptSync } from 'node:crypto'
import mqtt, { type MqttClient } from 'mqtt'
import { afterEach, describe, expect, it } from 'vitest'
import { MAX_PAYLOAD_BYTES, deviceTopic } from '@tendero/protocol'
import type { SiteConfig } from '../src/config.js'
import { prng } from './crash-harness.js'
import { DEMO_DEVICE, startTestGateway, testSite, waitFor, type TestGateway } from './harness.js'

/**
 * Thousands of malformed payloads and hostile topics from real MQTT clients. The
 * gateway must keep running, log only the valid messages, and count every refusal:
 * the sum of its counters equals the number of bad messages sent, exactly. FUZZ_SEED
 * replays a run; FUZZ_CASES makes it longer.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 0xf022)
const CASES = Number(process.env.FUZZ_CASES ?? 3000)
const TOPIC_CASES = 200

let t: TestGateway | undefined
afterEach(async () => {
  await t?.close()
  t = undefined
})

type Random = () => number
const int = (r: Random, n: number) => Math.floor(r() * n)
const pick = <T>(r: Random, items: readonly T[]): T => items[int(r, items.length)]!
const channels = ['telemetry', 'state', 'event', 'ack'] as const

/**
 * The hash format carries its scrypt cost; N=1024 keeps the test's hundred reconnects
 * cheap. Same verification code path as production hashes.
 */
function cheapHash(password: string): string {
  const salt = randomBytes(16)
  const key = scryptSync(password, salt, 32, { N: 1024, r: 8, p: 1 })
  return `scrypt$1024$8$1$${salt.toString('base64')}$${key.toString('base64')}`
}
const FUZZERS = [
  { id: 'fuzz-a', password: 'fuzz-a-pw' },
  { id: 'fuzz-b', password: 'fuzz-b-pw' },
]

function validReading(r: Random, now: number): string {
  const readings: Record<string, number> = {}
  for (let i = 0; i <= int(r, 4); i++) readings[`m${i}_${pick(r, ['c', 'pct', 'kw'])}`] = Math.round((r() - 0.5) * 2e6) / 100
  return JSON.stringify(r() < 0.5 ? { readings } : { ts: now - int(r, 3_600_000), seq: int(r, 1e9), readings })
}

/** Payloads no upstream channel can accept; each generator documents why. */
const badPayloads: ((r: Random, now: number) => string | Buffer)[] = [
  // Random bytes: not JSON, or JSON of the wrong shape.
  (r) => Buffer.from(Array.from({ length: int(r, 300) }, () => int(r, 256))),
  // Any proper prefix of a JSON object is not JSON.
  (r, now) => {
    const full = validReading(r, now)
    return full.slice(0, int(r, full.length))
  },
  // Deep nesting, within and beyond the size limit.
  (r) => {
    const depth = 1 + int(r, 12_000)
    // "A" is not a metric name, so no depth of this is valid telemetry.
    return r() < 0.5 ? '['.repeat(depth) + ']'.repeat(depth) : '{"readings":' + '{"A":'.repeat(depth) + '1' + '}'.repeat(depth + 1)
  },
  // Huge strings where numbers belong, sometimes over the size limit.
  (r) => JSON.stringify({ readings: { temperature_c: 'x'.repeat(int(r, MAX_PAYLOAD_BYTES + 4000)) } }),
  // Wrong types and shapes.
  (r) =>
    JSON.stringify(
      pick(r, [
        { readings: [] },
        { readings: {} },
        { readings: null },
        { readings: 'hot' },
        { readings: { temperature_c: true } },
        { readings: { temperature_c: { v: 1 } } },
        { readings: { Temperature: 1 } },
        { readings: { '1x': 1 } },
        { readings: { '': 1 } },
        { ts: -1, readings: { t_c: 1 } },
        { ts: 1.5, readings: { t_c: 1 } },
        { ts: '2026-11-21', readings: { t_c: 1 } },
        { seq: -1, readings: { t_c: 1 } },
        { readings: { t_c: 1 }, extra: 1 },
        { state: { relay: { on: true } } },
        { state: { relay: 'x'.repeat(65) } },
        { kind: 'Door Opened' },
        { data: { a: 1 } },
        { id: 7, ok: true },
        [],
        null,
        42,
        'telemetry',
      ]),
    ),
  // NaN-ish: no JSON literal for them; 1e999 parses to Infinity.
  (r) =>
    `{"readings":{"temperature_c":${pick(r, ['1e999', '-1e999', '1e309', 'NaN', 'Infinity', '-Infinity', '"NaN"', 'nan', '0x10', '+1', '.5', '01'])}}}`,
  // Device clock far off the gateway's: more than 5 min ahead or 7 days behind.
  (r, now) => JSON.stringify({ ts: r() < 0.5 ? now + 301_000 + int(r, 1e10) : Math.max(0, now - 604_801_000 - int(r, 1e12)), readings: { t_c: 1 } }),
  // Prototype-polluting keys must not slip past additionalProperties.
  () => '{"__proto__":{"polluted":1},"readings":{"t_c":1}}',
  // Control characters and invalid UTF-8 in keys.
  (r) => Buffer.concat([Buffer.from('{"readings":{"t'), Buffer.from([pick(r, [0x00, 0x1f, 0xc3, 0xff, 0x80])]), Buffer.from('_c":1}}')]),
]

/** Topics a device may never publish to; each closes the connection. */
function badTopic(r: Random, self: string, other: string): string {
  const own = deviceTopic(self, 'telemetry')
  const long = () => `${own}/${'x'.repeat(1 + int(r, 30_000))}`
  const wildcard = () => {
    const at = int(r, own.length)
    return own.slice(0, at) + pick(r, ['+', '#']) + own.slice(at + 1)
  }
  const printable = () => Array.from({ length: 1 + int(r, 80) }, () => String.fromCharCode(33 + int(r, 94))).join('')
  return pick(r, [
    wildcard,
    () => pick(r, ['#', '+', 'tendero/v1/+/telemetry', `tendero/v1/${self}/#`, '+/+/+/+']),
    () => deviceTopic(other, pick(r, channels)),
    () => deviceTopic(self, 'cmd'),
    () => `tendero/v1/${self}/${pick(r, ['config', 'telemetry/extra', 'TELEMETRY', ''])}`,
    () => `$SYS/${self}`,
    long,
    printable,
    () => 'a/'.repeat(101 + int(r, 200)), // beyond Aedes's 100 topic levels
  ])()
}

function connect(port: number, device: { id: string; password: string }): Promise<MqttClient> {
  return mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
    clientId: device.id,
    username: device.id,
    password: device.password,
    reconnectPeriod: 0,
    connectTimeout: 5000,
  })
}

const sumCounters = (byReason: Record<string, Partial<Record<string, number>>>): number =>
  Object.values(byReason).reduce<number>((a, reasons) => a + Object.values(reasons).reduce<number>((b, n) => b + (n ?? 0), 0), 0)

describe('fuzz', () => {
  it(`survives ${CASES} malformed payloads and ${TOPIC_CASES} hostile topics, counting every rejection`, { timeout: 60_000 }, async () => {
    const random = prng(SEED)
    const site: SiteConfig = await testSite((s) => {
      // Unlimited rate for the fuzzing devices, so every message meets the payload checks.
      for (const f of FUZZERS) s.devices.push({ id: f.id, kind: 'sensor', passwordHash: cheapHash(f.password), limits: { messagesPerSecond: 0 } })
    })
    t = await startTestGateway({ site })
    const port = t.mqttPort
    const now = Date.now()

    // Payloads on the device's own topics: acknowledged and dropped, or logged if valid.
    let sentBad = 0
    let sentGood = 0
    const tooLarge = { n: 0 }
    const devices = FUZZERS
    const clients = await Promise.all(devices.map((d) => connect(port, d)))
    const cases = Array.from({ length: CASES }, () => {
      const d = int(random, devices.length)
      const good = random() < 0.1
      const payload = good ? validReading(random, now) : pick(random, badPayloads)(random, now)
      const channel = good ? 'telemetry' : pick(random, channels)
      if (good) sentGood++
      else sentBad++
      if (!good && Buffer.byteLength(payload) > MAX_PAYLOAD_BYTES) tooLarge.n++
      return { d, topic: deviceTopic(devices[d]!.id, channel), payload, qos: random() < 0.8 ? (1 as const) : (0 as const) }
    })
    let next = 0
    const worker = async () => {
      while (next < cases.length) {
        const c = cases[next++]!
        await clients[c.d]!.publishAsync(c.topic, c.payload, { qos: c.qos })
      }
    }
    await Promise.all(Array.from({ length: 32 }, worker))
    expect(clients.every((c) => c.connected)).toBe(true)
    await Promise.all(clients.map((c) => c.endAsync()))

    // Hostile topics: each closes its connection, so one message per connection, two devices at a time.
    const topicCases = Array.from({ length: TOPIC_CASES }, (_, i) => {
      const d = i % 2
      return { d, topic: badTopic(random, devices[d]!.id, devices[1 - d]!.id), qos: pick(random, [0, 1] as const) }
    })
    await Promise.all(
      [0, 1].map(async (d) => {
        for (const c of topicCases.filter((x) => x.d === d)) {
          const client = await connect(port, devices[d]!)
          const closed = new Promise<void>((resolve) => client.once('close', () => resolve()))
          client.on('error', () => {})
          client.publish(c.topic, validReading(random, now), { qos: c.qos })
          await closed
          client.end(true)
        }
      }),
    )
    sentBad += TOPIC_CASES

    const expected = { rejected: sentBad, logged: sentGood }
    await waitFor(() => sumCounters(t!.gw.broker.rejectionsByReason()) >= expected.rejected, 10_000).catch(() => {})
    const byReason = t.gw.broker.rejectionsByReason()
    const reasons = Object.values(byReason).flatMap((r) => Object.keys(r))
    console.log(`fuzz: seed ${SEED}, ${CASES + TOPIC_CASES} messages, ${sentBad} bad, ${sentGood} good; counted ${JSON.stringify(byReason)}`)
    expect({ rejected: sumCounters(byReason), logged: t.gw.log.lastSeq() }).toEqual(expected)
    const closing = Object.values(byReason).reduce((a, r) => a + (r.acl ?? 0) + (r.wildcard_topic ?? 0) + (r.bad_topic ?? 0), 0)
    expect(closing).toBe(TOPIC_CASES)
    expect(Object.values(byReason).reduce((a, r) => a + (r.too_large ?? 0), 0)).toBe(tooLarge.n)
    expect(new Set(reasons)).toEqual(new Set(['acl', 'wildcard_topic', 'bad_topic', 'too_large', 'bad_json', 'bad_payload', 'non_finite', 'bad_timestamp']))
    expect(t.gw.log.read(0, CASES).every((e) => e.kind === 'telemetry')).toBe(true)

    // Still serving: health answers, and a valid message is logged.
    const health = (await (await fetch(`http://127.0.0.1:${t.apiPort}/health`)).json()) as { status: string; rejected: Record<string, number> }
    expect(health.status).toBe('ok')
    expect(Object.values(health.rejected).reduce((a, b) => a + b, 0)).toBe(expected.rejected)
    const after = await t.connect(DEMO_DEVICE.id, DEMO_DEVICE.password)
    await after.publishAsync(deviceTopic(DEMO_DEVICE.id, 'telemetry'), '{"readings":{"temperature_c":4.2}}', { qos: 1 })
    expect(t.gw.log.read(expected.logged, 10)).toMatchObject([{ seq: expected.logged + 1, body: { readings: { temperature_c: 4.2 } } }])
  })
})

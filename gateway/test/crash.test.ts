import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import mqtt, { type MqttClient } from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deviceTopic } from '@tendero/protocol'
import { hashPassword } from '../src/broker/passwords.js'
import { freePort, prng, spawnGateway, waitForPort, type GatewayProcess } from './crash-harness.js'

/**
 * The durability promise, tested the hard way: a real gateway process under QoS 1 load
 * is killed with SIGKILL at a random moment, restarted on the same data directory, and
 * killed again. Every message a device got a PUBACK for must be in the log afterwards.
 * CRASH_SEED and CRASH_ROUNDS replay or lengthen a run.
 */
const ROUNDS = Number(process.env.CRASH_ROUNDS ?? 20)
const SEED = Number(process.env.CRASH_SEED ?? 20_261_121)
const DEVICES = Array.from({ length: 4 }, (_, i) => ({ id: `crash-${i}`, password: `crash-${i}-pw` }))
const IN_FLIGHT = 8

let dir: string
let configPath: string
let running: GatewayProcess | undefined

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tendero-crash-'))
  configPath = join(dir, 'site.json')
  const devices = await Promise.all(
    DEVICES.map(async (d) => ({
      id: d.id,
      kind: 'sensor',
      passwordHash: await hashPassword(d.password),
      // Unlimited: the test wants as many messages in flight as possible when the kill lands.
      limits: { messagesPerSecond: 0 },
    })),
  )
  writeFileSync(configPath, JSON.stringify({ gatewayId: 'gw-crash', devices, rules: [] }))
})
afterAll(async () => {
  running?.child.kill('SIGKILL')
  await running?.exited
  rmSync(dir, { recursive: true, force: true })
})

/** One device publishing QoS 1 readings with IN_FLIGHT outstanding; records what was PUBACKed. */
function load(client: MqttClient, deviceId: string, nextSeq: { n: number }, acked: Set<string>, stop: { now: boolean }) {
  const topic = deviceTopic(deviceId, 'telemetry')
  const worker = async () => {
    while (!stop.now) {
      const seq = nextSeq.n++
      try {
        await client.publishAsync(topic, JSON.stringify({ seq, readings: { n: seq } }), { qos: 1 })
      } catch {
        return // connection gone: the gateway was killed
      }
      acked.add(`${deviceId}/${seq}`)
    }
  }
  return Promise.all(Array.from({ length: IN_FLIGHT }, worker))
}

describe('crash', () => {
  it(`loses no PUBACKed message across ${ROUNDS} SIGKILLs under QoS 1 load`, { timeout: 180_000 }, async () => {
    const random = prng(SEED)
    const [mqttPort, apiPort] = [await freePort(), await freePort()]
    const env = {
      GATEWAY_MQTT_PORT: String(mqttPort),
      GATEWAY_MQTT_HOST: '127.0.0.1',
      GATEWAY_API_PORT: String(apiPort),
      GATEWAY_API_HOST: '127.0.0.1',
      GATEWAY_MQTT_WS_PORT: 'off',
      GATEWAY_DATA_DIR: join(dir, 'data'),
      GATEWAY_CONFIG: configPath,
      CLOUD_URL: 'http://127.0.0.1:9',
      GATEWAY_LOG_LEVEL: 'warn',
    }
    const acked = new Set<string>()
    const nextSeq = DEVICES.map(() => ({ n: 0 }))
    const perRound: number[] = []
    for (let round = 0; round < ROUNDS; round++) {
      const proc = spawnGateway(env)
      running = proc
      await waitForPort(mqttPort, proc)
      const clients = await Promise.all(
        DEVICES.map((d) =>
          mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, {
            clientId: d.id,
            username: d.id,
            password: d.password,
            reconnectPeriod: 0,
            connectTimeout: 5000,
          }),
        ),
      )
      for (const c of clients) c.on('error', () => {})
      const before = acked.size
      const stop = { now: false }
      const loads = clients.map((c, i) => load(c, DEVICES[i]!.id, nextSeq[i]!, acked, stop))
      // The kill lands anywhere from just after the first publishes to well into the load.
      await new Promise((r) => setTimeout(r, 20 + random() * 300))
      proc.child.kill('SIGKILL')
      await proc.exited
      stop.now = true
      await Promise.all(clients.map((c) => c.endAsync(true).catch(() => {})))
      await Promise.all(loads)
      perRound.push(acked.size - before)
    }
    running = undefined

    const db = new Database(join(dir, 'data', 'log.db'), { readonly: true })
    const rows = db
      .prepare<[], { seq: number; device_id: string; s: number }>(
        `SELECT seq, device_id, json_extract(body, '$.seq') AS s FROM events WHERE kind = 'telemetry' ORDER BY seq`,
      )
      .all()
    // Gap-free is about every event: the gateway logs its own too (online state, fail-safe commands).
    const allSeqs = db.prepare<[], { seq: number }>(`SELECT seq FROM events ORDER BY seq`).all().map((r) => r.seq)
    db.close()
    const logged = new Set(rows.map((r) => `${r.device_id}/${r.s}`))
    const missing = [...acked].filter((k) => !logged.has(k))
    const sent = nextSeq.reduce((a, s) => a + s.n, 0)
    console.log(
      `crash: seed ${SEED}, ${ROUNDS} rounds, ${sent} sent, ${acked.size} PUBACKed, ${rows.length} logged, ` +
        `${missing.length} missing; PUBACKed per round: ${perRound.join(' ')}`,
    )
    expect(missing).toEqual([])
    // Load was really running when the kills landed.
    expect(perRound.filter((n) => n > 0).length).toBeGreaterThanOrEqual(ROUNDS * 0.8)
    // Gap-free seq survives the crashes too (sync contract 1).
    expect(allSeqs).toEqual(allSeqs.map((_, i) => i + 1))
  })
})

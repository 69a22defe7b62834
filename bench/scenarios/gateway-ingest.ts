/**
 * QoS 1 telemetry into the gateway: how many messages per second reach a PUBACK, and how
 * long a device waits for it. Tendero's broker authenticates, checks the ACL, validates
 * the payload and commits it to the SQLite log (synchronous=FULL) before each PUBACK;
 * the peer is a bare Aedes broker that does none of that, under the same load generator
 * in the same process. The gap between them is the price of durability and validation.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createServer, type AddressInfo } from 'node:net'
import { Aedes } from 'aedes'
import mqtt from 'mqtt'
import { pino } from 'pino'
import { deviceTopic } from '@tendero/protocol'
import { buildGateway } from '../../gateway/src/gateway.js'
import { loadConfig } from '../../gateway/src/config.js'
import { BENCH_PASSWORD, benchSite } from '../lib/site.js'
import type { BenchResult } from '../run.js'

const DEVICES = 20
const MESSAGES_PER_DEVICE = 1500
const IN_FLIGHT_PER_DEVICE = 10
const PASSWORD = BENCH_PASSWORD

interface LoadResult {
  messagesPerSecond: number
  p50Ms: number
  p99Ms: number
}

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN

/** DEVICES clients, each keeping IN_FLIGHT_PER_DEVICE QoS 1 publishes outstanding. */
async function load(port: number): Promise<LoadResult> {
  const clients = await Promise.all(
    Array.from({ length: DEVICES }, (_, i) =>
      mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
        clientId: `bench-${i}`,
        username: `bench-${i}`,
        password: PASSWORD,
        reconnectPeriod: 0,
      }),
    ),
  )
  const latencies: number[] = []
  const started = performance.now()
  await Promise.all(
    clients.map(async (client, i) => {
      const topic = deviceTopic(`bench-${i}`, 'telemetry')
      let next = 0
      const worker = async () => {
        while (next < MESSAGES_PER_DEVICE) {
          const n = next++
          const payload = JSON.stringify({ seq: n, readings: { temperature_c: 2 + (n % 40) / 10, door_open: n % 2 } })
          const t0 = performance.now()
          await client.publishAsync(topic, payload, { qos: 1 })
          latencies.push(performance.now() - t0)
        }
      }
      await Promise.all(Array.from({ length: IN_FLIGHT_PER_DEVICE }, worker))
    }),
  )
  const seconds = (performance.now() - started) / 1000
  await Promise.all(clients.map((c) => c.endAsync()))
  latencies.sort((a, b) => a - b)
  return {
    messagesPerSecond: Math.round(latencies.length / seconds),
    p50Ms: Number(percentile(latencies, 50).toFixed(2)),
    p99Ms: Number(percentile(latencies, 99).toFixed(2)),
  }
}

async function tenderoGateway(): Promise<{ result: LoadResult; logged: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'tendero-bench-'))
  // No rules here (broker-throughput loads them); devices without a rate limit.
  const site = await benchSite({ devices: DEVICES, packs: false })
  writeFileSync(join(dir, 'site.json'), JSON.stringify(site.config))
  // Through loadConfig, like main.ts, so new config sections get their defaults.
  const config = loadConfig({
    GATEWAY_MQTT_HOST: '127.0.0.1',
    GATEWAY_MQTT_PORT: '0',
    GATEWAY_MQTT_WS_PORT: 'off',
    GATEWAY_API_HOST: '127.0.0.1',
    GATEWAY_API_PORT: '0',
    GATEWAY_DATA_DIR: join(dir, 'data'),
    GATEWAY_CONFIG: join(dir, 'site.json'),
    // No cloud: the uplink retries in the background with backoff, as in an outage.
    CLOUD_URL: 'http://127.0.0.1:9',
    GATEWAY_LOG_LEVEL: 'silent',
  })
  const gateway = buildGateway(config, { logger: pino({ level: 'silent' }), uplink: { backoffCapMs: 5000 } })
  try {
    const { mqttPort } = await gateway.start()
    const result = await load(mqttPort)
    return { result, logged: gateway.log.read(0, DEVICES * MESSAGES_PER_DEVICE + 10).length }
  } finally {
    await gateway.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

async function bareAedes(): Promise<LoadResult> {
  const aedes = await Aedes.createBroker()
  const server = createServer(aedes.handle)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  try {
    return await load((server.address() as AddressInfo).port)
  } finally {
    await new Promise<void>((resolve) => aedes.close(() => resolve()))
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
}

export async function gatewayIngest(): Promise<BenchResult[]> {
  // Peer first, then Tendero, then the peer again: the better peer run is the fair one.
  const peerA = await bareAedes()
  const { result: tendero, logged } = await tenderoGateway()
  const peerB = await bareAedes()
  const peer = peerA.messagesPerSecond >= peerB.messagesPerSecond ? peerA : peerB
  if (logged !== DEVICES * MESSAGES_PER_DEVICE) {
    throw new Error(`the gateway logged ${logged} of ${DEVICES * MESSAGES_PER_DEVICE} acknowledged messages`)
  }
  const ratio = (a: number, b: number) => Number((a / b).toFixed(3))
  const peerName = 'bare Aedes (no auth, validation or log)'
  return [
    { metric: 'qos1 telemetry acknowledged', value: tendero.messagesPerSecond, unit: 'msg/s', peer: peerName,
      peerValue: peer.messagesPerSecond, ratio: ratio(tendero.messagesPerSecond, peer.messagesPerSecond) },
    { metric: 'puback latency p50', value: tendero.p50Ms, unit: 'ms', peer: peerName, peerValue: peer.p50Ms,
      ratio: ratio(tendero.p50Ms, peer.p50Ms) },
    { metric: 'puback latency p99', value: tendero.p99Ms, unit: 'ms', peer: peerName, peerValue: peer.p99Ms,
      ratio: ratio(tendero.p99Ms, peer.p99Ms) },
    { metric: 'messages in the durable log', value: logged, unit: 'events' },
  ]
}

/**
 * The load generator, one process per call, used for every broker alike. Connects its
 * clients (device id = client id = username), says `ready`, waits for `go`, then either
 *  - burst: each client publishes `messagesPerClient` telemetry messages keeping
 *    `inFlight` outstanding (QoS 1: awaiting PUBACK; QoS 0: awaiting socket drain), or
 *  - rate: publishes `ratePerSecond` messages spread round-robin over the clients until
 *    `stop` or `maxSeconds`,
 * and answers `done` with counts and its own timestamps (epoch ms, sub-ms precision).
 */
import type { Socket } from 'node:net'
import mqtt, { type MqttClient } from 'mqtt'

export interface PublisherInput {
  url: string
  clientIds: string[]
  password: string
  qos: 0 | 1
  /** Nagle off on the device sockets (latency runs); throughput runs keep Node's default. */
  noDelay?: boolean
  mode: { kind: 'burst'; messagesPerClient: number; inFlight: number } | { kind: 'rate'; ratePerSecond: number; maxSeconds: number }
}
export interface PublisherDone {
  type: 'done'
  published: number
  acked: number
  errors: number
  startedAt: number
  endedAt: number
}

const input = JSON.parse(process.argv[2]!) as PublisherInput
const clock = () => performance.timeOrigin + performance.now()
const send = (m: object) => process.send!(m)
// Readings stay in a band where no cold-room rule fires, so rules are evaluated, not acted on.
const payload = (n: number) => JSON.stringify({ seq: n, readings: { temperature_c: 3 + (n % 10) / 10 } })
const topic = (id: string) => `tendero/v1/${id}/telemetry`

async function connectAll(): Promise<MqttClient[]> {
  const clients: MqttClient[] = []
  // In chunks: each connect costs the gateway one scrypt verification.
  for (let i = 0; i < input.clientIds.length; i += 20) {
    const chunk = input.clientIds.slice(i, i + 20)
    clients.push(
      ...(await Promise.all(
        chunk.map((id) =>
          mqtt.connectAsync(input.url, { clientId: id, username: id, password: input.password, reconnectPeriod: 0, connectTimeout: 60_000 }),
        ),
      )),
    )
  }
  if (input.noDelay) for (const c of clients) (c.stream as Socket).setNoDelay(true)
  return clients
}

let published = 0
let acked = 0
let errors = 0

async function burst(clients: MqttClient[], messagesPerClient: number, inFlight: number): Promise<void> {
  await Promise.all(
    clients.map(async (client, i) => {
      let next = 0
      const t = topic(input.clientIds[i]!)
      const worker = async () => {
        while (next < messagesPerClient && errors === 0) {
          const n = next++
          published++
          try {
            await client.publishAsync(t, payload(n), { qos: input.qos })
            acked++
          } catch {
            errors++
          }
        }
      }
      await Promise.all(Array.from({ length: inFlight }, worker))
    }),
  )
}

async function rate(clients: MqttClient[], ratePerSecond: number, maxSeconds: number): Promise<void> {
  const started = clock()
  let stopped = false
  process.on('message', (m: { type: string }) => {
    if (m.type === 'stop') stopped = true
  })
  while (!stopped && clock() - started < maxSeconds * 1000) {
    const due = Math.floor(((clock() - started) / 1000) * ratePerSecond)
    // Never more than a second of backlog outstanding: a slow broker is measured, not buried.
    while (published < due && published - acked - errors < ratePerSecond) {
      const i = published % clients.length
      published++
      clients[i]!.publish(topic(input.clientIds[i]!), payload(published), { qos: input.qos }, (err) => (err ? errors++ : acked++))
    }
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

const clients = await connectAll()
for (const c of clients) c.on('error', () => errors++)
process.once('message', async (m: { type: string }) => {
  if (m.type !== 'go') return
  const startedAt = clock()
  if (input.mode.kind === 'burst') await burst(clients, input.mode.messagesPerClient, input.mode.inFlight)
  else await rate(clients, input.mode.ratePerSecond, input.mode.maxSeconds)
  const endedAt = clock()
  send({ type: 'done', published, acked, errors, startedAt, endedAt } satisfies PublisherDone)
  await Promise.all(clients.map((c) => c.endAsync().catch(() => undefined)))
  process.exit(0)
})
send({ type: 'ready' })

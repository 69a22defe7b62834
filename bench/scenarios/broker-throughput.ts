/**
 * Broker throughput at QoS 0 and QoS 1: Tendero's gateway (durable log on, demo rules and
 * every rule pack loaded) against bare Aedes and a private Mosquitto, under the same load
 * generator. Broker, publishers (2 processes, 20 devices, 10 messages in flight each) and
 * subscriber each run in their own process.
 *
 * What is measured, exactly:
 *  - QoS 1, all brokers: PUBACKs per second at the publishers, from `go` to the last
 *    PUBACK. Tendero PUBACKs only after the SQLite commit. The peers also forward every
 *    message to a QoS 1 subscriber process (Tendero has none: devices may not subscribe to
 *    telemetry; its far end is the log and the rules engine).
 *  - QoS 0: messages per second arriving at the far end, from `go` to the last arrival.
 *    Tendero: the head of its durable log (GET /health log.lastSeq, polled every 20 ms; a
 *    rule's alarm or command would count too, and the report says how many rules fired).
 *    Peers: a QoS 0 subscriber process counting `tendero/v1/+/telemetry`.
 * Every broker gets a warm-up burst first, so JIT and connection setup are not measured.
 */
import type { BenchResult } from '../run.js'
import { burst, type BurstOptions, type BurstResult } from '../lib/load.js'
import { startBareAedes, startGateway, startMosquitto, type RunningBroker } from '../lib/processes.js'
import { benchSite } from '../lib/site.js'

const DEVICES = 20
const PUBLISHERS = 2
const IN_FLIGHT = 10
const MESSAGES = { 0: 4000, 1: 2000 } as const // per device per measured burst
const WARMUP = 300

interface Measured {
  qos1: BurstResult
  qos0: BurstResult
}

async function measure(start: () => Promise<RunningBroker>): Promise<Measured> {
  const broker = await start()
  try {
    const opts = (qos: 0 | 1, messagesPerClient: number): BurstOptions => ({
      devices: DEVICES,
      publishers: PUBLISHERS,
      qos,
      messagesPerClient,
      inFlight: IN_FLIGHT,
    })
    await burst(broker, opts(1, WARMUP))
    const qos1 = await burst(broker, opts(1, MESSAGES[1]))
    const qos0 = await burst(broker, opts(0, MESSAGES[0]))
    console.log(`${broker.name}: qos1 ${JSON.stringify(qos1)} qos0 ${JSON.stringify(qos0)}`)
    return { qos1, qos0 }
  } finally {
    await broker.stop()
  }
}

const ratio = (a: number, b: number) => Number((a / b).toFixed(3))

export async function brokerThroughput(): Promise<BenchResult[]> {
  const site = await benchSite({ devices: DEVICES })
  console.log(`site: ${site.rulesLoaded} rules (packs: ${site.packFiles.join(', ') || 'none'}), skipped ${site.skipped.length}`)
  for (const s of site.skipped) console.log(`  skipped ${s}`)

  // Best of two peer runs around Tendero's, so a noisy moment does not flatter Tendero.
  const aedesA = await measure(startBareAedes)
  let health: Record<string, unknown> = {}
  const tendero = await measure(async () => {
    // BENCH_CPU_PROF=<dir> writes a V8 CPU profile of the gateway process there.
    const prof = process.env.BENCH_CPU_PROF
    const gw = await startGateway({ siteConfig: site.config, nodeFlags: prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : [] })
    const stop = gw.stop
    return { ...gw, stop: async () => ((health = await gw.health()), stop()) }
  })
  const mosquitto = await measure(startMosquitto)
  const aedesB = await measure(startBareAedes)
  const best = (pick: (m: Measured) => number) => Math.max(pick(aedesA), pick(aedesB))
  const aedes = {
    qos1: best((m) => m.qos1.publisherRate),
    qos1Sub: best((m) => m.qos1.deliveredRate),
    qos0: best((m) => m.qos0.deliveredRate),
  }
  const expected = DEVICES * (WARMUP + MESSAGES[1] + MESSAGES[0])
  const lastSeq = (health.log as { lastSeq: number }).lastSeq
  if (lastSeq < expected) throw new Error(`the gateway's log holds ${lastSeq} events, expected at least ${expected}`)

  const A = 'bare Aedes (own process, QoS 1 subscriber attached)'
  const A0 = 'bare Aedes (own process), QoS 0 subscriber'
  const M = 'Mosquitto (own process, QoS 1 subscriber attached)'
  const M0 = 'Mosquitto (own process), QoS 0 subscriber'
  const q1 = tendero.qos1.publisherRate
  const q0 = tendero.qos0.deliveredRate
  return [
    { metric: 'qos1 publish acknowledged (durable, all packs)', value: q1, unit: 'msg/s', peer: A, peerValue: aedes.qos1, ratio: ratio(q1, aedes.qos1) },
    { metric: 'qos1 publish acknowledged (durable, all packs)', value: q1, unit: 'msg/s', peer: M, peerValue: mosquitto.qos1.publisherRate, ratio: ratio(q1, mosquitto.qos1.publisherRate) },
    { metric: 'qos0 publish delivered (Tendero: into the log)', value: q0, unit: 'msg/s', peer: A0, peerValue: aedes.qos0, ratio: ratio(q0, aedes.qos0) },
    { metric: 'qos0 publish delivered (Tendero: into the log)', value: q0, unit: 'msg/s', peer: M0, peerValue: mosquitto.qos0.deliveredRate, ratio: ratio(q0, mosquitto.qos0.deliveredRate) },
    { metric: 'bare Aedes qos1 delivered to subscriber', value: aedes.qos1Sub, unit: 'msg/s' },
    { metric: 'Mosquitto qos1 delivered to subscriber', value: mosquitto.qos1.deliveredRate, unit: 'msg/s' },
    { metric: 'rules loaded in the gateway', value: site.rulesLoaded, unit: 'rules' },
    { metric: 'pack rules left out (invalid)', value: site.skipped.length, unit: 'rules' },
    { metric: 'events in the durable log beyond telemetry sent (commands on connect, rule actions)', value: lastSeq - expected, unit: 'events' },
  ]
}

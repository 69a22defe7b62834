/**
 * Latency from a sensor publish to the relay command reaching the device, with 5,000 msg/s
 * of QoS 1 background telemetry from 20 other devices (a publisher process).
 *
 * Tendero: two threshold rules on device `bench-relay`, `forSeconds: 0` so they fire on
 * the reading itself: above 5 switches the compressor on, below 2 switches it off, each
 * with 0.5 of hysteresis. The device alternates readings of 6 and 1, so every reading
 * fires one rule and re-arms the other; one sample is the time from calling publish
 * (QoS 1) to the `relay.set` arriving on the device's cmd topic, measured in the
 * device's own process (the bench runner). Tendero's path includes the log commit, the
 * rule, logging the command, and the publish.
 * Every run happens twice: as shipped, and with TCP_NODELAY on the broker's accepted
 * sockets (bench/procs/nodelay.ts preloaded). Devices always run with Nagle off.
 * Peer: bare Aedes with the same two thresholds in a separate MQTT client process
 * (bench/procs/relay-rule.ts, the way a Node-RED flow would do it), nothing on disk.
 */
import type { Socket } from 'node:net'
import mqtt from 'mqtt'
import type { BenchResult } from '../run.js'
import type { PublisherDone } from '../procs/publisher.js'
import { startPublishers } from '../lib/load.js'
import { NODELAY_FLAGS, forkWorker, sleep, startBareAedes, startGateway, type RunningBroker } from '../lib/processes.js'
import { BENCH_PASSWORD, benchPasswordHash, benchSite } from '../lib/site.js'

const BACKGROUND_DEVICES = 20
const BACKGROUND_RATE = 5000
const SAMPLES = 200
const WARMUP_SAMPLES = 20
const DEVICE = 'bench-relay'
const SAMPLE_TIMEOUT_MS = 2000

interface Latency {
  p50: number
  p99: number
  max: number
  missed: number
  backgroundRate: number
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN
const round = (n: number) => Number(n.toFixed(2))

async function sample(broker: RunningBroker): Promise<Latency> {
  const url = `mqtt://127.0.0.1:${broker.mqttPort}`
  const device = await mqtt.connectAsync(url, { clientId: DEVICE, username: DEVICE, password: BENCH_PASSWORD, reconnectPeriod: 0 })
  ;(device.stream as Socket).setNoDelay(true)
  await device.subscribeAsync(`tendero/v1/${DEVICE}/cmd`, { qos: 1 })
  let waiting: { on: boolean; resolve: (at: number) => void } | undefined
  device.on('message', (_topic, payload) => {
    const at = performance.now()
    const command = JSON.parse(payload.toString()) as { kind: string; on?: boolean }
    if (waiting && command.kind === 'relay.set' && command.on === waiting.on) waiting.resolve(at)
  })
  const [background] = startPublishers(url, BACKGROUND_DEVICES, 1, 1, { kind: 'rate', ratePerSecond: BACKGROUND_RATE, maxSeconds: 90 }, true)
  const latencies: number[] = []
  let missed = 0
  try {
    await background!.next('ready')
    background!.send({ type: 'go' })
    await sleep(1000)
    for (let i = 0; i < SAMPLES + WARMUP_SAMPLES; i++) {
      const on = i % 2 === 0
      const arrived = new Promise<number | null>((resolve) => {
        const timer = setTimeout(() => resolve(null), SAMPLE_TIMEOUT_MS)
        waiting = { on, resolve: (at) => (clearTimeout(timer), resolve(at)) }
      })
      const t0 = performance.now()
      device.publish(`tendero/v1/${DEVICE}/telemetry`, JSON.stringify({ readings: { temperature_c: on ? 6 : 1 } }), { qos: 1 })
      const at = await arrived
      waiting = undefined
      if (i >= WARMUP_SAMPLES) at === null ? missed++ : latencies.push(at - t0)
      // Off the background's 5 ms beat, so samples do not all land at the same phase.
      await sleep(10 + Math.random() * 20)
    }
    background!.send({ type: 'stop' })
    const done = await background!.next<PublisherDone>('done')
    latencies.sort((a, b) => a - b)
    return {
      p50: round(percentile(latencies, 50)),
      p99: round(percentile(latencies, 99)),
      max: round(latencies.at(-1) ?? NaN),
      missed,
      backgroundRate: Math.round(done.acked / ((done.endedAt - done.startedAt) / 1000)),
    }
  } finally {
    await device.endAsync()
    await background!.stop()
  }
}

export async function relayLatency(): Promise<BenchResult[]> {
  const passwordHash = await benchPasswordHash()
  // Rules as `{ when: <condition> }`; `legacy` is the flat form of the first rules engine.
  const threshold = (id: string, side: 'above' | 'below', limit: number, on: boolean, legacy: boolean) => {
    const condition = { kind: 'threshold', deviceId: DEVICE, metric: 'temperature_c', [side]: limit, forSeconds: 0, hysteresis: 0.5 }
    const actions = [{ kind: 'relay.set', deviceId: DEVICE, relay: 'compressor', on }]
    return legacy ? { id, ...condition, actions } : { id, when: condition, actions }
  }
  const build = (legacy: boolean) =>
    benchSite({
      devices: BACKGROUND_DEVICES,
      extraDevices: [{ id: DEVICE, kind: 'cold_room', passwordHash, relays: ['compressor'] }],
      extraRules: [threshold('bench-relay-on', 'above', 5, true, legacy), threshold('bench-relay-off', 'below', 2, false, legacy)],
    })
  const loaded = (s: Awaited<ReturnType<typeof build>>) => s.config.rules.some((r) => r.id === 'bench-relay-on')
  let site = await build(false)
  if (!loaded(site)) site = await build(true)
  if (!loaded(site)) throw new Error(`the latency rules did not validate: ${site.skipped.join('; ')}`)
  console.log(`site: ${site.rulesLoaded} rules (packs: ${site.packFiles.join(', ') || 'none'}), skipped ${site.skipped.length}`)

  const measureTendero = async (nodeFlags: string[]) => {
    const gateway = await startGateway({ siteConfig: site.config, nodeFlags })
    try {
      return await sample(gateway)
    } finally {
      await gateway.stop()
    }
  }
  const measurePeer = async (nodeFlags: string[]) => {
    const aedes = await startBareAedes({ nodeFlags })
    const rule = forkWorker('relay-rule.ts', { url: `mqtt://127.0.0.1:${aedes.mqttPort}`, deviceId: DEVICE })
    try {
      await rule.next('ready')
      return await sample(aedes)
    } finally {
      await rule.stop()
      await aedes.stop()
    }
  }
  // As shipped (Nagle on the broker's sockets, Node's default), then with TCP_NODELAY
  // switched on by a preload in both brokers, to show what that one setting is worth.
  const tendero = await measureTendero([])
  const peer = await measurePeer([])
  const tenderoNoDelay = await measureTendero(NODELAY_FLAGS)
  const peerNoDelay = await measurePeer(NODELAY_FLAGS)
  for (const [name, l] of Object.entries({ tendero, peer, tenderoNoDelay, peerNoDelay })) console.log(`${name} ${JSON.stringify(l)}`)
  const P = 'bare Aedes + the rule as an MQTT client process (no log)'
  const ratio = (a: number, b: number) => Number((a / b).toFixed(3))
  const row = (metric: string, key: 'p50' | 'p99' | 'max', t: Latency, p: Latency): BenchResult => ({
    metric, value: t[key], unit: 'ms', peer: P, peerValue: p[key], ratio: ratio(t[key], p[key]),
  })
  const ND = ' (TCP_NODELAY on broker sockets, bench preload)'
  return [
    row('publish to relay command p50', 'p50', tendero, peer),
    row('publish to relay command p99', 'p99', tendero, peer),
    row('publish to relay command max', 'max', tendero, peer),
    row(`publish to relay command p50${ND}`, 'p50', tenderoNoDelay, peerNoDelay),
    row(`publish to relay command p99${ND}`, 'p99', tenderoNoDelay, peerNoDelay),
    row(`publish to relay command max${ND}`, 'max', tenderoNoDelay, peerNoDelay),
    { metric: 'samples without a command within 2 s', value: tendero.missed + tenderoNoDelay.missed, unit: 'samples', peer: P, peerValue: peer.missed + peerNoDelay.missed },
    { metric: 'background telemetry acknowledged', value: Math.min(tendero.backgroundRate, tenderoNoDelay.backgroundRate), unit: 'msg/s', peer: P, peerValue: Math.min(peer.backgroundRate, peerNoDelay.backgroundRate) },
    { metric: 'samples per run', value: SAMPLES, unit: 'samples' },
    { metric: 'rules loaded in the gateway', value: site.rulesLoaded, unit: 'rules' },
  ]
}

/**
 * Runs the load generator (bench/procs/publisher.ts) in child processes against one
 * broker and measures what arrives, the same way for every broker. Times are epoch ms
 * taken in each process (performance.timeOrigin + now), so they compare across processes.
 */
import type { PublisherDone, PublisherInput } from '../procs/publisher.js'
import type { SubscriberDone, SubscriberInput } from '../procs/subscriber.js'
import { forkWorker, sleep, type GatewayProcess, type RunningBroker } from './processes.js'
import { BENCH_PASSWORD } from './site.js'

export interface BurstOptions {
  devices: number
  publishers: number
  qos: 0 | 1
  messagesPerClient: number
  inFlight: number
}

export interface BurstResult {
  sent: number
  /** PUBACKs (QoS 1) or socket writes (QoS 0) per second, at the publishers. */
  publisherRate: number
  /** Messages that reached the far end, and their rate from `go` to the last one. */
  delivered: number
  deliveredRate: number
}

/** Device ids split evenly over the publisher processes. */
function split(devices: number, publishers: number): string[][] {
  const groups: string[][] = Array.from({ length: publishers }, () => [])
  for (let i = 0; i < devices; i++) groups[i % publishers]!.push(`bench-${i}`)
  return groups
}

export function startPublishers(url: string, devices: number, publishers: number, qos: 0 | 1, mode: PublisherInput['mode'], noDelay = false) {
  return split(devices, publishers).map((clientIds) =>
    forkWorker<{ type: 'ready' } | PublisherDone>('publisher.ts', { url, clientIds, password: BENCH_PASSWORD, qos, mode, noDelay } satisfies PublisherInput),
  )
}

/** Follows the gateway's log head (GET /health log.lastSeq) until `target` or no progress for `idleMs`. */
async function followLog(gateway: GatewayProcess, target: number, idleMs: number): Promise<{ seq: number; at: number }> {
  let last = { seq: (await gateway.health()).log.lastSeq, at: performance.timeOrigin + performance.now() }
  while (last.seq < target) {
    await sleep(20)
    const seq = (await gateway.health()).log.lastSeq
    const at = performance.timeOrigin + performance.now()
    if (seq > last.seq) last = { seq, at }
    else if (at - last.at > idleMs) break
  }
  return last
}

/**
 * One burst of telemetry. The far end is a subscriber process on `tendero/v1/+/telemetry`
 * for a peer, and the durable log for Tendero (devices may not subscribe to telemetry).
 */
export async function burst(broker: RunningBroker, opts: BurstOptions): Promise<BurstResult> {
  const url = `mqtt://127.0.0.1:${broker.mqttPort}`
  const sent = opts.devices * opts.messagesPerClient
  const gateway = 'health' in broker ? (broker as GatewayProcess) : undefined
  const subscriber = gateway
    ? undefined
    : forkWorker<{ type: 'ready' } | SubscriberDone>('subscriber.ts', {
        url,
        filter: 'tendero/v1/+/telemetry',
        qos: opts.qos,
        expected: sent,
        idleMs: 3000,
        timeoutMs: 120_000,
      } satisfies SubscriberInput)
  const pubs = startPublishers(url, opts.devices, opts.publishers, opts.qos, {
    kind: 'burst',
    messagesPerClient: opts.messagesPerClient,
    inFlight: opts.inFlight,
  })
  try {
    if (subscriber) await subscriber.next('ready')
    await Promise.all(pubs.map((p) => p.next('ready')))
    const baseSeq = gateway ? (await gateway.health()).log.lastSeq : 0
    for (const p of pubs) p.send({ type: 'go' })
    const logHead = gateway ? followLog(gateway, baseSeq + sent, 3000) : undefined
    const done = await Promise.all(pubs.map((p) => p.next<PublisherDone>('done')))
    if (done.some((d) => d.errors > 0)) throw new Error(`publisher errors: ${done.map((d) => d.errors).join(', ')}`)
    const startedAt = Math.min(...done.map((d) => d.startedAt))
    const endedAt = Math.max(...done.map((d) => d.endedAt))
    const acked = done.reduce((n, d) => n + d.acked, 0)
    let delivered: number
    let lastAt: number
    if (logHead) {
      const head = await logHead
      delivered = head.seq - baseSeq
      lastAt = head.at
    } else {
      const sub = await subscriber!.next<SubscriberDone>('done')
      delivered = sub.received
      lastAt = sub.lastAt
    }
    return {
      sent,
      publisherRate: Math.round(acked / ((endedAt - startedAt) / 1000)),
      delivered,
      deliveredRate: Math.round(delivered / ((lastAt - startedAt) / 1000)),
    }
  } finally {
    await Promise.all([...pubs.map((p) => p.stop()), subscriber?.stop()])
  }
}

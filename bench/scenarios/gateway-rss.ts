/**
 * Gateway memory with a shop's worth of devices: 200 devices connected (a publisher
 * process), each sending one QoS 1 reading a second, demo rules and every pack loaded.
 * After a warm-up, VmRSS of the gateway process (/proc/<pid>/status) is sampled every
 * second; the result is the highest sample. Peer: a bare Aedes process with the same 200
 * clients and the same load (no log, no rules).
 */
import { spawn } from 'node:child_process'
import type { BenchResult } from '../run.js'
import type { PublisherDone } from '../procs/publisher.js'
import { startPublishers } from '../lib/load.js'
import { REPO_ROOT, rssBytes, sleep, startBareAedes, startGateway, type RunningBroker } from '../lib/processes.js'
import { benchSite } from '../lib/site.js'

const DEVICES = 200
const WARMUP_MS = 15_000
const SAMPLE_SECONDS = 10
const MB = 1024 * 1024

interface Rss {
  maxMb: number
  meanMb: number
  acked: number
}

async function measure(broker: RunningBroker, atEnd?: () => Promise<void>): Promise<Rss> {
  const [pub] = startPublishers(`mqtt://127.0.0.1:${broker.mqttPort}`, DEVICES, 1, 1, {
    kind: 'rate',
    ratePerSecond: DEVICES,
    maxSeconds: (WARMUP_MS / 1000) + SAMPLE_SECONDS + 30,
  })
  try {
    await pub!.next('ready')
    pub!.send({ type: 'go' })
    await sleep(WARMUP_MS)
    const samples: number[] = []
    for (let i = 0; i < SAMPLE_SECONDS; i++) {
      samples.push(rssBytes(broker.pid))
      await sleep(1000)
    }
    await atEnd?.()
    pub!.send({ type: 'stop' })
    const done = await pub!.next<PublisherDone>('done')
    if (done.errors > 0) throw new Error(`${broker.name}: ${done.errors} publish errors`)
    const round = (n: number) => Number((n / MB).toFixed(1))
    return { maxMb: round(Math.max(...samples)), meanMb: round(samples.reduce((a, b) => a + b, 0) / samples.length), acked: done.acked }
  } finally {
    await pub!.stop()
  }
}

export async function gatewayRss(): Promise<BenchResult[]> {
  const site = await benchSite({ devices: DEVICES })
  console.log(`site: ${site.rulesLoaded} rules (packs: ${site.packFiles.join(', ') || 'none'}), skipped ${site.skipped.length}`)
  for (const s of site.skipped) console.log(`  skipped ${s}`)
  const gateway = await startGateway({ siteConfig: site.config })
  let tendero: Rss
  let clients: number
  try {
    clients = 0
    tendero = await measure(gateway, async () => void (clients = (await gateway.health()).mqtt.clients))
  } finally {
    await gateway.stop()
  }
  const aedes = await startBareAedes()
  let peer: Rss
  try {
    peer = await measure(aedes)
  } finally {
    await aedes.stop()
  }
  // What plain Node (both brokers run under it) costs before any broker code.
  const idle = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { cwd: REPO_ROOT, stdio: 'ignore' })
  await sleep(3000)
  const idleMb = Number((rssBytes(idle.pid!) / MB).toFixed(1))
  idle.kill()
  console.log(`tendero ${JSON.stringify(tendero)} peer ${JSON.stringify(peer)} idle node ${idleMb} MB`)
  const P = 'bare Aedes process, same 200 clients and load'
  const ratio = (a: number, b: number) => Number((a / b).toFixed(3))
  return [
    { metric: 'gateway RSS, 200 devices, max', value: tendero.maxMb, unit: 'MB', peer: P, peerValue: peer.maxMb, ratio: ratio(tendero.maxMb, peer.maxMb) },
    { metric: 'gateway RSS, 200 devices, mean', value: tendero.meanMb, unit: 'MB', peer: P, peerValue: peer.meanMb, ratio: ratio(tendero.meanMb, peer.meanMb) },
    { metric: 'readings acknowledged during the run', value: tendero.acked, unit: 'messages', peer: P, peerValue: peer.acked },
    { metric: 'clients connected at the end (GET /health)', value: clients, unit: 'clients' },
    { metric: 'idle node process RSS (baseline in both)', value: idleMb, unit: 'MB' },
    { metric: 'rules loaded in the gateway', value: site.rulesLoaded, unit: 'rules' },
  ]
}

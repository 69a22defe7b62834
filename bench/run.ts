/**
 * `npm run bench -- <scenario>`: runs one benchmark and writes bench/results/<scenario>.json
 * in the format of ARCHITECTURE.md. Each scenario measures its peer in the same run on
 * the same machine, so the ratio means something on a noisy 2-core box.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gatewayIngest } from './scenarios/gateway-ingest.js'
import { brokerThroughput } from './scenarios/broker-throughput.js'
import { relayLatency } from './scenarios/relay-latency.js'
import { gatewayRss } from './scenarios/gateway-rss.js'
import { syncCatchup } from './scenarios/sync-catchup.js'
import { modbusPoll } from './scenarios/modbus-poll.js'
import { realtimeFanout } from './scenarios/realtime-fanout.js'
import { cloudIngest } from './scenarios/cloud-ingest.js'

export interface BenchResult {
  metric: string
  value: number
  unit: string
  peer?: string
  peerValue?: number
  ratio?: number
}

const scenarios: Record<string, () => Promise<BenchResult[]>> = {
  'gateway-ingest': gatewayIngest,
  'broker-throughput': brokerThroughput,
  'relay-latency': relayLatency,
  'gateway-rss': gatewayRss,
  'sync-catchup': syncCatchup,
  'modbus-poll': modbusPoll,
  'realtime-fanout': realtimeFanout,
  'cloud-ingest': cloudIngest,
}

const name = process.argv[2]
const scenario = name ? scenarios[name] : undefined
if (!name || !scenario) {
  console.error(`usage: npm run bench -- <scenario>; scenarios: ${Object.keys(scenarios).join(', ')}`)
  process.exit(2)
}

// `--note TEXT` after the scenario name is kept with the results (e.g. "smoke run on a busy machine").
const noteAt = process.argv.indexOf('--note', 3)
const note = noteAt > 0 ? process.argv[noteAt + 1] : undefined

const results = await scenario()
const out = join(dirname(fileURLToPath(import.meta.url)), 'results', `${name}.json`)
mkdirSync(dirname(out), { recursive: true })
const report = {
  scenario: name,
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, node: process.version },
  ...(note ? { note } : {}),
  results,
}
writeFileSync(out, JSON.stringify(report, null, 2) + '\n')
for (const r of results) {
  const peer = r.peer ? `  (${r.peer}: ${r.peerValue} ${r.unit}, ratio ${r.ratio})` : ''
  console.log(`${r.metric}: ${r.value} ${r.unit}${peer}`)
}
console.log(`wrote ${out}`)

/**
 * The peer for sync-catchup: the upload strategy most edge platforms ship, over the same
 * protocol, cloud and PostgreSQL as Tendero's uplink. It reads a copy of the same backlog
 * strictly oldest first, a fixed number of events per POST (1 = one event per request,
 * as Kura and a per-message MQTT/HTTP forwarder do; a small fixed batch, as ThingsBoard
 * Edge does), one request at a time, and moves on only to the cloud's ack. No priorities,
 * no adaptive size. Runs for `seconds`, then answers `done`.
 * Usage: naive-uplink.ts '<NaiveUplinkInput as JSON>'.
 */
import { EventLog } from '../../gateway/src/log/event-log.js'

export interface NaiveUplinkInput {
  cloudUrl: string
  gatewayId: string
  gatewayKey: string
  logPath: string
  batchSize: number
  seconds: number
}
export interface NaiveUplinkDone {
  type: 'done'
  acked: number
  posts: number
  errors: number
  elapsedMs: number
}

const input = JSON.parse(process.argv[2]!) as NaiveUplinkInput
const log = new EventLog({ path: input.logPath, bootId: 'naive-reader', clockSynced: () => true, retention: { maxBytes: 0, maxAgeMs: 0 } })
let cursor = 0
let posts = 0
let errors = 0
const started = performance.now()
while (performance.now() - started < input.seconds * 1000) {
  const events = log.read(cursor, input.batchSize)
  if (events.length === 0) break
  posts++
  try {
    const res = await fetch(`${input.cloudUrl}/api/ingest`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${input.gatewayKey}` },
      body: JSON.stringify({ gatewayId: input.gatewayId, sentAt: Date.now(), events }),
    })
    const text = await res.text()
    if (!res.ok) throw new Error(`${res.status} ${text.slice(0, 200)}`)
    cursor = (JSON.parse(text) as { ackSeq: number }).ackSeq
  } catch (err) {
    errors++
    if (errors === 1) process.stderr.write(`naive uplink: ${(err as Error).message}\n`)
    await new Promise((resolve) => setTimeout(resolve, 500))
  }
}
const elapsedMs = performance.now() - started
log.close()
process.send!({ type: 'done', acked: cursor, posts, errors, elapsedMs } satisfies NaiveUplinkDone)
process.exit(0)

/**
 * Counts the messages a broker delivers on a topic filter (the peers' far end). Says
 * `ready` once subscribed; answers `done` when `expected` messages arrived, when nothing
 * arrived for `idleMs` after the first, or at `timeoutMs`, whichever comes first.
 */
import mqtt from 'mqtt'

export interface SubscriberInput {
  url: string
  filter: string
  qos: 0 | 1
  expected: number
  idleMs: number
  timeoutMs: number
}
export interface SubscriberDone {
  type: 'done'
  received: number
  firstAt: number
  lastAt: number
}

const input = JSON.parse(process.argv[2]!) as SubscriberInput
const clock = () => performance.timeOrigin + performance.now()
const client = await mqtt.connectAsync(input.url, { clientId: `bench-sub-${process.pid}`, reconnectPeriod: 0 })
await client.subscribeAsync(input.filter, { qos: input.qos })

let received = 0
let firstAt = 0
let lastAt = 0
let finished = false
function finish(): void {
  if (finished) return
  finished = true
  process.send!({ type: 'done', received, firstAt, lastAt } satisfies SubscriberDone)
  client.end(true, () => process.exit(0))
}
client.on('message', () => {
  lastAt = clock()
  if (received++ === 0) firstAt = lastAt
  if (received >= input.expected) finish()
})
setTimeout(finish, input.timeoutMs)
setInterval(() => {
  if (received > 0 && clock() - lastAt > input.idleMs) finish()
}, 100)
process.send!({ type: 'ready' })

/**
 * Many dashboards in one process (realtime-fanout's far end): opens `clients` Socket.IO
 * connections with one user token, joins each to the site's room, and records, for every
 * telemetry push, its arrival on this machine's wall clock minus the event's own `time`
 * (set by the bench right before the ingest POST). Says `ready` once every socket joined;
 * on `stop`, answers `done` with, per client, its pushes as flat [time, latencyMs, ...] pairs.
 */
import { io as connect, type Socket } from 'socket.io-client'

export interface DashboardClientsInput {
  url: string
  token: string
  siteId: string
  clients: number
  /** Sockets connecting at once. */
  concurrency: number
}
export type DashboardClientsMessage =
  | { type: 'ready'; connectMs: number }
  | { type: 'done'; received: number[][]; disconnects: number }

const input = JSON.parse(process.argv[2]!) as DashboardClientsInput
const clock = () => performance.timeOrigin + performance.now()

const sockets: Socket[] = []
const received: number[][] = []
let disconnects = 0

async function open(index: number): Promise<void> {
  const socket = connect(input.url, { auth: { token: input.token }, transports: ['websocket'], reconnection: false, forceNew: true })
  sockets[index] = socket
  received[index] = []
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('connect_error', reject)
  })
  const joined = (await socket.timeout(30_000).emitWithAck('site:join', input.siteId)) as { ok: boolean; error?: string }
  if (!joined.ok) throw new Error(`site:join refused: ${joined.error}`)
  socket.on('telemetry', (payload: { time: number }) => {
    received[index]!.push(payload.time, clock() - payload.time)
  })
  socket.on('disconnect', () => disconnects++)
}

const started = clock()
let next = 0
await Promise.all(
  Array.from({ length: Math.min(input.concurrency, input.clients) }, async () => {
    while (next < input.clients) await open(next++)
  }),
)
process.send!({ type: 'ready', connectMs: clock() - started } satisfies DashboardClientsMessage)

process.on('message', (message: { type: string }) => {
  if (message.type !== 'stop') return
  for (const socket of sockets) socket.removeAllListeners('disconnect').disconnect()
  process.send!({ type: 'done', received, disconnects } satisfies DashboardClientsMessage, () => process.exit(0))
})

import { createServer, type IncomingMessage, type Server } from 'node:http'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { pino } from 'pino'
import type { LogEvent } from '@tendero/protocol'
import { EventLog } from '../src/log/event-log.js'
import { parseRetryAfter, Uploader, UPLINK_CURSOR } from '../src/uplink/uploader.js'
import { waitFor } from './harness.js'

interface Received {
  auth: string | undefined
  body: { gatewayId: string; sentAt: number; events: LogEvent[] }
}
type Answer = (batch: Received['body'], n: number) => { status: number; body: unknown; headers?: Record<string, string> }

let dir: string
let log: EventLog
let server: Server
let uploader: Uploader | undefined
let received: Received[]
let receivedAt: number[]
let answer: Answer

const readBody = async (req: IncomingMessage) => {
  const chunks: Buffer[] = []
  for await (const c of req) chunks.push(c as Buffer)
  return JSON.parse(Buffer.concat(chunks).toString())
}
const ack = (ackSeq: number) => ({ status: 200, body: { ackSeq, stored: 0, duplicates: 0, quarantined: [] } })
const lastOf = (b: Received['body']) => b.events.at(-1)!.seq
// Like the cloud: keeps every seq it gets and answers the contiguous watermark.
let cloudHas: Set<number>
const watermark = (b: Received['body']) => {
  for (const e of b.events) cloudHas.add(e.seq)
  let seq = 0
  while (cloudHas.has(seq + 1)) seq++
  return seq
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tendero-uplink-'))
  log = new EventLog({ path: join(dir, 'log.db'), bootId: 'boot', clockSynced: () => true })
  received = []
  receivedAt = []
  cloudHas = new Set()
  answer = (b) => ack(watermark(b))
  server = createServer(async (req, res) => {
    const body = await readBody(req)
    received.push({ auth: req.headers.authorization, body })
    receivedAt.push(Date.now())
    const a = answer(body, received.length)
    res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers }).end(JSON.stringify(a.body))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
})

afterEach(async () => {
  await uploader?.stop()
  uploader = undefined
  await new Promise((r) => server.close(r))
  log.close()
  rmSync(dir, { recursive: true, force: true })
})

function startUploader(batchSize = 500, port = (server.address() as AddressInfo).port, minBatchSize = 5) {
  uploader = new Uploader({
    log,
    logger: pino({ level: 'silent' }),
    gatewayId: 'gw-demo-01',
    cloudUrl: `http://127.0.0.1:${port}`,
    gatewayKey: 'k3y',
    batchSize,
    minBatchSize,
    idleMs: 20,
    backoffBaseMs: 10,
    backoffCapMs: 50,
  })
  uploader.start()
  return uploader
}
const fill = (n: number) =>
  log.append(Array.from({ length: n }, (_, i) => ({ kind: 'telemetry' as const, deviceId: 'camara-1', body: { readings: { t_c: i } } })))
const seqsSent = () => received.flatMap((r) => r.body.events.map((e) => e.seq))

describe('uplink', () => {
  it('reports a network error while the cloud is unreachable and keeps the cursor', async () => {
    await fill(1)
    const port = (server.address() as AddressInfo).port
    await new Promise((r) => server.close(r))
    const up = startUploader(500, port)
    await waitFor(() => up.status().lastError)
    expect(up.status()).toMatchObject({ ackedSeq: 0, lag: 1 })
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r))
    await waitFor(() => log.getCursor(UPLINK_CURSOR) === 1)
  })

  it('posts batches with the key and moves the cursor only to ackSeq', async () => {
    await fill(5)
    // The cloud holds only a prefix of what it gets: the gateway resends the rest.
    answer = (b, n) => ack(n === 1 ? 2 : lastOf(b))
    const up = startUploader()
    await waitFor(() => log.getCursor(UPLINK_CURSOR) === 5)
    expect(received[0]).toMatchObject({ auth: 'Bearer k3y', body: { gatewayId: 'gw-demo-01', events: [{ seq: 1 }, {}, {}, {}, { seq: 5 }] } })
    expect(received[1]!.body.events.map((e) => e.seq)).toEqual([3, 4, 5])
    expect(up.status()).toMatchObject({ ackedSeq: 5, lag: 0, lastError: null })
  })

  it('drains a backlog in batches without idling between them', async () => {
    await fill(12)
    startUploader(5)
    await waitFor(() => log.getCursor(UPLINK_CURSOR) === 12)
    expect(received.map((r) => r.body.events.length)).toEqual([5, 5, 2])
  })

  it('never moves past the batch it sent even if the cloud claims more', async () => {
    await fill(3)
    answer = () => ack(99)
    startUploader()
    await waitFor(() => received.length >= 1)
    await waitFor(() => log.getCursor(UPLINK_CURSOR) === 3)
  })

  it('retries on 500 with backoff and skips nothing', async () => {
    await fill(4)
    answer = (b, n) => (n <= 3 ? { status: 500, body: { error: { code: 'X', message: 'boom' } } } : ack(lastOf(b)))
    const cursorAtRequest: number[] = []
    const fail = answer
    answer = (b, n) => (cursorAtRequest.push(log.getCursor(UPLINK_CURSOR)), fail(b, n))
    const up = startUploader()
    await waitFor(() => received.length >= 2)
    expect(up.status().lastError ?? '500 (already recovered)').toMatch(/500/)
    await waitFor(() => log.getCursor(UPLINK_CURSOR) === 4)
    expect(received.length).toBe(4)
    expect(cursorAtRequest).toEqual([0, 0, 0, 0])
    expect(new Set(seqsSent())).toEqual(new Set([1, 2, 3, 4]))
    expect(up.status()).toMatchObject({ lastError: null, lag: 0 })
  })

  it('waits as long as a busy cloud asks (429 with retry-after) before sending again', async () => {
    await fill(2)
    answer = (b, n) =>
      n === 1 ? { status: 429, body: { error: { code: 'RATE_LIMITED', message: 'slow down' } }, headers: { 'retry-after': '1' } } : ack(lastOf(b))
    startUploader()
    await waitFor(() => log.getCursor(UPLINK_CURSOR) === 2, 5000)
    expect(received.length).toBe(2)
    // The backoff alone would retry within 50 ms (backoffCapMs).
    expect(receivedAt[1]! - receivedAt[0]!).toBeGreaterThanOrEqual(950)
  })

  it('reads retry-after as seconds or as an HTTP date, and ignores what it cannot read', () => {
    const now = Date.parse('2026-11-21T12:00:00Z')
    expect(parseRetryAfter('30', now)).toBe(30_000)
    expect(parseRetryAfter('Sat, 21 Nov 2026 12:00:10 GMT', now)).toBe(10_000)
    expect(parseRetryAfter('Sat, 21 Nov 2026 11:00:00 GMT', now)).toBe(0)
    expect(parseRetryAfter('pronto', now)).toBeUndefined()
    expect(parseRetryAfter(null, now)).toBeUndefined()
  })

  it('keeps the cursor and keeps retrying when the key is refused (401)', async () => {
    await fill(2)
    answer = () => ({ status: 401, body: { error: { code: 'INGEST_BAD_KEY', message: 'bad key' } } })
    const up = startUploader()
    await waitFor(() => received.length >= 2)
    expect(log.getCursor(UPLINK_CURSOR)).toBe(0)
    expect(up.status()).toMatchObject({ ackedSeq: 0, lag: 2, lastError: expect.stringContaining('401') })
    answer = (b) => ack(lastOf(b))
    await waitFor(() => log.getCursor(UPLINK_CURSOR) === 2)
  })

  it('grows the batch on fast successes and halves it on 413', async () => {
    await fill(400)
    let refuse = false
    answer = (b) => (refuse ? { status: 413, body: { error: { code: 'TOO_LARGE', message: 'too large' } } } : ack(watermark(b)))
    const up = startUploader(100)
    expect(up.status().batchSize).toBe(25)
    await waitFor(() => log.getCursor(UPLINK_CURSOR) === 400)
    const sizes = received.map((r) => r.body.events.length)
    expect(sizes[0]).toBe(25)
    // The second batch was planned while the first was out; the third is the first planned after an answer.
    expect(sizes[2]).toBeGreaterThan(sizes[0]!)
    expect(Math.max(...sizes)).toBeGreaterThanOrEqual(50)
    const grown = up.status().batchSize
    refuse = true
    const before = received.length
    await fill(300)
    await waitFor(() => received.slice(before + 1).some((r) => r.body.events.length < grown))
    expect(received[before]!.body.events.length).toBe(grown)
    expect(up.status().batchSize).toBeLessThan(grown)
  })

  it('retries after an invalid ack', async () => {
    await fill(1)
    answer = (_b, n) => (n === 1 ? { status: 200, body: { nope: true } } : ack(1))
    const up = startUploader()
    await waitFor(() => log.getCursor(UPLINK_CURSOR) === 1)
    expect(received.length).toBe(2)
    expect(up.status().lastSuccessAt).not.toBeNull()
  })
})

describe('uplink wake-ups', () => {
  const slowUploader = () => {
    uploader = new Uploader({
      log,
      logger: pino({ level: 'silent' }),
      gatewayId: 'gw-demo-01',
      cloudUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      gatewayKey: 'k3y',
      // Long enough that only a wake-up can explain a prompt send.
      idleMs: 60_000,
      backoffBaseMs: 60_000,
      backoffCapMs: 60_000,
    })
    uploader.start()
    return uploader
  }
  const state = () => log.append([{ kind: 'state', deviceId: 'camara-1', body: { state: { compressor: true } } }])

  it('sends a priority event committed while idle at once, and lets telemetry wait for the idle poll', async () => {
    await fill(1)
    slowUploader()
    await waitFor(() => log.getCursor(UPLINK_CURSOR) === 1)
    await fill(3)
    await new Promise((r) => setTimeout(r, 300))
    expect(received).toHaveLength(1)
    const [stored] = await state()
    await waitFor(() => log.getCursor(UPLINK_CURSOR) === stored!.seq, 3000)
    // The readings logged before it ride in the same batch.
    expect(received.at(-1)!.body.events.map((e) => e.seq)).toEqual([2, 3, 4, 5])
  })

  it('ends a backoff when told the cloud is back (the downlink channel opened)', async () => {
    await fill(2)
    answer = (b, n) => (n === 1 ? { status: 503, body: { error: { code: 'DOWN', message: 'down' } } } : ack(watermark(b)))
    const up = slowUploader()
    await waitFor(() => up.status().lastError)
    expect(log.getCursor(UPLINK_CURSOR)).toBe(0)
    up.wake()
    await waitFor(() => log.getCursor(UPLINK_CURSOR) === 2, 3000)
  })
})

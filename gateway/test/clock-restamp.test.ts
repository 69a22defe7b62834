import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { LogEvent } from '@tendero/protocol'
import { GatewayClock } from '../src/clock/clock.js'
import { Restamper, restampEvent } from '../src/clock/restamp.js'
import { EventLog } from '../src/log/event-log.js'
import { UPLINK_CURSOR } from '../src/uplink/uploader.js'

// Re-stamping on a real SQLite log: a gateway whose system clock is 3 hours slow records
// events, then learns the true time.
const HOUR = 3600_000
const TRUE_T0 = Date.UTC(2026, 2, 14, 15)
const logger = pino({ level: 'silent' })
let dir: string
let logs: EventLog[] = []
let server: Server | undefined

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tendero-restamp-'))
})
afterEach(async () => {
  for (const log of logs) log.close()
  logs = []
  await new Promise((r) => server?.close(r) ?? r(undefined))
  server = undefined
  rmSync(dir, { recursive: true, force: true })
})

/** One boot: a slow system clock, a monotonic clock moved by hand, a log and a re-stamper over them. */
function boot(bootId: string, opts: { chunkRows?: number; cloudUrl?: string } = {}) {
  const t = { mono: 0 }
  const trueNow = () => TRUE_T0 + t.mono
  const clock = new GatewayClock({
    mode: 'auto',
    systemNow: () => trueNow() - 3 * HOUR,
    monoNow: () => t.mono,
    ntpStatus: async () => 'unavailable',
    ...(opts.cloudUrl ? { cloud: { url: opts.cloudUrl, gatewayKey: 'k' } } : {}),
  })
  const log = new EventLog({ path: join(dir, 'log.db'), bootId, clockSynced: () => clock.synced(), now: () => clock.now(), monoNow: () => clock.monoNow() })
  logs.push(log)
  const restamper = new Restamper({ log, clock, bootId, cursor: () => log.getCursor(UPLINK_CURSOR), logger, ...(opts.chunkRows ? { chunkRows: opts.chunkRows } : {}) })
  return { t, trueNow, clock, log, restamper, advance: (ms: number) => void (t.mono += ms) }
}

const reading = (deviceId = 'camara-1', time?: number) => ({ kind: 'telemetry' as const, deviceId, body: { readings: { temperature_c: 4 } }, ...(time ? { time } : {}) })

describe('re-stamping events recorded before the clock synced', () => {
  it("rewrites this boot's unsent events from their monotonic stamp, and nothing else", async () => {
    // An earlier boot: its events have no monotonic link to this boot's sync.
    const old = boot('boot-old')
    old.advance(5000)
    const [oldEvent] = await old.log.append([reading()])
    old.log.close()
    logs = []

    const b = boot('boot-now')
    b.advance(1000)
    const [sent] = await b.log.append([reading()])
    b.advance(2000)
    const deviceTs = TRUE_T0 + 2500
    const [own, device] = await b.log.append([reading(), reading('camara-2', deviceTs)])
    b.advance(3000)
    const [later] = await b.log.append([reading()])
    // The cloud has everything up to `sent`: that one stays as it was sent.
    b.log.setCursor(UPLINK_CURSOR, sent!.seq)
    expect(own).toMatchObject({ time: TRUE_T0 + 3000 - 3 * HOUR, clockSynced: false })

    b.advance(500)
    // The cloud's time arrives: answered 20 ms into a 40 ms round trip.
    const serverTime = b.trueNow() + 20
    b.advance(40)
    expect(b.clock.offerAck(serverTime, 40)).toBe(true)
    await b.restamper.settled()

    const rows = new Map(b.log.read(0, 100).map((e) => [e.seq, e]))
    expect(rows.get(oldEvent!.seq)).toEqual(oldEvent)
    expect(rows.get(sent!.seq)).toEqual(sent)
    expect(rows.get(own!.seq)).toEqual({ ...own, time: TRUE_T0 + 3000, receivedAt: TRUE_T0 + 3000, clockSynced: true })
    // The device's own timestamp is its own; only the receive time moves.
    expect(rows.get(device!.seq)).toEqual({ ...device, time: deviceTs, receivedAt: TRUE_T0 + 3000, clockSynced: true })
    expect(rows.get(later!.seq)).toEqual({ ...later, time: TRUE_T0 + 6000, receivedAt: TRUE_T0 + 6000, clockSynced: true })
    expect(b.restamper.count()).toBe(3)

    // From now on events are stamped synced, with true time.
    b.advance(100)
    const [after] = await b.log.append([reading()])
    expect(after).toMatchObject({ time: b.trueNow(), clockSynced: true })
  })

  it('works in chunks, letting appends (PUBACKs) commit between them', async () => {
    const b = boot('boot-now', { chunkRows: 50 })
    for (let i = 0; i < 20; i++) {
      b.advance(10)
      await b.log.append(Array.from({ length: 50 }, () => reading()))
    }
    b.clock.offerAck(b.trueNow(), 0)
    // Appended while the pass is under way: they must not wait for the whole pass.
    let committedDuringPass = false
    const during = b.log.append([reading()]).then((events) => {
      committedDuringPass = b.log.read(0, 1)[0]!.clockSynced && !b.log.read(999, 1)[0]!.clockSynced
      return events
    })
    await during
    await b.restamper.settled()
    expect(committedDuringPass).toBe(true)
    const all = b.log.read(0, 2000)
    expect(all).toHaveLength(1001)
    expect(all.every((e) => e.clockSynced)).toBe(true)
    expect(all[0]).toMatchObject({ receivedAt: TRUE_T0 + 10 })
    expect(all[999]).toMatchObject({ receivedAt: TRUE_T0 + 200 })
    expect(b.restamper.count()).toBe(1000)
  })

  it('re-stamps a batch in memory exactly as the log is rewritten', async () => {
    const b = boot('boot-now')
    const events: LogEvent[] = []
    for (let i = 0; i < 5; i++) {
      b.advance(333.3)
      events.push(...(await b.log.append([reading(), reading('camara-2', TRUE_T0 + i)])))
    }
    b.advance(77.7)
    b.clock.offerAck(b.trueNow() + 13, 26.4)
    const inMemory = await b.restamper.beforeBatch(events)
    await b.restamper.settled()
    expect(inMemory).toEqual(b.log.read(0, 100))
    expect(inMemory.map((e) => e.receivedAt)).toEqual(events.map((e) => restampEvent(e, b.clock.syncAnchor()!).receivedAt))
  })

  it('before a batch of unsynced events, asks the cloud for its time first', async () => {
    const answers: number[] = []
    server = createServer((req, res) => {
      answers.push(Date.now())
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ serverTime: TRUE_T0 + 1000 }))
    })
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r))
    const b = boot('boot-now', { cloudUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })
    b.advance(400)
    const events = await b.log.append([reading()])
    b.advance(600)
    // An event of another boot, or one already synced, needs no sample.
    expect(await b.restamper.beforeBatch([{ ...events[0]!, bootId: 'other' }])).toEqual([{ ...events[0]!, bootId: 'other' }])
    expect(answers).toHaveLength(0)
    const [restamped] = await b.restamper.beforeBatch(events)
    expect(answers).toHaveLength(1)
    expect(b.clock.status()).toMatchObject({ synced: true, source: 'cloud' })
    // The server answered true time at mono 1000; the monotonic clock is moved by hand, so the round trip reads 0 and the estimate is exact.
    expect(restamped).toEqual({ ...events[0], time: TRUE_T0 + 400, receivedAt: TRUE_T0 + 400, clockSynced: true })
    await b.restamper.settled()
    expect(b.log.read(0, 1)).toEqual([restamped])
  })

  it("leaves the disk budget's rollups and gaps flagged: their bodies hold unsynced times", async () => {
    const b = boot('boot-now')
    b.advance(1000)
    const t = b.clock.now()
    const [gap, rollup, plain] = await b.log.append([
      { kind: 'gap', deviceId: 'gw-demo-01', body: { reason: 'dropped', fromSeq: 1, toSeq: 1, fromTime: t, toTime: t, removed: 1, written: 0, devices: ['camara-1'] } },
      { kind: 'rollup', deviceId: 'camara-1', body: { from: t, to: t, count: 2, min: { t: 1 }, avg: { t: 1 }, max: { t: 1 } } },
      reading(),
    ])
    b.clock.offerAck(b.trueNow(), 0)
    const batch = await b.restamper.beforeBatch([gap!, rollup!, plain!])
    await b.restamper.settled()
    expect(batch.map((e) => e.clockSynced)).toEqual([false, false, true])
    expect(b.log.read(0, 10)).toEqual(batch)
  })

  it('leaves events alone while the clock stays unsynced', async () => {
    const b = boot('boot-now')
    const events = await b.log.append([reading()])
    expect(await b.restamper.beforeBatch(events)).toEqual(events)
    await b.restamper.settled()
    expect(b.log.read(0, 10)).toEqual(events)
  })
})

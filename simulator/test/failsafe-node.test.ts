import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { pino } from 'pino'
import { validators } from '@tendero/protocol'
import { ColdRoomModel, startColdRoomNode, type ColdRoomNode } from '../src/index.js'
import { startTestBroker, type Published, type TestBroker } from './broker.js'
import { startLinkProxy, type LinkProxy } from './link-proxy.js'

const DEVICE = 'camara-1'
const PASSWORD = 'camara-1-demo'
const topic = (channel: string) => `tendero/v1/${DEVICE}/${channel}`
const silent = pino({ level: 'silent' })

let broker: TestBroker
let proxy: LinkProxy
let node: ColdRoomNode | undefined

beforeEach(async () => {
  broker = await startTestBroker({ [DEVICE]: PASSWORD })
  proxy = await startLinkProxy(Number(new URL(broker.url).port))
})

afterEach(async () => {
  await node?.stop()
  node = undefined
  await proxy.close()
  await broker.close()
})

function failsafeSet(id: string, relay: string, mode: string, extra: Record<string, number> = {}) {
  const now = Date.now()
  return { id, issuedAt: now, expiresAt: now + 60_000, kind: 'failsafe.set', relay, mode, ...extra }
}

const on = (channel: string, match: (body: any) => boolean = () => true) => (p: Published) =>
  p.topic === topic(channel) && p.clientId === DEVICE && match(p.body)

async function until<T>(probe: () => T | undefined | false, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = probe()
    if (v) return v
    if (Date.now() > deadline) throw new Error('timed out')
    await new Promise((r) => setTimeout(r, 10))
  }
}

/** A node behind the proxy with a valve (on) and a compressor (on), fail-safes already received. */
async function startConfiguredNode(keepaliveS = 10) {
  node = await startColdRoomNode({
    mqttUrl: proxy.url,
    deviceId: DEVICE,
    password: PASSWORD,
    intervalMs: 20,
    speed: 1_000, // 20 simulated seconds per tick
    keepaliveS,
    reconnectPeriodMs: 100,
    extraRelays: { valve: true },
    model: new ColdRoomModel({ doorOpeningsPerHour: 0 }, { startTempC: 4, compressorOn: true }),
    logger: silent,
  })
  await broker.subscribed(topic('cmd'))
  await broker.send(topic('cmd'), failsafeSet('fs-c', 'compressor', 'duty', { onSeconds: 60, offSeconds: 90 }))
  await broker.send(topic('cmd'), failsafeSet('fs-v', 'valve', 'off'))
  await broker.waitFor(on('ack', (b) => b.id === 'fs-v'))
  return node
}

/** Polls the node's relays while it runs, recording (simulated time, compressor) at every change. */
function recordCompressor(n: ColdRoomNode) {
  const changes: { atS: number; on: boolean }[] = []
  let last = n.snapshot().compressor
  const timer = setInterval(() => {
    const s = n.snapshot()
    if (s.compressor !== last) changes.push({ atS: s.simulatedS, on: s.compressor })
    last = s.compressor
  }, 2)
  return { changes, stop: () => clearInterval(timer) }
}

describe('fail-safe, node side', () => {
  it('stores failsafe.set per relay and acks it; refuses unknown relays and duty cycles without durations', async () => {
    const n = await startConfiguredNode()
    expect(broker.published.filter(on('ack', (b) => b.id.startsWith('fs-'))).map((p) => p.body)).toMatchObject([
      { id: 'fs-c', ok: true },
      { id: 'fs-v', ok: true },
    ])
    expect(n.snapshot().failsafes).toEqual({ compressor: { mode: 'duty', onSeconds: 60, offSeconds: 90 }, valve: { mode: 'off' } })

    await broker.send(topic('cmd'), failsafeSet('fs-x', 'heater', 'on'))
    await broker.send(topic('cmd'), failsafeSet('fs-y', 'compressor', 'duty', { onSeconds: 60 }))
    await broker.waitFor(on('ack', (b) => b.id === 'fs-y'))
    expect(broker.published.filter(on('ack', (b) => b.ok === false)).map((p) => p.body)).toMatchObject([
      { id: 'fs-x', error: 'unknown_relay' },
      { id: 'fs-y', error: 'invalid_failsafe' },
    ])
    for (const p of broker.published.filter(on('ack'))) expect(validators.ack.check(p.body)).toBe(true)
    // Nothing switched: a safe state only acts once the link is lost.
    expect(n.snapshot()).toMatchObject({ compressor: true, relays: { valve: true }, failsafe: false })
    expect(broker.published.filter(on('state')).at(-1)!.body).toMatchObject({ state: { compressor: true, valve: true, failsafe: false } })
  })

  it('closes the valve and duty-cycles the compressor when the gateway goes away, then holds on reconnect', async () => {
    const n = await startConfiguredNode()
    const rec = recordCompressor(n)
    proxy.cut()
    await until(() => n.snapshot().failsafe)
    expect(n.snapshot().relays).toEqual({ valve: false })
    // Compressor was on: it finishes a 60 s on phase, rests 90 s, and so on.
    await until(() => rec.changes.length >= 5, 10_000)
    rec.stop()
    const phases = rec.changes.slice(1).map((c, i) => ({ on: rec.changes[i]!.on, s: c.atS - rec.changes[i]!.atS }))
    // Seen at 20 s tick boundaries by a poller that a busy CI machine may delay by a tick.
    for (const p of phases) expect(Math.abs(p.s - (p.on ? 60 : 90))).toBeLessThanOrEqual(40)
    expect(rec.changes[0]!.on).toBe(false)

    proxy.heal()
    await until(() => n.snapshot().connected)
    const held = n.snapshot()
    expect(held.failsafe).toBe(false)
    const stateAfter = await broker.waitFor(on('state', (b) => b.state.failsafe === false && b.state.valve === false))
    expect(stateAfter.body).toMatchObject({ state: { compressor: held.compressor } })
    // Held: no more switching once the link is back.
    await new Promise((r) => setTimeout(r, 300))
    expect(n.snapshot().compressor).toBe(held.compressor)
    // What happened offline was queued and reaches the gateway too.
    expect(broker.published.some(on('state', (b) => b.state.failsafe === true))).toBe(true)
  })

  it('notices a silent link by keepalive expiry and goes into fail-safe', async () => {
    const n = await startConfiguredNode(1)
    proxy.freeze()
    const frozenAt = Date.now()
    await until(() => n.snapshot().failsafe, 5000)
    // mqtt.js gives up after 1.5 × keepalive without an answer to its ping.
    expect(Date.now() - frozenAt).toBeGreaterThan(900)
    expect(n.snapshot()).toMatchObject({ connected: false, relays: { valve: false } })
  })
})

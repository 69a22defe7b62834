import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Aedes } from 'aedes'
import { pino } from 'pino'
import { ColdRoomModel, startColdRoomNode, type ColdRoomNode } from '../src/index.js'
import { manualClock } from '../src/modbus/sim-clock.js'
import { FaultInjector, startLinkProxy, startPlanLinks, type LinkProxy } from '../src/faults/index.js'

// Device-level faults over real MQTT: an Aedes broker stands for the gateway, and its
// client/clientDisconnect events are what the gateway's presence tracking sees.

const DEVICE = 'camara-1'

interface GatewaySide {
  url: string
  port: number
  /** Presence transitions of DEVICE, in order. */
  presence: Array<'online' | 'offline'>
  seqs: number[]
  until(probe: () => boolean, what: string, timeoutMs?: number): Promise<void>
  close(): Promise<void>
}

async function startGatewaySide(): Promise<GatewaySide> {
  const broker = await Aedes.createBroker()
  const presence: Array<'online' | 'offline'> = []
  const seqs: number[] = []
  broker.on('client', (c) => void (c.id === DEVICE && presence.push('online')))
  broker.on('clientDisconnect', (c) => void (c.id === DEVICE && presence.push('offline')))
  broker.on('publish', (packet, client) => {
    if (client?.id === DEVICE && packet.topic.endsWith('/telemetry')) seqs.push(JSON.parse(packet.payload.toString()).seq)
  })
  const server: Server = createServer(broker.handle)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    presence,
    seqs,
    until: async (probe, what, timeoutMs = 8000) => {
      const end = Date.now() + timeoutMs
      while (!probe()) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
        await new Promise((r) => setTimeout(r, 20))
      }
    },
    close: async () => {
      await new Promise<void>((resolve) => broker.close(() => resolve()))
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

let gw: GatewaySide
let link: LinkProxy
let node: ColdRoomNode | undefined

beforeEach(async () => {
  gw = await startGatewaySide()
  link = await startLinkProxy({ upstreamPort: gw.port })
})

afterEach(async () => {
  await node?.stop()
  node = undefined
  await link.close()
  await gw.close()
})

const startNode = async () =>
  (node = await startColdRoomNode({
    mqttUrl: link.url,
    deviceId: DEVICE,
    password: 'x',
    intervalMs: 40,
    reconnectPeriodMs: 100,
    keepaliveS: 1,
    model: new ColdRoomModel({ doorOpeningsPerHour: 0 }),
    logger: pino({ level: 'silent' }),
  }))

function missing(seqs: number[]): number[] {
  const seen = new Set(seqs)
  const highest = Math.max(...seen)
  return Array.from({ length: highest + 1 }, (_, i) => i).filter((i) => !seen.has(i))
}

describe('partition between device and gateway', () => {
  it('the gateway sees the device go offline and back, and no QoS 1 reading is lost', async () => {
    const clock = manualClock()
    const injector = new FaultInjector({
      plan: [{ deviceId: DEVICE, kind: 'partition', from: 600, to: 1200 }],
      clock,
      targets: { [DEVICE]: { link } },
    })
    const n = await startNode()
    await gw.until(() => gw.seqs.length >= 5, 'first readings')
    expect(injector.update()).toEqual([])

    clock.set(600)
    expect(injector.update().map((a) => a.label)).toEqual([`${DEVICE}: sin enlace (partición)`])
    expect(injector.statusText()).toBe(`1 falla: ${DEVICE}: sin enlace (partición)`)
    expect(link.state).toBe('partitioned')
    const seqAtPartition = n.snapshot().sent.telemetry
    // Nothing is closed: only keepalive (1.5 × 1 s) tells the gateway the device is gone.
    await gw.until(() => gw.presence.at(-1) === 'offline', 'the gateway to drop the device')
    const seenDuring = gw.seqs.length
    await new Promise((r) => setTimeout(r, 300))
    expect(gw.seqs.length).toBe(seenDuring)

    clock.set(1200)
    expect(injector.update()).toEqual([])
    expect(injector.statusText()).toBe('sin fallas')
    await gw.until(() => gw.presence.at(-1) === 'online', 'the device back online')
    // The readings taken while partitioned arrive after the heal, none missing.
    await gw.until(() => gw.seqs.length > seqAtPartition + 30, 'readings after the heal')
    expect(missing(gw.seqs)).toEqual([])
    expect(gw.presence).toEqual(['online', 'offline', 'online'])
    await injector.stop()
  })
})

describe('device offline', () => {
  it('closes the connection at once (the gateway notices without keepalive) and comes back', async () => {
    const clock = manualClock()
    const injector = new FaultInjector({ plan: [{ deviceId: DEVICE, kind: 'offline', from: 60, to: 120 }], clock, targets: { [DEVICE]: { link } } })
    const n = await startNode()
    await gw.until(() => gw.seqs.length >= 3, 'first readings')
    clock.set(60)
    injector.update()
    expect(injector.isOffline(DEVICE)).toBe(true)
    const t0 = Date.now()
    await gw.until(() => gw.presence.at(-1) === 'offline', 'the gateway to see the device offline', 1000)
    expect(Date.now() - t0).toBeLessThan(1000)
    await gw.until(() => !n.snapshot().connected, 'the node to notice')
    clock.set(120)
    injector.update()
    await gw.until(() => gw.presence.at(-1) === 'online', 'the device back online')
    const before = gw.seqs.length
    await gw.until(() => gw.seqs.length > before + 10, 'readings after coming back')
    expect(missing(gw.seqs)).toEqual([])
    await injector.stop()
  })

  it('calls the device’s own power switch when it has one, and lifts it on stop', async () => {
    const calls: boolean[] = []
    const clock = manualClock()
    const injector = new FaultInjector({
      plan: [
        { deviceId: 'nodo-1', kind: 'offline', from: 10, to: 20 },
        { deviceId: 'nodo-1', kind: 'offline', from: 15, to: 30 },
        { deviceId: 'nodo-2', kind: 'offline', from: 10 },
      ],
      clock,
      targets: { 'nodo-1': { setOffline: (off) => void calls.push(off) } },
    })
    clock.set(10)
    const active = injector.update()
    expect(active.map((a) => [a.deviceId, a.unapplied])).toEqual([
      ['nodo-1', false],
      ['nodo-2', true],
    ])
    clock.set(25) // overlapping entries: still off, no second call
    injector.update()
    clock.set(30)
    injector.update()
    await injector.settled()
    expect(calls).toEqual([true, false])
    clock.set(40)
    injector.attach('nodo-2', { setOffline: (off) => void calls.push(off) })
    injector.update()
    await injector.stop()
    expect(calls).toEqual([true, false, true, false])
  })
})

describe('link proxy', () => {
  async function echo() {
    const server = createServer((s) => s.pipe(s))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    return { server, port: (server.address() as AddressInfo).port }
  }
  async function client(port: number) {
    const s: Socket = connect(port, '127.0.0.1')
    await new Promise((resolve) => s.once('connect', resolve))
    const got: string[] = []
    s.on('data', (d) => got.push(d.toString()))
    return { s, got }
  }

  it('holds bytes during a partition and delivers them on heal, without closing', async () => {
    const { server, port } = await echo()
    const p = await startLinkProxy({ upstreamPort: port, scheme: 'tcp' })
    const c = await client(p.port)
    c.s.write('a')
    await gw.until(() => c.got.join('') === 'a', 'echo a')
    p.partition('hold')
    c.s.write('b')
    await new Promise((r) => setTimeout(r, 100))
    expect(c.got.join('')).toBe('a')
    expect(p.connections).toBe(1)
    p.heal()
    await gw.until(() => c.got.join('') === 'ab', 'held b')
    c.s.destroy()
    await p.close()
    await new Promise((r) => server.close(r))
  })

  it('drops bytes in drop mode, and cut closes and refuses', async () => {
    const { server, port } = await echo()
    const p = await startLinkProxy({ upstreamPort: port, scheme: 'tcp' })
    const c = await client(p.port)
    p.partition('drop')
    c.s.write('lost')
    await new Promise((r) => setTimeout(r, 100))
    p.heal()
    c.s.write('ok')
    await gw.until(() => c.got.join('') === 'ok', 'echo after heal')
    const closed = new Promise((resolve) => c.s.once('close', resolve))
    p.cut()
    await closed
    expect(p.state).toBe('cut')
    const again: Socket = connect(p.port, '127.0.0.1')
    await new Promise((resolve) => again.once('close', resolve).once('error', () => undefined))
    await p.close()
    await new Promise((r) => server.close(r))
  })
})

describe('startPlanLinks', () => {
  it('starts one proxy per partitioned device, in front of the gateway', async () => {
    const { links, close } = await startPlanLinks(
      [
        { deviceId: 'a', kind: 'partition' },
        { deviceId: 'a', kind: 'partition' },
        { deviceId: 'b', kind: 'stuck' },
        { deviceId: 'c', kind: 'partition' },
      ],
      { upstreamPort: gw.port },
    )
    expect(Object.keys(links).sort()).toEqual(['a', 'c'])
    expect(links.a!.url).toMatch(/^mqtt:\/\/127\.0\.0\.1:\d+$/)
    await close()
  })
})

import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { pino } from 'pino'
import { ColdRoomModel, startColdRoomNode, type ColdRoomNode } from '../src/index.js'
import { startTestBroker, type Published, type TestBroker } from './broker.js'
import { startLinkProxy, type LinkProxy } from './link-proxy.js'

// A node keeps every reading across a flapping link, as firmware with a ring buffer does.
// The hard case: after a reconnect mqtt.js resends its stored messages one at a time and
// holds new ones in a queue meanwhile; if that connection dies too, it drops the queue.

const DEVICE = 'camara-1'
const PASSWORD = 'camara-1-demo'

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

const telemetrySeqs = () =>
  broker.published.filter((p) => p.topic.endsWith('/telemetry')).map((p) => (p.body as { seq: number }).seq)

describe('readings across a flapping link', () => {
  it('loses none when the link drops again while the node is still resending', async () => {
    const n = await startColdRoomNode({
      mqttUrl: proxy.url,
      deviceId: DEVICE,
      password: PASSWORD,
      intervalMs: 10,
      reconnectPeriodMs: 50,
      model: new ColdRoomModel({ doorOpeningsPerHour: 0 }),
      logger: pino({ level: 'silent' }),
    })
    node = n
    await broker.waitFor((p) => p.topic.endsWith('/telemetry') && (p.body as { seq: number }).seq >= 3)

    proxy.cut() // readings pile up in mqtt.js's store
    await new Promise((r) => setTimeout(r, 200))
    const before = broker.published.length
    proxy.heal()
    // The first resent message: stall the link there, so new readings queue behind the resend…
    await broker.waitFor((p: Published) => broker.published.indexOf(p) >= before)
    proxy.freeze()
    await new Promise((r) => setTimeout(r, 200))
    // …and end that connection too, with the queue full.
    proxy.cut()
    await new Promise((r) => setTimeout(r, 100))
    proxy.heal()

    await new Promise((r) => setTimeout(r, 500))
    const last = n.snapshot()
    await n.stop()
    node = undefined
    const seqs = new Set(telemetrySeqs())
    const highest = Math.max(...seqs)
    const missing = Array.from({ length: highest + 1 }, (_, i) => i).filter((i) => !seqs.has(i))
    expect(missing).toEqual([])
    expect(highest).toBeGreaterThan(50)
    expect(last.sent.telemetry).toBeGreaterThan(50)
  })
})

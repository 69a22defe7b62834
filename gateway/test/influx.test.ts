/**
 * The on-site InfluxDB history sink against a real `influxd` (Debian's `influxdb`; .ci/run
 * installs it): readings reach InfluxDB, wait in the log while InfluxDB is down (stopped
 * cleanly or killed), and are all there exactly once after it is back.
 */
import { InfluxDB } from 'influx'
import type { MqttClient } from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deviceTopic } from '@tendero/protocol'
import { INFLUX_CURSOR } from '../src/sinks/influx.js'
import { DEMO_DEVICE, startTestGateway, waitFor, type TestGateway } from './harness.js'
import { INFLUXD, haveInfluxd, startInfluxd, type InfluxServer } from './influx-harness.js'

if (!haveInfluxd && process.env.CI === 'true') {
  throw new Error(`CI=true but no influxd at ${INFLUXD}: .ci/run installs Debian's influxdb`)
}

const DATABASE = 'tendero_test'

describe.skipIf(!haveInfluxd)('InfluxDB history sink with a real influxd', () => {
  let server: InfluxServer
  let t: TestGateway
  let device: MqttClient
  let client: InfluxDB
  let n = 0

  beforeAll(async () => {
    server = await startInfluxd()
    t = await startTestGateway({
      config: { influx: { url: server.url, database: DATABASE } },
      gateway: { influx: { idleMs: 50, backoffBaseMs: 100, backoffCapMs: 400, requestTimeoutMs: 2000 } },
    })
    device = await t.connect(DEMO_DEVICE.id, DEMO_DEVICE.password)
    const { port } = new URL(server.url)
    client = new InfluxDB({ host: '127.0.0.1', port: Number(port), database: DATABASE })
  })

  afterAll(async () => {
    await t?.close()
    await server?.close()
  })

  /**
   * `count` readings, ten at a time in parallel so several share a group commit and so a
   * receive-time millisecond: those must still be distinct points. QoS 1, so each is in
   * the log when the publish resolves.
   */
  async function publishReadings(count: number): Promise<void> {
    for (let i = 0; i < count; i += 10) {
      await Promise.all(
        Array.from({ length: Math.min(10, count - i) }, () => {
          n += 1
          return device.publishAsync(deviceTopic(DEMO_DEVICE.id, 'telemetry'), JSON.stringify({ readings: { n } }), { qos: 1 })
        }),
      )
    }
  }

  /** The telemetry events of the log: seq → { time, n }. */
  function loggedReadings(): Map<number, { time: number; n: number }> {
    const out = new Map<number, { time: number; n: number }>()
    for (const e of t.gw.log.read(0, 100_000))
      if (e.kind === 'telemetry') out.set(e.seq, { time: e.time, n: e.body.readings.n! })
    return out
  }

  async function caughtUp(timeoutMs = 8000): Promise<void> {
    await waitFor(() => t.gw.influx!.status().lag === 0 && t.gw.log.getCursor(INFLUX_CURSOR) === t.gw.log.lastSeq(), timeoutMs)
  }

  /** Every reading in the log is in InfluxDB exactly once, at its event time, with its value. */
  async function expectExactlyOnce(): Promise<void> {
    const logged = loggedReadings()
    const rows = await client.query<{ log_seq: number; n: number; device: string }>(
      `SELECT log_seq, n, device FROM telemetry`,
      { precision: 'ms' },
    )
    const seqs = rows.map((r) => r.log_seq)
    expect(new Set(seqs).size).toBe(seqs.length)
    expect(seqs.sort((a, b) => a - b)).toEqual([...logged.keys()])
    for (const row of rows) {
      const event = logged.get(row.log_seq)!
      expect(row.n).toBe(event.n)
      expect(row.device).toBe(DEMO_DEVICE.id)
      expect(row.time.getTime()).toBe(event.time)
    }
  }

  it('writes readings to InfluxDB, waits out a stopped influxd, and catches up with each reading exactly once', async () => {
    await publishReadings(40)
    await caughtUp()
    await expectExactlyOnce()
    expect(t.gw.influx!.status()).toMatchObject({ lastError: null, refusedBatches: 0 })

    await server.stop('SIGTERM')
    await publishReadings(60)
    // Down: the readings are in the log, the sink's lag grows and says why.
    const down = await waitFor(() => {
      const s = t.gw.influx!.status()
      return s.lag >= 60 && s.lastError !== null && s
    })
    expect(down.oldestPendingAt).not.toBeNull()
    const health = (await (await fetch(`http://127.0.0.1:${t.apiPort}/health`)).json()) as { influx?: { lag: number } }
    expect(health.influx?.lag).toBeGreaterThanOrEqual(60)
    expect(t.gw.log.status().cursors[INFLUX_CURSOR]!.lag).toBeGreaterThanOrEqual(60)

    await server.start()
    await caughtUp()
    await expectExactlyOnce()
    expect(loggedReadings().size).toBe(100)
    expect(t.gw.influx!.status().lastError).toBeNull()
  })

  it('catches up after influxd is killed with SIGKILL', async () => {
    await server.stop('SIGKILL')
    await publishReadings(30)
    await waitFor(() => t.gw.influx!.status().lastError !== null)
    await server.start()
    await caughtUp()
    await expectExactlyOnce()
    expect(loggedReadings().size).toBe(130)
  })

  it('writing the log again from the start (a crash before the cursor moved) duplicates nothing', async () => {
    t.gw.log.setCursor(INFLUX_CURSOR, 0)
    await caughtUp()
    await expectExactlyOnce()
  })

})

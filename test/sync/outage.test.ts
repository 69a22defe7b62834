import { afterAll, describe, expect, it } from 'vitest'
import { postgresGate } from './postgres.js'
import { createSyncStack, type SyncStack } from './stack.js'
import { checkSync, faults } from './verify.js'

/**
 * Issue 4, required test 1: 50 cold rooms reporting at 1 Hz, the cloud stopped for a long
 * outage and started again; afterwards the cloud holds every event exactly once, in
 * per-device order. Time is accelerated: SYNC_SPEED simulated seconds per real second, so
 * each room sends SYNC_SPEED readings a second and SYNC_OUTAGE_MIN simulated minutes of
 * outage take SYNC_OUTAGE_MIN × 60 / SYNC_SPEED real seconds.
 */
const DEVICES = Number(process.env.SYNC_DEVICES ?? 50)
const SPEED = Number(process.env.SYNC_SPEED ?? 20)
const OUTAGE_MIN = Number(process.env.SYNC_OUTAGE_MIN ?? 10)
const INTERVAL_MS = Math.round(1000 / SPEED)
const OUTAGE_MS = (OUTAGE_MIN * 60_000) / SPEED

const gate = await postgresGate()
if (!gate.run) console.warn(`store-and-forward outage test skipped: ${gate.reason}`)

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function until<T>(stack: SyncStack, what: string, timeoutMs: number, probe: () => Promise<T | undefined | false>): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    stack.assertRunning()
    const value = await probe()
    if (value) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(100)
  }
}

describe.skipIf(!gate.run)('a long cloud outage (PostgreSQL, real processes)', () => {
  let stack: SyncStack | undefined
  afterAll(async () => {
    await stack?.close()
  })

  it(`${DEVICES} rooms at 1 Hz through ${OUTAGE_MIN} simulated minutes without the cloud: every event once, in order`, { timeout: 300_000 }, async () => {
    stack = await createSyncStack({ devices: DEVICES })
    await stack.startCloud()
    const gateway = await stack.startGateway()
    const simulator = stack.startSimulator({ intervalMs: INTERVAL_MS, speed: SPEED })

    // Before the outage the link works: every room's readings reach the cloud live.
    await until(stack, 'every room in the cloud', 60_000, async () => (await stack!.cloudTelemetryByDevice()).size === DEVICES)
    expect((await gateway.health()).mqtt.clients).toBe(DEVICES)

    await stack.cloud!.stop()
    const down = await gateway.health()
    await sleep(OUTAGE_MS)
    const beforeRestart = await gateway.health()
    const ackBefore = await stack.cloudAckSeq()
    const backlog = beforeRestart.log.lastSeq - ackBefore
    // The rooms kept reporting into the gateway's log the whole time.
    const loggedDuringOutage = beforeRestart.log.lastSeq - down.log.lastSeq
    expect(loggedDuringOutage).toBeGreaterThan(DEVICES * OUTAGE_MIN * 60 * 0.7)
    expect(beforeRestart.uplink.lastError).not.toBeNull()

    const restartedAt = Date.now()
    await stack.startCloud()
    const upAt = Date.now()
    // The gateway finds the cloud back on its next retry (jittered backoff, up to 30 s).
    await until(stack, 'the uplink to resume', 60_000, async () => (await stack!.cloudAckSeq()) > ackBefore)
    const resumedAt = Date.now()
    // Live readings keep coming while the backlog drains; the watermark passing the
    // outage's last seq means the whole backlog is in.
    await until(stack, 'the outage backlog in the cloud', 120_000, async () => (await stack!.cloudAckSeq()) >= beforeRestart.log.lastSeq)
    const drainedAt = Date.now()
    await sleep(2000)

    await simulator.stop()
    const { lastSeq } = await stack.waitForCatchUp(60_000)
    const final = await gateway.health()
    await gateway.stop()

    const report = checkSync(stack.readGatewayLog(), await stack.readCloudEvents(), stack.readAcks())
    console.log(
      `outage: ${DEVICES} rooms, ×${SPEED}, ${OUTAGE_MIN} simulated min (${(OUTAGE_MS / 1000).toFixed(1)} s real); ` +
        `${loggedDuringOutage} events logged during the outage, backlog ${backlog} at restart; ` +
        `cloud up in ${upAt - restartedAt} ms, uplink resumed ${resumedAt - upAt} ms later, backlog drained in ` +
        `${drainedAt - resumedAt} ms (${Math.round(backlog / ((drainedAt - resumedAt) / 1000))} events/s beside ${DEVICES * SPEED}/s live); ` +
        `${lastSeq} events in all, ${report.telemetry} readings, ${report.acked} PUBACKed; by kind ${JSON.stringify(report.kinds)}`,
    )
    expect(faults(report)).toEqual([])
    expect(report).toMatchObject({ devices: DEVICES, cloudEvents: lastSeq, logEvents: lastSeq })
    // Nothing was refused on the way in either: no reading rate-limited or quarantined.
    expect(Object.values(final.rejected).reduce((a, b) => a + b, 0)).toBe(0)
    expect(await stack.quarantined()).toBe(0)
  })
})

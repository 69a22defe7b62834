import { afterAll, describe, expect, it } from 'vitest'
import { prng } from '../../gateway/test/crash-harness.js'
import { postgresGate } from './postgres.js'
import { createSyncStack, type SyncStack } from './stack.js'
import { checkSync, faults } from './verify.js'

/**
 * Issue 4, required test 2: the gateway and the cloud are killed with SIGKILL at random
 * moments while they sync, round after round, with 50 rooms reporting throughout.
 * Afterwards no event is lost or duplicated, and every reading a room got a PUBACK for is
 * in the cloud. A round waits until the uplink is moving again after the last restarts,
 * then kills the gateway, the cloud or both after a random delay; half the cloud kills
 * then also wait for the cloud to be inside a database transaction, most likely a batch. SYNC_CRASH_SEED replays
 * the random choices of a run (the timing of real processes still varies);
 * SYNC_CRASH_ROUNDS lengthens it.
 */
const ROUNDS = Number(process.env.SYNC_CRASH_ROUNDS ?? 20)
const SEED = Number(process.env.SYNC_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31))
const DEVICES = Number(process.env.SYNC_DEVICES ?? 50)
const SPEED = 10
const INTERVAL_MS = 1000 / SPEED

const gate = await postgresGate()
if (!gate.run) console.warn(`store-and-forward crash test skipped: ${gate.reason}`)

// SYNC_VERBOSE=1 prints each round as it ends, for a run that hangs or times out.
const progress = (line: string) => process.env.SYNC_VERBOSE && process.stderr.write(`${new Date().toISOString()} ${line}\n`)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

type Victim = 'gateway' | 'cloud' | 'both'

interface Round {
  victim: Victim
  delayMs: number
  aimed: boolean
  /** Events the gateway had not got acknowledged when the kill landed. */
  lagAtKill: number
  /** Cloud sessions inside a transaction a moment before the kill (cloud kills only). */
  openTransactions: number
}

describe.skipIf(!gate.run)('SIGKILL of the gateway and the cloud during sync (PostgreSQL, real processes)', () => {
  let stack: SyncStack | undefined
  afterAll(async () => {
    await stack?.close()
  })

  it(`loses and duplicates nothing across ${ROUNDS} rounds of kills`, { timeout: 480_000 }, async () => {
    const random = prng(SEED)
    stack = await createSyncStack({ devices: DEVICES })
    const s = stack
    await s.startCloud()
    await s.startGateway()
    const simulator = s.startSimulator({ intervalMs: INTERVAL_MS, speed: SPEED })
    const started = Date.now()

    /** Resolves once the cloud's watermark has moved: the uplink is sending again. */
    async function syncMoving(timeoutMs = 60_000): Promise<void> {
      const from = await s.cloudAckSeq()
      const deadline = Date.now() + timeoutMs
      while ((await s.cloudAckSeq()) <= from) {
        s.assertRunning()
        if (Date.now() > deadline) throw new Error(`sync did not resume within ${timeoutMs} ms\n${s.gateway?.output()}\n${s.cloud?.output()}`)
        await sleep(50)
      }
    }

    const rounds: Round[] = []
    for (let i = 0; i < ROUNDS; i++) {
      const waitFrom = Date.now()
      await syncMoving()
      progress(`sync moving after ${Date.now() - waitFrom} ms`)
      const pick = random()
      const victim: Victim = pick < 0.4 ? 'gateway' : pick < 0.8 ? 'cloud' : 'both'
      const delayMs = Math.round(random() * 2000)
      const downMs = Math.round(random() * 1500)
      // Half the cloud kills aim at a batch being written: once the random delay is over,
      // the kill waits (up to 3 s) for the cloud to be busy in the database.
      const aim = victim !== 'gateway' && random() < 0.5
      await sleep(delayMs)
      const health = await s.gateway!.health()
      let openTransactions = victim === 'gateway' ? 0 : await s.openTransactions()
      for (const deadline = Date.now() + 3000; aim && openTransactions === 0 && Date.now() < deadline; )
        openTransactions = await s.openTransactions()
      await Promise.all([
        victim !== 'cloud' ? s.gateway!.kill() : undefined,
        victim !== 'gateway' ? s.cloud!.kill() : undefined,
      ])
      rounds.push({ victim, delayMs, aimed: aim, lagAtKill: health.uplink.lag, openTransactions })
      await sleep(downMs)
      const restartAt = Date.now()
      if (victim !== 'gateway') await s.startCloud()
      if (victim !== 'cloud') await s.startGateway()
      progress(`round ${i + 1}: ${victim}${aim ? ' (aimed)' : ''} after ${delayMs} ms, lag ${health.uplink.lag}, busy ${openTransactions}, down ${downMs} ms, back in ${Date.now() - restartAt} ms`)
    }
    const roundsMs = Date.now() - started

    await syncMoving()
    await simulator.stop()
    const { lastSeq } = await s.waitForCatchUp(90_000)
    await s.gateway!.stop()

    const report = checkSync(s.readGatewayLog(), await s.readCloudEvents(), s.readAcks())
    const count = (v: Victim) => rounds.filter((r) => r.victim === v).length
    const lags = rounds.map((r) => r.lagAtKill).sort((a, b) => a - b)
    const cloudKills = rounds.filter((r) => r.victim !== 'gateway')
    console.log(
      `crashes: seed ${SEED}, ${ROUNDS} rounds in ${(roundsMs / 1000).toFixed(1)} s ` +
        `(gateway ${count('gateway')}, cloud ${count('cloud')}, both ${count('both')}); ` +
        `uplink lag at the kills min ${lags[0]} / median ${lags[Math.floor(lags.length / 2)]} / max ${lags.at(-1)} events; ` +
        `${cloudKills.filter((r) => r.openTransactions > 0).length} of ${cloudKills.length} cloud kills ` +
        `(${cloudKills.filter((r) => r.aimed).length} aimed) with the cloud busy in the database; ` +
        `${lastSeq} events, ${report.telemetry} readings, ${report.acked} PUBACKed; by kind ${JSON.stringify(report.kinds)}` +
        (report.duplicates.length ? `; duplicates: ${JSON.stringify(report.duplicates.slice(0, 5))}` : ''),
    )
    expect(faults(report)).toEqual([])
    expect(report).toMatchObject({ devices: DEVICES, cloudEvents: lastSeq, logEvents: lastSeq })
    expect(report.acked).toBeGreaterThan(DEVICES * 10)
    expect(await s.quarantined()).toBe(0)
    // The kills landed while there was something to send, not on an idle link.
    expect(rounds.filter((r) => r.lagAtKill > 0).length).toBeGreaterThanOrEqual(ROUNDS * 0.8)
  })
})

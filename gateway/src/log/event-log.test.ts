import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { validators } from '@tendero/protocol'
import { EventLog, type EventLogOptions } from './event-log.js'

let dir: string
const open = (over: Partial<EventLogOptions> = {}) =>
  new EventLog({ path: join(dir, 'log.db'), bootId: 'boot-a', clockSynced: () => true, ...over })
const reading = (t: number) => ({ kind: 'telemetry' as const, deviceId: 'camara-1', body: { readings: { temperature_c: t } } })

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tendero-log-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

describe('event log', () => {
  it('assigns gap-free monotonic seq, across a reopen', async () => {
    const log = open()
    const a = await Promise.all([log.append([reading(1), reading(2)]), log.append([reading(3)])])
    expect(a.flat().map((e) => e.seq)).toEqual([1, 2, 3])
    log.close()
    const again = open({ bootId: 'boot-b' })
    expect(again.lastSeq()).toBe(3)
    const [e4] = await again.append([reading(4)])
    expect(e4!.seq).toBe(4)
    expect(again.read(0, 10).map((e) => [e.seq, e.bootId])).toEqual([
      [1, 'boot-a'],
      [2, 'boot-a'],
      [3, 'boot-a'],
      [4, 'boot-b'],
    ])
    again.close()
  })

  it('group-commits concurrent appends in one transaction and resolves after commit', async () => {
    const log = open({ flushIntervalMs: 20 })
    const pending = [log.append([reading(1)]), log.append([reading(2)]), log.append([reading(3)])]
    // Nothing is readable before the window closes: the promise is the commit.
    expect(log.read(0, 10)).toEqual([])
    expect(log.stats().pending).toBe(3)
    await Promise.all(pending)
    expect(log.read(0, 10)).toHaveLength(3)
    expect(log.stats().commits).toBe(1)
    log.close()
  })

  it('flushes at maxBatch without waiting for the window', async () => {
    const log = open({ flushIntervalMs: 10_000, maxBatch: 2 })
    const started = Date.now()
    await log.append([reading(1), reading(2)])
    expect(Date.now() - started).toBeLessThan(1000)
    log.close()
  })

  it('a failed transaction leaves no gap', async () => {
    const log = open()
    await log.append([reading(1)])
    // BigInt cannot be serialised, so the insert throws inside the transaction.
    await expect(log.append([{ kind: 'telemetry', deviceId: 'camara-1', body: { n: 1n } }])).rejects.toThrow()
    const [next] = await log.append([reading(2)])
    expect(next!.seq).toBe(2)
    log.close()
  })

  it('stamps the envelope per the protocol LogEvent schema', async () => {
    let clockSynced = false
    const log = open({ now: () => 1_763_719_200_012, monoNow: () => 42.5, clockSynced: () => clockSynced })
    const [withTs] = await log.append([{ ...reading(4.6), time: 1_763_719_200_000 }])
    clockSynced = true
    const [withoutTs] = await log.append([reading(4.7)])
    expect(withTs).toMatchObject({ time: 1_763_719_200_000, receivedAt: 1_763_719_200_012, monoMs: 42.5, clockSynced: false })
    expect(withoutTs).toMatchObject({ time: 1_763_719_200_012, clockSynced: true })
    for (const e of log.read(0, 10)) expect(validators.logEvent.check(e)).toBe(true)
    log.close()
  })

  it('reads after a cursor and keeps named cursors', async () => {
    const log = open()
    await log.append([1, 2, 3, 4, 5].map(reading))
    expect(log.getCursor('uplink')).toBe(0)
    log.setCursor('uplink', 2)
    expect(log.read(log.getCursor('uplink'), 2).map((e) => e.seq)).toEqual([3, 4])
    log.close()
    const again = open()
    expect(again.getCursor('uplink')).toBe(2)
    again.close()
  })

  it('flushes queued events on close and refuses appends after', async () => {
    const log = open({ flushIntervalMs: 10_000 })
    const pending = log.append([reading(1)])
    log.close()
    await expect(pending).resolves.toHaveLength(1)
    await expect(log.append([reading(2)])).rejects.toMatchObject({ code: 'LOG_ERR_CLOSED' })
  })
})

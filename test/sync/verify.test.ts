import { describe, expect, it } from 'vitest'
import { checkSync, faults, type SyncedEvent } from './verify.js'

const BOOT = 'boot-a'
const t = (seq: number, deviceId: string, nodeSeq: number, bootId = BOOT): SyncedEvent => ({ seq, kind: 'telemetry', deviceId, nodeSeq, bootId })
const state = (seq: number, deviceId: string): SyncedEvent => ({ seq, kind: 'state', deviceId, nodeSeq: null, bootId: BOOT })

// Two rooms interleaved, with a state event between: the shape of a real log.
const log = [t(1, 'a', 0), t(2, 'b', 0), state(3, 'a'), t(4, 'a', 1), t(5, 'b', 1), t(6, 'a', 2)]
const acked = new Map([
  ['a', new Set([0, 1, 2])],
  ['b', new Set([0, 1])],
])

describe('the exactly-once check', () => {
  it('passes a cloud that holds the log exactly', () => {
    const report = checkSync(log, [...log].reverse(), acked)
    expect(faults(report)).toEqual([])
    expect(report).toMatchObject({ lastSeq: 6, cloudEvents: 6, telemetry: 5, devices: 2, acked: 5 })
  })

  it('finds an event the cloud lacks, and the PUBACKed reading it was', () => {
    const report = checkSync(log, log.filter((e) => e.seq !== 4), acked)
    expect(report.missing).toEqual([4])
    expect(report.holes).toEqual([{ deviceId: 'a', nodeSeq: 1 }])
    expect(report.ackedMissing).toEqual([{ deviceId: 'a', nodeSeq: 1 }])
  })

  it('finds a reading stored twice, under two seqs from two boots', () => {
    const withResend = [...log, t(7, 'a', 2, 'boot-b')]
    const report = checkSync(withResend, withResend, acked)
    expect(report.duplicates).toEqual([{ deviceId: 'a', nodeSeq: 2, seqs: [6, 7], bootIds: [BOOT, 'boot-b'] }])
    expect(faults(report)).toHaveLength(2) // the copy is also out of order
  })

  it('finds readings out of per-device order', () => {
    const swapped = [t(1, 'a', 1), t(2, 'a', 0)]
    expect(checkSync(swapped, swapped, new Map()).outOfOrder).toEqual([{ deviceId: 'a', seq: 2, nodeSeq: 0, after: 1 }])
  })

  it('finds cloud events the log never had, repeated seqs and changed events', () => {
    const cloud = [...log, t(6, 'a', 2), t(9, 'b', 2), { ...state(3, 'b') }]
    const report = checkSync(log, cloud, acked)
    expect(report.unexpected).toEqual([3, 6, 9])
    expect(report.mismatched).toEqual([3])
  })

  it('finds a gap in the gateway log itself', () => {
    const gappy = log.filter((e) => e.seq !== 2)
    expect(checkSync(gappy, gappy, new Map()).logNotGapFree).toEqual([3, 4, 5, 6])
  })

  it('finds a PUBACKed reading the gateway never logged', () => {
    const report = checkSync(log, log, new Map([['b', new Set([0, 1, 2])]]))
    expect(report.ackedMissing).toEqual([{ deviceId: 'b', nodeSeq: 2 }])
  })
})

import { describe, expect, it } from 'vitest'
import { downlinkValidators } from '@tendero/protocol'
import type { EventLogStatus } from '../log/event-log.js'
import { buildSyncStatus, type SyncStatusInput } from './sync-status.js'

const AT = Date.UTC(2025, 10, 21, 12, 0)

function logStatus(over: Partial<EventLogStatus> = {}): EventLogStatus {
  return {
    fileBytes: 9_000_000,
    usedBytes: 8_000_000,
    maxBytes: 512 * 1024 * 1024,
    maxAgeMs: 30 * 86_400_000,
    eventCount: 1000,
    lastSeq: 1000,
    oldest: { seq: 1, time: AT - 3_600_000, receivedAt: AT - 3_600_000 },
    cursors: { uplink: { seq: 1000, lag: 0, updatedAt: AT - 1000, oldestPendingAt: null } },
    pruned: { events: 0, lastAt: null },
    budget: { downsampled: 0, rollups: 0, dropped: 0, droppedTotal: 0, gaps: 0, lastAt: null, active: false },
    eventsPerDay: 86_400,
    bufferDaysLeft: 41.5,
    ...over,
  }
}

const input = (over: Partial<SyncStatusInput> = {}): SyncStatusInput => ({
  at: AT,
  log: logStatus(),
  uplinkCursor: 'uplink',
  uplink: { heldAhead: 0, quarantined: { total: 0, recent: [] } },
  clockSynced: true,
  ...over,
})

const valid = (status: unknown) => downlinkValidators.upstream.explain({ type: 'sync.status', status })

describe('sync status for the cloud', () => {
  it('reports a caught-up gateway as zero behind', () => {
    const status = buildSyncStatus(input())
    expect(status).toEqual({
      at: AT, lastSeq: 1000, lagEvents: 0, lagSeconds: 0, oldestUnsentAt: null, eventsPerDay: 86_400, bufferDaysLeft: 41.5,
      usedBytes: 8_000_000, maxBytes: 512 * 1024 * 1024, quarantinedTotal: 0, droppedTotal: 0, clockSynced: true,
    })
    expect(valid(status)).toEqual([])
  })

  it('counts what the cloud is missing, not what was sent ahead, and how old the oldest of it is', () => {
    const status = buildSyncStatus(input({
      log: logStatus({ lastSeq: 5000, cursors: { uplink: { seq: 1000, lag: 4000, updatedAt: AT, oldestPendingAt: AT - 90_250 } } }),
      uplink: { heldAhead: 30, quarantined: { total: 2, recent: [] } },
      influx: { lag: 120 },
      clockSynced: false,
    }))
    expect(status).toMatchObject({
      lastSeq: 5000, lagEvents: 3970, lagSeconds: 90.3, oldestUnsentAt: AT - 90_250, quarantinedTotal: 2, influxLagEvents: 120, clockSynced: false,
    })
    expect(valid(status)).toEqual([])
  })

  it('reports what the disk budget removed for good', () => {
    const log = logStatus({ budget: { downsampled: 7260, rollups: 121, dropped: 61, droppedTotal: 7200, gaps: 3, lastAt: AT, active: true } })
    expect(buildSyncStatus(input({ log })).droppedTotal).toBe(7200)
  })

  it('leaves unknowns null: no ingest rate yet, no budget, an oldest event it cannot date', () => {
    const status = buildSyncStatus(input({
      log: logStatus({ eventsPerDay: null, bufferDaysLeft: null, maxBytes: 0, cursors: { uplink: { seq: 10, lag: 5, updatedAt: null, oldestPendingAt: null } } }),
    }))
    expect(status).toMatchObject({ lagEvents: 5, lagSeconds: null, oldestUnsentAt: null, eventsPerDay: null, bufferDaysLeft: null, maxBytes: 0 })
    expect(status).not.toHaveProperty('influxLagEvents')
    expect(valid(status)).toEqual([])
  })
})

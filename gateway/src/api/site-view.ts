import type { DeviceConfig } from '../config.js'
import type { DeviceBroker } from '../broker/broker.js'
import type { EventLog, EventLogStatus } from '../log/event-log.js'
import type { Uploader } from '../uplink/uploader.js'
import { UPLINK_CURSOR } from '../uplink/uploader.js'
import type { FailsafeSpec } from '../failsafe/spec.js'
import type { NamedStateValue } from '../rules/kinds.js'
import type { DeviceLimits } from '../broker/device-limits.js'
import { ApiError } from './errors.js'
import type { DeviceLiveState, LiveState } from './live-state.js'
import type { ClockStatus } from '../clock/clock.js'

export interface DeviceView extends DeviceLiveState {
  id: string
  name?: string | undefined
  kind: string
  relays: { name: string; failsafe?: FailsafeSpec | undefined }[]
  limits?: DeviceLimits | undefined
  /** Messages refused since this boot: in all, and per reason (broker/rejections.ts). */
  rejected: { total: number; byReason: Record<string, number> }
}

export interface LiveStateView {
  devices: Record<string, DeviceLiveState>
  /** Named states set by rules (`state.set`) or recorded under device `gateway`. */
  namedStates: Record<string, NamedStateValue>
}

/** What the log says about itself and the uplink (ARCHITECTURE.md, sync contract 8). */
export interface LogStatsView {
  sizeBytes: { file: number; used: number; budget: number }
  eventCount: number
  lastSeq: number
  oldest: { seq: number; time: number; receivedAt: number } | null
  retention: { maxAgeMs: number; prunedEvents: number; lastPrunedAt: number | null }
  /** What the disk budget removed from unsynced history (log/budget.ts); `active` while it is thinning. */
  budget: EventLogStatus['budget']
  eventsPerDay: number | null
  /** Days the log budget lasts at the current ingest rate if nothing is synced (an outage). */
  bufferDaysLeft: number | null
  sync: {
    ackedSeq: number
    /** Events the cloud has not acknowledged yet. */
    lagEvents: number
    /** How long the oldest unacknowledged event has waited; 0 when caught up. */
    lagSeconds: number
    oldestUnsentAt: number | null
    lastContactAt: number | null
    lastError: string | null
  }
  clock?: ClockStatus & { restamped: number }
}

export interface SiteViewOptions {
  devices: readonly DeviceConfig[]
  live: LiveState
  broker: DeviceBroker
  log: EventLog
  uplink: Uploader
  namedStates(): Record<string, NamedStateValue>
  now: () => number
  /** Clock trust (src/clock/). */
  clock?: () => ClockStatus & { restamped: number }
}

/** Read-only views for the technician: the device registry with its live state, and the log. */
export class SiteView {
  constructor(private readonly o: SiteViewOptions) {}

  devices(): DeviceView[] {
    const totals = this.o.broker.rejectedCounts()
    const byReason = this.o.broker.rejectionsByReason()
    return this.o.devices.map((d) => this.view(d, this.o.live.device(d.id)!, totals[d.id] ?? 0, byReason[d.id] ?? {}))
  }

  device(id: string): DeviceView {
    const d = this.o.devices.find((x) => x.id === id)
    if (!d) throw new ApiError('DEVICE_ERR_NOT_FOUND', 404, `no device "${id}" in the site config`)
    return this.view(d, this.o.live.device(id)!, this.o.broker.rejectedCounts()[id] ?? 0, this.o.broker.rejectionsByReason()[id] ?? {})
  }

  state(): LiveStateView {
    return { devices: this.o.live.all(), namedStates: this.o.namedStates() }
  }

  logStats(): LogStatsView {
    const s = this.o.log.status()
    const uplink = this.o.uplink.status()
    const cursor = s.cursors[UPLINK_CURSOR]
    const oldestUnsentAt = cursor?.oldestPendingAt ?? null
    return {
      sizeBytes: { file: s.fileBytes, used: s.usedBytes, budget: s.maxBytes },
      eventCount: s.eventCount,
      lastSeq: s.lastSeq,
      oldest: s.oldest,
      retention: { maxAgeMs: s.maxAgeMs, prunedEvents: s.pruned.events, lastPrunedAt: s.pruned.lastAt },
      budget: s.budget,
      eventsPerDay: s.eventsPerDay,
      bufferDaysLeft: s.bufferDaysLeft,
      sync: {
        ackedSeq: uplink.ackedSeq,
        lagEvents: uplink.lag,
        lagSeconds: oldestUnsentAt === null ? 0 : Math.max(0, Math.round((this.o.now() - oldestUnsentAt) / 1000)),
        oldestUnsentAt,
        lastContactAt: uplink.lastSuccessAt,
        lastError: uplink.lastError,
      },
      ...(this.o.clock ? { clock: this.o.clock() } : {}),
    }
  }

  private view(d: DeviceConfig, live: DeviceLiveState, total: number, byReason: Record<string, number>): DeviceView {
    // Built field by field: the password hash must never leave the gateway.
    return {
      id: d.id,
      ...(d.name !== undefined ? { name: d.name } : {}),
      kind: d.kind,
      relays: (d.relays ?? []).map((r) => (typeof r === 'string' ? { name: r } : r)),
      ...(d.limits ? { limits: d.limits } : {}),
      ...live,
      rejected: { total, byReason },
    }
  }
}

import type { AlarmChange, LogEvent } from '@tendero/protocol'
import type { EventLog } from '../log/event-log.js'

export type StateValue = boolean | number | string

export interface DeviceLiveState {
  online: boolean
  /** Receive time of the device's last logged event, or its last connect/disconnect. */
  lastSeenAt: number | null
  /** Last value of each metric, with its event time and log seq. */
  readings: Record<string, { value: number; time: number; seq: number }>
  /** Last value of each key the device reported in `state` messages. */
  state: Record<string, { value: StateValue; time: number; seq: number }>
}

export interface LiveStateOptions {
  deviceIds: readonly string[]
  now?: () => number
  /** Read at construction so a restart does not blank the technician's view. */
  log?: EventLog | undefined
  /** How many of the newest log events to read at construction (default 5000). */
  warmupEvents?: number
  /** Cleared alarms kept for `GET /api/alarms?state=all` (default 100). */
  clearedKept?: number
}

/**
 * What the technician sees as "now": the last reading and state of each device, whether
 * it has a live MQTT session, and recently cleared alarms. Fed the same committed events
 * as the rules, so it never shows a reading a crash could take back.
 */
export class LiveState {
  private readonly devices = new Map<string, DeviceLiveState>()
  /** Per session: the broker's client object, so a takeover's disconnect does not mark the device offline. */
  private readonly sessions = new Map<string, object>()
  private readonly cleared = new Map<string, { change: AlarmChange; time: number; seq: number }>()
  private readonly now: () => number
  private readonly clearedKept: number

  constructor(opts: LiveStateOptions) {
    this.now = opts.now ?? Date.now
    this.clearedKept = opts.clearedKept ?? 100
    for (const id of opts.deviceIds) this.devices.set(id, { online: false, lastSeenAt: null, readings: {}, state: {} })
    if (opts.log) {
      const n = opts.warmupEvents ?? 5000
      this.handle(opts.log.read(Math.max(0, opts.log.lastSeq() - n), n))
    }
  }

  handle(events: readonly LogEvent[]): void {
    for (const e of events) {
      if (e.kind === 'alarm') this.alarmChanged(e.body, e.time, e.seq)
      const d = this.devices.get(e.deviceId)
      if (!d) continue
      d.lastSeenAt = Math.max(d.lastSeenAt ?? 0, e.receivedAt)
      if (e.kind === 'telemetry')
        for (const [metric, value] of Object.entries(e.body.readings)) d.readings[metric] = { value, time: e.time, seq: e.seq }
      else if (e.kind === 'state')
        for (const [key, value] of Object.entries(e.body.state)) d.state[key] = { value, time: e.time, seq: e.seq }
    }
  }

  /** The broker's session changes (see DeviceBrokerOptions.onDeviceLink). */
  onLink = (deviceId: string, change: 'connected' | 'commandsReady' | 'disconnected', connection: object): void => {
    const d = this.devices.get(deviceId)
    if (!d) return
    if (change === 'connected') this.sessions.set(deviceId, connection)
    else if (change === 'disconnected' && this.sessions.get(deviceId) === connection) this.sessions.delete(deviceId)
    else return
    d.online = this.sessions.has(deviceId)
    d.lastSeenAt = this.now()
  }

  device(deviceId: string): DeviceLiveState | undefined {
    const d = this.devices.get(deviceId)
    return d && structuredClone(d)
  }

  all(): Record<string, DeviceLiveState> {
    return Object.fromEntries([...this.devices].map(([id, d]) => [id, structuredClone(d)]))
  }

  /** The last change of each recently cleared alarm, newest first. */
  recentlyCleared(): { change: AlarmChange; time: number; seq: number }[] {
    return [...this.cleared.values()].reverse().map((c) => structuredClone(c))
  }

  private alarmChanged(change: AlarmChange, time: number, seq: number): void {
    this.cleared.delete(change.alarmId)
    if (change.state !== 'cleared') return
    this.cleared.set(change.alarmId, { change, time, seq })
    // Map order is insertion order: the first key is the oldest.
    if (this.cleared.size > this.clearedKept) this.cleared.delete(this.cleared.keys().next().value!)
  }
}

import type { Logger } from 'pino'
import type { LogEvent } from '@tendero/protocol'
import type { RelaySwitch } from './kinds.js'

/** What the guard remembers per device and relay; plain JSON, persisted with the rule state. */
export interface RelayRecord {
  /** Last known position: commanded by us or reported by the device; null = unknown. */
  on: boolean | null
  /** Gateway time it took that position. */
  since: number
  /** A command waiting for the minimum on/off time; the newest request replaces it. */
  pending: { on: boolean; ruleId: string; requestedAt: number } | null
  /**
   * The position the rules last asked for. A device that reports another one (its
   * fail-safe ran during an outage, it rebooted) is switched back, within the guard.
   */
  desired?: { on: boolean; ruleId: string } | null
}
export type RelayGuardState = Record<string, RelayRecord>

export interface RelayPolicy {
  minOnMs: number
  minOffMs: number
}

export interface RelayGuardOptions {
  state: RelayGuardState
  policies: ReadonlyMap<string, RelayPolicy>
  now: () => number
  send(deviceId: string, relay: string, on: boolean, ruleId: string): Promise<void>
  logger: Logger
  /** Something changed that should be persisted. */
  onChange(): void
}

export const relayKey = (deviceId: string, relay: string) => `${deviceId}/${relay}`

/**
 * Minimum on and off times per device relay, to protect compressors and pumps from
 * short cycling. A request that would switch the relay too soon is kept as `pending` and
 * sent by `tick()` once allowed; a newer request replaces it (latest intent wins), and a
 * request for the position the relay already has cancels it.
 */
export class RelayGuard implements RelaySwitch {
  constructor(private readonly opts: RelayGuardOptions) {}

  /** When a switch to `on` is allowed (epoch ms); now or earlier means at once. */
  allowedAt(deviceId: string, relay: string, on: boolean): number {
    const rec = this.opts.state[relayKey(deviceId, relay)]
    const policy = this.opts.policies.get(relayKey(deviceId, relay))
    if (!rec || rec.on === null || rec.on === on || !policy) return 0
    return rec.since + (rec.on ? policy.minOnMs : policy.minOffMs)
  }

  async request(deviceId: string, relay: string, on: boolean, ruleId: string): Promise<'sent' | 'deferred'> {
    const now = this.opts.now()
    const key = relayKey(deviceId, relay)
    const rec = (this.opts.state[key] ??= { on: null, since: now, pending: null })
    rec.desired = { on, ruleId }
    const at = this.allowedAt(deviceId, relay, on)
    if (at > now) {
      rec.pending = { on, ruleId, requestedAt: now }
      this.opts.onChange()
      this.opts.logger.info({ deviceId, relay, on, ruleId, allowedAt: at }, 'relay command deferred by minimum on/off time')
      return 'deferred'
    }
    rec.pending = null
    await this.switch(deviceId, relay, on, ruleId, now)
    return 'sent'
  }

  /** Sends pending commands whose time has come; returns the sends in flight. */
  tick(): Promise<void>[] {
    const now = this.opts.now()
    const sends: Promise<void>[] = []
    for (const [key, rec] of Object.entries(this.opts.state)) {
      if (!rec.pending) continue
      const [deviceId, relay] = key.split('/') as [string, string]
      if (this.allowedAt(deviceId, relay, rec.pending.on) > now) continue
      const { on, ruleId } = rec.pending
      rec.pending = null
      sends.push(this.switch(deviceId, relay, on, ruleId, now))
    }
    return sends
  }

  /**
   * Learns positions the device reports, so a switch by hand or by fail-safe restarts the
   * clock; a position other than the rules' wish is queued to be switched back, which
   * `tick()` sends once the minimum time allows (never a short cycle).
   */
  observe(event: LogEvent): void {
    if (event.kind !== 'state') return
    for (const [relay, value] of Object.entries(event.body.state)) {
      if (typeof value !== 'boolean') continue
      const key = relayKey(event.deviceId, relay)
      if (!this.opts.state[key] && !this.opts.policies.has(key)) continue
      const rec = (this.opts.state[key] ??= { on: null, since: 0, pending: null })
      if (rec.on !== value) {
        rec.on = value
        rec.since = this.opts.now()
        if (rec.pending?.on === value) rec.pending = null
        this.opts.onChange()
      }
      const desired = rec.desired
      if (desired && desired.on !== value && !rec.pending) {
        rec.pending = { on: desired.on, ruleId: desired.ruleId, requestedAt: this.opts.now() }
        this.opts.onChange()
        this.opts.logger.warn({ deviceId: event.deviceId, relay, reported: value, wanted: desired.on, ruleId: desired.ruleId },
          'device reports a relay position the rules did not ask for; switching it back when allowed')
      }
    }
  }

  private async switch(deviceId: string, relay: string, on: boolean, ruleId: string, now: number): Promise<void> {
    const rec = this.opts.state[relayKey(deviceId, relay)]!
    // Re-asserting the current position does not restart its minimum time.
    if (rec.on !== on) {
      rec.on = on
      rec.since = now
    }
    this.opts.onChange()
    await this.opts.send(deviceId, relay, on, ruleId)
  }
}

import type { Logger } from 'pino'
import { SEVERITIES, type AlarmChange, type LogEventKind, type Severity } from '@tendero/protocol'
import { GatewayError } from '../errors.js'
import type { StateStore } from '../rules/state-store.js'
import type { AlarmPolicy } from './policy.js'

export type { AlarmPolicy } from './policy.js'

/** An alarm that is raised or acknowledged; cleared ones leave this list (their history is in the log). */
export interface ActiveAlarm {
  alarmId: string
  ruleId: string
  deviceId: string
  severity: Severity
  state: 'raised' | 'acknowledged'
  message: string
  value?: number | undefined
  /** Escalations so far; 0 when raised. */
  level: number
  raisedAt: number
  updatedAt: number
  /** When it was raised or last escalated: the escalation clock runs from here. */
  escalatedAt: number
  acknowledgedAt?: number | undefined
  acknowledgedBy?: string | undefined
  /** The rule's alarm policy when it was raised, so escalation survives a restart or a config change. */
  policy: AlarmPolicy
}

export interface AlarmServiceOptions {
  now: () => number
  logger: Logger
  /** Appends events to the durable log (and feeds them to whoever follows it). */
  record(events: { kind: LogEventKind; deviceId: string; body: unknown }[]): Promise<void>
  store?: StateStore | undefined
  /** How often escalations are checked. */
  tickMs?: number
}

const STORE_KEY = 'alarms'
const DEFAULT_MAX_LEVEL = 3
const SEVERITY_RANK = new Map(SEVERITIES.map((s, i) => [s, i]))

/**
 * Alarm lifecycle on site: raised → acknowledged → cleared, at most one active alarm per
 * rule and device (`<ruleId>:<deviceId>`). Every transition is a protocol `alarm` event in
 * the log before the call returns, and the active set is persisted, so alarms, their
 * acknowledgements and their escalation clocks survive a restart and need no cloud.
 */
export class AlarmService {
  private readonly active: Record<string, ActiveAlarm>
  private readonly inFlight = new Set<Promise<void>>()
  private timer: NodeJS.Timeout | undefined

  constructor(private readonly opts: AlarmServiceOptions) {
    this.active = opts.store?.load<Record<string, ActiveAlarm>>(STORE_KEY) ?? {}
    opts.store?.register(STORE_KEY, () => this.active)
  }

  start(): void {
    this.timer ??= setInterval(() => this.tick(), this.opts.tickMs ?? 5000)
    this.timer.unref()
  }

  async stop(): Promise<void> {
    clearInterval(this.timer)
    this.timer = undefined
    await this.settled()
  }

  /** Resolves when every log write started so far has finished. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight])
  }

  /** Active alarms, most severe first, then oldest first. */
  list(): ActiveAlarm[] {
    return Object.values(this.active)
      .map((a) => structuredClone(a))
      .sort((a, b) => SEVERITY_RANK.get(b.severity)! - SEVERITY_RANK.get(a.severity)! || a.raisedAt - b.raisedAt)
  }

  get(alarmId: string): ActiveAlarm | undefined {
    const a = this.active[alarmId]
    return a && structuredClone(a)
  }

  /** Raises the rule's alarm for the device; a no-op while one is already active. */
  async raise(input: { ruleId: string; deviceId: string; value?: number | undefined; policy: AlarmPolicy }): Promise<void> {
    const alarmId = `${input.ruleId}:${input.deviceId}`
    if (this.active[alarmId]) return
    const now = this.opts.now()
    const alarm: ActiveAlarm = {
      alarmId,
      ruleId: input.ruleId,
      deviceId: input.deviceId,
      severity: input.policy.severity,
      state: 'raised',
      message: input.policy.message,
      ...(input.value !== undefined ? { value: input.value } : {}),
      level: 0,
      raisedAt: now,
      updatedAt: now,
      escalatedAt: now,
      policy: input.policy,
    }
    this.active[alarmId] = alarm
    await this.log(alarm, 'raised')
  }

  /** The rule's condition recovered; clears the alarm if it is active. */
  async clearByRule(alarmId: string, value?: number): Promise<void> {
    const alarm = this.active[alarmId]
    if (!alarm) return
    if (value !== undefined) alarm.value = value
    await this.clearActive(alarm, 'rule')
  }

  /** A person has seen it: stops escalation. Acknowledging twice keeps the first. */
  async acknowledge(alarmId: string, by: string): Promise<ActiveAlarm> {
    const alarm = this.mustGet(alarmId)
    if (alarm.state === 'acknowledged') return structuredClone(alarm)
    const now = this.opts.now()
    Object.assign(alarm, { state: 'acknowledged', acknowledgedAt: now, acknowledgedBy: by, updatedAt: now })
    await this.log(alarm, 'acknowledged', by)
    return structuredClone(alarm)
  }

  /** Clears it by hand (also a latched alarm, `autoClear: false`). */
  async clear(alarmId: string, by: string): Promise<ActiveAlarm> {
    const alarm = this.mustGet(alarmId)
    await this.clearActive(alarm, by)
    return { ...structuredClone(alarm), updatedAt: this.opts.now() }
  }

  /** Escalates raised alarms nobody acknowledged within their policy's time. */
  tick(): void {
    const now = this.opts.now()
    for (const alarm of Object.values(this.active)) {
      const { escalateAfterMinutes, escalateSeverity, notify } = alarm.policy
      if (alarm.state !== 'raised' || escalateAfterMinutes === undefined) continue
      if (alarm.level >= (alarm.policy.maxLevel ?? DEFAULT_MAX_LEVEL)) continue
      if (now - alarm.escalatedAt < escalateAfterMinutes * 60_000) continue
      alarm.level += 1
      alarm.escalatedAt = now
      alarm.updatedAt = now
      if (escalateSeverity) alarm.severity = SEVERITIES[Math.min(SEVERITY_RANK.get(alarm.severity)! + 1, SEVERITIES.length - 1)]!
      this.opts.logger.warn({ alarmId: alarm.alarmId, deviceId: alarm.deviceId, level: alarm.level, severity: alarm.severity }, 'alarm escalated')
      const events: { kind: LogEventKind; deviceId: string; body: unknown }[] = [this.changeEvent(alarm, 'raised')]
      if (notify)
        events.push({
          kind: 'notify',
          deviceId: alarm.deviceId,
          body: {
            channel: notify.channel,
            audience: notify.audience,
            message: `Alarma sin reconocer, nivel ${alarm.level} / Unacknowledged alarm, level ${alarm.level}: ${alarm.message}`,
            alarmId: alarm.alarmId,
          },
        })
      this.track(this.opts.record(events)).catch((err) =>
        this.opts.logger.error({ err, alarmId: alarm.alarmId, deviceId: alarm.deviceId }, 'alarm escalation not logged'),
      )
    }
  }

  private mustGet(alarmId: string): ActiveAlarm {
    const alarm = this.active[alarmId]
    if (!alarm) throw new GatewayError('ALARM_ERR_NOT_FOUND', `no active alarm "${alarmId}"`, { alarmId })
    return alarm
  }

  private async clearActive(alarm: ActiveAlarm, by: string): Promise<void> {
    delete this.active[alarm.alarmId]
    await this.log(alarm, 'cleared', by)
  }

  private changeEvent(alarm: ActiveAlarm, state: AlarmChange['state'], by?: string) {
    const body: AlarmChange = {
      alarmId: alarm.alarmId,
      ruleId: alarm.ruleId,
      deviceId: alarm.deviceId,
      severity: alarm.severity,
      state,
      message: alarm.message,
      ...(alarm.value !== undefined ? { value: alarm.value } : {}),
      level: alarm.level,
      ...(by !== undefined ? { by } : {}),
    }
    return { kind: 'alarm' as const, deviceId: alarm.deviceId, body }
  }

  // State first, then the log: a second raise in the same tick already sees this one.
  private async log(alarm: ActiveAlarm, state: AlarmChange['state'], by?: string): Promise<void> {
    this.opts.store?.changed()
    this.opts.logger.warn({ alarmId: alarm.alarmId, deviceId: alarm.deviceId, state, by, level: alarm.level }, 'alarm %s', state)
    await this.track(this.opts.record([this.changeEvent(alarm, state, by)]))
  }

  private track(p: Promise<void>): Promise<void> {
    const run = p.finally(() => this.inFlight.delete(run))
    this.inFlight.add(run)
    this.opts.store?.changed()
    return run
  }
}

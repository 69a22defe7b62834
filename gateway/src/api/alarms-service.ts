import type { AlarmState, Severity } from '@tendero/protocol'
import type { ActiveAlarm, AlarmPolicy, AlarmService } from '../alarms/alarms.js'
import { GATEWAY_DEVICE } from '../rules/kinds.js'
import { ApiError } from './errors.js'
import type { LiveState } from './live-state.js'

export interface AlarmView {
  alarmId: string
  ruleId: string
  deviceId: string
  severity: Severity
  state: AlarmState
  message: string
  value?: number | undefined
  level: number
  /** Unknown for a cleared alarm seen only in the log's recent history. */
  raisedAt?: number | undefined
  updatedAt: number
  acknowledgedAt?: number | undefined
  acknowledgedBy?: string | undefined
  /** `rule` when the condition recovered, else who cleared it. */
  clearedBy?: string | undefined
}

/** An alarm raised from outside the rules (Node-RED, a script): `key` names the condition. */
export interface ExternalAlarm extends Omit<AlarmPolicy, 'autoClear'> {
  key: string
  deviceId: string
  value?: number | undefined
}

/**
 * Rule ids cannot contain a dot, so `ext.<key>` never collides with a rule's alarms,
 * whatever rules a technician adds later.
 */
export const EXTERNAL_ALARM_PREFIX = 'ext.'

export type AlarmFilter = 'active' | 'raised' | 'acknowledged' | 'all'

const view = (a: ActiveAlarm): AlarmView => ({
  alarmId: a.alarmId,
  ruleId: a.ruleId,
  deviceId: a.deviceId,
  severity: a.severity,
  state: a.state,
  message: a.message,
  ...(a.value !== undefined ? { value: a.value } : {}),
  level: a.level,
  raisedAt: a.raisedAt,
  updatedAt: a.updatedAt,
  ...(a.acknowledgedAt !== undefined ? { acknowledgedAt: a.acknowledgedAt, acknowledgedBy: a.acknowledgedBy } : {}),
})

/** The technician's alarm desk over the gateway's AlarmService: list, acknowledge, clear. */
export class AlarmsDesk {
  private readonly deviceIds: Set<string>

  constructor(
    private readonly alarms: AlarmService,
    private readonly live: LiveState,
    deviceIds: readonly string[] = [],
  ) {
    this.deviceIds = new Set([...deviceIds, GATEWAY_DEVICE])
  }

  /**
   * Raises `ext.<key>:<deviceId>`. Raising one that is already active changes nothing and
   * answers it as it is (`created: false`), so a flow may repeat itself safely.
   */
  async raise(input: ExternalAlarm): Promise<{ alarm: AlarmView; created: boolean }> {
    if (!this.deviceIds.has(input.deviceId))
      throw new ApiError('DEVICE_ERR_NOT_FOUND', 404, `no device "${input.deviceId}" in this site (or "${GATEWAY_DEVICE}")`, {
        path: '/deviceId',
      })
    const { key, deviceId, value, ...policy } = input
    const ruleId = `${EXTERNAL_ALARM_PREFIX}${key}`
    const alarmId = `${ruleId}:${deviceId}`
    const existing = this.alarms.get(alarmId)
    if (existing) return { alarm: view(existing), created: false }
    // Nothing clears it on its own: there is no rule to re-arm.
    await this.alarms.raise({ ruleId, deviceId, value, policy: { ...policy, autoClear: false } })
    return { alarm: view(this.mustGet(alarmId)), created: true }
  }

  /** `active` (default): raised or acknowledged. `all` adds recently cleared ones, newest first. */
  list(filter: AlarmFilter): AlarmView[] {
    const active = this.alarms.list().map(view)
    if (filter === 'raised' || filter === 'acknowledged') return active.filter((a) => a.state === filter)
    if (filter === 'active') return active
    const activeIds = new Set(active.map((a) => a.alarmId))
    const cleared = this.live
      .recentlyCleared()
      .filter((c) => !activeIds.has(c.change.alarmId))
      .map(({ change, time }): AlarmView => ({
        alarmId: change.alarmId,
        ruleId: change.ruleId,
        deviceId: change.deviceId,
        severity: change.severity,
        state: 'cleared',
        message: change.message,
        ...(change.value !== undefined ? { value: change.value } : {}),
        level: change.level ?? 0,
        updatedAt: time,
        ...(change.by !== undefined ? { clearedBy: change.by } : {}),
      }))
    return [...active, ...cleared]
  }

  /** 404 when it is not active, 409 when someone already acknowledged it. */
  async acknowledge(alarmId: string, by: string): Promise<AlarmView> {
    const current = this.mustGet(alarmId)
    if (current.state === 'acknowledged')
      throw new ApiError(
        'ALARM_ERR_ALREADY_ACKNOWLEDGED',
        409,
        `alarm "${alarmId}" was already acknowledged by ${current.acknowledgedBy ?? 'someone'}`,
      )
    return view(await this.alarms.acknowledge(alarmId, by))
  }

  async clear(alarmId: string, by: string): Promise<AlarmView> {
    this.mustGet(alarmId)
    const cleared = await this.alarms.clear(alarmId, by)
    return { ...view(cleared), state: 'cleared', clearedBy: by }
  }

  private mustGet(alarmId: string): ActiveAlarm {
    const alarm = this.alarms.get(alarmId)
    if (!alarm) throw new ApiError('ALARM_ERR_NOT_FOUND', 404, `no active alarm "${alarmId}"`)
    return alarm
  }
}

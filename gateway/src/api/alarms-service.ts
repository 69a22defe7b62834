import type { AlarmState, Severity } from '@tendero/protocol'
import type { ActiveAlarm, AlarmService } from '../alarms/alarms.js'
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
  constructor(
    private readonly alarms: AlarmService,
    private readonly live: LiveState,
  ) {}

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

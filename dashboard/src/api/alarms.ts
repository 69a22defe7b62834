// The organization's alarms (GET /api/alarms) and acting on one (POST .../ack|clear), cloud alarms module.
import { apiRequest } from './client.js'
import type { Page } from './sites.js'
import type { Alarm, Severity } from './types.js'

/** A cloud user who acted on an alarm. */
export interface AlarmActor {
  id: string
  name: string
}

/** An alarm of the org-wide list: the site's alarm item with its site and who acted. */
export interface OrgAlarm extends Alarm {
  siteId: string
  siteName: string
  /** Who asked to acknowledge it from the cloud, and when; null when nobody did. */
  acknowledgedBy?: AlarmActor | null
  acknowledgedAt?: number | null
  clearedBy?: AlarmActor | null
}

export type AlarmStateFilter = 'active' | 'raised' | 'acknowledged' | 'cleared' | 'all'

export interface OrgAlarmsQuery {
  state?: AlarmStateFilter
  severity?: Severity
  siteId?: string
  limit?: number
  cursor?: string | null
}

/** One page, newest change first. */
export function fetchOrgAlarms(query: OrgAlarmsQuery = {}): Promise<Page<OrgAlarm>> {
  return apiRequest<Page<OrgAlarm>>('/api/alarms', { query: { ...query } })
}

export type AlarmAction = 'ack' | 'clear'

/** The command the cloud sent (or will send) to the gateway; the alarm changes when the gateway applies it. */
export interface AlarmCommand {
  commandId: string
  siteId: string
  alarmId: string
  action: AlarmAction
  gatewayId: string
  /** `sent`: on its way; `pending`: the gateway is offline and gets it when it reconnects. */
  status: string
  gatewayOnline: boolean
  by: string
  createdAt: number
  expiresAt: number
  result: string | null
}

/** Acknowledges or clears on the gateway; 202 with the command (ApiError 409 when it already is). */
export function requestAlarmAction(siteId: string, alarmId: string, action: AlarmAction): Promise<AlarmCommand> {
  return apiRequest<AlarmCommand>(`/api/sites/${encodeURIComponent(siteId)}/alarms/${encodeURIComponent(alarmId)}/${action}`, {
    method: 'POST',
    body: {},
  })
}

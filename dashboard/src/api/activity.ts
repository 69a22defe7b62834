// The activity feed: the sites' gateway log events, newest first (GET /api/activity, cloud sites module).
import { apiRequest } from './client.js'
import type { Page } from './sites.js'

/** The feed's filters, as the cloud names them (`command` brings the devices' answers too). */
export const ACTIVITY_KINDS = ['alarm', 'state', 'access', 'command', 'event', 'payment'] as const
export type ActivityKind = (typeof ACTIVITY_KINDS)[number]

/**
 * One gateway log event: `kind` is the log kind (alarm, state, access, command, ack,
 * event, payment) and `body` what the gateway logged (@tendero/protocol LogEvent).
 * (gatewayId, seq) identifies it.
 */
export interface ActivityItem {
  siteId: string
  siteName: string
  gatewayId: string
  seq: number
  kind: string
  deviceId: string
  time: number
  body: unknown
}

export interface ActivityQuery {
  siteId?: string
  kind?: ActivityKind
  limit?: number
  cursor?: string | null
}

export function fetchActivity(query: ActivityQuery = {}): Promise<Page<ActivityItem>> {
  return apiRequest<Page<ActivityItem>>('/api/activity', { query: { ...query } })
}

import { randomBytes } from 'node:crypto'
import type { AlarmNotice, GatewayNotice, SiteInfo } from './messages.js'
import type { OutboxRow } from './tables.js'

/**
 * Outgoing webhooks: what an organization's endpoint receives. The body is JSON,
 *
 *     { "id": "evt_42", "type": "alarm.raised", "createdAt": 1763740000000,
 *       "organizationId": "…", "siteId": "…", "siteName": "Sucursal Palermo", "data": { … } }
 *
 * `id` is the same for every delivery and retry of one event (a receiver dedups on it);
 * the `Tendero-Delivery` header names the delivery. `data` is the alarm (as the sites API
 * returns it, plus `level`) or the gateway's notice. Signed as signature.ts describes.
 */

export const WEBHOOK_EVENTS = ['alarm.raised', 'alarm.escalated', 'notify'] as const
export type WebhookEventType = (typeof WEBHOOK_EVENTS)[number]

/** 32 random bytes, prefixed so a leaked one is recognisable in logs and scanners. */
export const newWebhookSecret = (): string => `whsec_${randomBytes(32).toString('base64url')}`

export function webhookBody(row: OutboxRow, type: WebhookEventType, site: SiteInfo): string {
  const data =
    row.kind === 'alarm'
      ? { ...(row.payload as AlarmNotice).alarm, level: (row.payload as AlarmNotice).level }
      : { deviceId: (row.payload as GatewayNotice).deviceId, time: (row.payload as GatewayNotice).time, ...(row.payload as GatewayNotice).notice }
  return JSON.stringify({
    id: `evt_${row.id}`,
    type,
    createdAt: row.created_at.getTime(),
    organizationId: row.org_id,
    siteId: row.site_id,
    siteName: site.name,
    data,
  })
}

import { randomBytes } from 'node:crypto'
import http from 'node:http'
import https from 'node:https'
import { DeliveryError, type DeliveryResult } from './channels.js'
import type { AlarmNotice, GatewayNotice, SiteInfo } from './messages.js'
import { SIGNATURE_HEADER, signWebhook } from './signature.js'
import type { OutboxRow } from './tables.js'
import { ForbiddenTarget, pinnedLookup, vetWebhookUrl } from './url-guard.js'

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

export interface WebhookDeliveryOptions {
  /** WEBHOOK_ALLOW_PRIVATE: let the URL reach internal addresses (tests, demos on 127.0.0.1). */
  allowPrivate: boolean
  timeoutMs?: number
  now?: number
}

const WEBHOOK_TIMEOUT_MS = 10_000

/**
 * One webhook request, vetted again at send time (url-guard.ts): the URL's host is
 * resolved now, every address checked, and the socket connects to the address that passed,
 * whatever a second resolution would say. An internal target is a failed delivery that
 * retrying cannot fix (`WEBHOOK_URL_FORBIDDEN: …` in the delivery log), never a throw that
 * escapes the worker. Signed at send time, so every retry has a fresh timestamp; a
 * redirect is not followed (the receiver must give its final URL).
 */
export async function deliverWebhook(
  rawUrl: string,
  secret: string,
  body: string,
  headers: Record<string, string>,
  opts: WebhookDeliveryOptions,
): Promise<DeliveryResult> {
  let target: Awaited<ReturnType<typeof vetWebhookUrl>>
  try {
    target = await vetWebhookUrl(rawUrl, { allowPrivate: opts.allowPrivate })
  } catch (err) {
    if (err instanceof ForbiddenTarget) throw new DeliveryError(`WEBHOOK_URL_FORBIDDEN: ${err.message}`, undefined, false)
    // DNS that fails today may answer tomorrow: retried like any network error.
    throw new DeliveryError((err as Error).message)
  }
  const signed = { ...headers, [SIGNATURE_HEADER]: signWebhook(secret, body, opts.now ?? Date.now()) }
  const statusCode = await postPinned(target.url, target.address, body, signed, opts.timeoutMs ?? WEBHOOK_TIMEOUT_MS)
  if (statusCode >= 200 && statusCode < 300) return { statusCode }
  // Receivers answer 4xx while they deploy too, so every status is retried but 410 Gone.
  throw new DeliveryError(`HTTP ${statusCode}`, statusCode, statusCode !== 410)
}

/** POSTs with node:http(s) so the connection can be pinned; resolves with the status. */
function postPinned(
  url: URL,
  address: { address: string; family: 4 | 6 } | undefined,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<number> {
  const client = url.protocol === 'https:' ? https : http
  return new Promise((resolve, reject) => {
    const req = client.request(
      url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'user-agent': 'Tendero-Notifications/1', ...headers },
        // No keep-alive pool: a pooled socket would outlive the address it was vetted for.
        agent: false,
        ...(address ? { lookup: pinnedLookup(address) } : {}),
        timeout: timeoutMs,
      },
      (res) => {
        // Drain the body so the socket closes; a receiver's text is not ours to keep.
        res.resume()
        res.on('end', () => resolve(res.statusCode ?? 0))
        res.on('error', () => resolve(res.statusCode ?? 0))
      },
    )
    req.on('timeout', () => req.destroy(new Error(`ETIMEDOUT after ${timeoutMs} ms`)))
    req.on('error', (err: NodeJS.ErrnoException) => reject(new DeliveryError(`HTTP: ${err.code ?? err.message}`)))
    req.end(body)
  })
}

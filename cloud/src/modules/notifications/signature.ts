import { createHmac, timingSafeEqual } from 'node:crypto'

/**
 * Webhook signatures, for Tendero and for the integrators who receive them.
 *
 * Every webhook request carries
 *
 *     Tendero-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>
 *
 * where the HMAC is keyed with the webhook's secret (shown once, when the webhook is
 * created) and computed over `${t}.${rawBody}`: the timestamp, a dot, and the request body
 * exactly as received (verify before parsing the JSON; a re-serialised body will not
 * match). A receiver recomputes it, compares in constant time, and refuses a timestamp
 * more than 5 minutes from its own clock, so a captured request cannot be replayed later.
 * Each retry is signed afresh with its own timestamp. Several `v1=` entries may appear
 * (while a secret is being rotated); any one matching is enough.
 */

export const SIGNATURE_HEADER = 'Tendero-Signature'
/** How far the signed timestamp may be from the receiver's clock, either way. */
export const SIGNATURE_TOLERANCE_S = 5 * 60

export function computeSignature(secret: string, timestamp: number, body: string | Buffer): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex')
}

/** The header value for `body` signed at `now` (epoch ms). */
export function signWebhook(secret: string, body: string, now = Date.now()): string {
  const t = Math.floor(now / 1000)
  return `t=${t},v1=${computeSignature(secret, t, body)}`
}

export type SignatureVerdict =
  | { ok: true; timestamp: number }
  | { ok: false; reason: 'missing_header' | 'malformed_header' | 'stale_timestamp' | 'bad_signature' }

/**
 * Checks a `Tendero-Signature` header against the raw body. `now` is epoch ms (the
 * receiver's clock); `toleranceS` defaults to 5 minutes. Never throws.
 */
export function verifyWebhookSignature(
  secret: string,
  header: string | string[] | undefined | null,
  body: string | Buffer,
  now = Date.now(),
  toleranceS = SIGNATURE_TOLERANCE_S,
): SignatureVerdict {
  const value = Array.isArray(header) ? header[0] : header
  if (!value) return { ok: false, reason: 'missing_header' }
  let timestamp: number | undefined
  const signatures: string[] = []
  for (const part of value.split(',')) {
    const eq = part.indexOf('=')
    if (eq < 0) continue
    const key = part.slice(0, eq).trim()
    const val = part.slice(eq + 1).trim()
    if (key === 't' && /^\d{1,12}$/.test(val)) timestamp = Number(val)
    else if (key === 'v1' && /^[0-9a-f]{64}$/i.test(val)) signatures.push(val.toLowerCase())
  }
  if (timestamp === undefined || signatures.length === 0) return { ok: false, reason: 'malformed_header' }
  if (Math.abs(now / 1000 - timestamp) > toleranceS) return { ok: false, reason: 'stale_timestamp' }
  const expected = Buffer.from(computeSignature(secret, timestamp, body), 'hex')
  const match = signatures.some((s) => timingSafeEqual(Buffer.from(s, 'hex'), expected))
  return match ? { ok: true, timestamp } : { ok: false, reason: 'bad_signature' }
}

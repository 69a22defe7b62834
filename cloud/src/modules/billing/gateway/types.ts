import { AppError } from '../../../errors.js'

/**
 * A payment provider's webhooks, normalized. An adapter verifies a notification the way the
 * provider signs it and turns it into an event; the receiver (service.ts) records the event
 * once per provider event id and, for a settled payment, books it.
 */
export interface WebhookRequest {
  headers: Record<string, string | string[] | undefined>
  /** The exact bytes received, as text: Stripe signs them. */
  rawBody: string
  body: unknown
  query: Record<string, string | undefined>
}

export interface NormalizedPayment {
  /** The provider's id of the payment (payment intent, MP payment id): one payment each. */
  providerPaymentId: string
  /** Minor units (cents, centavos). */
  amountMinor: number
  currency: string
  /** settled payments are booked; others are only recorded. */
  status: 'settled' | 'pending' | 'failed'
  /** What the merchant put on the checkout: our invoice id or number. */
  invoiceRef: string | null
  contactRef: string | null
  paidOn: string
}

export interface ParsedEvent {
  eventId: string
  type: string
  payment: NormalizedPayment | null
  /** Mercado Pago notifications carry only the payment's id; its details are fetched. */
  fetchPaymentId?: string
}

export interface GatewayAccountSecrets {
  secret: string
  accessToken: string | null
}

export interface PaymentGateway {
  readonly provider: 'mercadopago' | 'stripe'
  /** Throws WEBHOOK_* errors (4xx) unless the notification is signed with `secret` within the tolerance. */
  verify(req: WebhookRequest, secret: string, now: Date): void
  parse(req: WebhookRequest): ParsedEvent
}

/** Providers sign a timestamp; older (or further ahead) than this is refused as a replay. */
export const TOLERANCE_SECONDS = 300

export const badSignatureHeader = (detail: string): AppError => new AppError('WEBHOOK_SIGNATURE_MISSING', 400, detail)
export const badSignature = (): AppError => new AppError('WEBHOOK_SIGNATURE_INVALID', 401, 'the signature does not match the notification')
export const staleSignature = (): AppError =>
  new AppError('WEBHOOK_TIMESTAMP_STALE', 400, `the signed timestamp is more than ${TOLERANCE_SECONDS} s from now (a replay, or a wrong clock)`)
export const badPayload = (detail: string): AppError => new AppError('WEBHOOK_BAD_PAYLOAD', 400, detail)

export const header = (req: WebhookRequest, name: string): string | undefined => {
  const v = req.headers[name.toLowerCase()]
  return Array.isArray(v) ? v[0] : v
}

/** A decimal amount ("1210.5", 1210.5) in minor units, without float arithmetic. */
export function decimalToMinor(value: number | string, exponent: number): number {
  const s = typeof value === 'number' ? value.toFixed(exponent + 2) : value.trim()
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(s)
  if (!m) throw badPayload(`amount "${s}" is not a decimal`)
  const frac = (m[3] ?? '').padEnd(exponent + 1, '0')
  let minor = BigInt(m[2]!) * 10n ** BigInt(exponent) + BigInt(frac.slice(0, exponent) || '0')
  if (Number(frac[exponent] ?? '0') >= 5) minor += 1n
  const n = Number(minor)
  return m[1] ? -n : n
}

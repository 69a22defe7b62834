import { createHmac, timingSafeEqual } from 'node:crypto'
import { isCurrency } from '../../common/money.js'
import { isoDay } from '../util.js'
import { badPayload, badSignature, badSignatureHeader, header, staleSignature, TOLERANCE_SECONDS, type ParsedEvent, type PaymentGateway, type WebhookRequest } from './types.js'

/**
 * Stripe: `Stripe-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>...]` where each v1 is
 * HMAC-SHA256(endpoint secret, `${t}.${raw body}`); any v1 matching (several during a
 * secret roll) is enough. Compared in constant time; t must be within 5 minutes of now.
 */
export function stripeSignature(secret: string, t: number, rawBody: string): string {
  return createHmac('sha256', secret).update(`${t}.${rawBody}`, 'utf8').digest('hex')
}

export function safeEqualHex(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8')
  const y = Buffer.from(b, 'utf8')
  return x.length === y.length && timingSafeEqual(x, y)
}

interface StripeObject {
  id?: string
  object?: string
  amount?: number
  amount_received?: number
  amount_total?: number
  currency?: string
  status?: string
  payment_status?: string
  payment_intent?: string | null
  client_reference_id?: string | null
  metadata?: Record<string, string>
  created?: number
}

export const stripeGateway: PaymentGateway = {
  provider: 'stripe',
  verify(req: WebhookRequest, secret: string, now: Date): void {
    const h = header(req, 'stripe-signature')
    if (!h) throw badSignatureHeader('Stripe-Signature header is missing')
    let t: number | undefined
    const v1: string[] = []
    for (const part of h.split(',')) {
      const i = part.indexOf('=')
      if (i < 0) continue
      const k = part.slice(0, i).trim()
      const v = part.slice(i + 1).trim()
      if (k === 't' && /^\d{1,12}$/.test(v)) t = Number(v)
      else if (k === 'v1') v1.push(v)
    }
    if (t === undefined || v1.length === 0) throw badSignatureHeader('Stripe-Signature has no t= timestamp or no v1= signature')
    const expected = stripeSignature(secret, t, req.rawBody)
    if (!v1.some((s) => safeEqualHex(s.toLowerCase(), expected))) throw badSignature()
    if (Math.abs(now.getTime() / 1000 - t) > TOLERANCE_SECONDS) throw staleSignature()
  },
  parse(req: WebhookRequest): ParsedEvent {
    const body = req.body as { id?: string; type?: string; created?: number; data?: { object?: StripeObject } } | null
    if (!body || typeof body.id !== 'string' || typeof body.type !== 'string') throw badPayload('not a Stripe event (id, type)')
    const o = body.data?.object ?? {}
    const paidOn = isoDay(new Date((o.created ?? body.created ?? Date.now() / 1000) * 1000))
    let payment: ParsedEvent['payment'] = null
    const currency = (o.currency ?? '').toUpperCase()
    if (body.type === 'payment_intent.succeeded' && o.object === 'payment_intent') {
      payment = { providerPaymentId: String(o.id), amountMinor: Number(o.amount_received ?? o.amount), currency, status: 'settled', invoiceRef: o.metadata?.invoice_id ?? null, contactRef: o.metadata?.contact_id ?? null, paidOn }
    } else if (body.type === 'checkout.session.completed' && o.object === 'checkout.session') {
      payment = {
        providerPaymentId: String(o.payment_intent ?? o.id),
        amountMinor: Number(o.amount_total),
        currency,
        status: o.payment_status === 'paid' ? 'settled' : 'pending',
        invoiceRef: o.metadata?.invoice_id ?? o.client_reference_id ?? null,
        contactRef: o.metadata?.contact_id ?? null,
        paidOn,
      }
    }
    if (payment) {
      // Stripe's amounts are in the currency's smallest unit: our minor units (CLP has none, like ours).
      if (!isCurrency(payment.currency) || !Number.isSafeInteger(payment.amountMinor) || payment.amountMinor <= 0)
        throw badPayload('the payment has no valid amount and currency')
    }
    return { eventId: body.id, type: body.type, payment }
  },
}

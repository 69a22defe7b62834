import { createHmac } from 'node:crypto'
import { CURRENCIES, isCurrency } from '../../common/money.js'
import { safeEqualHex } from './stripe.js'
import { badPayload, badSignature, badSignatureHeader, decimalToMinor, header, staleSignature, TOLERANCE_SECONDS, type NormalizedPayment, type ParsedEvent, type PaymentGateway, type WebhookRequest } from './types.js'

/**
 * Mercado Pago: `x-signature: ts=<ts>,v1=<hex>` where v1 = HMAC-SHA256(secret, manifest),
 * manifest = `id:<data.id>;request-id:<x-request-id>;ts:<ts>;` (data.id from the
 * notification URL's query, lower-cased when alphanumeric; a part whose value is absent is
 * left out, as the provider documents). The notification names the payment only; its
 * amount, currency, status and external_reference come from GET /v1/payments/:id with the
 * account's access token (fetchMercadoPagoPayment, replaceable for tests).
 */
export function mercadoPagoManifest(dataId: string | undefined, requestId: string | undefined, ts: string): string {
  let m = ''
  if (dataId) m += `id:${/^[a-z0-9]+$/i.test(dataId) ? dataId.toLowerCase() : dataId};`
  if (requestId) m += `request-id:${requestId};`
  m += `ts:${ts};`
  return m
}

export function mercadoPagoSignature(secret: string, manifest: string): string {
  return createHmac('sha256', secret).update(manifest, 'utf8').digest('hex')
}

const dataIdOf = (req: WebhookRequest): string | undefined => {
  const q = req.query['data.id'] ?? req.query['id']
  if (q) return q
  const b = req.body as { data?: { id?: unknown } } | null
  return b?.data?.id !== undefined ? String(b.data.id) : undefined
}

export const mercadoPagoGateway: PaymentGateway = {
  provider: 'mercadopago',
  verify(req: WebhookRequest, secret: string, now: Date): void {
    const h = header(req, 'x-signature')
    if (!h) throw badSignatureHeader('x-signature header is missing')
    let ts: string | undefined
    let v1: string | undefined
    for (const part of h.split(',')) {
      const [k, v] = part.split('=', 2).map((s) => s?.trim())
      if (k === 'ts' && v && /^\d{1,16}$/.test(v)) ts = v
      else if (k === 'v1' && v) v1 = v
    }
    if (!ts || !v1) throw badSignatureHeader('x-signature has no ts= or no v1=')
    const expected = mercadoPagoSignature(secret, mercadoPagoManifest(dataIdOf(req), header(req, 'x-request-id'), ts))
    if (!safeEqualHex(v1.toLowerCase(), expected)) throw badSignature()
    // ts is seconds in the documentation's examples and milliseconds in some notifications.
    const seconds = ts.length > 11 ? Number(ts) / 1000 : Number(ts)
    if (Math.abs(now.getTime() / 1000 - seconds) > TOLERANCE_SECONDS) throw staleSignature()
  },
  parse(req: WebhookRequest): ParsedEvent {
    const body = req.body as { id?: unknown; type?: string; action?: string; data?: { id?: unknown } } | null
    const dataId = dataIdOf(req)
    if (!body || body.id === undefined || !dataId) throw badPayload('not a Mercado Pago notification (id, data.id)')
    const type = body.action ?? body.type ?? 'unknown'
    const isPayment = (body.type ?? req.query['type'] ?? req.query['topic']) === 'payment'
    return { eventId: String(body.id), type, payment: null, ...(isPayment ? { fetchPaymentId: dataId } : {}) }
  },
}

/** The part of GET /v1/payments/:id we read. */
export interface MercadoPagoPayment {
  id: number | string
  status: string
  transaction_amount: number
  currency_id: string
  external_reference?: string | null
  date_approved?: string | null
  metadata?: Record<string, unknown>
}

export type MercadoPagoFetch = (paymentId: string, accessToken: string | null) => Promise<MercadoPagoPayment | null>

let fetchImpl: MercadoPagoFetch = async (paymentId, accessToken) => {
  if (!accessToken) return null
  const res = await fetch(`https://api.mercadopago.com/v1/payments/${encodeURIComponent(paymentId)}`, {
    headers: { authorization: `Bearer ${accessToken}` },
    signal: AbortSignal.timeout(10_000),
  })
  if (!res.ok) return null
  return (await res.json()) as MercadoPagoPayment
}

/** Replaces how payments are fetched (tests; a sandbox). Returns the previous one. */
export function setMercadoPagoFetch(fn: MercadoPagoFetch): MercadoPagoFetch {
  const prev = fetchImpl
  fetchImpl = fn
  return prev
}

export async function fetchMercadoPagoPayment(paymentId: string, accessToken: string | null): Promise<NormalizedPayment | null> {
  const p = await fetchImpl(paymentId, accessToken)
  if (!p) return null
  const currency = String(p.currency_id ?? '').toUpperCase()
  if (!isCurrency(currency)) throw badPayload(`currency ${currency} is not supported`)
  const amountMinor = decimalToMinor(p.transaction_amount, CURRENCIES[currency])
  const meta = p.metadata ?? {}
  return {
    providerPaymentId: String(p.id),
    amountMinor,
    currency,
    status: p.status === 'approved' ? 'settled' : p.status === 'rejected' || p.status === 'cancelled' ? 'failed' : 'pending',
    invoiceRef: p.external_reference ?? null,
    contactRef: typeof meta['contact_id'] === 'string' ? meta['contact_id'] : null,
    paidOn: (p.date_approved ?? new Date().toISOString()).slice(0, 10),
  }
}

export { badSignature }

import { randomBytes } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import { sql, type Kysely } from 'kysely'
import { AppError } from '../../../errors.js'
import type { Database } from '../../../plugins/db/tables.js'
import { decodeCursor, pageOf, type PageOf } from '../../common/pagination.js'
import { auditContext, recordAudit } from '../../identity/audit.js'
import { gatewayAccountNotFound } from '../errors.js'
import { settlements } from '../invoices.js'
import { allocate, createPayment } from '../payments.js'
import { billingDb, type GatewayProvider } from '../tables.js'
import { inTx, isoDay, UUID } from '../util.js'
import { fetchMercadoPagoPayment, mercadoPagoGateway } from './mercadopago.js'
import { stripeGateway } from './stripe.js'
import type { NormalizedPayment, PaymentGateway, WebhookRequest } from './types.js'

export const GATEWAYS: Record<GatewayProvider, PaymentGateway> = { mercadopago: mercadoPagoGateway, stripe: stripeGateway }
export const isProvider = (p: string): p is GatewayProvider => p === 'mercadopago' || p === 'stripe'

export interface GatewayAccountView {
  id: string
  provider: GatewayProvider
  label: string
  webhookPath: string
  hasAccessToken: boolean
  createdAt: string
  disabledAt: string | null
}

type AccountRow = { id: string; provider: GatewayProvider; label: string; access_token: string | null; created_at: Date; disabled_at: Date | null }
const toView = (r: AccountRow): GatewayAccountView => ({
  id: r.id,
  provider: r.provider,
  label: r.label,
  webhookPath: `/api/public/payments/${r.provider}/${r.id}`,
  hasAccessToken: r.access_token !== null,
  createdAt: r.created_at.toISOString(),
  disabledAt: r.disabled_at?.toISOString() ?? null,
})

/** Stores a provider account; the signing secret (given, or generated) is in this answer only. */
export async function createAccount(db: Kysely<Database>, request: FastifyRequest, input: { provider: GatewayProvider; label: string; secret?: string; accessToken?: string }): Promise<GatewayAccountView & { secret: string }> {
  const orgId = request.user.orgId
  const secret = input.secret ?? `whsec_${randomBytes(24).toString('base64url')}`
  return inTx(db, async (trx) => {
    const row = await billingDb(trx)
      .insertInto('billing_gateway_accounts')
      .values({ org_id: orgId, provider: input.provider, label: input.label, secret, access_token: input.accessToken ?? null })
      .returningAll()
      .executeTakeFirstOrThrow()
    await recordAudit(trx, { ...auditContext(request), action: 'gateway_account.create', target: { type: 'gateway_account', id: row.id }, after: { provider: row.provider, label: row.label, secret: '[redacted]' } })
    return { ...toView(row), secret }
  })
}

export async function listAccounts(db: Kysely<Database>, orgId: string, query: { limit?: number; cursor?: string }): Promise<PageOf<GatewayAccountView>> {
  const limit = query.limit ?? 50
  const after = decodeCursor(query.cursor, isPos)
  let q = billingDb(db).selectFrom('billing_gateway_accounts').select(['id', 'provider', 'label', 'access_token', 'created_at', 'disabled_at', sql<string>`created_at::text`.as('cts')]).where('org_id', '=', orgId)
  if (after) q = q.where(sql<boolean>`(created_at, id) < (${after[0]}::timestamptz, ${after[1]}::uuid)`)
  const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute()
  return pageOf(rows, limit, toView, (r) => [r.cts, r.id])
}

export async function disableAccount(db: Kysely<Database>, request: FastifyRequest, id: string): Promise<void> {
  const orgId = request.user.orgId
  if (!UUID.test(id)) throw gatewayAccountNotFound()
  await inTx(db, async (trx) => {
    const row = await billingDb(trx).updateTable('billing_gateway_accounts').set({ disabled_at: new Date() }).where('org_id', '=', orgId).where('id', '=', id).where('disabled_at', 'is', null).returning(['id', 'provider', 'label']).executeTakeFirst()
    if (!row) throw gatewayAccountNotFound()
    await recordAudit(trx, { ...auditContext(request), action: 'gateway_account.disable', target: { type: 'gateway_account', id }, before: row, after: { disabled: true } })
  })
}

const isPos = (v: unknown): v is [string, string] => Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string' && UUID.test(v[1])

export async function listEvents(db: Kysely<Database>, orgId: string, accountId: string | undefined, query: { limit?: number; cursor?: string }) {
  const bdb = billingDb(db)
  if (accountId !== undefined) {
    const acct = UUID.test(accountId) ? await bdb.selectFrom('billing_gateway_accounts').select('id').where('org_id', '=', orgId).where('id', '=', accountId).executeTakeFirst() : undefined
    if (!acct) throw gatewayAccountNotFound()
  }
  const limit = query.limit ?? 50
  const after = decodeCursor(query.cursor, isPos)
  let q = bdb.selectFrom('billing_gateway_events').select(['id', 'event_id', 'event_type', 'outcome', 'payment_id', 'received_at', sql<string>`received_at::text`.as('cts')]).where('org_id', '=', orgId)
  if (accountId !== undefined) q = q.where('account_id', '=', accountId)
  if (after) q = q.where(sql<boolean>`(received_at, id) < (${after[0]}::timestamptz, ${after[1]}::uuid)`)
  const rows = await q.orderBy('received_at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute()
  return pageOf(rows, limit, (r) => ({ id: r.id, eventId: r.event_id, type: r.event_type, outcome: r.outcome, paymentId: r.payment_id, receivedAt: r.received_at.toISOString() }), (r) => [r.cts, r.id])
}

export interface ReceiveResult {
  received: true
  duplicate: boolean
  outcome: string
  paymentId: string | null
}

/**
 * A provider's notification: unknown (or disabled) account 404, a bad or stale signature 4xx,
 * nothing written. A verified event is recorded once per provider event id (a replay answers
 * 200 duplicate); a settled payment is booked once per provider payment id and allocated to
 * the invoice its metadata / external_reference names, up to the invoice's open balance.
 */
export async function receive(db: Kysely<Database>, provider: string, accountId: string, req: WebhookRequest, now: Date): Promise<ReceiveResult> {
  if (!isProvider(provider) || !UUID.test(accountId)) throw gatewayAccountNotFound()
  const bdb = billingDb(db)
  const account = await bdb.selectFrom('billing_gateway_accounts').selectAll().where('id', '=', accountId).where('provider', '=', provider).where('disabled_at', 'is', null).executeTakeFirst()
  if (!account) throw gatewayAccountNotFound()
  const gateway = GATEWAYS[provider]
  gateway.verify(req, account.secret, now)
  const event = gateway.parse(req)
  const orgId = account.org_id
  const seen = await bdb.selectFrom('billing_gateway_events').select(['outcome', 'payment_id']).where('org_id', '=', orgId).where('provider', '=', provider).where('event_id', '=', event.eventId).executeTakeFirst()
  if (seen) return { received: true, duplicate: true, outcome: seen.outcome, paymentId: seen.payment_id }
  let payment: NormalizedPayment | null = event.payment
  if (!payment && event.fetchPaymentId) payment = await fetchMercadoPagoPayment(event.fetchPaymentId, account.access_token)
  return inTx(db, async (trx) => {
    const t = billingDb(trx)
    const claimed = await t
      .insertInto('billing_gateway_events')
      .values({ org_id: orgId, account_id: accountId, provider, event_id: event.eventId, event_type: event.type, outcome: 'processing', payload: JSON.stringify(req.body ?? null) })
      .onConflict((oc) => oc.columns(['org_id', 'provider', 'event_id']).doNothing())
      .returning('id')
      .executeTakeFirst()
    if (!claimed) return { received: true as const, duplicate: true, outcome: 'duplicate', paymentId: null }
    const { outcome, paymentId } = await book(trx, orgId, provider, payment)
    // The event row is this transaction's own: set its outcome (events are not append-only).
    await t.updateTable('billing_gateway_events').set({ outcome, payment_id: paymentId }).where('id', '=', claimed.id).execute()
    await recordAudit(trx, { orgId, actor: { type: 'system', id: null }, action: 'gateway.event', target: { type: 'gateway_event', id: claimed.id }, after: { provider, eventId: event.eventId, type: event.type, outcome, paymentId } })
    return { received: true as const, duplicate: false, outcome, paymentId }
  })
}

async function book(trx: Kysely<Database>, orgId: string, provider: GatewayProvider, p: NormalizedPayment | null): Promise<{ outcome: string; paymentId: string | null }> {
  if (!p) return { outcome: 'ignored', paymentId: null }
  if (p.status !== 'settled') return { outcome: `payment_${p.status}`, paymentId: null }
  const t = billingDb(trx)
  const existing = await t.selectFrom('billing_payments').select('id').where('org_id', '=', orgId).where('method', '=', provider).where('external_ref', '=', p.providerPaymentId).executeTakeFirst()
  if (existing) return { outcome: 'payment_already_booked', paymentId: existing.id }
  // The invoice named by the checkout: our id, or our number.
  const ref = p.invoiceRef?.trim() ?? ''
  const invoice = ref
    ? await t.selectFrom('billing_invoices').select(['id', 'contact_id', 'currency', 'status', 'total_minor']).where('org_id', '=', orgId).where((eb) => (UUID.test(ref) ? eb.or([eb('id', '=', ref), eb('number', '=', ref)]) : eb('number', '=', ref))).executeTakeFirst()
    : undefined
  let contactId = invoice?.contact_id ?? null
  if (!contactId && p.contactRef && UUID.test(p.contactRef)) {
    const c = await t.selectFrom('contacts').select('id').where('org_id', '=', orgId).where('id', '=', p.contactRef).executeTakeFirst()
    contactId = c?.id ?? null
  }
  if (!contactId) return { outcome: 'unmatched', paymentId: null }
  const payment = await createPayment(trx, orgId, { contactId, currency: p.currency as never, amountMinor: p.amountMinor, method: provider, paidOn: /^\d{4}-\d{2}-\d{2}$/.test(p.paidOn) ? p.paidOn : isoDay(new Date()), externalRef: p.providerPaymentId }, null)
  if (invoice && invoice.status === 'posted' && invoice.currency === p.currency) {
    const open = (await settlements(trx, [invoice])).get(invoice.id)!.openMinor
    const amount = Math.min(open, p.amountMinor)
    if (amount > 0) {
      await allocate(trx, orgId, payment.id, invoice.id, amount, null, payment.paid_on)
      return { outcome: amount === p.amountMinor ? 'booked_allocated' : 'booked_partly_allocated', paymentId: payment.id }
    }
  }
  return { outcome: 'booked_unallocated', paymentId: payment.id }
}

export const unsupported = (): AppError => new AppError('WEBHOOK_UNSUPPORTED_MEDIA', 415, 'send application/json')

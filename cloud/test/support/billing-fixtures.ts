import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { contactsDb } from '../../src/modules/common/contacts.js'
import { billingDb } from '../../src/modules/billing/tables.js'

/**
 * Billing test helpers and the tenant-isolation fixture. Contacts belong to the CRM; a
 * billing test inserts the customer it bills directly (the CRM's routes are not billing's).
 */
export async function addContact(
  app: FastifyInstance,
  orgId: string,
  opts: { name?: string; email?: string | null; linkedOrgId?: string | null } = {},
): Promise<string> {
  const id = randomUUID()
  await contactsDb(app.db)
    .insertInto('contacts')
    .values({
      id,
      org_id: orgId,
      kind: 'customer',
      name: opts.name ?? `Cliente ${id.slice(0, 6)}`,
      email: opts.email === undefined ? `cliente-${id.slice(0, 6)}@example.com` : opts.email,
      linked_org_id: opts.linkedOrgId ?? null,
      tax_id: '30-71234567-8',
    })
    .execute()
  return id
}

export const auth = (token: string) => ({ authorization: `Bearer ${token}` })

export function invoiceBody(contactId: string, over: Record<string, unknown> = {}) {
  return {
    contactId,
    currency: 'ARS',
    issueDate: '2026-03-01',
    dueDate: '2026-03-10',
    lines: [
      { description: 'Alquiler local 12', quantityMilli: 1000, unitMinor: 100_000_00, taxRateBp: 2100 },
      { description: 'Expensas', quantityMilli: 1500, unitMinor: 10_000_00, taxRateBp: 1050 },
    ],
    ...over,
  }
}

async function ok(res: { statusCode: number; body: string; json: () => unknown }, status: number, what: string) {
  if (res.statusCode !== status) throw new Error(`${what}: ${res.statusCode} ${res.body}`)
  return res.json() as Record<string, unknown>
}

/**
 * One of each billing object of `org`, created through the API as its org_admin, with the
 * params of every billing route that has path params, and a row count of billing tables.
 */
export async function billingFixture(
  app: FastifyInstance,
  orgAdminToken: string,
  org: { orgId: string; siteId: string },
): Promise<{ params: Record<string, Record<string, string>>; ids: Record<string, string>; footprint: () => Promise<Record<string, number>> }> {
  const h = auth(orgAdminToken)
  const contactId = await addContact(app, org.orgId, { name: 'Isolation customer' })
  const draft = await ok(await app.inject({ method: 'POST', url: '/api/billing/invoices', headers: h, payload: invoiceBody(contactId) }), 201, 'draft')
  const posted = await ok(await app.inject({ method: 'POST', url: '/api/billing/invoices', headers: h, payload: invoiceBody(contactId, { post: true }) }), 201, 'invoice')
  const payment = await ok(
    await app.inject({ method: 'POST', url: '/api/billing/payments', headers: h, payload: { contactId, currency: 'ARS', amountMinor: 1000, method: 'cash', paidOn: '2026-03-02', allocations: [{ invoiceId: posted.id, amountMinor: 500 }] } }),
    201,
    'payment',
  )
  const allocationId = (payment.allocations as { id: string }[])[0]!.id
  const note = await ok(await app.inject({ method: 'POST', url: `/api/billing/invoices/${posted.id}/credit-notes`, headers: h, payload: { issueDate: '2026-03-03', lines: [{ invoiceLineId: (posted.lines as { id: string }[])[1]!.id, quantityMilli: 500 }] } }), 201, 'credit note')
  const gateway = await ok(await app.inject({ method: 'POST', url: '/api/billing/gateways', headers: h, payload: { provider: 'stripe', label: 'Stripe' } }), 201, 'gateway')
  const bdb = billingDb(app.db)
  const tables = [
    'billing_invoices',
    'billing_invoice_lines',
    'billing_payments',
    'billing_allocations',
    'billing_credit_notes',
    'billing_credit_note_lines',
    'billing_journals',
    'billing_journal_lines',
    'billing_dunning_steps',
    'billing_gateway_accounts',
    'billing_gateway_events',
    'billing_sequences',
    // saas_subscriptions is left out on purpose: SaaS plans are the platform's, and a
    // platform admin of any organization may subscribe any organization (saas.manage).
  ] as const
  return {
    params: {
      '/api/billing/invoices/:id': { id: String(draft.id) },
      '/api/billing/invoices/:id/post': { id: String(draft.id) },
      '/api/billing/invoices/:id/credit-notes': { id: String(posted.id) },
      '/api/billing/invoices/:id.pdf': { id: String(posted.id) },
      '/api/billing/credit-notes/:id': { id: String(note.id) },
      '/api/billing/payments/:id': { id: String(payment.id) },
      '/api/billing/payments/:id/allocations': { id: String(payment.id) },
      '/api/billing/payments/:id/reverse': { id: String(payment.id) },
      '/api/billing/allocations/:id/reverse': { id: allocationId },
      '/api/billing/contacts/:contactId/balance': { contactId },
      '/api/billing/gateways/:id': { id: String(gateway.id) },
      '/api/portal/invoices/:id': { id: String(posted.id) },
      '/api/portal/invoices/:id.pdf': { id: String(posted.id) },
    },
    ids: {
      contactId,
      invoiceId: String(posted.id),
      invoiceLineId: (posted.lines as { id: string }[])[0]!.id,
      paymentId: String(payment.id),
      accountId: String(gateway.id),
    },
    footprint: async () => {
      const out: Record<string, number> = {}
      for (const t of tables) {
        const r = await bdb.selectFrom(t).select((eb) => eb.fn.countAll<number>().as('n')).where('org_id', '=', org.orgId).executeTakeFirstOrThrow()
        out[t] = Number(r.n)
      }
      return out
    },
  }
}

/** A user of `orgId` with `role`, logged in (tests build the app with platformAdminTotp 'optional'). */
export async function userToken(app: FastifyInstance, orgId: string, role: string): Promise<string> {
  const { hashPassword } = await import('../../src/modules/auth/password.js')
  const email = `${role}.${randomUUID().slice(0, 8)}@tendero.test`
  // Test organizations skip the admins' second factor (the demo organization does already).
  await app.db.updateTable('organizations').set({ require_admin_totp: false } as never).where('id', '=', orgId).execute()
  const password = 'una-clave-larga-1'
  await app.db.insertInto('users').values({ org_id: orgId, email, name: role, password_hash: await hashPassword(password), role: role as never, locale: 'es-AR' }).execute()
  const res = await app.inject({ method: 'POST', url: '/api/auth/login', remoteAddress: `10.9.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`, payload: { email, password } })
  if (res.statusCode !== 200 || !res.json().token || res.json().totpEnrollmentRequired) throw new Error(`login ${role}: ${res.statusCode} ${res.body}`)
  return res.json().token
}

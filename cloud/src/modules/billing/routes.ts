import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { ErrorReply } from '../../errors.js'
import { withIdempotency } from '../common/idempotency.js'
import * as credit from './credit-notes.js'
import * as inv from './invoices.js'
import { accountBalances } from './ledger.js'
import * as pay from './payments.js'
import {
  AccountsView,
  AllocateBody,
  ContactBalanceView,
  ContactParams,
  CreditNoteBody,
  CreditNoteListQuery,
  CreditNotePage,
  CreditNoteView,
  IdParams,
  InvoiceBody,
  InvoiceDetail,
  InvoiceListQuery,
  InvoicePage,
  InvoiceUpdateBody,
  JournalListQuery,
  JournalPage,
  PaymentBody,
  PaymentListQuery,
  PaymentPage,
  PaymentView,
  ReverseBody,
} from './schema.js'
import * as service from './service.js'
import { registerExtras } from './routes-extra.js'
import publicRoutes from './public-routes.js'

const tags = ['billing']
const security = [{ user: [] }]
const errors = { 400: ErrorReply, 401: ErrorReply, 403: ErrorReply, 404: ErrorReply, 409: ErrorReply, 422: ErrorReply }
const read = { permission: 'billing.read' } as const
const manage = { permission: 'billing.manage' } as const

/**
 * Billing (issue 8): invoices, payments and allocations, credit notes, the ledger, aging,
 * dunning, payment gateways and their webhooks, the platform's SaaS plans, and the tenant
 * portal's invoices. README.md has the rules. The org is always request.user.orgId.
 */
const authenticated: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('preHandler', app.authenticate)

  app.get('/billing/invoices', { config: read, schema: { tags, security, description: 'Invoices, newest first (keyset pages). status and contactId narrow the list. openMinor is what is left to pay.', querystring: InvoiceListQuery, response: { 200: InvoicePage, ...errors } } }, (request) =>
    inv.listInvoices(app.db, { orgId: request.user.orgId }, request.query),
  )

  app.post(
    '/billing/invoices',
    {
      config: manage,
      schema: {
        tags,
        security,
        description:
          'Creates a draft invoice for a contact of the organization, or with post=true issues it at once (numbered in its series, ' +
          'journal written). Totals are computed here: line net = quantityMilli × unitMinor / 1000, tax per line at taxRateBp, rounded ' +
          'half away from zero. A sourceKey already used returns that invoice. Honours Idempotency-Key.',
        body: InvoiceBody,
        response: { 201: InvoiceDetail, ...errors },
      },
    },
    async (request, reply) => {
      await withIdempotency(app.db, request, reply, request.user.orgId, async () => ({ status: 201, body: await service.createInvoice(app.db, request, request.body) }))
      return reply
    },
  )

  app.get('/billing/invoices/:id', { config: read, schema: { tags, security, description: 'One invoice with its lines, taxes per rate and open balance.', params: IdParams, response: { 200: InvoiceDetail, ...errors } } }, (request) =>
    inv.invoiceDetail(app.db, { orgId: request.user.orgId }, request.params.id),
  )

  app.put('/billing/invoices/:id', { config: manage, schema: { tags, security, description: 'Replaces a draft invoice. A posted invoice answers 409 INVOICE_POSTED: correct it with a credit note.', params: IdParams, body: InvoiceUpdateBody, response: { 200: InvoiceDetail, ...errors } } }, (request) =>
    service.updateInvoice(app.db, request, request.params.id, request.body),
  )

  app.delete('/billing/invoices/:id', { config: manage, schema: { tags, security, description: 'Deletes a draft invoice; a posted one answers 409.', params: IdParams, response: { 204: Type.Null(), ...errors } } }, async (request, reply) => {
    await service.deleteInvoice(app.db, request, request.params.id)
    return reply.code(204).send(null)
  })

  app.post('/billing/invoices/:id/post', { config: manage, schema: { tags, security, description: 'Posts a draft: assigns the next number of its series (gapless, under a row lock) and writes its journal.', params: IdParams, response: { 200: InvoiceDetail, ...errors } } }, (request) =>
    service.postInvoice(app.db, request, request.params.id),
  )

  app.post(
    '/billing/invoices/:id/credit-notes',
    {
      config: manage,
      schema: {
        tags,
        security,
        description: 'Issues a credit note on a posted invoice: full=true credits everything not yet credited, or lines name quantities of invoice lines. It cannot exceed the open balance. Crediting all of the invoice voids it.',
        params: IdParams,
        body: CreditNoteBody,
        response: { 201: Type.Intersect([CreditNoteView, Type.Object({ invoiceStatus: Type.String() })]), ...errors },
      },
    },
    async (request, reply) => {
      await withIdempotency(app.db, request, reply, request.user.orgId, async () => ({ status: 201, body: await service.createCreditNote(app.db, request, request.params.id, request.body) }))
      return reply
    },
  )

  app.get('/billing/credit-notes', { config: read, schema: { tags, security, description: 'Credit notes, newest first.', querystring: CreditNoteListQuery, response: { 200: CreditNotePage, ...errors } } }, (request) =>
    credit.listCreditNotes(app.db, request.user.orgId, request.query),
  )
  app.get('/billing/credit-notes/:id', { config: read, schema: { tags, security, description: 'One credit note with its lines.', params: IdParams, response: { 200: CreditNoteView, ...errors } } }, (request) =>
    credit.creditNoteDetail(app.db, request.user.orgId, request.params.id),
  )

  app.get('/billing/payments', { config: read, schema: { tags, security, description: 'Payments, newest first, with what is allocated and what is left (the customer\'s credit).', querystring: PaymentListQuery, response: { 200: PaymentPage, ...errors } } }, (request) =>
    pay.listPayments(app.db, request.user.orgId, request.query),
  )
  app.post(
    '/billing/payments',
    {
      config: manage,
      schema: {
        tags,
        security,
        description: 'Records a payment from a contact (journal: Dr cash/bank, Cr customer credit) and optionally allocates it to posted invoices of the same contact and currency. Over-allocation answers 409. Honours Idempotency-Key.',
        body: PaymentBody,
        response: { 201: PaymentView, ...errors },
      },
    },
    async (request, reply) => {
      await withIdempotency(app.db, request, reply, request.user.orgId, async () => ({ status: 201, body: await service.createPayment(app.db, request, request.body) }))
      return reply
    },
  )
  app.get('/billing/payments/:id', { config: read, schema: { tags, security, description: 'One payment with its allocations.', params: IdParams, response: { 200: PaymentView, ...errors } } }, (request) =>
    pay.paymentDetail(app.db, request.user.orgId, request.params.id),
  )
  app.post('/billing/payments/:id/allocations', { config: manage, schema: { tags, security, description: 'Allocates the payment\'s unallocated amount to posted invoices (Dr customer credit, Cr receivables). Neither the payment nor an invoice can go below zero: 409.', params: IdParams, body: AllocateBody, response: { 200: PaymentView, ...errors } } }, async (request, reply) => {
    await withIdempotency(app.db, request, reply, request.user.orgId, async () => ({ status: 200, body: await service.allocatePayment(app.db, request, request.params.id, request.body.allocations) }))
    return reply
  })
  app.post('/billing/payments/:id/reverse', { config: manage, schema: { tags, security, description: 'Reverses a payment (a bounced transfer, a chargeback): its allocations and its journal get reversing journals; nothing is deleted.', params: IdParams, body: ReverseBody, response: { 200: PaymentView, ...errors } } }, (request) =>
    service.reversePayment(app.db, request, request.params.id, request.body?.date),
  )
  app.post('/billing/allocations/:id/reverse', { config: manage, schema: { tags, security, description: 'Reverses one allocation: the amount goes back to the customer\'s credit and the invoice is open again by it.', params: IdParams, body: ReverseBody, response: { 200: Type.Object({ id: Type.String(), reversed: Type.Literal(true) }), ...errors } } }, (request) =>
    service.reverseAllocation(app.db, request, request.params.id, request.body?.date),
  )

  app.get('/billing/ledger/accounts', { config: read, schema: { tags, security, description: 'Balances per ledger account and currency (debit - credit), from the journal lines.', response: { 200: AccountsView, ...errors } } }, async (request) => ({
    accounts: await accountBalances(app.db, request.user.orgId),
  }))
  app.get('/billing/ledger/journals', { config: read, schema: { tags, security, description: 'Journals with their lines, newest first; sourceId narrows to one document.', querystring: JournalListQuery, response: { 200: JournalPage, ...errors } } }, (request) =>
    service.listJournals(app.db, request.user.orgId, request.query),
  )
  app.get('/billing/contacts/:contactId/balance', { config: read, schema: { tags, security, description: 'A contact\'s receivable and credit from the ledger, per currency, next to its open invoices and unallocated payments (consistent says they agree).', params: ContactParams, response: { 200: ContactBalanceView, ...errors } } }, (request) =>
    service.contactBalance(app.db, request.user.orgId, request.params.contactId),
  )

  await registerExtras(app)
}

const billingRoutes: FastifyPluginAsyncTypebox = async (app) => {
  await app.register(publicRoutes)
  await app.register(authenticated)
}

export default billingRoutes

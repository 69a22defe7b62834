import type { FastifyInstance } from 'fastify'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { ErrorReply } from '../../errors.js'
import { CurrencySchema, PositiveMinorSchema } from '../common/money.js'
import { Page, PageQuery } from '../common/pagination.js'
import { agingCsv, agingReport } from './aging.js'
import { runDunning, setSteps, stepsOf } from './dunning.js'
import * as gateways from './gateway/service.js'
import { invoiceDetail, listInvoices } from './invoices.js'
import { agingPdf, invoicePdf, mrrPdf } from './pdf.js'
import * as saas from './saas.js'
import { IdParams, InvoiceDetail, InvoicePage, PortalListQuery } from './schema.js'
import { billingDb } from './tables.js'
import { checkDate, isoDay } from './util.js'

const security = [{ user: [] }]
const errors = { 400: ErrorReply, 401: ErrorReply, 403: ErrorReply, 404: ErrorReply, 409: ErrorReply, 422: ErrorReply }
const FileBody = Type.Unsafe<Buffer | string>({ type: 'string', format: 'binary' })
const Day = Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' })
const Format = Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv'), Type.Literal('pdf')], { description: 'json (default), csv or pdf' }))
const Amounts = { current: Type.Integer(), d1_30: Type.Integer(), d31_60: Type.Integer(), d61_90: Type.Integer(), over90: Type.Integer(), totalMinor: Type.Integer() }
const AgingView = Type.Object({
  asOf: Type.String(),
  rows: Type.Array(Type.Object({ contactId: Type.String(), contactName: Type.String(), currency: Type.String(), invoices: Type.Integer(), ...Amounts })),
  totals: Type.Array(Type.Object({ currency: Type.String(), ...Amounts })),
})
const GatewayView = Type.Object({ id: Type.String(), provider: Type.String(), label: Type.String(), webhookPath: Type.String(), hasAccessToken: Type.Boolean(), createdAt: Type.String(), disabledAt: Type.Union([Type.String(), Type.Null()]) })
const PlanView = Type.Object({ id: Type.String(), code: Type.String(), name: Type.String(), features: Type.Array(Type.String()), priceMinor: Type.Integer(), currency: Type.String(), interval: Type.String(), active: Type.Boolean(), createdAt: Type.String() })
const SubscriptionView = Type.Object({ id: Type.String(), orgId: Type.String(), planId: Type.String(), priceMinor: Type.Integer(), currency: Type.String(), interval: Type.String(), mrrMinor: Type.Integer(), startedOn: Type.String(), endedOn: Type.Union([Type.String(), Type.Null()]), endReason: Type.Union([Type.String(), Type.Null()]), createdAt: Type.String() })
const MrrRow = Type.Object({ currency: Type.String(), startMinor: Type.Integer(), endMinor: Type.Integer(), newMinor: Type.Integer(), expansionMinor: Type.Integer(), contractionMinor: Type.Integer(), churnedMinor: Type.Integer(), revenueChurnBp: Type.Integer() })
const MetricsView = Type.Object({ month: Type.String(), from: Type.String(), to: Type.String(), mrr: Type.Array(MrrRow), logos: Type.Object({ start: Type.Integer(), end: Type.Integer(), new: Type.Integer(), churned: Type.Integer(), logoChurnBp: Type.Integer() }) })

async function orgName(app: FastifyInstance, orgId: string): Promise<string> {
  const r = await app.db.selectFrom('organizations').select('name').where('id', '=', orgId).executeTakeFirst()
  return r?.name ?? ''
}

const extras: FastifyPluginAsyncTypebox = async (app) => {
  // Aging ("deudas")
  app.get(
    '/billing/reports/aging',
    {
      config: { permission: 'billing.read' },
      schema: {
        tags: ['billing'],
        security,
        description: 'Receivables aging at asOf (default today): open balances of posted invoices by days past due (current, 1-30, 31-60, 61-90, over 90), per contact and currency, with totals per currency. format=csv (UTF-8 BOM, ;, decimal comma) or pdf.',
        querystring: Type.Object({ asOf: Type.Optional(Day), format: Format }),
        produces: ['application/json', 'text/csv', 'application/pdf'],
        response: { 200: Type.Union([AgingView, FileBody]), ...errors },
      },
    },
    async (request, reply) => {
      const asOf = checkDate(request.query.asOf ?? isoDay(new Date()), 'asOf')
      const report = await agingReport(app.db, request.user.orgId, asOf)
      const format = request.query.format ?? 'json'
      if (format === 'json') return report
      const body = format === 'csv' ? agingCsv(report) : await agingPdf(report, await orgName(app, request.user.orgId))
      return reply
        .header('content-type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/pdf')
        .header('content-disposition', `attachment; filename="deudas-${asOf}.${format}"`)
        .header('cache-control', 'no-store')
        .send(body)
    },
  )

  app.get(
    '/billing/invoices/:id.pdf',
    { config: { permission: 'billing.read' }, schema: { tags: ['billing'], security, description: 'The invoice as a PDF (Factura / Invoice).', params: IdParams, produces: ['application/pdf'], response: { 200: FileBody, ...errors } } },
    async (request, reply) => {
      const inv = await invoiceDetail(app.db, { orgId: request.user.orgId }, request.params.id)
      const pdf = await invoicePdf(inv, await orgName(app, request.user.orgId))
      return reply.header('content-type', 'application/pdf').header('content-disposition', `inline; filename="factura-${inv.number ?? 'borrador'}.pdf"`).header('cache-control', 'no-store').send(pdf)
    },
  )

  // Dunning
  const Schedule = Type.Object({ steps: Type.Array(Type.Integer({ minimum: -90, maximum: 365 }), { maxItems: 20 }), isDefault: Type.Boolean() })
  app.get('/billing/dunning/schedule', { config: { permission: 'billing.read' }, schema: { tags: ['billing'], security, description: 'Days relative to the due date at which reminders go out (negative: before). The default is -3, 1, 7, 15, 30.', response: { 200: Schedule, ...errors } } }, (request) =>
    stepsOf(app.db, request.user.orgId),
  )
  app.put(
    '/billing/dunning/schedule',
    { config: { permission: 'billing.manage' }, schema: { tags: ['billing'], security, description: 'Sets the reminder days (each once, -90..365); an empty list restores the default.', body: Type.Object({ steps: Type.Array(Type.Integer({ minimum: -90, maximum: 365 }), { maxItems: 20 }) }, { additionalProperties: false }), response: { 200: Schedule, ...errors } } },
    (request) => setSteps(app.db, request, request.body.steps),
  )
  app.jobs.register('billing.dunning', 60 * 60_000, ({ now }) => runDunning(app.db, now))

  // Payment gateway accounts
  app.get('/billing/gateways', { config: { permission: 'billing.manage' }, schema: { tags: ['billing'], security, description: 'Payment gateway accounts and their webhook URLs (secrets are never shown again).', querystring: Type.Object({ ...PageQuery }), response: { 200: Page(GatewayView), ...errors } } }, (request) =>
    gateways.listAccounts(app.db, request.user.orgId, request.query),
  )
  app.post(
    '/billing/gateways',
    {
      config: { permission: 'billing.manage' },
      schema: {
        tags: ['billing'],
        security,
        description: 'Adds a Mercado Pago or Stripe account: secret is the provider\'s webhook signing secret (generated if absent), accessToken the Mercado Pago token used to read a notified payment. The secret is in this answer only.',
        body: Type.Object({ provider: Type.Union([Type.Literal('mercadopago'), Type.Literal('stripe')]), label: Type.String({ minLength: 1, maxLength: 100 }), secret: Type.Optional(Type.String({ minLength: 16, maxLength: 200 })), accessToken: Type.Optional(Type.String({ minLength: 8, maxLength: 300 })) }, { additionalProperties: false }),
        response: { 201: Type.Intersect([GatewayView, Type.Object({ secret: Type.String() })]), ...errors },
      },
    },
    async (request, reply) => reply.code(201).send(await gateways.createAccount(app.db, request, request.body)),
  )
  app.delete('/billing/gateways/:id', { config: { permission: 'billing.manage' }, schema: { tags: ['billing'], security, description: 'Disables the account: its webhooks answer 404 from now on.', params: IdParams, response: { 204: Type.Null(), ...errors } } }, async (request, reply) => {
    await gateways.disableAccount(app.db, request, request.params.id)
    return reply.code(204).send(null)
  })
  app.get(
    '/billing/gateway-events',
    { config: { permission: 'billing.read' }, schema: { tags: ['billing'], security, description: 'Verified webhook events, newest first, with what was done (booked_allocated, unmatched, ignored...); accountId narrows to one gateway account.', querystring: Type.Object({ ...PageQuery, accountId: Type.Optional(Type.String({ maxLength: 64 })) }), response: { 200: Page(Type.Object({ id: Type.String(), eventId: Type.String(), type: Type.String(), outcome: Type.String(), paymentId: Type.Union([Type.String(), Type.Null()]), receivedAt: Type.String() })), ...errors } } },
    (request) => gateways.listEvents(app.db, request.user.orgId, request.query.accountId, request.query),
  )

  // The platform's SaaS (platform admins)
  const saasTags = ['saas']
  app.get('/saas/plans', { config: { permission: 'saas.manage' }, schema: { tags: saasTags, security, description: 'Tendero\'s plans.', querystring: Type.Object({ ...PageQuery }), response: { 200: Page(PlanView), ...errors } } }, (request) => saas.listPlans(app.db, request.query))
  app.post(
    '/saas/plans',
    { config: { permission: 'saas.manage' }, schema: { tags: saasTags, security, description: 'Creates a plan: features and a price per month or year.', body: Type.Object({ code: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,39}$' }), name: Type.String({ minLength: 1, maxLength: 100 }), features: Type.Array(Type.String({ maxLength: 100 }), { maxItems: 50 }), priceMinor: PositiveMinorSchema, currency: CurrencySchema, interval: Type.Union([Type.Literal('month'), Type.Literal('year')]) }, { additionalProperties: false }), response: { 201: PlanView, ...errors } } },
    async (request, reply) => reply.code(201).send(await saas.createPlan(app.db, request, request.body)),
  )
  app.patch(
    '/saas/plans/:id',
    { config: { permission: 'saas.manage' }, schema: { tags: saasTags, security, description: 'Renames, re-prices (new subscriptions only) or retires a plan.', params: IdParams, body: Type.Object({ name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })), features: Type.Optional(Type.Array(Type.String({ maxLength: 100 }), { maxItems: 50 })), priceMinor: Type.Optional(PositiveMinorSchema), active: Type.Optional(Type.Boolean()) }, { additionalProperties: false }), response: { 200: PlanView, ...errors } } },
    (request) => saas.updatePlan(app.db, request, request.params.id, request.body),
  )
  app.get('/saas/subscriptions', { config: { permission: 'saas.manage' }, schema: { tags: saasTags, security, description: 'Organizations\' subscriptions, newest first.', querystring: Type.Object({ ...PageQuery, orgId: Type.Optional(Type.String({ maxLength: 64 })) }), response: { 200: Page(SubscriptionView), ...errors } } }, (request) =>
    saas.listSubscriptions(app.db, request.query),
  )
  app.post(
    '/saas/subscriptions',
    { config: { permission: 'saas.manage' }, schema: { tags: saasTags, security, description: 'Subscribes an organization to a plan from startedOn (one open subscription per organization).', body: Type.Object({ orgId: Type.String({ maxLength: 64 }), planId: Type.String({ maxLength: 64 }), startedOn: Day }, { additionalProperties: false }), response: { 201: SubscriptionView, ...errors } } },
    async (request, reply) => reply.code(201).send(await saas.subscribe(app.db, request, request.body)),
  )
  app.post(
    '/saas/subscriptions/:id/cancel',
    { config: { permission: 'saas.manage' }, schema: { tags: saasTags, security, description: 'Ends the subscription on endedOn (not active from that day).', params: IdParams, body: Type.Object({ endedOn: Day }, { additionalProperties: false }), response: { 200: SubscriptionView, ...errors } } },
    (request) => saas.cancel(app.db, request, request.params.id, request.body.endedOn),
  )
  app.post(
    '/saas/subscriptions/:id/change-plan',
    { config: { permission: 'saas.manage' }, schema: { tags: saasTags, security, description: 'Moves the organization to another plan on date: this subscription ends, a new one starts.', params: IdParams, body: Type.Object({ planId: Type.String({ maxLength: 64 }), date: Day }, { additionalProperties: false }), response: { 200: SubscriptionView, ...errors } } },
    (request) => saas.changePlan(app.db, request, request.params.id, request.body.planId, request.body.date),
  )
  app.get(
    '/saas/metrics',
    {
      config: { permission: 'saas.manage' },
      schema: {
        tags: saasTags,
        security,
        description: 'MRR at the start and end of month (YYYY-MM, default this month) per currency, its movements (new, expansion, contraction, churned), revenue churn and logo churn (basis points). format=csv or pdf exports it.',
        querystring: Type.Object({ month: Type.Optional(Type.String({ pattern: '^[0-9]{4}-[0-9]{2}$' })), format: Format }),
        produces: ['application/json', 'text/csv', 'application/pdf'],
        response: { 200: Type.Union([MetricsView, FileBody]), ...errors },
      },
    },
    async (request, reply) => {
      const m = await saas.metrics(app.db, request.query.month ?? isoDay(new Date()).slice(0, 7))
      const format = request.query.format ?? 'json'
      if (format === 'json') return m
      const body = format === 'csv' ? saas.metricsCsv(m) : await mrrPdf(m)
      return reply
        .header('content-type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/pdf')
        .header('content-disposition', `attachment; filename="mrr-${m.month}.${format}"`)
        .header('cache-control', 'no-store')
        .send(body)
    },
  )

  // Tenant portal: invoices made out to a contact linked to the user's organization.
  app.get('/portal/invoices', { config: { permission: 'portal.read' }, schema: { tags: ['portal'], security, description: 'Invoices your organization received from the businesses it rents from (their contact for you is linked to your organization), with open balances. Read-only.', querystring: PortalListQuery, response: { 200: InvoicePage, ...errors } } }, (request) =>
    listInvoices(app.db, { linkedOrgId: request.user.orgId }, request.query),
  )
  app.get('/portal/invoices/:id', { config: { permission: 'portal.read' }, schema: { tags: ['portal'], security, description: 'One invoice your organization received.', params: IdParams, response: { 200: InvoiceDetail, ...errors } } }, (request) =>
    invoiceDetail(app.db, { linkedOrgId: request.user.orgId }, request.params.id),
  )
  app.get(
    '/portal/invoices/:id.pdf',
    { config: { permission: 'portal.read' }, schema: { tags: ['portal'], security, description: 'One invoice your organization received, as a PDF.', params: IdParams, produces: ['application/pdf'], response: { 200: FileBody, ...errors } } },
    async (request, reply) => {
      const inv = await invoiceDetail(app.db, { linkedOrgId: request.user.orgId }, request.params.id)
      const issuer = await billingDb(app.db).selectFrom('billing_invoices').select('org_id').where('id', '=', inv.id).executeTakeFirst()
      const pdf = await invoicePdf(inv, issuer ? await orgName(app, issuer.org_id) : '')
      return reply.header('content-type', 'application/pdf').header('content-disposition', `inline; filename="factura-${inv.number}.pdf"`).header('cache-control', 'no-store').send(pdf)
    },
  )
}

export async function registerExtras(app: FastifyInstance): Promise<void> {
  await app.register(extras)
}

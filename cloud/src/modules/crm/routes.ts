import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { ErrorReply } from '../../errors.js'
import { withIdempotency } from '../common/idempotency.js'
import { crmDb } from './tables.js'
import * as contacts from './contacts.js'
import * as deals from './deals.js'
import * as interactions from './interactions.js'
import * as leads from './leads.js'
import * as portalLinks from './portal-links.js'
import * as reports from './reports.js'
import * as rules from './scoring-rules.js'
import { refreshTimeWindowScores } from './scoring.js'
import * as segments from './segments.js'
import * as stages from './stages.js'
import {
  CloseDealBody, ContactPage, ContactsQuery, ContactView, CreateContactBody, CreateDealBody, CreateInteractionBody, CreateLeadFormBody,
  CreateScoringRuleBody, CreateSegmentBody, CreateStageBody, CsvBody, DealDetail, DealPage, DealsQuery, DealView, FormKeyParams, FunnelQuery,
  FunnelReport, IdParams, InteractionPage, InteractionsQuery, InteractionView, LeadAccepted, LeadFormPage, LeadFormsQuery, LeadFormView,
  LeadsBySourceQuery, LeadsBySourceReport, LeadSubmission, MoveDealBody, PreviewSegmentBody, PublicFormView, RecomputeReply,
  ReorderStagesBody, ScoreBreakdown, ScoringRulePage, ScoringRulesQuery, ScoringRuleView, SegmentContactsQuery, SegmentPage,
  SegmentsQuery, SegmentView, StagePage, StagesQuery, StageView, UpdateContactBody, UpdateDealBody, UpdateScoringRuleBody,
  UpdateSegmentBody, UpdateStageBody, InvitationBody, InvitationCreated, PortalLinkState, RedeemBody, PortalLinkView, PortalLinkPage,
  PortalLinksQuery, ContactIdParams,
} from './schema.js'

const common = { tags: ['crm'], security: [{ user: [] }] }
const errors = { 400: ErrorReply, 401: ErrorReply, 403: ErrorReply, 404: ErrorReply, 409: ErrorReply }
const read = { permission: 'crm.read' } as const
const manage = { permission: 'crm.manage' } as const
const PAGED = 'Keyset pages: `limit` and `cursor` (the previous page\'s `nextCursor`) in, `{ items, nextCursor }` out.'

/**
 * The CRM (issue 8): contacts, the pipeline (stages, deals, their stage history),
 * interactions, lead-capture forms and the public capture endpoint, scoring rules,
 * segments, and the funnel and lead reports. README.md has the rules.
 */
const crmRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.jobs.register('crm.scores.refresh', 60 * 60_000, ({ now }) => refreshTimeWindowScores(crmDb(app.db), now))
  app.jobs.register('crm.lead-attempts.prune', 6 * 60 * 60_000, ({ now }) => leads.pruneLeadAttempts(app.db, now))
  app.jobs.register('crm.portal-link-attempts.prune', 6 * 60 * 60_000, ({ now }) => portalLinks.prunePortalLinkAttempts(app.db, now))

  await app.register(publicLeadRoutes)
  await app.register(contactRoutes)
  await app.register(pipelineRoutes)
  await app.register(scoringAndSegmentRoutes)
  await app.register(portalLinkRoutes)
}

/**
 * The form lives on the shop's own site, so the browser posts across origins: these
 * routes answer CORS for any origin. That is safe here: they take no credentials and
 * read nothing but the form key, and the spam defences do not rely on the origin.
 */
const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, POST, OPTIONS',
  'access-control-allow-headers': 'content-type',
  'access-control-max-age': '86400',
}

const publicLeadRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const tags = ['crm', 'public']
  // Errors too (a 429 the page must be able to read): every reply of this plugin.
  app.addHook('onSend', async (_request, reply) => {
    void reply.headers(CORS)
  })

  app.options('/public/crm/leads/:formKey', {
    config: { public: true },
    schema: { tags, description: 'CORS preflight for the form page.', params: FormKeyParams, response: { 204: Type.Null() } },
  }, async (_request, reply) => reply.code(204).send(null))
  app.get('/public/crm/leads/:formKey', {
    config: { public: true },
    schema: {
      tags,
      description: 'What a lead form page needs before it renders: the form\'s name, its minimum fill time and a signed timestamp token (valid 24 h) to send back as formToken.',
      params: FormKeyParams,
      response: { 200: PublicFormView, 400: ErrorReply, 404: ErrorReply, 429: ErrorReply },
    },
  }, async (request, reply) => {
    void reply.header('cache-control', 'no-store')
    return leads.publicForm(app.db, request.params.formKey)
  })

  app.post('/public/crm/leads/:formKey', {
    config: { public: true },
    bodyLimit: leads.LEAD_BODY_LIMIT,
    schema: {
      tags,
      description:
        'Captures a lead from the organization\'s web form (no login). Needs name, email or phone, and the formToken of GET. ' +
        'Answers 202 { status: "received" } when stored, and the same when the honeypot field `website` is filled or the form was sent ' +
        'faster than its minimum fill time (dropped silently). 400 for a bad token or body, 404 for an unknown or disabled form, ' +
        `429 past ${leads.FORM_ADDRESS_LIMIT} submissions per form and address in ${leads.FORM_ADDRESS_WINDOW_MS / 60_000} minutes ` +
        '(and past the public limit per address). An email (or phone) the organization already has is merged into that contact.',
      params: FormKeyParams,
      body: LeadSubmission,
      response: { 202: LeadAccepted, 400: ErrorReply, 404: ErrorReply, 413: ErrorReply, 429: ErrorReply },
    },
  }, async (request, reply) => {
    await leads.captureLead(app.db, request, request.params.formKey, request.body)
    return reply.code(202).send({ status: 'received' as const })
  })
}

const contactRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('preHandler', app.authenticate)

  app.get('/crm/contacts', {
    config: read,
    schema: {
      ...common,
      description: `Contacts, newest first (sort=createdAt|-createdAt|name|-name|score|-score). Filters: kind, q (name, company or email contains), vertical, city, tag, minScore, archived=false (default)|true|all. ${PAGED}`,
      querystring: ContactsQuery,
      response: { 200: ContactPage, ...errors },
    },
  }, (request) => contacts.listContacts(app.db, request.user.orgId, request.query))

  app.post('/crm/contacts', {
    config: manage,
    schema: {
      ...common,
      description: 'Creates a contact. 409 CRM_CONTACT_DUPLICATE_EMAIL when an active contact of the organization has the same email (case-insensitive).',
      body: CreateContactBody,
      response: { 201: ContactView, ...errors },
    },
  }, async (request, reply) => reply.code(201).send(await contacts.createContact(app.db, request, request.body)))

  app.get('/crm/contacts/:id', {
    config: read,
    schema: { ...common, params: IdParams, response: { 200: ContactView, ...errors } },
  }, async (request) => contacts.contactView(await contacts.findOrgContact(app.db, request.user.orgId, request.params.id)))

  app.patch('/crm/contacts/:id', {
    config: manage,
    schema: { ...common, description: 'Changes the fields given; the score is recomputed.', params: IdParams, body: UpdateContactBody, response: { 200: ContactView, ...errors } },
  }, (request) => contacts.updateContact(app.db, request, request.params.id, request.body))

  app.delete('/crm/contacts/:id', {
    config: manage,
    schema: { ...common, description: 'Archives the contact (contacts are never deleted: invoices, leases and bookings name them).', params: IdParams, response: { 200: ContactView, ...errors } },
  }, (request) => contacts.setArchived(app.db, request, request.params.id, true))

  app.post('/crm/contacts/:id/restore', {
    config: manage,
    schema: { ...common, description: 'Brings an archived contact back (409 if another active contact took its email meanwhile).', params: IdParams, response: { 200: ContactView, ...errors } },
  }, (request) => contacts.setArchived(app.db, request, request.params.id, false))

  app.get('/crm/contacts/:id/score', {
    config: read,
    schema: { ...common, description: 'The stored score and each active rule: matched or not, its points, and why.', params: IdParams, response: { 200: ScoreBreakdown, ...errors } },
  }, (request) => rules.scoreBreakdown(app.db, request.user.orgId, request.params.id))

  app.get('/crm/interactions', {
    config: read,
    schema: { ...common, description: `Interactions, newest first; filters contactId, dealId, kind. ${PAGED}`, querystring: InteractionsQuery, response: { 200: InteractionPage, ...errors } },
  }, (request) => interactions.listInteractions(app.db, request.user.orgId, request.query))

  app.post('/crm/interactions', {
    config: manage,
    schema: {
      ...common,
      description: 'Logs a call, email, meeting or WhatsApp conversation with a contact (dealId: one of that contact\'s deals). occurredAt (epoch ms) defaults to now; moves the contact\'s lastInteractionAt forward and rescores it.',
      body: CreateInteractionBody,
      response: { 201: InteractionView, ...errors },
    },
  }, async (request, reply) => reply.code(201).send(await interactions.createInteraction(app.db, request, request.body)))
}

const pipelineRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('preHandler', app.authenticate)

  app.get('/crm/stages', {
    config: read,
    schema: { ...common, description: `The pipeline's stages in order, with their open deals. The first use seeds the defaults (Contacto inicial … Cierre). ${PAGED}`, querystring: StagesQuery, response: { 200: StagePage, ...errors } },
  }, (request) => stages.listStages(app.db, request.user.orgId, request.query))

  app.post('/crm/stages', {
    config: manage,
    schema: { ...common, description: 'Adds a stage at position (0-based; default last). 409 CRM_STAGE_NAME_TAKEN.', body: CreateStageBody, response: { 201: StageView, ...errors } },
  }, async (request, reply) => reply.code(201).send(await stages.createStage(app.db, request, request.body)))

  app.put('/crm/stages/order', {
    config: manage,
    schema: { ...common, description: 'Reorders the pipeline: stageIds lists every active stage once, in the new order.', body: ReorderStagesBody, response: { 200: Type.Object({ stages: Type.Array(StageView) }), ...errors } },
  }, (request) => stages.reorderStages(app.db, request, request.body.stageIds))

  app.patch('/crm/stages/:id', {
    config: manage,
    schema: { ...common, description: 'Renames a stage, or makes it the closing stage (closing: true).', params: IdParams, body: UpdateStageBody, response: { 200: StageView, ...errors } },
  }, (request) => stages.updateStage(app.db, request, request.params.id, request.body))

  app.delete('/crm/stages/:id', {
    config: manage,
    schema: { ...common, description: '409 CRM_STAGE_HAS_OPEN_DEALS while open deals are in it; 409 CRM_STAGE_LAST for the only stage. Its history stays in the funnel.', params: IdParams, response: { 200: StageView, ...errors } },
  }, (request) => stages.deleteStage(app.db, request, request.params.id))

  app.get('/crm/deals', {
    config: read,
    schema: { ...common, description: `Deals, newest first; filters stageId, status, contactId, ownerUserId. ${PAGED}`, querystring: DealsQuery, response: { 200: DealPage, ...errors } },
  }, (request) => deals.listDeals(app.db, request.user.orgId, request.query))

  app.post('/crm/deals', {
    config: manage,
    schema: {
      ...common,
      description: 'Opens a deal for an active contact, in stageId (default the first stage). valueMinor in minor units of currency. Takes an Idempotency-Key header.',
      body: CreateDealBody,
      response: { 201: DealView, 422: ErrorReply, ...errors },
    },
  }, async (request, reply) => {
    await withIdempotency(app.db, request, reply, request.user.orgId, async () => ({ status: 201, body: await deals.createDeal(app.db, request, request.body) }))
    return reply
  })

  app.get('/crm/deals/:id', {
    config: read,
    schema: { ...common, description: 'The deal and its stays in each stage.', params: IdParams, response: { 200: DealDetail, ...errors } },
  }, (request) => deals.getDeal(app.db, request.user.orgId, request.params.id))

  app.patch('/crm/deals/:id', {
    config: manage,
    schema: { ...common, description: 'Changes an open deal (409 CRM_DEAL_CLOSED once won or lost). Stage changes go through /move.', params: IdParams, body: UpdateDealBody, response: { 200: DealView, ...errors } },
  }, (request) => deals.updateDeal(app.db, request, request.params.id, request.body))

  app.post('/crm/deals/:id/move', {
    config: manage,
    schema: { ...common, description: 'Moves an open deal to another stage and records the stay.', params: IdParams, body: MoveDealBody, response: { 200: DealView, ...errors } },
  }, (request) => deals.moveDeal(app.db, request, request.params.id, request.body.stageId))

  app.post('/crm/deals/:id/close', {
    config: manage,
    schema: { ...common, description: 'Won, or lost with a reason. The deal moves into the closing stage if it is elsewhere.', params: IdParams, body: CloseDealBody, response: { 200: DealView, ...errors } },
  }, (request) => deals.closeDeal(app.db, request, request.params.id, request.body))

  app.get('/crm/reports/funnel', {
    config: read,
    schema: { ...common, description: 'Funnel over [from, to) (epoch ms; default the last 90 days): deals entering each stage, conversion to the next, average days per stage, won and lost per currency.', querystring: FunnelQuery, response: { 200: FunnelReport, ...errors } },
  }, (request) => reports.funnelReport(app.db, request.user.orgId, request.query))

  app.get('/crm/reports/funnel.csv', {
    config: read,
    schema: { ...common, description: 'The funnel as CSV: Spanish / English headers, `;` and a decimal comma, UTF-8 with BOM.', querystring: FunnelQuery, produces: ['text/csv'], response: { 200: CsvBody, ...errors } },
  }, async (request, reply) => {
    const report = await reports.funnelReport(app.db, request.user.orgId, request.query)
    return reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="embudo-funnel-${new Date(report.from).toISOString().slice(0, 10)}-${new Date(report.to).toISOString().slice(0, 10)}.csv"`)
      .header('cache-control', 'no-store')
      .send(reports.funnelCsv(report))
  })

  app.get('/crm/reports/leads-by-source', {
    config: read,
    schema: { ...common, description: 'Leads created in [from, to) by source and period (bucket day, week (default) or month, UTC).', querystring: LeadsBySourceQuery, response: { 200: LeadsBySourceReport, ...errors } },
  }, (request) => reports.leadsBySource(app.db, request.user.orgId, request.query))
}

const scoringAndSegmentRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('preHandler', app.authenticate)

  app.get('/crm/lead-forms', {
    config: read,
    schema: { ...common, description: `The organization's lead-capture forms, newest first. ${PAGED}`, querystring: LeadFormsQuery, response: { 200: LeadFormPage, ...errors } },
  }, (request) => leads.listLeadForms(app.db, request.user.orgId, request.query))

  app.post('/crm/lead-forms', {
    config: manage,
    schema: { ...common, description: 'Creates a form and its public key: the page posts to /api/public/crm/leads/:formKey.', body: CreateLeadFormBody, response: { 201: LeadFormView, ...errors } },
  }, async (request, reply) => reply.code(201).send(await leads.createLeadForm(app.db, request, request.body)))

  for (const action of ['disable', 'enable'] as const) {
    app.post(`/crm/lead-forms/:id/${action}`, {
      config: manage,
      schema: { ...common, description: action === 'disable' ? 'The form\'s key stops accepting leads (404).' : 'The form accepts leads again.', params: IdParams, response: { 200: LeadFormView, ...errors } },
    }, (request) => leads.setLeadFormDisabled(app.db, request, request.params.id, action === 'disable'))
  }

  app.get('/crm/scoring-rules', {
    config: read,
    schema: { ...common, description: `Scoring rules, oldest first. ${PAGED}`, querystring: ScoringRulesQuery, response: { 200: ScoringRulePage, ...errors } },
  }, (request) => rules.listRules(app.db, request.user.orgId, request.query))

  app.post('/crm/scoring-rules', {
    config: manage,
    schema: { ...common, description: 'Adds a rule (condition and points); every contact of the organization is rescored.', body: CreateScoringRuleBody, response: { 201: ScoringRuleView, ...errors } },
  }, async (request, reply) => reply.code(201).send(await rules.createRule(app.db, request, request.body)))

  app.post('/crm/scoring-rules/recompute', {
    config: manage,
    schema: { ...common, description: 'Rescores every contact of the organization now.', response: { 200: RecomputeReply, ...errors } },
  }, (request) => rules.recomputeScores(app.db, request))

  app.patch('/crm/scoring-rules/:id', {
    config: manage,
    schema: { ...common, params: IdParams, body: UpdateScoringRuleBody, response: { 200: ScoringRuleView, ...errors } },
  }, (request) => rules.updateRule(app.db, request, request.params.id, request.body))

  app.delete('/crm/scoring-rules/:id', {
    config: manage,
    schema: { ...common, params: IdParams, response: { 200: ScoringRuleView, ...errors } },
  }, (request) => rules.deleteRule(app.db, request, request.params.id))

  app.get('/crm/segments', {
    config: read,
    schema: { ...common, description: `Saved segments, newest first. ${PAGED}`, querystring: SegmentsQuery, response: { 200: SegmentPage, ...errors } },
  }, (request) => segments.listSegments(app.db, request.user.orgId, request.query))

  app.post('/crm/segments', {
    config: manage,
    schema: { ...common, body: CreateSegmentBody, response: { 201: SegmentView, ...errors } },
  }, async (request, reply) => reply.code(201).send(await segments.createSegment(app.db, request, request.body)))

  app.post('/crm/segments/preview', {
    config: read,
    schema: { ...common, description: `The contacts an unsaved definition selects, one page (limit, cursor in the body). ${PAGED}`, body: PreviewSegmentBody, response: { 200: ContactPage, ...errors } },
  }, (request) => segments.evaluateSegment(crmDb(app.db), request.user.orgId, request.body.definition, request.body))

  app.get('/crm/segments/:id', {
    config: read,
    schema: { ...common, params: IdParams, response: { 200: SegmentView, ...errors } },
  }, (request) => segments.getSegment(app.db, request.user.orgId, request.params.id))

  app.patch('/crm/segments/:id', {
    config: manage,
    schema: { ...common, params: IdParams, body: UpdateSegmentBody, response: { 200: SegmentView, ...errors } },
  }, (request) => segments.updateSegment(app.db, request, request.params.id, request.body))

  app.delete('/crm/segments/:id', {
    config: manage,
    schema: { ...common, params: IdParams, response: { 200: SegmentView, ...errors } },
  }, (request) => segments.deleteSegment(app.db, request, request.params.id))

  app.get('/crm/segments/:id/contacts', {
    config: read,
    schema: { ...common, description: `The segment's contacts now, newest first. ${PAGED}`, params: IdParams, querystring: SegmentContactsQuery, response: { 200: ContactPage, ...errors } },
  }, (request) => segments.segmentContacts(app.db, request.user.orgId, request.params.id, request.query))
}

/**
 * Portal links (portal-links.ts): the organization invites its contact with a one-time
 * code; the shop's admin redeems it under /api/portal/links and becomes that contact.
 */
const portalLinkRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('preHandler', app.authenticate)
  const portal = { tags: ['portal'], security: [{ user: [] }] }
  const linkErrors = { ...errors, 429: ErrorReply }

  app.post('/crm/contacts/:id/portal-invitations', {
    config: manage,
    schema: {
      ...common,
      description: `A one-time code (${portalLinks.CODE_LENGTH} characters, shown in this answer only, stored hashed, valid ${portalLinks.INVITATION_TTL_MS / 86_400_000} days) ` +
        'for the contact to link its own organization on Tendero (POST /api/portal/links); a pending code of the contact stops working. sendEmail mails it to the contact. ' +
        '409 CRM_CONTACT_ALREADY_LINKED while linked; 409 CRM_CONTACT_ARCHIVED.',
      params: IdParams, body: InvitationBody, response: { 201: InvitationCreated, ...errors },
    },
  }, async (request, reply) => {
    void reply.header('cache-control', 'no-store')
    return reply.code(201).send(await portalLinks.createInvitation(app.db, request, request.params.id, request.body ?? {}))
  })

  app.get('/crm/contacts/:id/portal-link', {
    config: read,
    schema: { ...common, description: 'The contact\'s portal link (the organization it is, since when) and its pending invitation (never the code).', params: IdParams, response: { 200: PortalLinkState, ...errors } },
  }, (request) => portalLinks.portalLinkState(app.db, request.user.orgId, request.params.id))

  app.delete('/crm/contacts/:id/portal-link', {
    config: manage,
    schema: { ...common, description: 'Ends the contact\'s portal access: unlinks it and revokes a pending invitation. 409 CRM_PORTAL_NOTHING_TO_REVOKE when there is neither.', params: IdParams, response: { 200: PortalLinkState, ...errors } },
  }, (request) => portalLinks.revokePortalLink(app.db, request, request.params.id))

  app.get('/portal/links', {
    config: { permission: 'portal.read' },
    schema: { ...portal, description: `The organizations (malls, suppliers) this organization is linked with as their contact. ${PAGED}`, querystring: PortalLinksQuery, response: { 200: PortalLinkPage, ...errors } },
  }, (request) => portalLinks.listLinks(app.db, request.user.orgId, request.query))

  // Who the organization is to others is its admins' (and owner's) decision (portal.links).
  app.post('/portal/links', {
    config: { permission: 'portal.links' },
    schema: {
      ...portal,
      description: 'Redeems an invitation code: the inviting organization\'s contact becomes this organization, whose portal then shows its leases and invoices. ' +
        `404 PORTAL_LINK_CODE_INVALID for a wrong, used, expired or revoked code (one answer for all); after ${portalLinks.WRONG_PER_ORG} wrong codes per organization ` +
        `or ${portalLinks.WRONG_PER_ADDRESS} per address in ${portalLinks.WRONG_WINDOW_MS / 60_000} minutes, 429 PORTAL_LINK_RATE_LIMITED with Retry-After.`,
      body: RedeemBody, response: { 201: PortalLinkView, ...linkErrors },
    },
  }, async (request, reply) => reply.code(201).send(await portalLinks.redeemCode(app.db, request, request.body.code)))

  app.delete('/portal/links/:contactId', {
    config: { permission: 'portal.links' },
    schema: { ...portal, description: 'Ends a link: this organization stops being that contact, and its leases there leave the portal.', params: ContactIdParams, response: { 200: PortalLinkView, ...errors } },
  }, (request) => portalLinks.unlink(app.db, request, request.params.contactId))
}

export default crmRoutes

// The CRM of the organization (cloud/src/modules/crm): contacts and their interactions and
// score, the pipeline (stages and deals), the funnel report, segments and lead forms.
import { apiRequest, type QueryValue } from './client.js'
import { downloadFile, type DownloadRequest } from './download.js'
import type { Page } from './sites.js'

export const CONTACT_KINDS = ['customer', 'lead', 'supplier', 'staff'] as const
export type ContactKind = (typeof CONTACT_KINDS)[number]

export interface Contact {
  id: string
  kind: ContactKind
  name: string
  company: string | null
  email: string | null
  phone: string | null
  taxId: string | null
  vertical: string | null
  city: string | null
  country: string | null
  annualRevenueMinor: number | null
  revenueCurrency: string | null
  ownerUserId: string | null
  source: string | null
  tags: string[]
  notes: string | null
  score: number
  lastInteractionAt: number | null
  createdAt: number
  updatedAt: number
  archivedAt: number | null
  /** The organization on Tendero this contact is, once it redeemed a portal invitation. */
  linkedOrgId?: string | null
}

/** The fields a person edits; null clears one. */
export type ContactInput = Partial<Pick<Contact, 'company' | 'email' | 'phone' | 'vertical' | 'city' | 'country' | 'source' | 'notes'>> & {
  kind: ContactKind
  name: string
}

export interface ContactFilters {
  q?: string
  kind?: ContactKind | ''
  vertical?: string
  city?: string
  minScore?: number | null
}

const clean = (value: string | undefined): string | undefined => (value?.trim() ? value.trim() : undefined)

export const fetchContacts = (filters: ContactFilters = {}, cursor?: string | null, limit = 25): Promise<Page<Contact>> =>
  apiRequest<Page<Contact>>('/api/crm/contacts', {
    query: {
      limit,
      cursor,
      q: clean(filters.q),
      kind: filters.kind || undefined,
      vertical: clean(filters.vertical),
      city: clean(filters.city),
      minScore: filters.minScore ?? undefined,
    },
  })

export const fetchContact = (id: string): Promise<Contact> => apiRequest<Contact>(`/api/crm/contacts/${encodeURIComponent(id)}`)

export const createContact = (body: ContactInput): Promise<Contact> => apiRequest<Contact>('/api/crm/contacts', { method: 'POST', body })

export const updateContact = (id: string, body: Partial<ContactInput>): Promise<Contact> =>
  apiRequest<Contact>(`/api/crm/contacts/${encodeURIComponent(id)}`, { method: 'PATCH', body })

/** A scoring rule's condition, as the cloud stores it (cloud/src/modules/crm/schema.ts). */
export type ScoreCondition =
  | { type: 'vertical_equals'; value: string }
  | { type: 'revenue_at_least'; minor: number; currency: string }
  | { type: 'has_email' }
  | { type: 'has_phone' }
  | { type: 'source_equals'; value: string }
  | { type: 'city_in'; values: string[] }
  | { type: 'interactions_within'; days: number; atLeast: number }

/** What the rule looked at on the contact. */
export interface ScoreObserved {
  value?: string | null
  minor?: number | null
  currency?: string | null
  count?: number
  present?: boolean
}

export interface ScoreRuleResult {
  ruleId: string
  name: string
  points: number
  matched: boolean
  condition: ScoreCondition
  observed: ScoreObserved
  /** The cloud's English wording, for API users; the view words condition and observed itself. */
  detail: string
}

export interface ScoreBreakdown {
  contactId: string
  score: number
  computed: number
  rules: ScoreRuleResult[]
}

export const fetchScore = (id: string): Promise<ScoreBreakdown> => apiRequest<ScoreBreakdown>(`/api/crm/contacts/${encodeURIComponent(id)}/score`)

export const SCORE_CONDITION_TYPES = ['vertical_equals', 'revenue_at_least', 'has_email', 'has_phone', 'source_equals', 'city_in', 'interactions_within'] as const
export type ScoreConditionType = (typeof SCORE_CONDITION_TYPES)[number]

export interface ScoringRule {
  id: string
  name: string
  condition: ScoreCondition
  points: number
  active: boolean
  createdAt: number
  updatedAt: number
}

export interface ScoringRuleInput {
  name: string
  condition: ScoreCondition
  points: number
  active?: boolean
}

export const fetchScoringRules = (cursor?: string | null, limit = 100): Promise<Page<ScoringRule>> =>
  apiRequest<Page<ScoringRule>>('/api/crm/scoring-rules', { query: { cursor, limit } })

export const createScoringRule = (body: ScoringRuleInput): Promise<ScoringRule> =>
  apiRequest<ScoringRule>('/api/crm/scoring-rules', { method: 'POST', body })

export const updateScoringRule = (id: string, body: Partial<ScoringRuleInput>): Promise<ScoringRule> =>
  apiRequest<ScoringRule>(`/api/crm/scoring-rules/${encodeURIComponent(id)}`, { method: 'PATCH', body })

export const deleteScoringRule = (id: string): Promise<ScoringRule> =>
  apiRequest<ScoringRule>(`/api/crm/scoring-rules/${encodeURIComponent(id)}`, { method: 'DELETE' })

/** Rescores every contact now: how many were looked at and how many changed. */
export const recomputeScores = (): Promise<{ contacts: number; changed: number }> =>
  apiRequest<{ contacts: number; changed: number }>('/api/crm/scoring-rules/recompute', { method: 'POST' })

export const INTERACTION_KINDS = ['call', 'email', 'meeting', 'whatsapp'] as const
export type LoggedInteractionKind = (typeof INTERACTION_KINDS)[number]
export type InteractionKind = LoggedInteractionKind | 'web_form'
export type Direction = 'inbound' | 'outbound'

export interface Interaction {
  id: string
  contactId: string
  dealId: string | null
  kind: InteractionKind
  direction: Direction
  occurredAt: number
  summary: string
  userId: string | null
  createdAt: number
}

export interface NewInteraction {
  contactId: string
  kind: LoggedInteractionKind
  direction: Direction
  summary: string
  occurredAt?: number
}

export const fetchInteractions = (contactId: string, cursor?: string | null, limit = 20): Promise<Page<Interaction>> =>
  apiRequest<Page<Interaction>>('/api/crm/interactions', { query: { contactId, cursor, limit } })

export const createInteraction = (body: NewInteraction): Promise<Interaction> =>
  apiRequest<Interaction>('/api/crm/interactions', { method: 'POST', body })

// ----- pipeline -----

export interface Stage {
  id: string
  name: string
  position: number
  closing: boolean
  openDeals: number
}

/** Pipeline settings (crm.manage): add, rename, reorder, delete (409 while it has open deals). */
export const createStage = (name: string): Promise<Stage> => apiRequest<Stage>('/api/crm/stages', { method: 'POST', body: { name } })

export const renameStage = (id: string, name: string): Promise<Stage> =>
  apiRequest<Stage>(`/api/crm/stages/${encodeURIComponent(id)}`, { method: 'PATCH', body: { name } })

export const reorderStages = (stageIds: string[]): Promise<{ stages: Stage[] }> =>
  apiRequest<{ stages: Stage[] }>('/api/crm/stages/order', { method: 'PUT', body: { stageIds } })

export const deleteStage = (id: string): Promise<Stage> => apiRequest<Stage>(`/api/crm/stages/${encodeURIComponent(id)}`, { method: 'DELETE' })

export type DealStatus = 'open' | 'won' | 'lost'

export interface Deal {
  id: string
  contactId: string
  title: string
  valueMinor: number
  currency: string
  stageId: string
  expectedCloseDate: string | null
  ownerUserId: string | null
  status: DealStatus
  closeReason: string | null
  closedAt: number | null
  createdAt: number
  updatedAt: number
}

export interface NewDeal {
  contactId: string
  title: string
  valueMinor: number
  currency: string
  stageId?: string
  expectedCloseDate?: string | null
}

/** The stages of the pipeline, in order (a pipeline has few; the first use seeds the defaults). */
export const fetchStages = (): Promise<Page<Stage>> => apiRequest<Page<Stage>>('/api/crm/stages', { query: { limit: 100 } })

export const fetchDeals = (query: { status?: DealStatus; contactId?: string; stageId?: string } = {}, cursor?: string | null, limit = 100): Promise<Page<Deal>> =>
  apiRequest<Page<Deal>>('/api/crm/deals', { query: { ...query, cursor, limit } as Record<string, QueryValue> })

/** Money: the Idempotency-Key makes a retried create (a flaky phone connection) open one deal. */
export const createDeal = (body: NewDeal, idempotencyKey: string): Promise<Deal> =>
  apiRequest<Deal>('/api/crm/deals', { method: 'POST', body, headers: { 'Idempotency-Key': idempotencyKey } })

export const moveDeal = (id: string, stageId: string): Promise<Deal> =>
  apiRequest<Deal>(`/api/crm/deals/${encodeURIComponent(id)}/move`, { method: 'POST', body: { stageId } })

export const closeDeal = (id: string, outcome: 'won' | 'lost', reason?: string): Promise<Deal> =>
  apiRequest<Deal>(`/api/crm/deals/${encodeURIComponent(id)}/close`, { method: 'POST', body: reason ? { outcome, reason } : { outcome } })

// ----- funnel -----

export interface MoneyCount {
  currency: string
  count: number
  valueMinor: number
}

export interface FunnelStage {
  stageId: string
  name: string
  position: number
  deleted: boolean
  entered: number
  conversionToNextPct: number | null
  avgDaysInStage: number | null
}

export interface FunnelReport {
  from: number
  to: number
  stages: FunnelStage[]
  won: MoneyCount[]
  lost: MoneyCount[]
  wonCount: number
  lostCount: number
  winRatePct: number | null
}

export interface FunnelWindow {
  from?: number
  to?: number
}

export const fetchFunnel = (window: FunnelWindow = {}): Promise<FunnelReport> =>
  apiRequest<FunnelReport>('/api/crm/reports/funnel', { query: { ...window } })

export const downloadFunnelCsv = (window: FunnelWindow, auth: Pick<DownloadRequest, 'token' | 'refresh'>): Promise<string> =>
  downloadFile({ ...auth, path: '/api/crm/reports/funnel.csv', query: { ...window }, fallbackName: 'embudo-funnel.csv' })

// ----- segments -----

export interface SegmentDefinition {
  kinds?: ContactKind[]
  verticals?: string[]
  revenueMinMinor?: number
  revenueMaxMinor?: number
  revenueCurrency?: string
  activeWithinDays?: number
  inactiveForDays?: number
  cities?: string[]
  countries?: string[]
  tags?: string[]
  minScore?: number
}

export interface Segment {
  id: string
  name: string
  definition: SegmentDefinition
  createdAt: number
  updatedAt: number
}

export const fetchSegments = (cursor?: string | null, limit = 50): Promise<Page<Segment>> =>
  apiRequest<Page<Segment>>('/api/crm/segments', { query: { cursor, limit } })

export const fetchSegmentContacts = (id: string, cursor?: string | null, limit = 25): Promise<Page<Contact>> =>
  apiRequest<Page<Contact>>(`/api/crm/segments/${encodeURIComponent(id)}/contacts`, { query: { cursor, limit } })

export const createSegment = (body: { name: string; definition: SegmentDefinition }): Promise<Segment> =>
  apiRequest<Segment>('/api/crm/segments', { method: 'POST', body })

export const deleteSegment = (id: string): Promise<Segment> => apiRequest<Segment>(`/api/crm/segments/${encodeURIComponent(id)}`, { method: 'DELETE' })

/** The contacts an unsaved definition selects now (one page). */
export const previewSegment = (definition: SegmentDefinition, limit = 25): Promise<Page<Contact>> =>
  apiRequest<Page<Contact>>('/api/crm/segments/preview', { method: 'POST', body: { definition, limit } })

// ----- lead forms -----

export interface LeadForm {
  id: string
  formKey: string
  name: string
  source: string
  minFillSeconds: number
  createdAt: number
  disabledAt: number | null
}

export const fetchLeadForms = (cursor?: string | null, limit = 50): Promise<Page<LeadForm>> =>
  apiRequest<Page<LeadForm>>('/api/crm/lead-forms', { query: { cursor, limit } })

export const createLeadForm = (body: { name: string; source?: string; minFillSeconds?: number }): Promise<LeadForm> =>
  apiRequest<LeadForm>('/api/crm/lead-forms', { method: 'POST', body })

export const setLeadFormDisabled = (id: string, disabled: boolean): Promise<LeadForm> =>
  apiRequest<LeadForm>(`/api/crm/lead-forms/${encodeURIComponent(id)}/${disabled ? 'disable' : 'enable'}`, { method: 'POST' })

/** Where a form's page gets its token and posts its leads (no login; CORS for any origin). */
export const publicLeadPath = (formKey: string): string => `/api/public/crm/leads/${encodeURIComponent(formKey)}`

/** A contact's portal link (the organization it is on Tendero) and its pending invitation (never the code). */
export interface PortalLinkState {
  contactId: string
  linked: { orgId: string; orgName: string; linkedAt: number | null } | null
  invitation: { id: string; createdAt: number; expiresAt: number; mailedTo: string | null } | null
}

export interface PortalInvitation {
  id: string
  contactId: string
  /** The one-time code: in this answer only. */
  code: string
  createdAt: number
  expiresAt: number
  mailedTo: string | null
}

export const fetchPortalLink = (contactId: string): Promise<PortalLinkState> =>
  apiRequest<PortalLinkState>(`/api/crm/contacts/${encodeURIComponent(contactId)}/portal-link`)

export const createPortalInvitation = (contactId: string, sendEmail: boolean): Promise<PortalInvitation> =>
  apiRequest<PortalInvitation>(`/api/crm/contacts/${encodeURIComponent(contactId)}/portal-invitations`, { method: 'POST', body: { sendEmail } })

export const revokePortalLink = (contactId: string): Promise<PortalLinkState> =>
  apiRequest<PortalLinkState>(`/api/crm/contacts/${encodeURIComponent(contactId)}/portal-link`, { method: 'DELETE' })

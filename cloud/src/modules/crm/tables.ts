import type { ColumnType, Generated, Kysely } from 'kysely'
import type { Database } from '../../plugins/db/tables.js'
import type { ContactTables } from '../common/contacts.js'

/** Kysely's view of migration 0017 (and 0016's contacts), kept in this module. */
type CreatedAt = ColumnType<Date, Date | string | undefined, never>
type UpdatedAt = ColumnType<Date, Date | string | undefined, Date | string>
type Timestamp = ColumnType<Date, Date | string, Date | string>
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>
type NullableText = ColumnType<string | null, string | null | undefined, string | null>
type Serial = ColumnType<number, never, never>
type Json<T> = ColumnType<T, string, string>

export type DealStatus = 'open' | 'won' | 'lost'
export type InteractionKind = 'call' | 'email' | 'meeting' | 'whatsapp' | 'web_form'
export type LeadOutcome = 'created' | 'merged' | 'honeypot' | 'too_fast' | 'bad_token'

export interface CrmOrgStateTable {
  org_id: string
  stages_seeded_at: CreatedAt
}

export interface CrmStagesTable {
  id: Generated<string>
  org_id: string
  name: string
  position: number
  closing: Generated<boolean>
  created_at: CreatedAt
  deleted_at: NullableTimestamp
}

export interface CrmDealsTable {
  id: Generated<string>
  org_id: string
  contact_id: string
  title: string
  value_minor: number
  currency: string
  stage_id: string
  /** A calendar day: kept as text 'YYYY-MM-DD' by selecting it cast (see pipeline.ts). */
  expected_close_date: ColumnType<string | null, string | null | undefined, string | null>
  owner_user_id: NullableText
  status: Generated<DealStatus>
  close_reason: NullableText
  closed_at: NullableTimestamp
  created_at: CreatedAt
  updated_at: UpdatedAt
}

export interface CrmDealStageHistoryTable {
  id: Serial
  org_id: string
  deal_id: string
  from_stage_id: NullableText
  stage_id: string
  entered_at: Timestamp
  left_at: NullableTimestamp
  by_user_id: NullableText
}

export interface CrmInteractionsTable {
  id: Generated<string>
  org_id: string
  contact_id: string
  deal_id: NullableText
  kind: InteractionKind
  direction: 'inbound' | 'outbound'
  occurred_at: Timestamp
  summary: string
  user_id: NullableText
  created_at: CreatedAt
}

export interface CrmLeadFormsTable {
  id: Generated<string>
  org_id: string
  form_key: string
  name: string
  source: string
  min_fill_ms: number
  token_secret: string
  created_by: NullableText
  created_at: CreatedAt
  disabled_at: NullableTimestamp
}

export interface CrmLeadAttemptsTable {
  id: Serial
  org_id: string
  form_id: string
  address_hash: string
  outcome: LeadOutcome
  contact_id: NullableText
  created_at: CreatedAt
}

export interface CrmScoringRulesTable {
  id: Generated<string>
  org_id: string
  name: string
  condition: Json<unknown>
  points: number
  active: Generated<boolean>
  created_at: CreatedAt
  updated_at: UpdatedAt
}

export interface CrmSegmentsTable {
  id: Generated<string>
  org_id: string
  name: string
  definition: Json<unknown>
  created_at: CreatedAt
  updated_at: UpdatedAt
}

/** Migration 0021: one-time portal invitation codes (their SHA-256 only) and wrong guesses. */
export interface CrmPortalInvitationsTable {
  id: Generated<string>
  org_id: string
  contact_id: string
  code_hash: string
  mailed_to: NullableText
  created_by: NullableText
  created_at: CreatedAt
  expires_at: Timestamp
  redeemed_at: NullableTimestamp
  redeemed_org_id: NullableText
  redeemed_by: NullableText
  revoked_at: NullableTimestamp
}

export interface CrmPortalLinkAttemptsTable {
  id: Serial
  org_id: string
  address_hash: string
  created_at: CreatedAt
}

export type CrmTables = ContactTables & {
  crm_org_state: CrmOrgStateTable
  crm_stages: CrmStagesTable
  crm_deals: CrmDealsTable
  crm_deal_stage_history: CrmDealStageHistoryTable
  crm_interactions: CrmInteractionsTable
  crm_lead_forms: CrmLeadFormsTable
  crm_lead_attempts: CrmLeadAttemptsTable
  crm_scoring_rules: CrmScoringRulesTable
  crm_segments: CrmSegmentsTable
  crm_portal_invitations: CrmPortalInvitationsTable
  crm_portal_link_attempts: CrmPortalLinkAttemptsTable
}

export type CrmDb = Kysely<Database & CrmTables>
export const crmDb = (db: Kysely<Database>): CrmDb => db.withTables<CrmTables>()

/** The same connection seen with the shared schema only (recordAudit, queueMail take that). */
export const baseDb = (db: CrmDb): Kysely<Database> => db as unknown as Kysely<Database>

import type { ColumnType, Generated, Kysely, Selectable } from 'kysely'
import type { Database } from '../../plugins/db/tables.js'
import type { ContactTables } from '../common/contacts.js'
import type { MailTables } from '../mail/tables.js'

/** Kysely's view of migration 0019 (billing), kept in this module. */
type CreatedAt = ColumnType<Date, Date | string | undefined, never>
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>
type NullableText = ColumnType<string | null, string | null | undefined, string | null>
/** A `date` column: read as 'YYYY-MM-DD' (selected with to_char) or Date; written as text. */
type DateCol = ColumnType<string, string, string>
type NullableDateCol = ColumnType<string | null, string | null | undefined, string | null>
type Money = ColumnType<number, number | undefined, number>

export type InvoiceStatus = 'draft' | 'posted' | 'void'
export type PaymentMethod = 'cash' | 'transfer' | 'card' | 'mercadopago' | 'stripe'
export type LedgerAccount = 'receivables' | 'revenue' | 'tax_payable' | 'cash' | 'bank' | 'customer_credit'
export type GatewayProvider = 'mercadopago' | 'stripe'

export type BillingTables = {
  billing_sequences: { org_id: string; kind: 'invoice' | 'credit_note'; series: string; last_number: Money }
  billing_invoices: {
    id: Generated<string>
    org_id: string
    contact_id: string
    status: ColumnType<InvoiceStatus, InvoiceStatus | undefined, InvoiceStatus>
    series: string
    seq: ColumnType<number | null, number | null | undefined, number | null>
    number: NullableText
    currency: string
    issue_date: DateCol
    due_date: DateCol
    net_minor: Money
    tax_minor: Money
    total_minor: Money
    source_key: NullableText
    notes: NullableText
    journal_id: NullableText
    posted_at: NullableTimestamp
    voided_at: NullableTimestamp
    created_by: NullableText
    created_at: CreatedAt
    updated_at: ColumnType<Date, Date | string | undefined, Date | string>
  }
  billing_invoice_lines: {
    id: Generated<string>
    invoice_id: string
    org_id: string
    position: number
    description: string
    quantity_milli: number
    unit_minor: number
    tax_rate_bp: number
    net_minor: number
    tax_minor: number
    source_type: NullableText
    source_id: NullableText
    detail: ColumnType<unknown, string | null | undefined, string | null>
  }
  billing_payments: {
    id: Generated<string>
    org_id: string
    contact_id: string
    currency: string
    amount_minor: number
    method: PaymentMethod
    paid_on: DateCol
    external_ref: NullableText
    notes: NullableText
    journal_id: string
    reversal_journal_id: NullableText
    reversed_at: NullableTimestamp
    created_by: NullableText
    created_at: CreatedAt
  }
  billing_allocations: {
    id: Generated<string>
    org_id: string
    payment_id: string
    invoice_id: string
    currency: string
    amount_minor: number
    journal_id: string
    reversal_journal_id: NullableText
    reversed_at: NullableTimestamp
    created_by: NullableText
    created_at: CreatedAt
  }
  billing_credit_notes: {
    id: Generated<string>
    org_id: string
    invoice_id: string
    contact_id: string
    series: string
    seq: number
    number: string
    currency: string
    issue_date: DateCol
    net_minor: number
    tax_minor: number
    total_minor: number
    reason: NullableText
    journal_id: string
    created_by: NullableText
    created_at: CreatedAt
  }
  billing_credit_note_lines: {
    id: Generated<string>
    credit_note_id: string
    invoice_line_id: string
    org_id: string
    description: string
    quantity_milli: number
    tax_rate_bp: number
    net_minor: number
    tax_minor: number
  }
  billing_journals: {
    id: Generated<string>
    org_id: string
    kind: string
    source_type: string
    source_id: string
    currency: string
    entry_date: DateCol
    memo: NullableText
    reverses_journal_id: NullableText
    created_at: CreatedAt
  }
  billing_journal_lines: {
    id: Generated<number>
    journal_id: string
    org_id: string
    account: LedgerAccount
    contact_id: NullableText
    currency: string
    debit_minor: number
    credit_minor: number
  }
  billing_dunning_steps: { org_id: string; offset_days: number }
  billing_gateway_accounts: {
    id: Generated<string>
    org_id: string
    provider: GatewayProvider
    label: string
    secret: string
    access_token: NullableText
    created_at: CreatedAt
    disabled_at: NullableTimestamp
  }
  billing_gateway_events: {
    id: Generated<string>
    org_id: string
    account_id: string
    provider: GatewayProvider
    event_id: string
    event_type: string
    outcome: string
    payment_id: NullableText
    payload: ColumnType<unknown, string, string>
    received_at: CreatedAt
  }
  saas_plans: {
    id: Generated<string>
    code: string
    name: string
    features: ColumnType<string[], string | undefined, string>
    price_minor: number
    currency: string
    interval: 'month' | 'year'
    active: ColumnType<boolean, boolean | undefined, boolean>
    created_at: CreatedAt
  }
  saas_subscriptions: {
    id: Generated<string>
    org_id: string
    plan_id: string
    price_minor: number
    currency: string
    interval: 'month' | 'year'
    started_on: DateCol
    ended_on: NullableDateCol
    end_reason: ColumnType<'cancelled' | 'plan_change' | null, 'cancelled' | 'plan_change' | null | undefined, 'cancelled' | 'plan_change' | null>
    created_at: CreatedAt
  }
}

export type BillingDb = Kysely<Database & BillingTables & ContactTables & MailTables>
export const billingDb = (db: Kysely<Database>): BillingDb => db.withTables<BillingTables & ContactTables & MailTables>()

export type InvoiceRow = Selectable<BillingTables['billing_invoices']>
export type InvoiceLineRow = Selectable<BillingTables['billing_invoice_lines']>
export type PaymentRow = Selectable<BillingTables['billing_payments']>

// Billing (cloud module billing, issue 8): invoices, payments and their allocation, credit
// notes, the customer's balance, receivables aging, dunning and payment gateway accounts.
// Money is always integer minor units with its ISO 4217 currency; quantities are thousandths
// (1500 = 1,5) and tax rates basis points (2100 = 21 %).
import { apiRequest, type QueryValue } from './client.js'
import { downloadFile, type DownloadRequest } from './download.js'
import type { Page } from './sites.js'

export const BILLING_CURRENCIES = ['ARS', 'USD', 'COP', 'UYU', 'CLP', 'MXN', 'PEN', 'BRL', 'EUR'] as const
export type BillingCurrency = (typeof BILLING_CURRENCIES)[number]
export const INVOICE_STATUSES = ['draft', 'posted', 'void'] as const
export type InvoiceStatus = (typeof INVOICE_STATUSES)[number]
export const PAYMENT_METHODS = ['transfer', 'cash', 'card', 'mercadopago', 'stripe'] as const
export type PaymentMethod = (typeof PAYMENT_METHODS)[number]
export const GATEWAY_PROVIDERS = ['mercadopago', 'stripe'] as const
export type GatewayProvider = (typeof GATEWAY_PROVIDERS)[number]

export interface TaxRow {
  rateBp: number
  netMinor: number
  taxMinor: number
}

export interface Invoice {
  id: string
  status: InvoiceStatus
  series: string
  /** Null while a draft: the number is taken when it is posted. */
  number: string | null
  contactId: string
  contactName: string
  currency: string
  issueDate: string
  dueDate: string
  netMinor: number
  taxMinor: number
  totalMinor: number
  paidMinor: number
  creditedMinor: number
  /** What is left to pay. */
  openMinor: number
  taxes: TaxRow[]
  sourceKey: string | null
  notes: string | null
  postedAt: string | null
  createdAt: string
}

export interface InvoiceLine {
  id: string
  position: number
  description: string
  quantityMilli: number
  unitMinor: number
  taxRateBp: number
  netMinor: number
  taxMinor: number
  sourceType: string | null
  sourceId: string | null
  detail: unknown
}

export interface InvoiceDetail extends Invoice {
  lines: InvoiceLine[]
  contact: { name: string; company: string | null; taxId: string | null; email: string | null }
}

export interface NewLine {
  description: string
  quantityMilli: number
  unitMinor: number
  taxRateBp: number
}

export interface NewInvoice {
  contactId: string
  currency: BillingCurrency
  issueDate: string
  dueDate: string
  lines: NewLine[]
  notes?: string
  post?: boolean
}

export interface Allocation {
  id: string
  invoiceId: string
  amountMinor: number
  reversed: boolean
  createdAt: string
}

export interface Payment {
  id: string
  contactId: string
  currency: string
  amountMinor: number
  allocatedMinor: number
  unallocatedMinor: number
  method: PaymentMethod
  paidOn: string
  externalRef: string | null
  notes: string | null
  reversed: boolean
  createdAt: string
  allocations?: Allocation[]
}

export interface NewPayment {
  contactId: string
  currency: BillingCurrency
  amountMinor: number
  method: PaymentMethod
  paidOn: string
  externalRef?: string
  notes?: string
  allocations?: { invoiceId: string; amountMinor: number }[]
}

export interface CreditNote {
  id: string
  number: string
  invoiceId: string
  contactId: string
  currency: string
  issueDate: string
  netMinor: number
  taxMinor: number
  totalMinor: number
  reason: string | null
  createdAt: string
  invoiceStatus?: string
}

export interface NewCreditNote {
  issueDate: string
  reason?: string
  full?: boolean
  lines?: { invoiceLineId: string; quantityMilli: number }[]
}

export interface ContactBalance {
  contactId: string
  balances: {
    currency: string
    receivableMinor: number
    creditMinor: number
    netMinor: number
    openInvoicesMinor: number
    unallocatedPaymentsMinor: number
    /** The ledger agrees with the documents. */
    consistent: boolean
  }[]
}

export const AGING_BUCKETS = ['current', 'd1_30', 'd31_60', 'd61_90', 'over90'] as const
export type AgingBucket = (typeof AGING_BUCKETS)[number]
export type BucketAmounts = Record<AgingBucket, number> & { totalMinor: number }

export interface AgingReport {
  asOf: string
  rows: (BucketAmounts & { contactId: string; contactName: string; currency: string; invoices: number })[]
  totals: (BucketAmounts & { currency: string })[]
}

export interface DunningSchedule {
  /** Days relative to the due date (negative: before it). */
  steps: number[]
  isDefault: boolean
}

export interface GatewayAccount {
  id: string
  provider: GatewayProvider
  label: string
  /** Path of the webhook URL to configure at the provider (under this cloud's origin). */
  webhookPath: string
  hasAccessToken: boolean
  createdAt: string
  disabledAt: string | null
}

export interface CreatedGatewayAccount extends GatewayAccount {
  /** The signing secret: in this answer only. */
  secret: string
}

export interface NewGatewayAccount {
  provider: GatewayProvider
  label: string
  secret?: string
  accessToken?: string
}

export interface ContactOption {
  id: string
  name: string
  company: string | null
  email: string | null
}

const B = '/api/billing'
const id = (value: string) => encodeURIComponent(value)
type DownloadAuth = Pick<DownloadRequest, 'token' | 'refresh'>
export type BillingFileFormat = 'csv' | 'pdf'

export interface InvoiceQuery {
  status?: InvoiceStatus
  contactId?: string
  cursor?: string | null
  limit?: number
}

export const fetchInvoices = (query: InvoiceQuery = {}): Promise<Page<Invoice>> =>
  apiRequest<Page<Invoice>>(`${B}/invoices`, { query: { limit: 25, ...query } as Record<string, QueryValue> })

export const fetchInvoice = (invoiceId: string): Promise<InvoiceDetail> => apiRequest<InvoiceDetail>(`${B}/invoices/${id(invoiceId)}`)

/** `idempotencyKey`: the same for a retried submission, so a lost answer does not make two invoices. */
export const createInvoice = (body: NewInvoice, idempotencyKey: string): Promise<InvoiceDetail> =>
  apiRequest<InvoiceDetail>(`${B}/invoices`, { method: 'POST', body, headers: { 'Idempotency-Key': idempotencyKey } })

export const postInvoice = (invoiceId: string): Promise<InvoiceDetail> => apiRequest<InvoiceDetail>(`${B}/invoices/${id(invoiceId)}/post`, { method: 'POST' })

export const deleteInvoice = (invoiceId: string): Promise<void> => apiRequest<void>(`${B}/invoices/${id(invoiceId)}`, { method: 'DELETE' })

export const downloadInvoicePdf = (invoice: Pick<Invoice, 'id' | 'number'>, auth: DownloadAuth): Promise<string> =>
  downloadFile({ ...auth, path: `${B}/invoices/${id(invoice.id)}.pdf`, fallbackName: `factura-${invoice.number ?? 'borrador'}.pdf` })

export const createCreditNote = (invoiceId: string, body: NewCreditNote, idempotencyKey: string): Promise<CreditNote> =>
  apiRequest<CreditNote>(`${B}/invoices/${id(invoiceId)}/credit-notes`, { method: 'POST', body, headers: { 'Idempotency-Key': idempotencyKey } })

export const fetchCreditNotes = (query: { invoiceId?: string; cursor?: string | null } = {}): Promise<Page<CreditNote>> =>
  apiRequest<Page<CreditNote>>(`${B}/credit-notes`, { query: { limit: 50, ...query } })

export const fetchPayments = (query: { contactId?: string; cursor?: string | null; limit?: number } = {}): Promise<Page<Payment>> =>
  apiRequest<Page<Payment>>(`${B}/payments`, { query: { limit: 25, ...query } })

export const createPayment = (body: NewPayment, idempotencyKey: string): Promise<Payment> =>
  apiRequest<Payment>(`${B}/payments`, { method: 'POST', body, headers: { 'Idempotency-Key': idempotencyKey } })

export const allocatePayment = (paymentId: string, allocations: { invoiceId: string; amountMinor: number }[], idempotencyKey: string): Promise<Payment> =>
  apiRequest<Payment>(`${B}/payments/${id(paymentId)}/allocations`, { method: 'POST', body: { allocations }, headers: { 'Idempotency-Key': idempotencyKey } })

export const fetchContactBalance = (contactId: string): Promise<ContactBalance> => apiRequest<ContactBalance>(`${B}/contacts/${id(contactId)}/balance`)

export const fetchAging = (asOf?: string): Promise<AgingReport> => apiRequest<AgingReport>(`${B}/reports/aging`, { query: { asOf, format: 'json' } })

export const downloadAging = (query: { asOf?: string; format: BillingFileFormat }, auth: DownloadAuth): Promise<string> =>
  downloadFile({ ...auth, path: `${B}/reports/aging`, query, fallbackName: `deudas-${query.asOf ?? 'hoy'}.${query.format}` })

export const fetchDunningSchedule = (): Promise<DunningSchedule> => apiRequest<DunningSchedule>(`${B}/dunning/schedule`)

/** An empty list restores the default schedule. */
export const saveDunningSchedule = (steps: number[]): Promise<DunningSchedule> => apiRequest<DunningSchedule>(`${B}/dunning/schedule`, { method: 'PUT', body: { steps } })

export const fetchGatewayAccounts = (): Promise<Page<GatewayAccount>> => apiRequest<Page<GatewayAccount>>(`${B}/gateways`, { query: { limit: 100 } })

export const createGatewayAccount = (body: NewGatewayAccount): Promise<CreatedGatewayAccount> =>
  apiRequest<CreatedGatewayAccount>(`${B}/gateways`, { method: 'POST', body })

export const disableGatewayAccount = (accountId: string): Promise<void> => apiRequest<void>(`${B}/gateways/${id(accountId)}`, { method: 'DELETE' })

/** The CRM's contacts, for the customer picker (`q`: name, company or email contains). */
export const fetchCustomerOptions = (q?: string): Promise<Page<ContactOption>> =>
  apiRequest<Page<ContactOption>>('/api/crm/contacts', { query: { limit: 50, sort: 'name', q: q?.trim() || undefined } })

/** One CRM contact, to name a payment's customer. */
export const fetchCustomer = (contactId: string): Promise<ContactOption> => apiRequest<ContactOption>(`/api/crm/contacts/${id(contactId)}`)

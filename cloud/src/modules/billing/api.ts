import type { Kysely } from 'kysely'
import type { Database } from '../../plugins/db/tables.js'
import type { Currency } from '../common/money.js'
import type { AuditEntry } from '../identity/audit.js'
import { issue } from './invoices.js'

/**
 * What other modules (leasing's rent and utility charges) use of billing. Stable: keep
 * these signatures. Amounts are integer minor units; quantities are thousandths.
 */
export interface InvoiceLineInput {
  description: string
  quantityMilli: number
  unitMinor: number
  taxRateBp: number
  sourceType?: string
  sourceId?: string
  detail?: unknown
}

export interface IssueInvoiceInput {
  contactId: string
  currency: Currency
  /** YYYY-MM-DD */
  issueDate: string
  dueDate: string
  /** Defaults to 'A-0001'. */
  series?: string
  lines: InvoiceLineInput[]
  /** Unique per org: a second call with the same key returns the first invoice (created: false). */
  sourceKey?: string
  notes?: string
}

/**
 * Creates AND posts an invoice: numbered in its series, its journal written, audited. Runs
 * in the caller's transaction when `db` is one (so a rent charge and its invoice commit
 * together), else in its own. Throws CONTACT_NOT_FOUND for another org's contact.
 */
export async function issueInvoice(
  db: Kysely<Database>,
  orgId: string,
  input: IssueInvoiceInput,
  actor: AuditEntry['actor'] | null,
): Promise<{ id: string; number: string; totalMinor: number; created: boolean }> {
  return issue(db, orgId, input, actor)
}

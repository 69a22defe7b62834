import { sql, type Kysely } from 'kysely'
import type { Database } from '../../plugins/db/tables.js'
import { AppError } from '../../errors.js'
import { assertSafe } from '../common/money.js'
import { journalNotFound, unbalancedJournal } from './errors.js'
import { billingDb, type LedgerAccount, type PaymentMethod } from './tables.js'

/**
 * The double-entry ledger: every posting (an invoice, a payment, an allocation, a credit
 * note) writes one balanced journal in the same transaction. Rows are append-only (a
 * trigger refuses UPDATE and DELETE) and a deferred constraint trigger re-checks at commit
 * that each journal's debits equal its credits. A correction is a reversing journal that
 * swaps debits and credits and names the journal it reverses (at most one reversal each).
 *
 * Accounts: receivables (per contact, asset), customer_credit (per contact, liability: money
 * received and not yet applied), revenue, tax_payable, cash and bank.
 */
export interface JournalLine {
  account: LedgerAccount
  contactId?: string | null
  debit?: number
  credit?: number
}

export interface JournalInput {
  kind: string
  sourceType: string
  sourceId: string
  currency: string
  entryDate: string
  memo?: string
  reverses?: string
  lines: JournalLine[]
}

export const accountForMethod = (method: PaymentMethod): LedgerAccount => (method === 'cash' ? 'cash' : 'bank')

/** Writes a balanced journal (zero lines are dropped); refuses an unbalanced one. */
export async function postJournal(db: Kysely<Database>, orgId: string, j: JournalInput): Promise<string> {
  const lines = j.lines
    .map((l) => ({ ...l, debit: l.debit ?? 0, credit: l.credit ?? 0 }))
    .filter((l) => l.debit !== 0 || l.credit !== 0)
  let debits = 0
  let credits = 0
  for (const l of lines) {
    if (l.debit < 0 || l.credit < 0 || (l.debit > 0 && l.credit > 0)) throw unbalancedJournal()
    debits = assertSafe(debits + l.debit)
    credits = assertSafe(credits + l.credit)
  }
  if (debits !== credits || lines.length < 2) throw unbalancedJournal()
  const bdb = billingDb(db)
  const { id } = await bdb
    .insertInto('billing_journals')
    .values({
      org_id: orgId,
      kind: j.kind,
      source_type: j.sourceType,
      source_id: j.sourceId,
      currency: j.currency,
      entry_date: j.entryDate,
      memo: j.memo ?? null,
      reverses_journal_id: j.reverses ?? null,
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  await bdb
    .insertInto('billing_journal_lines')
    .values(
      lines.map((l) => ({
        journal_id: id,
        org_id: orgId,
        account: l.account,
        contact_id: l.contactId ?? null,
        currency: j.currency,
        debit_minor: l.debit,
        credit_minor: l.credit,
      })),
    )
    .execute()
  return id
}

/** A journal that undoes `journalId` (debits and credits swapped), referencing it. */
export async function reverseJournal(db: Kysely<Database>, orgId: string, journalId: string, entryDate: string, memo: string): Promise<string> {
  const bdb = billingDb(db)
  const original = await bdb.selectFrom('billing_journals').selectAll().where('org_id', '=', orgId).where('id', '=', journalId).executeTakeFirst()
  if (!original) throw journalNotFound()
  const lines = await bdb.selectFrom('billing_journal_lines').selectAll().where('journal_id', '=', journalId).orderBy('id').execute()
  return postJournal(db, orgId, {
    kind: 'reversal',
    sourceType: original.source_type,
    sourceId: original.source_id,
    currency: original.currency,
    entryDate,
    memo,
    reverses: journalId,
    lines: lines.map((l) => ({ account: l.account, contactId: l.contact_id, debit: l.credit_minor, credit: l.debit_minor })),
  })
}

export interface AccountBalance {
  account: LedgerAccount
  currency: string
  debitMinor: number
  creditMinor: number
  /** debit - credit */
  balanceMinor: number
}

/** Per account and currency (optionally for one contact), straight from the journal lines. */
export async function accountBalances(db: Kysely<Database>, orgId: string, contactId?: string): Promise<AccountBalance[]> {
  let q = billingDb(db)
    .selectFrom('billing_journal_lines')
    .select([
      'account',
      'currency',
      sql<string>`coalesce(sum(debit_minor), 0)::text`.as('debit'),
      sql<string>`coalesce(sum(credit_minor), 0)::text`.as('credit'),
    ])
    .where('org_id', '=', orgId)
  if (contactId) q = q.where('contact_id', '=', contactId)
  const rows = await q.groupBy(['account', 'currency']).orderBy('account').orderBy('currency').execute()
  return rows.map((r) => {
    const debitMinor = assertSafe(Number(r.debit))
    const creditMinor = assertSafe(Number(r.credit))
    return { account: r.account, currency: r.currency, debitMinor, creditMinor, balanceMinor: debitMinor - creditMinor }
  })
}

/**
 * The ledger and the documents must tell the same story for a customer: its receivables
 * equal its invoices' open balances, and its credit its payments' unallocated amounts.
 * Checked at the end of every posting, in its transaction: a mismatch (a bug) rolls the
 * posting back instead of committing a ledger that disagrees.
 */
export async function assertContactConsistent(db: Kysely<Database>, orgId: string, contactId: string, currency: string): Promise<void> {
  const { rows } = await sql<{ ledger_receivable: string; open: string; ledger_credit: string; unallocated: string }>`
    select
      (select coalesce(sum(debit_minor - credit_minor), 0) from billing_journal_lines
        where org_id = ${orgId} and contact_id = ${contactId} and currency = ${currency} and account = 'receivables')::text as ledger_receivable,
      (select coalesce(sum(i.total_minor
          - coalesce((select sum(a.amount_minor) from billing_allocations a where a.invoice_id = i.id and a.reversal_journal_id is null), 0)
          - coalesce((select sum(n.total_minor) from billing_credit_notes n where n.invoice_id = i.id), 0)), 0)
        from billing_invoices i where i.org_id = ${orgId} and i.contact_id = ${contactId} and i.currency = ${currency} and i.status <> 'draft')::text as open,
      (select coalesce(sum(credit_minor - debit_minor), 0) from billing_journal_lines
        where org_id = ${orgId} and contact_id = ${contactId} and currency = ${currency} and account = 'customer_credit')::text as ledger_credit,
      (select coalesce(sum(p.amount_minor
          - coalesce((select sum(a.amount_minor) from billing_allocations a where a.payment_id = p.id and a.reversal_journal_id is null), 0)), 0)
        from billing_payments p where p.org_id = ${orgId} and p.contact_id = ${contactId} and p.currency = ${currency} and p.reversal_journal_id is null)::text as unallocated`.execute(db)
  const r = rows[0]!
  if (r.ledger_receivable !== r.open || r.ledger_credit !== r.unallocated) {
    throw new AppError('LEDGER_MISMATCH', 500, `ledger and documents disagree for contact ${contactId} in ${currency}`)
  }
}

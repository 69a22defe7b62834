import { AppError } from '../../errors.js'

export const invoiceNotFound = (): AppError => new AppError('INVOICE_NOT_FOUND', 404, 'Invoice not found')
export const paymentNotFound = (): AppError => new AppError('PAYMENT_NOT_FOUND', 404, 'Payment not found')
export const allocationNotFound = (): AppError => new AppError('ALLOCATION_NOT_FOUND', 404, 'Allocation not found')
export const creditNoteNotFound = (): AppError => new AppError('CREDIT_NOTE_NOT_FOUND', 404, 'Credit note not found')
export const journalNotFound = (): AppError => new AppError('JOURNAL_NOT_FOUND', 404, 'Journal not found')
export const gatewayAccountNotFound = (): AppError => new AppError('GATEWAY_ACCOUNT_NOT_FOUND', 404, 'Payment gateway account not found')
export const planNotFound = (): AppError => new AppError('SAAS_PLAN_NOT_FOUND', 404, 'Plan not found')
export const subscriptionNotFound = (): AppError => new AppError('SAAS_SUBSCRIPTION_NOT_FOUND', 404, 'Subscription not found')

export const invoicePosted = (): AppError =>
  new AppError('INVOICE_POSTED', 409, 'A posted invoice cannot be modified or deleted; issue a credit note instead')
export const invoiceNotPosted = (): AppError => new AppError('INVOICE_NOT_POSTED', 409, 'The invoice is not posted')
export const invoiceEmpty = (): AppError => new AppError('INVOICE_EMPTY', 422, 'lines: an invoice needs at least one line')
export const badDate = (field: string): AppError => new AppError('VALIDATION', 400, `${field}: not a valid date (YYYY-MM-DD)`)
export const dueBeforeIssue = (): AppError => new AppError('VALIDATION', 400, 'dueDate: must not be before issueDate')
export const overAllocation = (what: 'invoice' | 'payment', left: number): AppError =>
  new AppError('ALLOCATION_EXCEEDS_BALANCE', 409, `amountMinor: more than the ${what}'s open balance (${left})`)
export const currencyMismatch = (): AppError =>
  new AppError('MONEY_CURRENCY_MISMATCH', 422, 'the payment and the invoice are in different currencies')
export const contactMismatch = (): AppError =>
  new AppError('ALLOCATION_CONTACT_MISMATCH', 422, 'the payment and the invoice belong to different customers')
export const alreadyReversed = (): AppError => new AppError('ALREADY_REVERSED', 409, 'Already reversed')
export const creditExceeds = (what: string): AppError => new AppError('CREDIT_EXCEEDS_BALANCE', 409, what)
export const unbalancedJournal = (): AppError => new AppError('LEDGER_UNBALANCED', 500, 'journal does not balance')

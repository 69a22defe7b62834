import { AppError } from '../../errors.js'

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

const notFound = (code: string, what: string) => (): AppError => new AppError(code, 404, `${what} not found`)
export const stageNotFound = notFound('CRM_STAGE_NOT_FOUND', 'Stage')
export const dealNotFound = notFound('CRM_DEAL_NOT_FOUND', 'Deal')
export const interactionNotFound = notFound('CRM_INTERACTION_NOT_FOUND', 'Interaction')
export const formNotFound = notFound('CRM_FORM_NOT_FOUND', 'Lead form')
export const ruleNotFound = notFound('CRM_RULE_NOT_FOUND', 'Scoring rule')
export const segmentNotFound = notFound('CRM_SEGMENT_NOT_FOUND', 'Segment')
/** An owner who is not a user of this organization: 404 like any other tenant's id. */
export const userNotFound = notFound('USER_NOT_FOUND', 'User')

export const duplicateEmail = (existingId: string): AppError =>
  new AppError('CRM_CONTACT_DUPLICATE_EMAIL', 409, `email: another active contact (${existingId}) has this address`)
export const badPhone = (): AppError => new AppError('VALIDATION', 400, 'phone: must hold 6 to 20 digits')
export const revenueCurrencyMissing = (): AppError =>
  new AppError('VALIDATION', 400, 'revenueCurrency: required with annualRevenueMinor')
export const contactArchived = (): AppError => new AppError('CRM_CONTACT_ARCHIVED', 409, 'The contact is archived; restore it first')

export const stageNameTaken = (): AppError => new AppError('CRM_STAGE_NAME_TAKEN', 409, 'name: another stage has this name')
export const stageHasOpenDeals = (n: number): AppError =>
  new AppError('CRM_STAGE_HAS_OPEN_DEALS', 409, `The stage has ${n} open deal(s); move or close them first`)
export const lastStage = (): AppError => new AppError('CRM_STAGE_LAST', 409, 'The pipeline needs at least one stage')
export const badStageOrder = (): AppError =>
  new AppError('VALIDATION', 400, 'stageIds: must list every active stage of the pipeline exactly once')
export const dealClosed = (): AppError => new AppError('CRM_DEAL_CLOSED', 409, 'The deal is closed (won or lost)')
export const dealSameStage = (): AppError => new AppError('CRM_DEAL_SAME_STAGE', 409, 'The deal is already in this stage')
export const badDate = (): AppError => new AppError('VALIDATION', 400, 'expectedCloseDate: not a calendar date')
export const lostNeedsReason = (): AppError => new AppError('VALIDATION', 400, 'reason: required when a deal is lost')
export const dealOfOtherContact = (): AppError =>
  new AppError('VALIDATION', 400, 'dealId: the deal belongs to another contact')

export const leadNeedsContact = (): AppError => new AppError('VALIDATION', 400, 'email or phone: give at least one')
export const badFormToken = (): AppError =>
  new AppError('CRM_LEAD_BAD_TOKEN', 400, 'formToken: missing, forged or expired; reload the form')
export const formRateLimited = (retryAfterS: number): AppError =>
  new AppError('CRM_LEAD_RATE_LIMITED', 429, 'Too many submissions from this address; try again later', { 'retry-after': String(retryAfterS) })

export const badWindow = (): AppError => new AppError('VALIDATION', 400, 'from: must be before to')
export const windowTooLong = (): AppError => new AppError('VALIDATION', 400, 'to - from: at most 3 years')
export const badRevenueRange = (): AppError => new AppError('VALIDATION', 400, 'revenueMinMinor: must not exceed revenueMaxMinor')

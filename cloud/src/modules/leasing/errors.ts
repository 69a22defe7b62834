import { AppError } from '../../errors.js'

export const notFound = (what: 'MALL' | 'ZONE' | 'SPACE' | 'LEASE' | 'INDEX_TABLE' | 'METER' | 'CHARGE' | 'INCIDENT'): AppError =>
  new AppError(`LEASING_${what}_NOT_FOUND`, 404, `${what.toLowerCase().replace('_', ' ')} not found`)
export const badInput = (message: string): AppError => new AppError('VALIDATION', 400, message)
export const spaceOverlap = (code: string): AppError =>
  new AppError('LEASING_SPACE_OVERLAP', 409, `space ${code} is already leased on some of these dates`)
export const inUse = (what: string): AppError => new AppError('LEASING_IN_USE', 409, `${what} is still referred to and cannot be deleted`)
export const duplicate = (what: string): AppError => new AppError('LEASING_DUPLICATE', 409, `${what} already exists`)
export const leaseClosed = (message: string): AppError => new AppError('LEASING_LEASE_CLOSED', 409, message)
export const missingIndex = (date: string): AppError =>
  new AppError('LEASING_INDEX_MISSING', 422, `the index table has no value on or before ${date}`)
export const chargeNotInReview = (): AppError => new AppError('LEASING_CHARGE_NOT_IN_REVIEW', 409, 'only a charge that needs review can be resolved')
export const noTariff = (kind: string): AppError => new AppError('LEASING_NO_TARIFF', 422, `the mall has no ${kind} tariff`)

/** PostgreSQL's error code on a driver error, if any. */
export function pgCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined
}

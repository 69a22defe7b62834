import { AppError } from '../../errors.js'

/** Fleet errors beyond the shared GATEWAY_NOT_FOUND (cloud/src/errors.ts). */

export const deviceNotFound = (): AppError => new AppError('DEVICE_NOT_FOUND', 404, 'Device not found on this gateway')
export const deviceExists = (id: string): AppError =>
  new AppError('DEVICE_EXISTS', 409, `id: this gateway already has a device "${id}"`)

export const claimCodeNotFound = (): AppError => new AppError('CLAIM_CODE_NOT_FOUND', 404, 'Claim code not found on this site')

/**
 * What a gateway presenting a claim code can be told. The code alone selects the row, so
 * the answer depends on nothing a caller could learn about other tenants; and whoever
 * holds the code may know that it expired or was already used.
 */
export const claimCodeInvalid = (): AppError =>
  new AppError('CLAIM_CODE_INVALID', 404, 'code: no claim code matches; check it with the technician who created it')
export const claimCodeExpired = (): AppError =>
  new AppError('CLAIM_CODE_EXPIRED', 410, 'code: this claim code has expired or was revoked; ask for a new one')
export const claimCodeUsed = (): AppError =>
  new AppError('CLAIM_CODE_USED', 409, 'code: this claim code was already used by another gateway; ask for a new one')
export const claimRateLimited = (ms: number): AppError =>
  new AppError('CLAIM_RATE_LIMITED', 429, 'Too many claim attempts from this address; wait and retry', {
    'retry-after': String(Math.max(1, Math.ceil(ms / 1000))),
  })

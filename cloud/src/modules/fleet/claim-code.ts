import { createHash, randomBytes, randomInt } from 'node:crypto'

/**
 * Claim codes are read off a phone and typed on a gateway's console, so they use an
 * alphabet without look-alikes (no 0/O, 1/I/L) and are shown in two groups of five:
 * `K7M2Q-XH9RP`. Ten symbols of 31 are ~49.5 bits: with single use, a 24 h life and the
 * claim route's per-address rate limit, guessing one is hopeless.
 */
export const CLAIM_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789'
export const CLAIM_CODE_LENGTH = 10

/** Upper case, separators and spaces removed: how a code is typed does not matter. */
export function normalizeClaimCode(input: string): string {
  return input.toUpperCase().replace(/[\s-]/g, '')
}

export function isWellFormedClaimCode(normalized: string): boolean {
  if (normalized.length !== CLAIM_CODE_LENGTH) return false
  for (const ch of normalized) if (!CLAIM_ALPHABET.includes(ch)) return false
  return true
}

/** Uniform over the alphabet (randomInt rejects the modulo bias). */
export function newClaimCode(): string {
  let code = ''
  for (let i = 0; i < CLAIM_CODE_LENGTH; i++) code += CLAIM_ALPHABET[randomInt(CLAIM_ALPHABET.length)]
  return code
}

export const formatClaimCode = (normalized: string): string => `${normalized.slice(0, 5)}-${normalized.slice(5)}`

export const hashClaimCode = (normalized: string): string => createHash('sha256').update(`claim:${normalized}`).digest('hex')

/** Gateway ids are the cloud's to give: `gw-` and ten lower-case base32 symbols. */
export function newGatewayId(): string {
  const alphabet = 'abcdefghjkmnpqrstvwxyz23456789'
  let id = 'gw-'
  for (let i = 0; i < 10; i++) id += alphabet[randomInt(alphabet.length)]
  return id
}

/** 32 random bytes; the cloud keeps only its sha256 (ingest/repository.ts hashGatewayKey). */
export const newGatewayKey = (): string => `tgk_${randomBytes(32).toString('base64url')}`

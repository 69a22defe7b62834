import { createHash, timingSafeEqual } from 'node:crypto'
import { verifyPassword } from '../broker/passwords.js'
import { ApiError } from './errors.js'

/** A technician's token as the site config holds it: scrypt-hashed like device passwords. */
export interface ApiTokenEntry {
  name: string
  tokenHash: string
}

export interface TokenAuthOptions {
  /** From the site config's `api.tokens`. */
  tokens: readonly ApiTokenEntry[]
  /** `GATEWAY_API_TOKEN`, in clear: one token named `env`. */
  envToken?: string | undefined
  now?: () => number
  /** Failed attempts one address may make per window before it is refused outright. */
  maxFailures?: number
  windowMs?: number
}

const MAX_TOKEN_LENGTH = 512
// Beyond this many tracked addresses, expired ones are swept so a scan cannot grow the map forever.
const MAX_TRACKED_ADDRESSES = 10_000

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest()

/**
 * Bearer tokens for the local API. A hashed token costs one scrypt (tens of ms) to check,
 * so a token that verified once is remembered by its SHA-256 and later compared in
 * constant time; only unknown tokens pay scrypt, and those count as failures that
 * lock the caller's address out for the rest of the window.
 */
export class TokenAuth {
  private readonly known: { name: string; digest: Buffer; entry?: ApiTokenEntry }[] = []
  private readonly failures = new Map<string, { count: number; resetAt: number }>()
  private readonly now: () => number
  private readonly maxFailures: number
  private readonly windowMs: number

  constructor(private readonly opts: TokenAuthOptions) {
    this.now = opts.now ?? Date.now
    this.maxFailures = opts.maxFailures ?? 10
    this.windowMs = opts.windowMs ?? 60_000
    if (opts.envToken) this.known.push({ name: 'env', digest: sha256(opts.envToken) })
  }

  /** False when no token is configured at all: then everything but /health is refused. */
  configured(): boolean {
    return this.known.length > 0 || this.opts.tokens.length > 0
  }

  /** The token's name, or an ApiError (401, or 429 while the address is locked out). */
  async authenticate(authorization: string | undefined, address: string): Promise<string> {
    const lock = this.failures.get(address)
    if (lock && lock.count >= this.maxFailures && lock.resetAt > this.now()) {
      const seconds = Math.ceil((lock.resetAt - this.now()) / 1000)
      throw new ApiError('AUTH_ERR_RATE_LIMITED', 429, `too many failed token attempts; retry in ${seconds} s`)
    }
    if (!this.configured())
      throw new ApiError(
        'AUTH_ERR_NOT_CONFIGURED',
        401,
        'no API token is configured on this gateway: set GATEWAY_API_TOKEN or api.tokens in the site config',
      )
    const token = /^Bearer +(\S+) *$/i.exec(authorization ?? '')?.[1]
    if (!token) throw this.fail(address, new ApiError('AUTH_ERR_MISSING_TOKEN', 401, 'missing "Authorization: Bearer <token>" header'))
    const name = token.length <= MAX_TOKEN_LENGTH ? await this.match(token) : undefined
    if (name === undefined) throw this.fail(address, new ApiError('AUTH_ERR_BAD_TOKEN', 401, 'invalid token'))
    return name
  }

  private async match(token: string): Promise<string | undefined> {
    const digest = sha256(token)
    // Every known digest is compared, so the time taken does not say which one matched.
    let name: string | undefined
    for (const k of this.known) if (timingSafeEqual(k.digest, digest)) name ??= k.name
    if (name !== undefined) return name
    for (const entry of this.opts.tokens) {
      if (this.known.some((k) => k.entry === entry)) continue
      if (await verifyPassword(token, entry.tokenHash)) {
        this.known.push({ name: entry.name, digest, entry })
        return entry.name
      }
    }
    return undefined
  }

  private fail(address: string, err: ApiError): ApiError {
    const now = this.now()
    if (this.failures.size >= MAX_TRACKED_ADDRESSES) for (const [a, f] of this.failures) if (f.resetAt <= now) this.failures.delete(a)
    const entry = this.failures.get(address)
    if (!entry || entry.resetAt <= now) this.failures.set(address, { count: 1, resetAt: now + this.windowMs })
    else entry.count += 1
    return err
  }
}

import { AppError } from '../../errors.js'
import type { Db } from '../../plugins/db/database.js'

/**
 * Brute-force defence for the login (issue 6, "Abuse"), in two layers:
 *  - a rate limit per client address, in memory: many attempts in a minute from one
 *    address get 429 whatever the account (one instance's view; behind N instances an
 *    attacker gets N times the rate, which the lockout below still bounds);
 *  - a lockout per (email, address), in the database: after a few wrong passwords that
 *    pair is locked (423) for a while, doubling up to a cap. It always ends, and it only
 *    locks the address that earned it: the account's owner logging in from elsewhere is
 *    never locked out by someone else's guesses.
 */
export interface LoginGuardOptions {
  /** Attempts per address in any 60 s. */
  perMinute: number
  /** Wrong passwords in a row, per (email, address), that earn a lockout. */
  failuresBeforeLock: number
  /** First lockout; each further one doubles, up to maxLockMs. */
  baseLockMs: number
  maxLockMs: number
}

export const DEFAULT_LOGIN_GUARD: LoginGuardOptions = {
  perMinute: 10,
  failuresBeforeLock: 5,
  baseLockMs: 60_000,
  maxLockMs: 15 * 60_000,
}

const retryAfter = (ms: number) => ({ 'retry-after': String(Math.max(1, Math.ceil(ms / 1000))) })

export const rateLimited = (ms: number): AppError =>
  new AppError('AUTH_RATE_LIMITED', 429, 'Too many login attempts from this address; wait and retry', retryAfter(ms))
export const locked = (ms: number): AppError =>
  new AppError('AUTH_LOCKED', 423, `Too many wrong passwords for this account from this address; try again in ${Math.ceil(ms / 1000)} s`, retryAfter(ms))

const WINDOW_MS = 60_000
/** Addresses remembered at most; beyond it the oldest are forgotten (memory stays bounded). */
const MAX_ADDRESSES = 100_000

export class LoginGuard {
  private readonly hits = new Map<string, number[]>()

  constructor(
    private readonly db: Db,
    readonly options: LoginGuardOptions = DEFAULT_LOGIN_GUARD,
  ) {}

  /** Throws 429 past the per-address rate, then 423 while (email, address) is locked. */
  async check(email: string, ip: string, now: number): Promise<void> {
    const recent = (this.hits.get(ip) ?? []).filter((t) => t > now - WINDOW_MS)
    if (recent.length >= this.options.perMinute) {
      this.hits.set(ip, recent)
      throw rateLimited(recent[0]! + WINDOW_MS - now)
    }
    recent.push(now)
    this.hits.delete(ip)
    this.hits.set(ip, recent)
    if (this.hits.size > MAX_ADDRESSES) this.hits.delete(this.hits.keys().next().value as string)
    const row = await this.db.selectFrom('login_failures').select('locked_until').where('email', '=', email).where('ip', '=', ip).executeTakeFirst()
    const until = row?.locked_until?.getTime()
    if (until !== undefined && until > now) throw locked(until - now)
  }

  async failed(email: string, ip: string, now: number): Promise<void> {
    const { failuresBeforeLock, baseLockMs, maxLockMs } = this.options
    const row = await this.db
      .insertInto('login_failures')
      .values({ email, ip, failures: 1, lockouts: 0, last_failure_at: new Date(now) })
      .onConflict((oc) =>
        oc.columns(['email', 'ip']).doUpdateSet((eb) => ({ failures: eb('login_failures.failures', '+', 1), last_failure_at: new Date(now) })),
      )
      .returning(['failures', 'lockouts'])
      .executeTakeFirstOrThrow()
    if (row.failures < failuresBeforeLock) return
    const lockMs = Math.min(maxLockMs, baseLockMs * 2 ** row.lockouts)
    await this.db
      .updateTable('login_failures')
      .set({ failures: 0, lockouts: row.lockouts + 1, locked_until: new Date(now + lockMs) })
      .where('email', '=', email)
      .where('ip', '=', ip)
      .execute()
  }

  async succeeded(email: string, ip: string): Promise<void> {
    await this.db.deleteFrom('login_failures').where('email', '=', email).where('ip', '=', ip).execute()
  }
}

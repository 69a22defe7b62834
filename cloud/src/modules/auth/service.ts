import { AppError, invalidCredentials, unauthorized } from '../../errors.js'
import { ACCESS_TTL_S, type UserTokens } from '../../plugins/auth.js'
import type { Db } from '../../plugins/db/database.js'
import type { UserRow } from '../../plugins/db/tables.js'
import { recordAudit, type AuditEntry } from '../identity/audit.js'
import { isRole, permissionsOf, type Role } from '../identity/permissions.js'
import type { LoginGuard } from './guard.js'
import { hashPassword, verifyPassword } from './password.js'
import * as repo from './repository.js'
import type { LoginBody, LoginReply, MeReply, PublicUser } from './schema.js'
import { mustUseTotp, needsTotpEnrollment, totpRequiredByPolicy, type PlatformAdminTotp } from './policy.js'
import { issueRefreshToken, revokeByToken, revokeUserSessions, rotateRefreshToken } from './sessions.js'
import { newTotpSecret, otpauthUri, verifyTotp } from './totp.js'

export const normalizeEmail = (email: string): string => email.trim().toLowerCase()

export const totpRequired = (): AppError => new AppError('AUTH_TOTP_REQUIRED', 401, 'This account needs the code from its authenticator app (totpCode)')
export const totpInvalid = (): AppError => new AppError('AUTH_TOTP_INVALID', 401, 'Wrong or already used authenticator code')
/**
 * The same, to a signed-in user (enable, disable): 400, not 401, since their session is
 * fine; a client that renews its token on 401 and gives up on a second one would otherwise
 * end the session over a mistyped code.
 */
const totpCodeRejected = (): AppError => new AppError('AUTH_TOTP_INVALID', 400, 'Wrong or already used authenticator code')

const roleOf = (row: Pick<UserRow, 'role'>): Role => (isRole(row.role) ? row.role : 'viewer')

export function publicUser(row: UserRow): PublicUser {
  return { id: row.id, email: row.email, name: row.name, orgId: row.org_id, locale: row.locale, role: roleOf(row), totpEnabled: row.totp_enabled }
}

// Verifying against a throwaway hash when the email is unknown keeps both failures
// equally slow, so response time does not reveal which emails have accounts.
let decoyHash: Promise<string> | undefined

export interface LoginContext {
  ip: string
  requestId: string
  platformAdminTotp: PlatformAdminTotp
  now?: number
}

export async function login(db: Db, tokens: UserTokens, guard: LoginGuard, body: LoginBody, ctx: LoginContext): Promise<LoginReply> {
  const now = ctx.now ?? Date.now()
  const email = normalizeEmail(body.email)
  await guard.check(email, ctx.ip, now)
  const user = await repo.findUserByEmail(db, email)
  if (!user || user.disabled_at !== null) {
    decoyHash ??= hashPassword('decoy-password-never-matches')
    await verifyPassword(await decoyHash, body.password)
    await guard.failed(email, ctx.ip, now)
    throw invalidCredentials()
  }
  if (!(await verifyPassword(user.password_hash, body.password))) {
    await guard.failed(email, ctx.ip, now)
    throw invalidCredentials()
  }
  if (user.totp_enabled && user.totp_secret) {
    // The password was right: asking for the code is not a failure, a wrong code is.
    if (!body.totpCode) throw totpRequired()
    const step = verifyTotp(user.totp_secret, body.totpCode, now, user.totp_last_step)
    if (step === null) {
      await guard.failed(email, ctx.ip, now)
      throw totpInvalid()
    }
    await db.updateTable('users').set({ totp_last_step: step }).where('id', '=', user.id).execute()
  }
  await guard.succeeded(email, ctx.ip)
  // The password was right: an admin who must use TOTP and has none yet gets in, but only
  // to enrol (plugins/auth.ts holds the session to profile.self).
  const enrollment = await needsTotpEnrollment(db, user, ctx.platformAdminTotp)
  await recordAudit(db, {
    orgId: user.org_id,
    actor: { type: 'user', id: user.id },
    action: 'auth.login',
    ...(enrollment ? { after: { totpEnrollmentRequired: true } } : {}),
    requestId: ctx.requestId,
    ip: ctx.ip,
  })
  return session(db, tokens, user, enrollment)
}

async function session(db: Db, tokens: UserTokens, user: UserRow, enrollment: boolean, refreshToken?: string): Promise<LoginReply> {
  const accessToken = await tokens.sign({ id: user.id, orgId: user.org_id, role: roleOf(user), ...(enrollment ? { totpEnrollmentRequired: true } : {}) })
  return {
    token: accessToken,
    accessToken,
    expiresIn: ACCESS_TTL_S,
    refreshToken: refreshToken ?? (await issueRefreshToken(db, user.id)),
    user: publicUser(user),
    ...(enrollment ? { totpEnrollmentRequired: true } : {}),
  }
}

/**
 * A fresh access token and the next refresh token. The role and the TOTP policy are read
 * again, so changes apply: an admin whose organization turned the policy on since gets an
 * enrolment-only session now. The reverse cannot happen through a refresh: enabling TOTP
 * closes every login the user had (totpSetEnabled), so an enrolment-only login never
 * becomes a full one; the user logs in again, with a code.
 */
export async function refresh(db: Db, tokens: UserTokens, refreshToken: string, platformAdminTotp: PlatformAdminTotp): Promise<LoginReply> {
  const { userId, refreshToken: next } = await rotateRefreshToken(db, refreshToken)
  const user = await repo.findUserById(db, userId)
  if (!user || user.disabled_at !== null) throw unauthorized()
  return session(db, tokens, user, await needsTotpEnrollment(db, user, platformAdminTotp), next)
}

export async function logout(db: Db, refreshToken: string): Promise<void> {
  await revokeByToken(db, refreshToken)
}

/** `enrollment`: the session is enrolment-only (the token says so), and its permissions are that one. */
export async function me(db: Db, orgId: string, userId: string, enrollment = false): Promise<MeReply> {
  const row = await repo.findUserWithOrg(db, orgId, userId)
  // A valid token for a deleted or disabled user is no longer a session.
  if (!row) throw unauthorized()
  return {
    user: publicUser(row),
    organization: { id: row.org_id, name: row.org_name, kind: row.org_kind },
    permissions: enrollment ? ['profile.self'] : [...permissionsOf(roleOf(row))],
    ...(enrollment ? { totpEnrollmentRequired: true } : {}),
  }
}

/** Starts two-factor enrolment: a new secret, not in force until a code from it is shown. */
export async function totpSetup(db: Db, orgId: string, userId: string, audit: Omit<AuditEntry, 'action'>) {
  const row = await repo.findUserWithOrg(db, orgId, userId)
  if (!row) throw unauthorized()
  if (row.totp_enabled) throw new AppError('AUTH_TOTP_ALREADY_ON', 409, 'Two-factor login is already on; turn it off first to enrol another device')
  const secret = newTotpSecret()
  await db.transaction().execute(async (trx) => {
    await trx.updateTable('users').set({ totp_secret: secret, totp_last_step: null }).where('id', '=', userId).execute()
    await recordAudit(trx, { ...audit, action: 'user.totp.setup', target: { type: 'user', id: userId } })
  })
  return { secret, otpauthUri: otpauthUri(secret, row.email) }
}

/**
 * Turning TOTP on closes every login of the user, this one included (its access token
 * lives out its minutes): those logins were made without a code, and an enrolment-only one
 * must not refresh into a full session. The client logs in again with a code.
 * Turning it off is refused to an admin the policy holds to it (409 AUTH_TOTP_REQUIRED_BY_POLICY).
 */
export async function totpSetEnabled(
  db: Db,
  orgId: string,
  userId: string,
  code: string,
  enabled: boolean,
  audit: Omit<AuditEntry, 'action'>,
  platformAdminTotp: PlatformAdminTotp,
) {
  const row = await repo.findUserWithOrg(db, orgId, userId)
  if (!row) throw unauthorized()
  if (!row.totp_secret) throw new AppError('AUTH_TOTP_NOT_SET_UP', 409, 'Start with POST /api/auth/totp/setup')
  if (row.totp_enabled === enabled) throw new AppError('AUTH_TOTP_UNCHANGED', 409, enabled ? 'Two-factor login is already on' : 'Two-factor login is already off')
  if (!enabled && (await mustUseTotp(db, row, platformAdminTotp))) throw totpRequiredByPolicy()
  const step = verifyTotp(row.totp_secret, code, Date.now(), row.totp_last_step)
  if (step === null) throw totpCodeRejected()
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable('users')
      .set(enabled ? { totp_enabled: true, totp_last_step: step } : { totp_enabled: false, totp_secret: null, totp_last_step: null })
      .where('id', '=', userId)
      .execute()
    if (enabled) await revokeUserSessions(trx, userId)
    await recordAudit(trx, {
      ...audit,
      action: enabled ? 'user.totp.enable' : 'user.totp.disable',
      target: { type: 'user', id: userId },
      before: { totpEnabled: !enabled },
      after: { totpEnabled: enabled },
    })
  })
  return { totpEnabled: enabled }
}

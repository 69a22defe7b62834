import { invalidCredentials, unauthorized } from '../../errors.js'
import type { UserTokens } from '../../plugins/auth.js'
import { isRole } from '../identity/permissions.js'
import type { Db } from '../../plugins/db/database.js'
import { hashPassword, verifyPassword } from './password.js'
import * as repo from './repository.js'
import type { LoginBody, MeReply, PublicUser } from './schema.js'

export const normalizeEmail = (email: string): string => email.trim().toLowerCase()

// Verifying against a throwaway hash when the email is unknown keeps both failures
// equally slow, so response time does not reveal which emails have accounts.
let decoyHash: Promise<string> | undefined

export async function login(db: Db, tokens: UserTokens, body: LoginBody): Promise<{ token: string; user: PublicUser }> {
  const user = await repo.findUserByEmail(db, normalizeEmail(body.email))
  if (!user) {
    decoyHash ??= hashPassword('decoy-password-never-matches')
    await verifyPassword(await decoyHash, body.password)
    throw invalidCredentials()
  }
  if (!(await verifyPassword(user.password_hash, body.password))) throw invalidCredentials()
  const token = await tokens.sign({ id: user.id, orgId: user.org_id, role: isRole(user.role) ? user.role : 'viewer' })
  return {
    token,
    user: { id: user.id, email: user.email, name: user.name, orgId: user.org_id, locale: user.locale },
  }
}

export async function me(db: Db, orgId: string, userId: string): Promise<MeReply> {
  const row = await repo.findUserWithOrg(db, orgId, userId)
  // A valid token for a deleted user is no longer a session.
  if (!row) throw unauthorized()
  return {
    user: { id: row.id, email: row.email, name: row.name, orgId: row.org_id, locale: row.locale },
    organization: { id: row.org_id, name: row.org_name },
  }
}

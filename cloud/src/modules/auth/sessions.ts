import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { AppError, unauthorized } from '../../errors.js'
import type { Db } from '../../plugins/db/database.js'

/**
 * Refresh tokens (issue 6, identity): long-lived, stored only as sha256, rotated on every
 * use. A family is one login; a token presented twice means a copy leaked (the thief or
 * the owner used it first), so the whole family is revoked and both must log in again.
 */
export const REFRESH_TTL_MS = 30 * 24 * 3600_000

const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex')

export const refreshReused = (): AppError =>
  new AppError('AUTH_REFRESH_REUSED', 401, 'This refresh token was already used; every session of this login is closed')

export async function issueRefreshToken(db: Db, userId: string, familyId: string = randomUUID(), now = Date.now()): Promise<string> {
  const token = randomBytes(32).toString('base64url')
  await db
    .insertInto('refresh_tokens')
    .values({ user_id: userId, family_id: familyId, token_hash: hashToken(token), expires_at: new Date(now + REFRESH_TTL_MS) })
    .execute()
  return token
}

/** Spends a refresh token: returns its user and a new token of the same family. */
export async function rotateRefreshToken(db: Db, token: string, now = Date.now()): Promise<{ userId: string; refreshToken: string }> {
  const row = await db.selectFrom('refresh_tokens').selectAll().where('token_hash', '=', hashToken(token)).executeTakeFirst()
  if (!row || row.revoked_at !== null || row.expires_at.getTime() <= now) throw unauthorized()
  if (row.used_at !== null) {
    await revokeFamily(db, row.family_id, now)
    throw refreshReused()
  }
  // Only one of two racing uses wins the update; the other is a reuse.
  const spent = await db
    .updateTable('refresh_tokens')
    .set({ used_at: new Date(now) })
    .where('id', '=', row.id)
    .where('used_at', 'is', null)
    .returning('id')
    .executeTakeFirst()
  if (!spent) {
    await revokeFamily(db, row.family_id, now)
    throw refreshReused()
  }
  return { userId: row.user_id, refreshToken: await issueRefreshToken(db, row.user_id, row.family_id, now) }
}

export async function revokeFamily(db: Db, familyId: string, now = Date.now()): Promise<void> {
  await db.updateTable('refresh_tokens').set({ revoked_at: new Date(now) }).where('family_id', '=', familyId).where('revoked_at', 'is', null).execute()
}

/** Logout: closes the login the token belongs to. Unknown tokens are ignored. */
export async function revokeByToken(db: Db, token: string, now = Date.now()): Promise<void> {
  const row = await db.selectFrom('refresh_tokens').select('family_id').where('token_hash', '=', hashToken(token)).executeTakeFirst()
  if (row) await revokeFamily(db, row.family_id, now)
}

/** Closes every login of a user (password change, user disabled). */
export async function revokeUserSessions(db: Db, userId: string, now = Date.now()): Promise<void> {
  await db.updateTable('refresh_tokens').set({ revoked_at: new Date(now) }).where('user_id', '=', userId).where('revoked_at', 'is', null).execute()
}

import { createHash, randomBytes } from 'node:crypto'
import type { Db } from '../../plugins/db/database.js'
import { isRole, type Role } from './permissions.js'

/**
 * API keys for integrations (issue 6): `tdk_<prefix>_<secret>`. The prefix is shown in
 * lists so people can tell keys apart; only the sha256 of the whole key is stored, so a
 * leaked table holds no working key, and a lookup by hash needs no constant-time compare.
 * A key acts in its organization with the role it was given (never platform_admin).
 */

export const API_KEY_MARK = 'tdk_'

export function isApiKeyToken(token: string): boolean {
  return token.startsWith(API_KEY_MARK)
}

export const hashApiKey = (key: string): string => createHash('sha256').update(key).digest('hex')

export function newApiKey(): { key: string; prefix: string; hash: string } {
  const prefix = randomBytes(4).toString('hex')
  const key = `${API_KEY_MARK}${prefix}_${randomBytes(24).toString('base64url')}`
  return { key, prefix, hash: hashApiKey(key) }
}

export interface ApiKeyPrincipal {
  id: string
  orgId: string
  role: Role
}

/** The key's principal, or undefined for an unknown or revoked key. Touches last_used_at at most once a minute. */
export async function resolveApiKey(db: Db, key: string): Promise<ApiKeyPrincipal | undefined> {
  const row = await db
    .selectFrom('api_keys')
    .select(['id', 'org_id', 'role', 'last_used_at'])
    .where('key_hash', '=', hashApiKey(key))
    .where('revoked_at', 'is', null)
    .executeTakeFirst()
  if (!row || !isRole(row.role)) return undefined
  if (!row.last_used_at || Date.now() - row.last_used_at.getTime() > 60_000)
    await db.updateTable('api_keys').set({ last_used_at: new Date() }).where('id', '=', row.id).execute()
  return { id: row.id, orgId: row.org_id, role: row.role }
}

import type { FastifyRequest } from 'fastify'
import type { Kysely } from 'kysely'
import type { Database } from '../../plugins/db/tables.js'

/**
 * The append-only audit trail (migration 0007): who did what, when, and the record before
 * and after. Write it in the same transaction as the change it describes, so neither can
 * exist without the other. The database refuses UPDATE and DELETE on it.
 */
export type ActorType = 'user' | 'api_key' | 'gateway' | 'system'

export interface AuditEntry {
  /** The organization whose data changed; null for platform-wide actions. */
  orgId: string | null
  actor: { type: ActorType; id: string | null }
  /** Dotted verb, `<thing>.<what>`: `user.create`, `apikey.revoke`, `gateway.config.put`. */
  action: string
  target?: { type: string; id: string }
  before?: unknown
  after?: unknown
  requestId?: string
  ip?: string
}

/** Secrets never enter the trail, whatever a caller passes as before/after. */
const SECRET_KEYS = new Set(['password', 'password_hash', 'passwordHash', 'key_hash', 'keyHash', 'token', 'token_hash', 'totp_secret', 'totpSecret', 'secret'])

function scrub(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(scrub)
  if (value === null || typeof value !== 'object' || value instanceof Date) return value
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET_KEYS.has(k) ? '[redacted]' : scrub(v)]))
}

export async function recordAudit(db: Kysely<Database>, e: AuditEntry): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({
      org_id: e.orgId,
      actor_type: e.actor.type,
      actor_id: e.actor.id,
      action: e.action,
      target_type: e.target?.type ?? null,
      target_id: e.target?.id ?? null,
      before: e.before === undefined ? null : JSON.stringify(scrub(e.before)),
      after: e.after === undefined ? null : JSON.stringify(scrub(e.after)),
      request_id: e.requestId ?? null,
      ip: e.ip ?? null,
    })
    .execute()
}

/** Actor, organization, request id and client address of an authenticated request. */
export function auditContext(request: FastifyRequest): Pick<AuditEntry, 'orgId' | 'actor' | 'requestId' | 'ip'> {
  const user = request.user
  return {
    orgId: user?.orgId ?? null,
    actor: user ? { type: user.kind === 'api_key' ? 'api_key' : 'user', id: user.id } : { type: 'system', id: null },
    requestId: String(request.id),
    ip: request.ip,
  }
}

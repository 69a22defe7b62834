import { sql } from 'kysely'
import { AppError } from '../../errors.js'
import type { AuthUser } from '../../plugins/auth.js'
import type { Db } from '../../plugins/db/database.js'
import type { UserRow } from '../../plugins/db/tables.js'
import { hashPassword } from '../auth/password.js'
import { normalizeEmail } from '../auth/service.js'
import { revokeUserSessions } from '../auth/sessions.js'
import { decodeCursor, pageOf, type PageOf } from '../common/pagination.js'
import { findSiteForOrg } from '../sites/service.js'
import { newApiKey } from './api-keys.js'
import { recordAudit, type AuditEntry } from './audit.js'
import { isRole } from './permissions.js'
import type {
  AuditItem,
  AuditQuery,
  CreateApiKeyBody,
  CreateGrantBody,
  CreateOrgBody,
  CreateUserBody,
  GrantsQuery,
  PatchSecurityBody,
  PatchUserBody,
  SecurityView,
  UserView,
  UsersQuery,
} from './schema.js'

type Audit = Omit<AuditEntry, 'action'>

const notFound = (what: string) => new AppError(`${what.toUpperCase()}_NOT_FOUND`, 404, `${what[0]!.toUpperCase()}${what.slice(1)} not found`)
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

function userView(row: UserRow): UserView {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: isRole(row.role) ? row.role : 'viewer',
    locale: row.locale,
    totpEnabled: row.totp_enabled,
    disabled: row.disabled_at !== null,
    createdAt: row.created_at.getTime(),
  }
}

const isNameIdCursor = (v: unknown): v is [string, string] => Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'string')
const isTimeIdCursor = (v: unknown): v is [number, string] => Array.isArray(v) && v.length === 2 && typeof v[0] === 'number' && typeof v[1] === 'string'

// --- users ---------------------------------------------------------------------------

export async function listUsers(db: Db, orgId: string, q: UsersQuery): Promise<PageOf<UserView>> {
  const limit = q.limit ?? 50
  const after = decodeCursor(q.cursor, isNameIdCursor)
  let query = db.selectFrom('users').selectAll().where('org_id', '=', orgId)
  if (q.role) query = query.where('role', '=', q.role)
  if (after) query = query.where((eb) => eb.or([eb('email', '>', after[0]), eb.and([eb('email', '=', after[0]), eb('id', '>', after[1])])]))
  const rows = await query.orderBy('email').orderBy('id').limit(limit + 1).execute()
  return pageOf(rows, limit, userView, (r) => [r.email, r.id])
}

async function findOrgUser(db: Db, orgId: string, userId: string): Promise<UserRow> {
  const row = UUID_RE.test(userId) ? await db.selectFrom('users').selectAll().where('org_id', '=', orgId).where('id', '=', userId).executeTakeFirst() : undefined
  if (!row) throw notFound('user')
  return row
}

export async function getUser(db: Db, orgId: string, userId: string): Promise<UserView> {
  return userView(await findOrgUser(db, orgId, userId))
}

export async function createUser(db: Db, orgId: string, body: CreateUserBody, audit: Audit): Promise<UserView> {
  const email = normalizeEmail(body.email)
  const passwordHash = await hashPassword(body.password)
  return db.transaction().execute(async (trx) => {
    const taken = await trx.selectFrom('users').select('id').where('email', '=', email).executeTakeFirst()
    // Emails are unique across tenants; say so without saying whose.
    if (taken) throw new AppError('USER_EMAIL_TAKEN', 409, 'That email already has an account')
    const row = await trx
      .insertInto('users')
      .values({ org_id: orgId, email, name: body.name, password_hash: passwordHash, role: body.role, locale: body.locale ?? 'es-AR' })
      .returningAll()
      .executeTakeFirstOrThrow()
    const view = userView(row)
    await recordAudit(trx, { ...audit, action: 'user.create', target: { type: 'user', id: row.id }, after: view })
    return view
  })
}

export async function patchUser(db: Db, actor: AuthUser, userId: string, body: PatchUserBody, audit: Audit): Promise<UserView> {
  const row = await findOrgUser(db, actor.orgId, userId)
  if (row.id === actor.id && (body.role !== undefined || body.disabled === true))
    throw new AppError('USER_SELF_LOCKOUT', 409, 'You cannot change your own role or disable yourself; ask another admin')
  // An org admin does not touch Tendero's own staff.
  if (row.role === 'platform_admin' && actor.role !== 'platform_admin') throw notFound('user')
  return db.transaction().execute(async (trx) => {
    const updated = await trx
      .updateTable('users')
      .set({
        ...(body.name !== undefined ? { name: body.name } : {}),
        ...(body.role !== undefined ? { role: body.role } : {}),
        ...(body.disabled !== undefined ? { disabled_at: body.disabled ? (row.disabled_at ?? new Date()) : null } : {}),
      })
      .where('id', '=', row.id)
      .returningAll()
      .executeTakeFirstOrThrow()
    if (body.disabled === true || (body.role !== undefined && body.role !== row.role)) await revokeUserSessions(trx, row.id)
    const view = userView(updated)
    await recordAudit(trx, { ...audit, action: 'user.update', target: { type: 'user', id: row.id }, before: userView(row), after: view })
    return view
  })
}

// --- API keys ------------------------------------------------------------------------

const apiKeyView = (r: { id: string; name: string; prefix: string; role: string; created_at: Date; last_used_at: Date | null; revoked_at: Date | null }) => ({
  id: r.id,
  name: r.name,
  prefix: r.prefix,
  role: isRole(r.role) ? r.role : ('viewer' as const),
  createdAt: r.created_at.getTime(),
  lastUsedAt: r.last_used_at?.getTime() ?? null,
  revoked: r.revoked_at !== null,
})

export async function listApiKeys(db: Db, orgId: string, q: { limit?: number; cursor?: string }) {
  const limit = q.limit ?? 50
  const after = decodeCursor(q.cursor, isTimeIdCursor)
  // Keyed on the millisecond a cursor carries (timestamptz holds microseconds), so rows
  // stamped within one millisecond are neither skipped nor repeated.
  const createdMs = sql<Date>`date_trunc('milliseconds', created_at)`
  let query = db.selectFrom('api_keys').selectAll().where('org_id', '=', orgId)
  if (after) query = query.where((eb) => eb.or([eb(createdMs, '<', new Date(after[0])), eb.and([eb(createdMs, '=', new Date(after[0])), eb('id', '<', after[1])])]))
  const rows = await query.orderBy(createdMs, 'desc').orderBy('id', 'desc').limit(limit + 1).execute()
  return pageOf(rows, limit, apiKeyView, (r) => [r.created_at.getTime(), r.id])
}

export async function createApiKey(db: Db, actor: AuthUser, body: CreateApiKeyBody, audit: Audit) {
  const { key, prefix, hash } = newApiKey()
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('api_keys')
      .values({ org_id: actor.orgId, name: body.name, prefix, key_hash: hash, role: body.role, created_by: actor.kind === 'api_key' ? null : actor.id })
      .returningAll()
      .executeTakeFirstOrThrow()
    const view = apiKeyView(row)
    await recordAudit(trx, { ...audit, action: 'apikey.create', target: { type: 'api_key', id: row.id }, after: view })
    return { key, apiKey: view }
  })
}

export async function revokeApiKey(db: Db, orgId: string, keyId: string, audit: Audit) {
  const row = UUID_RE.test(keyId) ? await db.selectFrom('api_keys').selectAll().where('org_id', '=', orgId).where('id', '=', keyId).executeTakeFirst() : undefined
  if (!row) throw notFound('api key')
  if (row.revoked_at !== null) return apiKeyView(row)
  return db.transaction().execute(async (trx) => {
    const updated = await trx.updateTable('api_keys').set({ revoked_at: new Date() }).where('id', '=', row.id).returningAll().executeTakeFirstOrThrow()
    await recordAudit(trx, { ...audit, action: 'apikey.revoke', target: { type: 'api_key', id: row.id }, before: apiKeyView(row), after: apiKeyView(updated) })
    return apiKeyView(updated)
  })
}

// --- grants --------------------------------------------------------------------------

async function grantRows(db: Db) {
  return db
    .selectFrom('org_grants')
    .innerJoin('organizations as grantor', 'grantor.id', 'org_grants.grantor_org_id')
    .innerJoin('organizations as grantee', 'grantee.id', 'org_grants.grantee_org_id')
    .selectAll('org_grants')
    .select(['grantor.name as grantor_name', 'grantee.name as grantee_name'])
}
type GrantRow = Awaited<ReturnType<Awaited<ReturnType<typeof grantRows>>['execute']>>[number]
const grantView = (r: GrantRow) => ({
  id: r.id,
  grantorOrgId: r.grantor_org_id,
  grantorName: r.grantor_name,
  granteeOrgId: r.grantee_org_id,
  granteeName: r.grantee_name,
  siteId: r.site_id,
  scopes: r.scopes as ('sites.read' | 'telemetry.read' | 'alarms.read' | 'fleet.read')[],
  createdAt: r.created_at.getTime(),
  revoked: r.revoked_at !== null,
})

export async function listGrants(db: Db, orgId: string, q: GrantsQuery) {
  const limit = q.limit ?? 50
  const after = decodeCursor(q.cursor, isTimeIdCursor)
  const column = q.direction === 'received' ? 'org_grants.grantee_org_id' : 'org_grants.grantor_org_id'
  // As for API keys: keyed on the millisecond the cursor carries.
  const createdMs = sql<Date>`date_trunc('milliseconds', org_grants.created_at)`
  let query = (await grantRows(db)).where(column, '=', orgId)
  if (after)
    query = query.where((eb) =>
      eb.or([eb(createdMs, '<', new Date(after[0])), eb.and([eb(createdMs, '=', new Date(after[0])), eb('org_grants.id', '<', after[1])])]),
    )
  const rows = await query.orderBy(createdMs, 'desc').orderBy('org_grants.id', 'desc').limit(limit + 1).execute()
  return pageOf(rows, limit, grantView, (r) => [r.created_at.getTime(), r.id])
}

export async function createGrant(db: Db, actor: AuthUser, body: CreateGrantBody, audit: Audit) {
  if (body.granteeOrgId === actor.orgId) throw new AppError('GRANT_SELF', 400, 'An organization does not need a grant to its own data')
  // Only to a mall operator; a shop id or an unknown id look the same.
  const grantee = await db.selectFrom('organizations').select(['id', 'kind']).where('id', '=', body.granteeOrgId).executeTakeFirst()
  if (!grantee || grantee.kind !== 'operator') throw new AppError('GRANT_GRANTEE_NOT_FOUND', 404, 'No mall operator with that id')
  if (body.siteId !== undefined) await findSiteForOrg(db, actor.orgId, body.siteId)
  return db.transaction().execute(async (trx) => {
    const inserted = await trx
      .insertInto('org_grants')
      .values({ grantor_org_id: actor.orgId, grantee_org_id: grantee.id, site_id: body.siteId ?? null, scopes: body.scopes })
      .returning('id')
      .executeTakeFirstOrThrow()
    const row = await (await grantRows(trx)).where('org_grants.id', '=', inserted.id).executeTakeFirstOrThrow()
    const view = grantView(row)
    await recordAudit(trx, { ...audit, action: 'grant.create', target: { type: 'grant', id: row.id }, after: view })
    return view
  })
}

export async function revokeGrant(db: Db, orgId: string, grantId: string, audit: Audit) {
  const row = UUID_RE.test(grantId) ? await (await grantRows(db)).where('org_grants.id', '=', grantId).where('org_grants.grantor_org_id', '=', orgId).executeTakeFirst() : undefined
  if (!row) throw notFound('grant')
  if (row.revoked_at !== null) return grantView(row)
  return db.transaction().execute(async (trx) => {
    await trx.updateTable('org_grants').set({ revoked_at: new Date() }).where('id', '=', row.id).execute()
    const after = { ...grantView(row), revoked: true }
    await recordAudit(trx, { ...audit, action: 'grant.revoke', target: { type: 'grant', id: row.id }, before: grantView(row), after })
    return after
  })
}

// --- audit ---------------------------------------------------------------------------

function auditQuery(db: Db, orgId: string, q: Omit<AuditQuery, 'limit' | 'cursor'>) {
  let query = db.selectFrom('audit_log').selectAll().where('org_id', '=', orgId)
  if (q.action) query = q.action.endsWith('.') ? query.where('action', 'like', `${q.action.replace(/[\\%_]/g, '\\$&')}%`) : query.where('action', '=', q.action)
  if (q.actorId) query = query.where('actor_id', '=', q.actorId)
  if (q.targetType) query = query.where('target_type', '=', q.targetType)
  if (q.targetId) query = query.where('target_id', '=', q.targetId)
  if (q.from !== undefined) query = query.where('at', '>=', new Date(q.from))
  if (q.to !== undefined) query = query.where('at', '<', new Date(q.to))
  return query
}

type AuditRow = Awaited<ReturnType<ReturnType<typeof auditQuery>['execute']>>[number]
const auditItem = (r: AuditRow): AuditItem => ({
  id: Number(r.id),
  at: r.at.getTime(),
  actorType: r.actor_type,
  actorId: r.actor_id,
  action: r.action,
  targetType: r.target_type,
  targetId: r.target_id,
  before: r.before ?? null,
  after: r.after ?? null,
  requestId: r.request_id,
  ip: r.ip,
})

/** Newest first. */
export async function listAudit(db: Db, orgId: string, q: AuditQuery): Promise<PageOf<AuditItem>> {
  const limit = q.limit ?? 50
  const after = decodeCursor(q.cursor, (v): v is number => typeof v === 'number' && Number.isInteger(v))
  let query = auditQuery(db, orgId, q)
  if (after !== undefined) query = query.where('id', '<', after)
  const rows = await query.orderBy('id', 'desc').limit(limit + 1).execute()
  return pageOf(rows, limit, auditItem, (r) => Number(r.id))
}

const csvCell = (v: unknown): string => {
  const text = v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v)
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

/** The whole filtered trail as CSV, oldest first, in pages of 1000 rows. */
export async function* auditCsv(db: Db, orgId: string, q: Omit<AuditQuery, 'limit' | 'cursor'>): AsyncGenerator<string> {
  yield 'id,at,actor_type,actor_id,action,target_type,target_id,before,after,request_id,ip\r\n'
  let last = 0
  for (;;) {
    const rows = await auditQuery(db, orgId, q).where('id', '>', last).orderBy('id').limit(1000).execute()
    for (const r of rows) {
      const i = auditItem(r)
      yield [i.id, new Date(i.at).toISOString(), i.actorType, i.actorId, i.action, i.targetType, i.targetId, i.before, i.after, i.requestId, i.ip].map(csvCell).join(',') + '\r\n'
    }
    if (rows.length < 1000) return
    last = Number(rows[rows.length - 1]!.id)
  }
}

// --- security settings of one's own organization -------------------------------------

export async function getSecurity(db: Db, orgId: string): Promise<SecurityView> {
  const org = await db.selectFrom('organizations').select('require_admin_totp').where('id', '=', orgId).executeTakeFirst()
  if (!org) throw notFound('organization')
  return { requireAdminTotp: org.require_admin_totp }
}

/** Takes effect for each admin at their next login or token refresh (modules/auth/policy.ts). */
export async function patchSecurity(db: Db, orgId: string, body: PatchSecurityBody, audit: Audit): Promise<SecurityView> {
  return db.transaction().execute(async (trx) => {
    // Locked, so two admins changing it at once each audit the value they really replaced.
    const org = await trx.selectFrom('organizations').select('require_admin_totp').where('id', '=', orgId).forUpdate().executeTakeFirst()
    if (!org) throw notFound('organization')
    const before: SecurityView = { requireAdminTotp: org.require_admin_totp }
    const after: SecurityView = { requireAdminTotp: body.requireAdminTotp }
    if (before.requireAdminTotp === after.requireAdminTotp) return after
    await trx.updateTable('organizations').set({ require_admin_totp: after.requireAdminTotp }).where('id', '=', orgId).execute()
    await recordAudit(trx, { ...audit, action: 'org.security.update', target: { type: 'organization', id: orgId }, before, after })
    return after
  })
}

// --- organizations (Tendero staff) ----------------------------------------------------

const orgView = (r: { id: string; name: string; kind: string; created_at: Date }) => ({
  id: r.id,
  name: r.name,
  kind: r.kind as 'platform' | 'operator' | 'shop',
  createdAt: r.created_at.getTime(),
})

export async function listOrgs(db: Db, q: { limit?: number; cursor?: string }) {
  const limit = q.limit ?? 50
  const after = decodeCursor(q.cursor, isNameIdCursor)
  let query = db.selectFrom('organizations').selectAll()
  if (after) query = query.where((eb) => eb.or([eb('name', '>', after[0]), eb.and([eb('name', '=', after[0]), eb('id', '>', after[1])])]))
  const rows = await query.orderBy('name').orderBy('id').limit(limit + 1).execute()
  return pageOf(rows, limit, orgView, (r) => [r.name, r.id])
}

export async function createOrg(db: Db, body: CreateOrgBody, audit: Audit) {
  const email = normalizeEmail(body.admin.email)
  const passwordHash = await hashPassword(body.admin.password)
  return db.transaction().execute(async (trx) => {
    if (await trx.selectFrom('users').select('id').where('email', '=', email).executeTakeFirst())
      throw new AppError('USER_EMAIL_TAKEN', 409, 'That email already has an account')
    // New organizations start with admins held to two-factor login (their first admin enrols at first login).
    const org = await trx.insertInto('organizations').values({ name: body.name, kind: body.kind, require_admin_totp: true }).returningAll().executeTakeFirstOrThrow()
    const admin = await trx
      .insertInto('users')
      .values({ org_id: org.id, email, name: body.admin.name, password_hash: passwordHash, role: 'org_admin', locale: 'es-AR' })
      .returningAll()
      .executeTakeFirstOrThrow()
    const view = { ...orgView(org), admin: userView(admin) }
    await recordAudit(trx, { ...audit, orgId: org.id, action: 'org.create', target: { type: 'organization', id: org.id }, after: view })
    return view
  })
}

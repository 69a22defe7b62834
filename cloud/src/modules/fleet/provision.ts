import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import { sql, type Selectable } from 'kysely'
import type { Db } from '../../plugins/db/database.js'
import { toEpochMs } from '../../plugins/db/timestamps.js'
import { DEFAULT_LIMIT, decodeCursor, pageOf, type PageOf } from '../common/pagination.js'
import { auditContext, recordAudit } from '../identity/audit.js'
import { hashGatewayKey } from '../ingest/repository.js'
import { findSiteForOrg } from '../sites/service.js'
import {
  formatClaimCode,
  hashClaimCode,
  isWellFormedClaimCode,
  newClaimCode,
  newGatewayId,
  newGatewayKey,
  normalizeClaimCode,
} from './claim-code.js'
import { claimCodeExpired, claimCodeInvalid, claimCodeNotFound, claimCodeUsed } from './errors.js'
import {
  CLAIM_DEFAULT_TTL_H,
  type ClaimBody,
  type ClaimCodeItem,
  type ClaimCodesQuery,
  type ClaimCodeView,
  type ClaimReply,
  type CreateClaimCodeBody,
} from './schema.js'
import { fleetDb, type FleetDb, type GatewayClaimCodesTable } from './tables.js'

/**
 * Claim-code provisioning: a technician (fleet.provision) creates a code for a site of
 * their organization; a new gateway presents it once (POST /api/gateways/claim) and gets
 * its id and key. The code selects the site and organization: nothing in the claim
 * request names a tenant, so a wrong code can only be "no such code".
 */

export async function createClaimCode(db: Db, request: FastifyRequest, siteId: string, body: CreateClaimCodeBody, now = Date.now()): Promise<ClaimCodeView> {
  const user = request.user
  const site = await findSiteForOrg(db, user.orgId, siteId)
  const code = newClaimCode()
  const expiresAt = new Date(now + (body.expiresInHours ?? CLAIM_DEFAULT_TTL_H) * 3600_000)
  const row = await db.transaction().execute(async (trx) => {
    const created = await fleetDb(trx)
      .insertInto('gateway_claim_codes')
      .values({ org_id: user.orgId, site_id: site.id, code_hash: hashClaimCode(code), gateway_name: body.name ?? null, expires_at: expiresAt, created_by: user.id })
      .returning(['id', 'site_id', 'gateway_name', 'expires_at', 'created_at'])
      .executeTakeFirstOrThrow()
    // The code itself stays out of the trail: it is a credential until used.
    await recordAudit(trx, {
      ...auditContext(request),
      action: 'gateway.claim_code.create',
      target: { type: 'claim_code', id: created.id },
      after: { siteId: site.id, name: created.gateway_name, expiresAt: created.expires_at },
    })
    return created
  })
  return {
    id: row.id,
    code: formatClaimCode(code),
    siteId: row.site_id,
    name: row.gateway_name,
    expiresAt: row.expires_at.getTime(),
    createdAt: row.created_at.getTime(),
  }
}

type ClaimCodeRow = Selectable<GatewayClaimCodesTable>

function claimCodeItem(row: ClaimCodeRow, now: number): ClaimCodeItem {
  return {
    id: row.id,
    siteId: row.site_id,
    name: row.gateway_name,
    status: row.used_at ? 'used' : row.expires_at.getTime() <= now ? 'expired' : 'open',
    gatewayId: row.gateway_id,
    createdBy: row.created_by,
    createdAt: row.created_at.getTime(),
    expiresAt: row.expires_at.getTime(),
    usedAt: toEpochMs(row.used_at),
  }
}

const isClaimCodeCursor = (v: unknown): v is { createdAt: number; id: string } =>
  typeof v === 'object' && v !== null && typeof (v as { createdAt?: unknown }).createdAt === 'number' && typeof (v as { id?: unknown }).id === 'string'

/** A site's codes, newest first, for the technician's screen; the codes themselves are not kept. */
export async function listClaimCodes(db: Db, orgId: string, siteId: string, query: ClaimCodesQuery, now = Date.now()): Promise<PageOf<ClaimCodeItem>> {
  const site = await findSiteForOrg(db, orgId, siteId)
  const limit = query.limit ?? DEFAULT_LIMIT
  const after = decodeCursor(query.cursor, isClaimCodeCursor)
  // Sorted on the millisecond the cursor can carry (timestamptz holds microseconds), so no
  // row between a cursor's millisecond and its true time is skipped.
  const createdMs = sql<Date>`date_trunc('milliseconds', created_at)`
  let q = fleetDb(db).selectFrom('gateway_claim_codes').selectAll().where('site_id', '=', site.id)
  if (after) {
    const at = new Date(after.createdAt)
    q = q.where((eb) => eb.or([eb(createdMs, '<', at), eb.and([eb(createdMs, '=', at), eb('id', '<', after.id)])]))
  }
  const rows = await q.orderBy(createdMs, 'desc').orderBy('id', 'desc').limit(limit + 1).execute()
  return pageOf(rows, limit, (r) => claimCodeItem(r, now), (r) => ({ createdAt: r.created_at.getTime(), id: r.id }))
}

/** Ends an unused code now (a code read out to the wrong person). A used code stays as it is. */
export async function revokeClaimCode(db: Db, request: FastifyRequest, siteId: string, codeId: string, now = Date.now()): Promise<ClaimCodeItem> {
  const site = await findSiteForOrg(db, request.user.orgId, siteId)
  if (!UUID_RE.test(codeId)) throw claimCodeNotFound()
  return db.transaction().execute(async (trx) => {
    const fdb = fleetDb(trx)
    const before = await fdb.selectFrom('gateway_claim_codes').selectAll().where('site_id', '=', site.id).where('id', '=', codeId).forUpdate().executeTakeFirst()
    if (!before) throw claimCodeNotFound()
    if (before.used_at || before.expires_at.getTime() <= now) return claimCodeItem(before, now)
    const after = await fdb
      .updateTable('gateway_claim_codes')
      // The database's clock, the one the claim compares with.
      .set({ expires_at: sql`now()` })
      .where('id', '=', before.id)
      .returningAll()
      .executeTakeFirstOrThrow()
    await recordAudit(trx, {
      ...auditContext(request),
      action: 'gateway.claim_code.revoke',
      target: { type: 'claim_code', id: before.id },
      before: { expiresAt: before.expires_at },
      after: { expiresAt: after.expires_at },
    })
    return claimCodeItem(after, Math.max(now, after.expires_at.getTime()))
  })
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

const hashNonce = (nonce: string): string => createHash('sha256').update(`claim-nonce:${nonce}`).digest('hex')

/**
 * Spends a code and creates the gateway, in one transaction: the conditional UPDATE lets
 * exactly one of two concurrent claims have it. A failed claim changes nothing. A used
 * code presented again with the nonce of the claim that spent it, before the code's
 * expiry, is the same gateway retrying: it gets its gateway back with a fresh key.
 */
export async function claimGateway(db: Db, request: FastifyRequest, body: ClaimBody): Promise<ClaimReply> {
  const normalized = normalizeClaimCode(body.code)
  if (!isWellFormedClaimCode(normalized)) throw claimCodeInvalid()
  const codeHash = hashClaimCode(normalized)
  const nonceHash = body.nonce === undefined ? null : hashNonce(body.nonce)
  const gatewayKey = newGatewayKey()
  const audit = { requestId: String(request.id), ip: request.ip }
  return db.transaction().execute(async (trx) => {
    const fdb = fleetDb(trx)
    const spent = await fdb
      .updateTable('gateway_claim_codes')
      .set({ used_at: sql`now()`, claim_nonce_hash: nonceHash })
      .where('code_hash', '=', codeHash)
      .where('used_at', 'is', null)
      .where('expires_at', '>', sql<Date>`now()`)
      .returning(['id', 'org_id', 'site_id', 'gateway_name'])
      .executeTakeFirst()
    if (!spent) {
      const retried = nonceHash === null ? undefined : await reissue(trx, codeHash, nonceHash, gatewayKey, audit)
      if (retried) return retried
      throw await whyNotClaimable(fdb, codeHash)
    }
    const gatewayId = newGatewayId()
    const name = spent.gateway_name ?? body.name ?? `Gateway ${gatewayId}`
    await fdb
      .insertInto('gateways')
      .values({
        id: gatewayId,
        org_id: spent.org_id,
        site_id: spent.site_id,
        name,
        key_hash: hashGatewayKey(gatewayKey),
        hardware_id: body.hardwareId ?? null,
        claimed_at: sql`now()`,
      })
      .execute()
    await fdb.updateTable('gateway_claim_codes').set({ gateway_id: gatewayId }).where('id', '=', spent.id).execute()
    await recordAudit(trx, {
      orgId: spent.org_id,
      actor: { type: 'gateway', id: gatewayId },
      action: 'gateway.claim',
      target: { type: 'gateway', id: gatewayId },
      after: { siteId: spent.site_id, name, hardwareId: body.hardwareId ?? null, claimCodeId: spent.id },
      ...audit,
    })
    return { gatewayId, gatewayKey, siteId: spent.site_id, name }
  })
}

/** The claiming gateway again (same code, same nonce, code not expired): same gateway, new key. */
async function reissue(trx: Db, codeHash: string, nonceHash: string, gatewayKey: string, audit: { requestId: string; ip: string }) {
  const fdb = fleetDb(trx)
  const code = await fdb
    .selectFrom('gateway_claim_codes')
    .select(['id', 'org_id', 'gateway_id', 'claim_nonce_hash'])
    .where('code_hash', '=', codeHash)
    .where('used_at', 'is not', null)
    .where('expires_at', '>', sql<Date>`now()`)
    .executeTakeFirst()
  if (!code?.gateway_id || !code.claim_nonce_hash || !safeEqual(code.claim_nonce_hash, nonceHash)) return undefined
  const gateway = await fdb
    .updateTable('gateways')
    .set({ key_hash: hashGatewayKey(gatewayKey) })
    .where('id', '=', code.gateway_id)
    .returning(['id', 'site_id', 'name'])
    .executeTakeFirst()
  if (!gateway) return undefined
  await recordAudit(trx, {
    orgId: code.org_id,
    actor: { type: 'gateway', id: gateway.id },
    action: 'gateway.claim.retry',
    target: { type: 'gateway', id: gateway.id },
    after: { claimCodeId: code.id },
    ...audit,
  })
  return { gatewayId: gateway.id, gatewayKey, siteId: gateway.site_id, name: gateway.name }
}

const safeEqual = (a: string, b: string): boolean => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b))

/** Names the code's own state, nothing else: unknown, already used, or expired. */
async function whyNotClaimable(fdb: FleetDb, codeHash: string) {
  const row = await fdb.selectFrom('gateway_claim_codes').select(['used_at', 'expires_at']).where('code_hash', '=', codeHash).executeTakeFirst()
  if (!row) return claimCodeInvalid()
  if (row.used_at) return claimCodeUsed()
  return claimCodeExpired()
}

import type { FastifyRequest } from 'fastify'
import type { Kysely } from 'kysely'
import type { Database } from '../../plugins/db/tables.js'
import { auditContext, recordAudit } from '../identity/audit.js'
import { queueMail } from '../mail/queue.js'
import { isUuid, pageById } from './catalog.js'
import { chargeView, scheduleOf } from './charges.js'
import { badInput, notFound } from './errors.js'
import { leaseViews, todayUtc } from './leases.js'
import * as repo from './repository.js'
import type { IncidentBody, MallIncidentBody } from './schema.js'
import { leasingDb, type IncidentRow, type IncidentStatus } from './tables.js'

/**
 * The tenant portal's lease side. A shop on Tendero is a tenant where the mall operator's
 * contact for it has linked_org_id = the shop's organization: the shop's users then see
 * those leases (read-only, with their spaces and charges) and report incidents on them.
 * Nothing here takes an organization from the request but the user's own.
 */

const portalLeases = repo.portalLeases

export async function listPortalLeases(db: Kysely<Database>, viewerOrgId: string, q: { cursor?: string; limit?: number }) {
  const page = await pageById(q, (after, limit) => {
    let query = portalLeases(db, viewerOrgId)
    if (after) query = query.where('l.id', '>', after)
    return query.orderBy('l.id').limit(limit).execute()
  }, (r) => r)
  const views = await leaseViews(db, page.items, todayUtc())
  const charges = page.items.length === 0 ? [] : await leasingDb(db).selectFrom('leasing_charges').selectAll().where('lease_id', 'in', page.items.map((r) => r.id)).orderBy('period').orderBy('kind').execute()
  // The next months' rent as the mall's rent run will charge it, so the shop can plan.
  const projections = await Promise.all(page.items.map((r) => scheduleOf(db, r, { months: 3 })))
  return {
    nextCursor: page.nextCursor,
    items: page.items.map((r, i) => {
      const v = views[i]!
      return {
        id: r.id, mallName: r.mall_name, landlordName: r.landlord_name, spaces: v.spaces, startsOn: v.startsOn, endsOn: v.endsOn, terminatedOn: v.terminatedOn,
        status: v.status, rentMinor: v.rentMinor, currency: v.currency, depositMinor: v.depositMinor,
        charges: charges.filter((c) => c.lease_id === r.id).map(chargeView),
        projection: projections[i]!.projection,
      }
    }),
  }
}

const incidentView = (r: IncidentRow) => ({
  id: r.id, leaseId: r.lease_id, spaceId: r.space_id, category: r.category, description: r.description, status: r.status, source: r.source,
  createdAt: r.created_at.toISOString(), resolvedAt: r.resolved_at?.toISOString() ?? null,
})

/** A shop reports an incident on one of its leases; the mall's admins get a mail. */
export async function reportIncident(db: Kysely<Database>, request: FastifyRequest, body: IncidentBody) {
  const viewerOrgId = request.user.orgId
  const lease = isUuid(body.leaseId) ? await portalLeases(db, viewerOrgId).where('l.id', '=', body.leaseId).executeTakeFirst() : undefined
  if (!lease) throw notFound('LEASE')
  if (body.spaceId) {
    const held = await leasingDb(db).selectFrom('leasing_lease_spaces').select('space_id').where('lease_id', '=', lease.id).where('space_id', '=', body.spaceId).executeTakeFirst()
    if (!held) throw notFound('SPACE')
  }
  const admins = await repo.adminEmails(db, lease.org_id)
  return db.transaction().execute(async (trx) => {
    const row = await leasingDb(trx).insertInto('leasing_incidents').values({
      org_id: lease.org_id, lease_id: lease.id, space_id: body.spaceId ?? null, reporter_org_id: viewerOrgId,
      reported_by: request.user.kind === 'api_key' ? null : request.user.id, category: body.category, description: body.description,
    }).returningAll().executeTakeFirstOrThrow()
    // In the reporter's trail and in the mall's: both organizations' data changed.
    await recordAudit(trx, { ...auditContext(request), action: 'portal.incident.create', target: { type: 'leasing_incident', id: row.id }, after: incidentView(row) })
    await recordAudit(trx, { ...auditContext(request), orgId: lease.org_id, action: 'leasing.incident.reported', target: { type: 'leasing_incident', id: row.id }, after: incidentView(row) })
    for (const admin of admins) {
      await queueMail(trx, {
        orgId: lease.org_id,
        to: admin,
        kind: 'leasing.incident',
        dedupKey: `lease-incident:${row.id}:${admin}`,
        subject: `Nueva incidencia / New incident: ${body.category} (${lease.tenant_name})`,
        text: `${lease.tenant_name} reportó una incidencia (${body.category}) en ${lease.mall_name}:\n\n${body.description}\n\n` +
          `${lease.tenant_name} reported an incident (${body.category}) at ${lease.mall_name}.`,
      })
    }
    return incidentView(row)
  })
}

/**
 * The mall's inbox (`org_id`: every incident on its leases, whoever reported it), or a
 * tenant's portal list (`reporter_org_id`): what it reported, and what the mall logged on
 * the leases it currently sees in its portal.
 */
export async function listIncidents(db: Kysely<Database>, column: 'org_id' | 'reporter_org_id', orgId: string, q: { cursor?: string; limit?: number; status?: IncidentStatus }) {
  return pageById(q, (after, limit) => {
    let query = leasingDb(db).selectFrom('leasing_incidents').selectAll()
    query = column === 'org_id'
      ? query.where('org_id', '=', orgId)
      : query.where((eb) => eb.or([
        eb.and([eb('source', '=', 'tenant'), eb('reporter_org_id', '=', orgId)]),
        eb.and([eb('source', '=', 'mall'), eb('lease_id', 'in', portalLeases(db, orgId).clearSelect().select('l.id'))]),
      ]))
    if (q.status) query = query.where('status', '=', q.status)
    if (after) query = query.where('id', '>', after)
    return query.orderBy('id').limit(limit).execute()
  }, incidentView)
}

/**
 * The mall logs an incident on one of its leases itself (source `mall`): it is in the same
 * inbox, and in the tenant's portal list while the tenant's contact is linked. The tenant
 * contact is mailed (when it has an address) in the same transaction, unless notifyTenant is false.
 */
export async function logIncident(db: Kysely<Database>, request: FastifyRequest, body: MallIncidentBody) {
  const orgId = request.user.orgId
  const lease = isUuid(body.leaseId)
    ? await leasingDb(db).selectFrom('leasing_leases as l').innerJoin('contacts as c', 'c.id', 'l.tenant_contact_id').innerJoin('leasing_malls as m', 'm.id', 'l.mall_id')
      .select(['l.id', 'c.name as tenant_name', 'c.email as tenant_email', 'm.name as mall_name'])
      .where('l.org_id', '=', orgId).where('l.id', '=', body.leaseId).executeTakeFirst()
    : undefined
  if (!lease) throw notFound('LEASE')
  if (body.spaceId) {
    const held = await leasingDb(db).selectFrom('leasing_lease_spaces').select('space_id').where('lease_id', '=', lease.id).where('space_id', '=', body.spaceId).executeTakeFirst()
    if (!held) throw notFound('SPACE')
  }
  return db.transaction().execute(async (trx) => {
    const row = await leasingDb(trx).insertInto('leasing_incidents').values({
      org_id: orgId, lease_id: lease.id, space_id: body.spaceId ?? null, reporter_org_id: orgId, source: 'mall',
      reported_by: request.user.kind === 'api_key' ? null : request.user.id, category: body.category, description: body.description,
    }).returningAll().executeTakeFirstOrThrow()
    await recordAudit(trx, { ...auditContext(request), action: 'leasing.incident.create', target: { type: 'leasing_incident', id: row.id }, after: incidentView(row) })
    if (lease.tenant_email && body.notifyTenant !== false) {
      await queueMail(trx, {
        orgId,
        to: lease.tenant_email,
        kind: 'leasing.incident',
        dedupKey: `lease-incident:${row.id}:tenant`,
        subject: `Incidencia registrada / Incident logged: ${body.category} (${lease.mall_name})`,
        text: `${lease.mall_name} registró una incidencia (${body.category}) en tu local:\n\n${body.description}\n\n` +
          `${lease.mall_name} logged an incident (${body.category}) at your space. You can follow it in Tendero, "Mi local".`,
      })
    }
    return incidentView(row)
  })
}

export async function updateIncident(db: Kysely<Database>, request: FastifyRequest, id: string, status: IncidentStatus) {
  const orgId = request.user.orgId
  const before = isUuid(id) ? await leasingDb(db).selectFrom('leasing_incidents').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst() : undefined
  if (!before) throw notFound('INCIDENT')
  if (before.status === status) throw badInput(`status: already ${status}`)
  return db.transaction().execute(async (trx) => {
    const row = await leasingDb(trx).updateTable('leasing_incidents')
      .set({ status, updated_at: new Date(), resolved_at: status === 'resolved' ? new Date() : null })
      .where('id', '=', id).where('org_id', '=', orgId).returningAll().executeTakeFirstOrThrow()
    await recordAudit(trx, { ...auditContext(request), action: 'leasing.incident.status', target: { type: 'leasing_incident', id }, before: { status: before.status }, after: { status } })
    return incidentView(row)
  })
}

import type { FastifyRequest } from 'fastify'
import { sql, type Expression } from 'kysely'
import type { Db } from '../../plugins/db/database.js'
import { contactNotFound, type ContactRow } from '../common/contacts.js'
import { DEFAULT_LIMIT, pageOf, type PageOf } from '../common/pagination.js'
import { auditContext, recordAudit } from '../identity/audit.js'
import { badPhone, contactArchived, duplicateEmail, revenueCurrencyMissing, userNotFound, UUID_RE } from './errors.js'
import { after, decodePosition, msOf, type Position } from './keyset.js'
import type { ContactsQuery, ContactView, CreateContactBody, UpdateContactBody } from './schema.js'
import { rescoreContacts } from './scoring.js'
import { baseDb, crmDb, type CrmDb } from './tables.js'

/**
 * Contacts: customers, leads, suppliers and staff of the organization (table 0016, shared
 * with billing, leasing and appointments, which refer to them by id). Nothing is deleted:
 * DELETE archives, so invoices and leases keep their customer. Duplicates: one active
 * contact per email address in an organization (compared lower-cased); a second one is
 * 409 CRM_CONTACT_DUPLICATE_EMAIL naming the first, and lead capture merges into it.
 */

export function contactView(r: ContactRow): ContactView {
  return {
    id: r.id,
    kind: r.kind,
    name: r.name,
    company: r.company,
    email: r.email,
    phone: r.phone,
    taxId: r.tax_id,
    vertical: r.vertical,
    city: r.city,
    country: r.country,
    annualRevenueMinor: r.annual_revenue_minor === null ? null : Number(r.annual_revenue_minor),
    revenueCurrency: r.revenue_currency,
    ownerUserId: r.owner_user_id,
    source: r.source,
    tags: Array.isArray(r.tags) ? r.tags : [],
    notes: r.notes,
    score: r.score,
    lastInteractionAt: r.last_interaction_at?.getTime() ?? null,
    createdAt: r.created_at.getTime(),
    updatedAt: r.updated_at.getTime(),
    archivedAt: r.archived_at?.getTime() ?? null,
    linkedOrgId: r.linked_org_id,
  }
}

/** The organization's active contact, or 404 (another organization's id, or malformed). */
export async function findOrgContact(db: Db | CrmDb, orgId: string, id: string, opts: { active?: boolean } = {}): Promise<ContactRow> {
  if (!UUID_RE.test(id)) throw contactNotFound()
  const row = await crmDb(db as Db).selectFrom('contacts').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst()
  if (!row) throw contactNotFound()
  if (opts.active && row.archived_at !== null) throw contactArchived()
  return row
}

/** A user of this organization, or 404: an owner from another tenant is never stored. */
export async function assertOrgUser(db: Db | CrmDb, orgId: string, userId: string | null | undefined): Promise<void> {
  if (userId === null || userId === undefined) return
  const row = await (db as Db).selectFrom('users').select('id').where('org_id', '=', orgId).where('id', '=', userId).executeTakeFirst()
  if (!row) throw userNotFound()
}

export const normalEmail = (email: string): string => email.trim().toLowerCase()
export const phoneDigits = (phone: string): string => phone.replace(/\D/g, '')

/**
 * Serializes writers of one address in one organization for the rest of the transaction,
 * so two requests cannot both find "no contact with this email" and both insert one. The
 * contacts table is shared, so the rule lives here rather than as a unique index there.
 */
export async function lockEmail(trx: CrmDb, orgId: string, email: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtext(${`crm-email:${orgId}:${normalEmail(email)}`}))`.execute(trx)
}

export async function activeContactByEmail(trx: CrmDb, orgId: string, email: string, exceptId?: string): Promise<ContactRow | undefined> {
  let q = trx.selectFrom('contacts').selectAll().where('org_id', '=', orgId).where('archived_at', 'is', null)
    .where(sql<boolean>`lower(email) = ${normalEmail(email)}`)
  if (exceptId) q = q.where('id', '<>', exceptId)
  return q.orderBy('created_at').limit(1).executeTakeFirst()
}

function checkFields(body: Partial<CreateContactBody>, current?: ContactRow): void {
  if (body.phone && (phoneDigits(body.phone).length < 6 || phoneDigits(body.phone).length > 20)) throw badPhone()
  const revenue = body.annualRevenueMinor !== undefined ? body.annualRevenueMinor : (current?.annual_revenue_minor ?? null)
  const currency = body.revenueCurrency !== undefined ? body.revenueCurrency : (current?.revenue_currency ?? null)
  if (revenue !== null && currency === null) throw revenueCurrencyMissing()
}

/** Body fields to columns; only the fields present. */
function columnsOf(body: Partial<CreateContactBody>) {
  const out: Record<string, unknown> = {}
  const map: [keyof CreateContactBody, string][] = [
    ['kind', 'kind'], ['name', 'name'], ['company', 'company'], ['email', 'email'], ['phone', 'phone'], ['taxId', 'tax_id'],
    ['vertical', 'vertical'], ['city', 'city'], ['country', 'country'], ['annualRevenueMinor', 'annual_revenue_minor'],
    ['revenueCurrency', 'revenue_currency'], ['ownerUserId', 'owner_user_id'], ['source', 'source'], ['notes', 'notes'],
  ]
  for (const [field, column] of map) if (body[field] !== undefined) out[column] = typeof body[field] === 'string' ? (body[field] as string).trim() : body[field]
  if (body.email) out.email = body.email.trim()
  if (body.tags !== undefined) out.tags = JSON.stringify([...new Set(body.tags.map((t) => t.trim()))])
  return out
}

export async function createContact(db: Db, request: FastifyRequest, body: CreateContactBody): Promise<ContactView> {
  const orgId = request.user.orgId
  checkFields(body)
  await assertOrgUser(db, orgId, body.ownerUserId)
  return crmDb(db).transaction().execute(async (trx) => {
    if (body.email) {
      await lockEmail(trx, orgId, body.email)
      const existing = await activeContactByEmail(trx, orgId, body.email)
      if (existing) throw duplicateEmail(existing.id)
    }
    const inserted = await trx.insertInto('contacts').values({ org_id: orgId, ...columnsOf(body) } as never).returningAll().executeTakeFirstOrThrow()
    await rescoreContacts(trx, orgId, [inserted.id])
    const row = await findOrgContact(trx, orgId, inserted.id)
    await recordAudit(baseDb(trx), { ...auditContext(request), action: 'crm.contact.create', target: { type: 'contact', id: row.id }, after: contactView(row) })
    return contactView(row)
  })
}

export async function updateContact(db: Db, request: FastifyRequest, id: string, body: UpdateContactBody): Promise<ContactView> {
  const orgId = request.user.orgId
  const before = await findOrgContact(db, orgId, id)
  checkFields(body, before)
  await assertOrgUser(db, orgId, body.ownerUserId)
  return crmDb(db).transaction().execute(async (trx) => {
    if (body.email && before.archived_at === null) {
      await lockEmail(trx, orgId, body.email)
      const existing = await activeContactByEmail(trx, orgId, body.email, before.id)
      if (existing) throw duplicateEmail(existing.id)
    }
    await trx.updateTable('contacts').set({ ...columnsOf(body), updated_at: new Date() } as never).where('org_id', '=', orgId).where('id', '=', before.id).execute()
    await rescoreContacts(trx, orgId, [before.id])
    const row = await findOrgContact(trx, orgId, before.id)
    await recordAudit(baseDb(trx), { ...auditContext(request), action: 'crm.contact.update', target: { type: 'contact', id: row.id }, before: contactView(before), after: contactView(row) })
    return contactView(row)
  })
}

/** Archives (DELETE) or restores a contact. Restoring checks the email rule again. */
export async function setArchived(db: Db, request: FastifyRequest, id: string, archived: boolean): Promise<ContactView> {
  const orgId = request.user.orgId
  const before = await findOrgContact(db, orgId, id)
  if ((before.archived_at !== null) === archived) return contactView(before)
  return crmDb(db).transaction().execute(async (trx) => {
    if (!archived && before.email) {
      await lockEmail(trx, orgId, before.email)
      const existing = await activeContactByEmail(trx, orgId, before.email, before.id)
      if (existing) throw duplicateEmail(existing.id)
    }
    const row = await trx.updateTable('contacts').set({ archived_at: archived ? new Date() : null, updated_at: new Date() })
      .where('org_id', '=', orgId).where('id', '=', before.id).returningAll().executeTakeFirstOrThrow()
    await recordAudit(baseDb(trx), { ...auditContext(request), action: archived ? 'crm.contact.archive' : 'crm.contact.restore', target: { type: 'contact', id: row.id }, before: contactView(before), after: contactView(row) })
    return contactView(row)
  })
}

const SORT_KEYS = {
  createdAt: { expr: () => msOf('contacts.created_at'), cast: 'timestamptz', type: 'number', value: (r: ContactRow) => r.created_at.getTime() },
  name: { expr: () => sql.ref('contacts.name'), cast: 'text', type: 'string', value: (r: ContactRow) => r.name },
  score: { expr: () => sql.ref('contacts.score'), cast: 'integer', type: 'number', value: (r: ContactRow) => r.score },
} as const

export async function listContacts(db: Db, orgId: string, q: ContactsQuery): Promise<PageOf<ContactView>> {
  const sort = q.sort ?? '-createdAt'
  const desc = sort.startsWith('-')
  const key = SORT_KEYS[(desc ? sort.slice(1) : sort) as keyof typeof SORT_KEYS]
  const position = decodePosition(q.cursor, sort, key.type)
  const limit = q.limit ?? DEFAULT_LIMIT
  let query = crmDb(db).selectFrom('contacts').selectAll().where('org_id', '=', orgId)
  const archived = q.archived ?? 'false'
  if (archived === 'false') query = query.where('archived_at', 'is', null)
  if (archived === 'true') query = query.where('archived_at', 'is not', null)
  if (q.kind) query = query.where('kind', '=', q.kind)
  if (q.vertical) query = query.where(sql<boolean>`lower(vertical) = ${q.vertical.toLowerCase()}`)
  if (q.city) query = query.where(sql<boolean>`lower(city) = ${q.city.toLowerCase()}`)
  if (q.tag) query = query.where(sql<boolean>`tags @> ${JSON.stringify([q.tag])}::jsonb`)
  if (q.minScore !== undefined) query = query.where('score', '>=', q.minScore)
  if (q.q) {
    const like = `%${q.q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`
    query = query.where(sql<boolean>`(lower(name) like ${like} or lower(coalesce(company, '')) like ${like} or lower(coalesce(email, '')) like ${like})`)
  }
  const expr = key.expr() as Expression<unknown>
  if (position) query = query.where(after(expr, 'contacts.id', position, desc, key.cast))
  const dir = desc ? 'desc' : 'asc'
  const rows = await query.orderBy(expr, dir).orderBy('contacts.id', dir).limit(limit + 1).execute()
  return pageOf(rows, limit, contactView, (r): Position => [sort, key.value(r), r.id])
}

import { createHash, randomInt, timingSafeEqual } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import { sql } from 'kysely'
import { AppError } from '../../errors.js'
import type { Db } from '../../plugins/db/database.js'
import type { ContactRow } from '../common/contacts.js'
import { DEFAULT_LIMIT, decodeCursor, pageOf, type PageOf } from '../common/pagination.js'
import { auditContext, recordAudit } from '../identity/audit.js'
import { queueMail } from '../mail/queue.js'
import { findOrgContact } from './contacts.js'
import { UUID_RE } from './errors.js'
import { baseDb, crmDb, type CrmDb } from './tables.js'

/**
 * Portal links: how a contact of an organization (a mall's tenant, a supplier's customer)
 * becomes a shop on Tendero, so the shop sees its leases and invoices in its portal.
 *
 * The organization never names the shop: it creates a one-time invitation code for the
 * contact (shown once, optionally mailed to the contact), and an admin of the shop
 * organization redeems it; only then does the contact's `linked_org_id` become the shop's.
 *
 * - A code is CODE_LENGTH characters of CODE_ALPHABET (no 0/O, 1/I/L): about 50 bits. It is
 *   stored as its SHA-256 only; lookup is by that hash, then compared in constant time.
 * - It expires after INVITATION_TTL_MS, works once, and a new invitation for the same
 *   contact revokes the pending one.
 * - Wrong codes (unknown, used, expired or revoked: one answer for all, so nothing leaks)
 *   are counted per redeeming organization and per client address; past
 *   WRONG_PER_ORG / WRONG_PER_ADDRESS within WRONG_WINDOW_MS every redeem answers 429,
 *   right code or not, until the window moves on.
 * - Everything is audited: invitations, redeems (in both organizations' trails), wrong
 *   codes (in the redeemer's), unlinks by the shop and revocations by the organization.
 */
export const CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789'
export const CODE_LENGTH = 10
export const INVITATION_TTL_MS = 14 * 86_400_000
export const WRONG_WINDOW_MS = 15 * 60_000
export const WRONG_PER_ORG = 5
export const WRONG_PER_ADDRESS = 10

export const codeInvalid = (): AppError => new AppError('PORTAL_LINK_CODE_INVALID', 404, 'The code is wrong, expired or already used')
const rateLimited = (retryAfterS: number): AppError =>
  new AppError('PORTAL_LINK_RATE_LIMITED', 429, 'Too many wrong codes; try again later', { 'retry-after': String(retryAfterS) })
const alreadyLinked = (): AppError => new AppError('CRM_CONTACT_ALREADY_LINKED', 409, 'The contact is already linked to an organization; revoke that link first')
const linkTaken = (): AppError => new AppError('PORTAL_LINK_TAKEN', 409, 'This contact is already linked to another organization')
const nothingToRevoke = (): AppError => new AppError('CRM_PORTAL_NOTHING_TO_REVOKE', 409, 'The contact has no portal link and no pending invitation')
const noEmail = (): AppError => new AppError('VALIDATION', 400, 'sendEmail: the contact has no email address')
const linkNotFound = (): AppError => new AppError('PORTAL_LINK_NOT_FOUND', 404, 'Link not found')

export function newCode(): string {
  let code = ''
  for (let i = 0; i < CODE_LENGTH; i++) code += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)]
  return code
}

/** What people type: case and separators (spaces, dashes) do not matter. */
export const normalizeCode = (input: string): string => input.toUpperCase().replace(/[\s-]/g, '')
export const codeHash = (code: string): string => createHash('sha256').update(`tendero-portal-link:${normalizeCode(code)}`).digest('hex')
const addressHash = (ip: string): string => createHash('sha256').update(`portal-link:${ip}`).digest('hex')

/** Shows a code in groups of five, as it is read aloud or copied (the dashes are ignored). */
export const displayCode = (code: string): string => `${code.slice(0, 5)}-${code.slice(5)}`

async function orgName(db: CrmDb, orgId: string): Promise<string> {
  const row = await db.selectFrom('organizations').select('name').where('id', '=', orgId).executeTakeFirst()
  return row?.name ?? ''
}

/** The contact's link and pending invitation, as the organization that owns the contact sees them. */
export async function portalLinkState(db: Db | CrmDb, orgId: string, contactId: string) {
  const crm = crmDb(db as Db)
  const contact = await findOrgContact(crm, orgId, contactId)
  return linkStateOf(crm, contact)
}

async function linkStateOf(crm: CrmDb, contact: ContactRow, now = new Date()) {
  const pending = await crm.selectFrom('crm_portal_invitations').select(['id', 'created_at', 'expires_at', 'mailed_to'])
    .where('org_id', '=', contact.org_id).where('contact_id', '=', contact.id).where('redeemed_at', 'is', null).where('revoked_at', 'is', null)
    .where('expires_at', '>', now).orderBy('created_at', 'desc').limit(1).executeTakeFirst()
  let linked: { orgId: string; orgName: string; linkedAt: number | null } | null = null
  if (contact.linked_org_id) {
    const redeemed = await crm.selectFrom('crm_portal_invitations').select('redeemed_at')
      .where('org_id', '=', contact.org_id).where('contact_id', '=', contact.id).where('redeemed_org_id', '=', contact.linked_org_id)
      .where('redeemed_at', 'is not', null).orderBy('redeemed_at', 'desc').limit(1).executeTakeFirst()
    linked = { orgId: contact.linked_org_id, orgName: await orgName(crm, contact.linked_org_id), linkedAt: redeemed?.redeemed_at?.getTime() ?? null }
  }
  return {
    contactId: contact.id,
    linked,
    invitation: pending ? { id: pending.id, createdAt: pending.created_at.getTime(), expiresAt: pending.expires_at.getTime(), mailedTo: pending.mailed_to } : null,
  }
}

/**
 * A new one-time code for the contact (the pending one, if any, stops working). The code
 * is in this answer only; with sendEmail it is also mailed to the contact.
 */
export async function createInvitation(db: Db, request: FastifyRequest, contactId: string, body: { sendEmail?: boolean | undefined }, now = new Date()) {
  const orgId = request.user.orgId
  const crm = crmDb(db)
  const contact = await findOrgContact(crm, orgId, contactId, { active: true })
  if (contact.linked_org_id) throw alreadyLinked()
  if (body.sendEmail && !contact.email) throw noEmail()
  const code = newCode()
  const expiresAt = new Date(now.getTime() + INVITATION_TTL_MS)
  const inviter = await orgName(crm, orgId)
  return crm.transaction().execute(async (trx) => {
    // Serializes invitations of one contact, so two at once leave one pending.
    await sql`select id from contacts where id = ${contact.id}::uuid for update`.execute(trx)
    const revoked = await trx.updateTable('crm_portal_invitations').set({ revoked_at: now })
      .where('org_id', '=', orgId).where('contact_id', '=', contact.id).where('redeemed_at', 'is', null).where('revoked_at', 'is', null)
      .executeTakeFirst()
    const mailedTo = body.sendEmail ? contact.email : null
    const row = await trx.insertInto('crm_portal_invitations').values({
      org_id: orgId, contact_id: contact.id, code_hash: codeHash(code), mailed_to: mailedTo, created_by: request.user.kind === 'api_key' ? null : request.user.id,
      expires_at: expiresAt,
    }).returning(['id', 'created_at']).executeTakeFirstOrThrow()
    if (mailedTo) {
      const until = expiresAt.toISOString().slice(0, 10)
      await queueMail(baseDb(trx), {
        orgId,
        to: mailedTo,
        kind: 'crm.portal_invitation',
        dedupKey: `portal-invitation:${row.id}`,
        subject: `${inviter} te invita a su portal en Tendero / ${inviter} invites you to its portal on Tendero`,
        text:
          `Hola ${contact.name}:\n\n${inviter} te invita a ver tus contratos y facturas en Tendero. ` +
          `Ingresá a Tendero con un usuario administrador de tu organización, abrí "Mi local" y usá "Vincular con un código" con este código:\n\n` +
          `    ${displayCode(code)}\n\nVale una sola vez, hasta el ${until}.\n\n` +
          `${inviter} invites you to see your leases and invoices on Tendero. Log in as an admin of your organization, open "Mi local" and use ` +
          `"Link with a code" with the code above. It works once, until ${until}.`,
      })
    }
    await recordAudit(baseDb(trx), {
      ...auditContext(request), action: 'crm.portal_invitation.create', target: { type: 'contact', id: contact.id },
      after: { invitationId: row.id, expiresAt: expiresAt.toISOString(), mailedTo, revokedPending: Number(revoked.numUpdatedRows) },
    })
    return { id: row.id, contactId: contact.id, code: displayCode(code), createdAt: row.created_at.getTime(), expiresAt: expiresAt.getTime(), mailedTo }
  })
}

/** The organization ends the contact's portal access: the link, and any pending invitation. */
export async function revokePortalLink(db: Db, request: FastifyRequest, contactId: string, now = new Date()) {
  const orgId = request.user.orgId
  const crm = crmDb(db)
  const contact = await findOrgContact(crm, orgId, contactId)
  return crm.transaction().execute(async (trx) => {
    const locked = await trx.selectFrom('contacts').selectAll().where('id', '=', contact.id).forUpdate().executeTakeFirstOrThrow()
    const revoked = await trx.updateTable('crm_portal_invitations').set({ revoked_at: now })
      .where('org_id', '=', orgId).where('contact_id', '=', contact.id).where('redeemed_at', 'is', null).where('revoked_at', 'is', null)
      .executeTakeFirst()
    if (!locked.linked_org_id && Number(revoked.numUpdatedRows) === 0) throw nothingToRevoke()
    const updated = locked.linked_org_id
      ? await trx.updateTable('contacts').set({ linked_org_id: null, updated_at: now }).where('id', '=', contact.id).returningAll().executeTakeFirstOrThrow()
      : locked
    const change = { before: { linkedOrgId: locked.linked_org_id }, after: { linkedOrgId: null, revokedInvitations: Number(revoked.numUpdatedRows) } }
    await recordAudit(baseDb(trx), { ...auditContext(request), action: 'crm.portal_link.revoke', target: { type: 'contact', id: contact.id }, ...change })
    if (locked.linked_org_id) {
      // The shop lost access to data it saw: its trail says so too.
      await recordAudit(baseDb(trx), { ...auditContext(request), orgId: locked.linked_org_id, action: 'portal.link.revoked', target: { type: 'contact', id: contact.id }, ...change })
    }
    return linkStateOf(trx, updated, now)
  })
}

const linkView = (r: { contact_id: string; contact_name: string; contact_kind: string; landlord_org_id: string; landlord_name: string; linked_at: Date | null }) => ({
  contactId: r.contact_id,
  contactName: r.contact_name,
  kind: r.contact_kind,
  orgId: r.landlord_org_id,
  orgName: r.landlord_name,
  linkedAt: r.linked_at?.getTime() ?? null,
})

function linksOf(db: CrmDb, viewerOrgId: string) {
  return db.selectFrom('contacts as c').innerJoin('organizations as o', 'o.id', 'c.org_id')
    .select([
      'c.id as contact_id', 'c.name as contact_name', 'c.kind as contact_kind', 'c.org_id as landlord_org_id', 'o.name as landlord_name',
      (eb) => eb.selectFrom('crm_portal_invitations as i').select((e) => e.fn.max('i.redeemed_at').as('m'))
        .whereRef('i.contact_id', '=', 'c.id').where('i.redeemed_org_id', '=', viewerOrgId).as('linked_at'),
    ])
    .where('c.linked_org_id', '=', viewerOrgId)
}

const isIdCursor = (v: unknown): v is [string] => Array.isArray(v) && v.length === 1 && typeof v[0] === 'string' && UUID_RE.test(v[0])

/** The organizations (malls, suppliers) whose contact is this organization, by contact id. */
export async function listLinks(db: Db, viewerOrgId: string, q: { limit?: number | undefined; cursor?: string | undefined }): Promise<PageOf<ReturnType<typeof linkView>>> {
  const after = decodeCursor(q.cursor, isIdCursor)
  const limit = q.limit ?? DEFAULT_LIMIT
  let query = linksOf(crmDb(db), viewerOrgId)
  if (after) query = query.where('c.id', '>', after[0])
  const rows = await query.orderBy('c.id').limit(limit + 1).execute()
  return pageOf(rows.map((r) => ({ ...r, linked_at: r.linked_at === null || r.linked_at === undefined ? null : new Date(r.linked_at as Date | string) })), limit, linkView, (r) => [r.contact_id])
}

/** Redeems a code as the requesting organization (its admin): the contact becomes this organization. */
export async function redeemCode(db: Db, request: FastifyRequest, input: string, now = new Date()) {
  const viewerOrgId = request.user.orgId
  const crm = crmDb(db)
  const address = addressHash(request.ip)
  const since = new Date(now.getTime() - WRONG_WINDOW_MS)
  // The attempt is written before the code is looked at, and counted with it: of many
  // guesses sent at once, at most the limit are ever evaluated. A right code removes it.
  const attempt = await crm.insertInto('crm_portal_link_attempts').values({ org_id: viewerOrgId, address_hash: address }).returning('id').executeTakeFirstOrThrow()
  const forget = () => crm.deleteFrom('crm_portal_link_attempts').where('id', '=', attempt.id).execute()
  const [byOrg, byAddress] = await Promise.all([
    crm.selectFrom('crm_portal_link_attempts').select([(eb) => eb.fn.countAll<number>().as('n'), (eb) => eb.fn.min('created_at').as('oldest')])
      .where('org_id', '=', viewerOrgId).where('created_at', '>', since).executeTakeFirstOrThrow(),
    crm.selectFrom('crm_portal_link_attempts').select([(eb) => eb.fn.countAll<number>().as('n'), (eb) => eb.fn.min('created_at').as('oldest')])
      .where('address_hash', '=', address).where('created_at', '>', since).executeTakeFirstOrThrow(),
  ])
  for (const [count, max] of [[byOrg, WRONG_PER_ORG], [byAddress, WRONG_PER_ADDRESS]] as const) {
    if (Number(count.n) > max) {
      // A refused request is not a guess: the lockout ends a window after the last wrong code.
      await forget()
      const oldest = count.oldest ? new Date(count.oldest as Date | string).getTime() : now.getTime()
      await recordAudit(baseDb(crm), { ...auditContext(request), action: 'portal.link.rate_limited', target: { type: 'organization', id: viewerOrgId } })
      throw rateLimited(Math.max(1, Math.ceil((oldest + WRONG_WINDOW_MS - now.getTime()) / 1000)))
    }
  }

  const hash = codeHash(input)
  const wrong = async (): Promise<never> => {
    // The attempt row stays: it is the wrong guess the limits count.
    await recordAudit(baseDb(crm), { ...auditContext(request), action: 'portal.link.wrong_code', target: { type: 'organization', id: viewerOrgId } })
    throw codeInvalid()
  }
  const found = await crm.selectFrom('crm_portal_invitations').selectAll().where('code_hash', '=', hash).executeTakeFirst()
  if (!found || !timingSafeEqual(Buffer.from(found.code_hash, 'hex'), Buffer.from(hash, 'hex'))) return wrong()

  let outcome: string
  try {
    outcome = await crm.transaction().execute(async (trx): Promise<string> => {
      // The row lock makes "works once" hold under two redeems at once: the second sees redeemed_at.
      const inv = await trx.selectFrom('crm_portal_invitations').selectAll().where('id', '=', found.id).forUpdate().executeTakeFirstOrThrow()
      if (inv.redeemed_at !== null || inv.revoked_at !== null || inv.expires_at.getTime() <= now.getTime()) return 'wrong' as const
      const contact = await trx.selectFrom('contacts').selectAll().where('id', '=', inv.contact_id).forUpdate().executeTakeFirstOrThrow()
      if (contact.archived_at !== null) return 'wrong' as const
      if (contact.linked_org_id !== null && contact.linked_org_id !== viewerOrgId) throw linkTaken()
      await trx.updateTable('contacts').set({ linked_org_id: viewerOrgId, updated_at: now }).where('id', '=', contact.id).execute()
      await trx.updateTable('crm_portal_invitations')
        .set({ redeemed_at: now, redeemed_org_id: viewerOrgId, redeemed_by: request.user.kind === 'api_key' ? null : request.user.id })
        .where('id', '=', inv.id).execute()
      const change = { before: { linkedOrgId: contact.linked_org_id }, after: { linkedOrgId: viewerOrgId, invitationId: inv.id } }
      await recordAudit(baseDb(trx), { ...auditContext(request), action: 'portal.link.create', target: { type: 'contact', id: contact.id }, ...change })
      await recordAudit(baseDb(trx), { ...auditContext(request), orgId: contact.org_id, action: 'crm.portal_link.redeemed', target: { type: 'contact', id: contact.id }, ...change })
      return contact.id
    })
  } catch (err) {
    // A right code that could not be used (taken meanwhile) is not a wrong guess.
    await forget()
    throw err
  }
  if (outcome === 'wrong') return wrong()
  await forget()
  const row = await linksOf(crm, viewerOrgId).where('c.id', '=', outcome).executeTakeFirstOrThrow()
  return linkView({ ...row, linked_at: row.linked_at ? new Date(row.linked_at as Date | string) : null })
}

/** The shop ends a link: the contact is no longer this organization; its portal loses those leases. */
export async function unlink(db: Db, request: FastifyRequest, contactId: string, now = new Date()) {
  const viewerOrgId = request.user.orgId
  if (!UUID_RE.test(contactId)) throw linkNotFound()
  const crm = crmDb(db)
  return crm.transaction().execute(async (trx) => {
    const contact = await trx.selectFrom('contacts').selectAll().where('id', '=', contactId).where('linked_org_id', '=', viewerOrgId).forUpdate().executeTakeFirst()
    if (!contact) throw linkNotFound()
    const row = await linksOf(trx, viewerOrgId).where('c.id', '=', contact.id).executeTakeFirstOrThrow()
    await trx.updateTable('contacts').set({ linked_org_id: null, updated_at: now }).where('id', '=', contact.id).execute()
    const change = { before: { linkedOrgId: viewerOrgId }, after: { linkedOrgId: null } }
    await recordAudit(baseDb(trx), { ...auditContext(request), action: 'portal.link.delete', target: { type: 'contact', id: contact.id }, ...change })
    await recordAudit(baseDb(trx), { ...auditContext(request), orgId: contact.org_id, action: 'crm.portal_link.unlinked', target: { type: 'contact', id: contact.id }, ...change })
    return linkView({ ...row, linked_at: row.linked_at ? new Date(row.linked_at as Date | string) : null })
  })
}

/** The job: wrong-code attempts only serve the rate limit; a day later they are history (the audit keeps them). */
export async function prunePortalLinkAttempts(db: Db, now: Date): Promise<number> {
  const result = await crmDb(db).deleteFrom('crm_portal_link_attempts').where('created_at', '<', new Date(now.getTime() - 86_400_000)).executeTakeFirst()
  return Number(result.numDeletedRows)
}

import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import { sql } from 'kysely'
import type { Db } from '../../plugins/db/database.js'
import { DEFAULT_LIMIT, pageOf, type PageOf } from '../common/pagination.js'
import { auditContext, recordAudit } from '../identity/audit.js'
import { activeContactByEmail, lockEmail, phoneDigits } from './contacts.js'
import { badFormToken, badPhone, formNotFound, formRateLimited, leadNeedsContact, UUID_RE } from './errors.js'
import { insertInteraction } from './interactions.js'
import { after, decodePosition, msOf, type Position } from './keyset.js'
import type { LeadSubmission } from './schema.js'
import { baseDb, crmDb, type CrmDb, type CrmLeadFormsTable, type LeadOutcome } from './tables.js'
import type { Selectable } from 'kysely'

/**
 * Lead capture from the organization's web forms (public, no login), and the forms.
 *
 * A form page first asks GET /api/public/crm/leads/:formKey for a token: the time it was
 * issued, signed with the form's own secret. The submission sends it back. Spam defences,
 * in the order they apply:
 * 1. the app's public rate limit per client address (plugins/rate-limit.ts) and the body
 *    limit of the route (LEAD_BODY_LIMIT), then the strict schema (unknown fields are 400);
 * 2. per form and address: FORM_ADDRESS_LIMIT submissions in FORM_ADDRESS_WINDOW_MS, counted
 *    in crm_lead_attempts (so every instance agrees), then 429 CRM_LEAD_RATE_LIMITED;
 * 3. the token must be ours, for this form, at most TOKEN_TTL_MS old: else 400 (the attempt
 *    counts towards the limit in 2);
 * 4. the honeypot field `website` must be empty, and the form must not have been sent
 *    sooner than the form's minimum fill time after the token was issued. Both are answered
 *    202 exactly like an accepted lead, so a bot learns nothing, and nothing is stored but
 *    the attempt;
 * 5. dedup: a submission whose email (or, without one, phone) is an active contact's is
 *    merged into it as an interaction, whenever it came (this covers the "same email within
 *    24 h" case and every later one: the CRM keeps one active contact per address).
 */
export const LEAD_BODY_LIMIT = 8 * 1024
export const FORM_ADDRESS_LIMIT = 5
export const FORM_ADDRESS_WINDOW_MS = 10 * 60_000
export const TOKEN_TTL_MS = 24 * 60 * 60_000
const CLOCK_SKEW_MS = 5_000
const DEFAULT_MIN_FILL_MS = 3_000

type FormRow = Selectable<CrmLeadFormsTable>

const formView = (r: FormRow) => ({
  id: r.id,
  formKey: r.form_key,
  name: r.name,
  source: r.source,
  minFillSeconds: Math.round(r.min_fill_ms / 1000),
  createdAt: r.created_at.getTime(),
  disabledAt: r.disabled_at?.getTime() ?? null,
})

export async function createLeadForm(db: Db, request: FastifyRequest, body: { name: string; source?: string | undefined; minFillSeconds?: number | undefined }) {
  const orgId = request.user.orgId
  return crmDb(db).transaction().execute(async (trx) => {
    const row = await trx.insertInto('crm_lead_forms').values({
      org_id: orgId,
      form_key: randomBytes(18).toString('base64url'),
      name: body.name.trim(),
      source: body.source?.trim() || 'web',
      min_fill_ms: body.minFillSeconds !== undefined ? body.minFillSeconds * 1000 : DEFAULT_MIN_FILL_MS,
      token_secret: randomBytes(32).toString('hex'),
      created_by: request.user.kind === 'api_key' ? null : request.user.id,
    }).returningAll().executeTakeFirstOrThrow()
    await recordAudit(baseDb(trx), { ...auditContext(request), action: 'crm.leadform.create', target: { type: 'crm_lead_form', id: row.id }, after: formView(row) })
    return formView(row)
  })
}

export async function listLeadForms(db: Db, orgId: string, q: { limit?: number; cursor?: string }): Promise<PageOf<ReturnType<typeof formView>>> {
  const position = decodePosition(q.cursor, '-createdAt', 'number')
  const limit = q.limit ?? DEFAULT_LIMIT
  let query = crmDb(db).selectFrom('crm_lead_forms').selectAll().where('org_id', '=', orgId)
  if (position) query = query.where(after(msOf('crm_lead_forms.created_at'), 'crm_lead_forms.id', position, true, 'timestamptz'))
  const rows = await query.orderBy(msOf('crm_lead_forms.created_at'), 'desc').orderBy('id', 'desc').limit(limit + 1).execute()
  return pageOf(rows, limit, formView, (r): Position => ['-createdAt', r.created_at.getTime(), r.id])
}

export async function setLeadFormDisabled(db: Db, request: FastifyRequest, id: string, disabled: boolean) {
  const orgId = request.user.orgId
  const crm = crmDb(db)
  if (!UUID_RE.test(id)) throw formNotFound()
  const before = await crm.selectFrom('crm_lead_forms').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst()
  if (!before) throw formNotFound()
  if ((before.disabled_at !== null) === disabled) return formView(before)
  return crm.transaction().execute(async (trx) => {
    const row = await trx.updateTable('crm_lead_forms').set({ disabled_at: disabled ? new Date() : null }).where('id', '=', before.id).returningAll().executeTakeFirstOrThrow()
    await recordAudit(baseDb(trx), { ...auditContext(request), action: disabled ? 'crm.leadform.disable' : 'crm.leadform.enable', target: { type: 'crm_lead_form', id: row.id }, before: formView(before), after: formView(row) })
    return formView(row)
  })
}

async function activeForm(db: CrmDb, formKey: string): Promise<FormRow> {
  const form = await db.selectFrom('crm_lead_forms').selectAll().where('form_key', '=', formKey).where('disabled_at', 'is', null).executeTakeFirst()
  if (!form) throw formNotFound()
  return form
}

const sign = (form: FormRow, issuedAt: number) => createHmac('sha256', form.token_secret).update(`${form.form_key}.${issuedAt}`).digest('base64url')

export function issueToken(form: FormRow, now = Date.now()): string {
  return `${now}.${sign(form, now)}`
}

/** The token's issue time, or 400 for a forged, foreign or expired one. */
function tokenIssuedAt(form: FormRow, token: string, now: number): number {
  const match = /^(\d{13})\.([A-Za-z0-9_-]{43})$/.exec(token)
  if (!match) throw badFormToken()
  const issuedAt = Number(match[1])
  const expected = Buffer.from(sign(form, issuedAt))
  const given = Buffer.from(match[2]!)
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw badFormToken()
  if (issuedAt > now + CLOCK_SKEW_MS || now - issuedAt > TOKEN_TTL_MS) throw badFormToken()
  return issuedAt
}

export async function publicForm(db: Db, formKey: string, now = Date.now()) {
  const form = await activeForm(crmDb(db), formKey)
  return { name: form.name, token: issueToken(form, now), minFillSeconds: Math.round(form.min_fill_ms / 1000) }
}

const addressHash = (formId: string, ip: string) => createHash('sha256').update(`${formId}:${ip}`).digest('hex')

async function recordAttempt(db: CrmDb, form: FormRow, address: string, outcome: LeadOutcome, contactId: string | null = null): Promise<void> {
  await db.insertInto('crm_lead_attempts').values({ org_id: form.org_id, form_id: form.id, address_hash: address, outcome, contact_id: contactId }).execute()
}

/** Handles one submission; resolves whether it was stored (false: dropped silently). */
export async function captureLead(db: Db, request: FastifyRequest, formKey: string, body: LeadSubmission, now = Date.now()): Promise<{ stored: boolean; outcome: LeadOutcome }> {
  const crm = crmDb(db)
  const form = await activeForm(crm, formKey)
  const address = addressHash(form.id, request.ip)
  const recent = await crm.selectFrom('crm_lead_attempts').select([(eb) => eb.fn.countAll<number>().as('n'), (eb) => eb.fn.min('created_at').as('oldest')])
    .where('form_id', '=', form.id).where('address_hash', '=', address).where('created_at', '>', new Date(now - FORM_ADDRESS_WINDOW_MS)).executeTakeFirstOrThrow()
  if (Number(recent.n) >= FORM_ADDRESS_LIMIT) {
    const oldest = recent.oldest ? new Date(recent.oldest as Date).getTime() : now
    throw formRateLimited(Math.max(1, Math.ceil((oldest + FORM_ADDRESS_WINDOW_MS - now) / 1000)))
  }
  let issuedAt: number
  try {
    issuedAt = tokenIssuedAt(form, body.formToken, now)
  } catch (err) {
    // Counted too, so a bot cycling forged tokens meets the same per-address limit.
    await recordAttempt(crm, form, address, 'bad_token')
    throw err
  }
  if (body.website !== undefined && body.website.trim() !== '') {
    await recordAttempt(crm, form, address, 'honeypot')
    return { stored: false, outcome: 'honeypot' }
  }
  if (now - issuedAt < form.min_fill_ms) {
    await recordAttempt(crm, form, address, 'too_fast')
    return { stored: false, outcome: 'too_fast' }
  }
  if (!body.email && !body.phone) throw leadNeedsContact()
  if (body.phone && (phoneDigits(body.phone).length < 6 || phoneDigits(body.phone).length > 20)) throw badPhone()

  return crm.transaction().execute(async (trx) => {
    const key = body.email ?? `phone:${phoneDigits(body.phone!)}`
    await lockEmail(trx, form.org_id, key)
    const existing = body.email
      ? await activeContactByEmail(trx, form.org_id, body.email)
      : await trx.selectFrom('contacts').selectAll().where('org_id', '=', form.org_id).where('archived_at', 'is', null)
        .where(sql<boolean>`regexp_replace(coalesce(phone, ''), '\\D', '', 'g') = ${phoneDigits(body.phone!)}`).orderBy('created_at').limit(1).executeTakeFirst()
    let contactId: string
    let outcome: LeadOutcome
    if (existing) {
      // Fill what the contact lacks; never overwrite what someone already typed in.
      const fill: Record<string, string> = {}
      if (!existing.phone && body.phone) fill.phone = body.phone
      if (!existing.company && body.company) fill.company = body.company
      if (!existing.vertical && body.vertical) fill.vertical = body.vertical
      if (!existing.city && body.city) fill.city = body.city
      if (!existing.country && body.country) fill.country = body.country
      if (Object.keys(fill).length) await trx.updateTable('contacts').set({ ...fill, updated_at: new Date(now) }).where('id', '=', existing.id).execute()
      contactId = existing.id
      outcome = 'merged'
    } else {
      const row = await trx.insertInto('contacts').values({
        org_id: form.org_id,
        kind: 'lead',
        name: body.name.trim(),
        email: body.email?.trim() ?? null,
        phone: body.phone ?? null,
        company: body.company ?? null,
        vertical: body.vertical ?? null,
        city: body.city ?? null,
        country: body.country ?? null,
        source: form.source,
      }).returning('id').executeTakeFirstOrThrow()
      contactId = row.id
      outcome = 'created'
    }
    await insertInteraction(trx, form.org_id, {
      contactId,
      dealId: null,
      kind: 'web_form',
      direction: 'inbound',
      occurredAt: new Date(now),
      summary: `Formulario / Form "${form.name}": ${body.message?.trim() || '(sin mensaje / no message)'}`,
      userId: null,
    })
    await recordAttempt(trx, form, address, outcome, contactId)
    await recordAudit(baseDb(trx), {
      ...auditContext(request),
      orgId: form.org_id,
      action: outcome === 'created' ? 'crm.lead.capture' : 'crm.lead.merge',
      target: { type: 'contact', id: contactId },
      after: { formId: form.id, name: body.name, email: body.email ?? null, phone: body.phone ?? null },
    })
    return { stored: true, outcome }
  })
}

/** The job: attempts older than a week only served the rate limit and the spam counts. */
export async function pruneLeadAttempts(db: Db, now: Date): Promise<number> {
  const result = await crmDb(db).deleteFrom('crm_lead_attempts').where('created_at', '<', new Date(now.getTime() - 7 * 86_400_000)).executeTakeFirst()
  return Number(result.numDeletedRows)
}

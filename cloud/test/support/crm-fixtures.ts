import type { FastifyInstance } from 'fastify'
import { sql } from 'kysely'

/**
 * One of each CRM object of an organization, made through the API as its org_admin, for
 * the tenant-isolation suite: `params` has, for every CRM route with path parameters, the
 * values that point at this organization's real objects; `footprint` counts (and digests)
 * the organization's rows in every CRM table, so a replay by another tenant that changed
 * anything, even one field, shows.
 */
export async function crmFixture(
  app: FastifyInstance,
  orgAdminToken: string,
  org: { orgId: string; siteId: string },
): Promise<{ params: Record<string, Record<string, string>>; ids: Record<string, string>; footprint: () => Promise<Record<string, number>> }> {
  const headers = { authorization: `Bearer ${orgAdminToken}` }
  const call = async (method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, payload?: object, expected = [200, 201, 202]) => {
    const res = await app.inject({ method, url, headers, ...(payload ? { payload } : {}) })
    if (!expected.includes(res.statusCode)) throw new Error(`crmFixture: ${method} ${url} answered ${res.statusCode} ${res.body}`)
    return res.json()
  }
  const tag = org.orgId.slice(0, 8)

  const contact = await call('POST', '/api/crm/contacts', {
    kind: 'customer', name: `Cliente ${tag}`, email: `cliente.${tag}@tendero.test`, phone: '+54 11 4000-0000', vertical: 'carniceria', city: 'Rosario', country: 'AR',
    annualRevenueMinor: 12_000_000_00, revenueCurrency: 'ARS', tags: ['vip'],
  })
  const stages = (await call('GET', '/api/crm/stages')).items as { id: string; name: string }[]
  // A stage of its own, without deals: what the stage routes point at.
  const stage = await call('POST', '/api/crm/stages', { name: `Seguimiento ${tag}` })
  const deal = await call('POST', '/api/crm/deals', { contactId: contact.id, title: `Instalación ${tag}`, valueMinor: 150_000_00, currency: 'ARS', expectedCloseDate: '2026-12-31' })
  await call('POST', `/api/crm/deals/${deal.id}/move`, { stageId: stages[1]!.id })
  await call('POST', '/api/crm/interactions', { contactId: contact.id, dealId: deal.id, kind: 'whatsapp', direction: 'outbound', summary: 'Envío de propuesta' })
  const form = await call('POST', '/api/crm/lead-forms', { name: `Landing ${tag}`, source: 'landing', minFillSeconds: 0 })
  const { token } = await call('GET', `/api/public/crm/leads/${form.formKey}`)
  await call('POST', `/api/public/crm/leads/${form.formKey}`, { name: `Lead ${tag}`, email: `lead.${tag}@tendero.test`, formToken: token, message: 'Quiero una demo' })
  const rule = await call('POST', '/api/crm/scoring-rules', { name: 'Tiene email', condition: { type: 'has_email' }, points: 10 })
  const segment = await call('POST', '/api/crm/segments', { name: 'Rosario', definition: { cities: ['Rosario'] } })
  // A supplier contact that is the organization itself, linked through a portal invitation
  // it redeemed (what /api/portal/links/:contactId points at), and a pending one on `contact`.
  const supplier = await call('POST', '/api/crm/contacts', { kind: 'supplier', name: `Proveedor ${tag}` })
  const selfInvite = await call('POST', `/api/crm/contacts/${supplier.id}/portal-invitations`, {})
  await call('POST', '/api/portal/links', { code: selfInvite.code })
  await call('POST', `/api/crm/contacts/${contact.id}/portal-invitations`, {})

  const id = (value: string) => ({ id: value })
  const params: Record<string, Record<string, string>> = {
    '/api/crm/contacts/:id': id(contact.id),
    '/api/crm/contacts/:id/restore': id(contact.id),
    '/api/crm/contacts/:id/score': id(contact.id),
    '/api/crm/contacts/:id/portal-invitations': id(contact.id),
    '/api/crm/contacts/:id/portal-link': id(contact.id),
    '/api/portal/links/:contactId': { contactId: supplier.id },
    '/api/crm/stages/:id': id(stage.id),
    '/api/crm/deals/:id': id(deal.id),
    '/api/crm/deals/:id/move': id(deal.id),
    '/api/crm/deals/:id/close': id(deal.id),
    '/api/crm/lead-forms/:id/disable': id(form.id),
    '/api/crm/lead-forms/:id/enable': id(form.id),
    '/api/crm/scoring-rules/:id': id(rule.id),
    '/api/crm/segments/:id': id(segment.id),
    '/api/crm/segments/:id/contacts': id(segment.id),
    '/api/public/crm/leads/:formKey': { formKey: form.formKey },
  }

  const orgId = org.orgId
  /** Rows and a digest of their content: any change to any column of any row changes it. */
  const measure = async (table: string, where = sql`t.org_id = ${orgId}::uuid`) => {
    const { rows } = await sql<{ n: number | string; digest: number | string | null }>`
      select count(*) as n, coalesce(sum(hashtext(t::text)::bigint), 0) as digest from ${sql.table(table)} t where ${where}`.execute(app.db)
    return { n: Number(rows[0]!.n), digest: Number(rows[0]!.digest) }
  }
  const footprint = async (): Promise<Record<string, number>> => {
    const out: Record<string, number> = {}
    for (const table of ['contacts', 'crm_org_state', 'crm_stages', 'crm_deals', 'crm_deal_stage_history', 'crm_interactions', 'crm_lead_forms', 'crm_lead_attempts', 'crm_scoring_rules', 'crm_segments', 'crm_portal_invitations', 'crm_portal_link_attempts']) {
      const { n, digest } = await measure(table)
      out[table] = n
      out[`${table}.digest`] = digest
    }
    return out
  }
  // Body and query fields that name CRM objects.
  const ids = { contactId: contact.id, dealId: deal.id, stageId: stage.id }
  return { params, ids, footprint }
}

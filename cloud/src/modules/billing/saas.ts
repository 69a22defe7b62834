import type { FastifyRequest } from 'fastify'
import { sql, type Kysely } from 'kysely'
import { AppError } from '../../errors.js'
import type { Database } from '../../plugins/db/tables.js'
import { mulDivRound, type Currency } from '../common/money.js'
import { decodeCursor, pageOf, type PageOf } from '../common/pagination.js'
import { auditContext, recordAudit } from '../identity/audit.js'
import { planNotFound, subscriptionNotFound } from './errors.js'
import { csv, csvMoney } from './format.js'
import { billingDb } from './tables.js'
import { addDays, checkDate, inTx, UUID } from './util.js'

/**
 * The platform's own SaaS (platform admins, saas.manage): plans with features and a price,
 * organizations' subscriptions to them, and the month's MRR and churn. A plan change ends
 * the current subscription (end_reason plan_change) and starts the next the same day; a
 * subscription is active on day D when started_on <= D and (ended_on is null or ended_on > D).
 */
export interface PlanInput {
  code: string
  name: string
  features: string[]
  priceMinor: number
  currency: Currency
  interval: 'month' | 'year'
}

type PlanRow = Awaited<ReturnType<typeof planById>>
const planById = (db: Kysely<Database>, id: string) => billingDb(db).selectFrom('saas_plans').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
const planView = (p: PlanRow) => ({ id: p.id, code: p.code, name: p.name, features: p.features, priceMinor: p.price_minor, currency: p.currency, interval: p.interval, active: p.active, createdAt: p.created_at.toISOString() })
export type PlanView = ReturnType<typeof planView>

const isPos = (v: unknown): v is [string, string] => Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string' && UUID.test(v[1])

export async function listPlans(db: Kysely<Database>, query: { limit?: number; cursor?: string }): Promise<PageOf<PlanView>> {
  const limit = query.limit ?? 50
  const after = decodeCursor(query.cursor, isPos)
  let q = billingDb(db).selectFrom('saas_plans').selectAll().select(sql<string>`created_at::text`.as('cts'))
  if (after) q = q.where(sql<boolean>`(created_at, id) < (${after[0]}::timestamptz, ${after[1]}::uuid)`)
  const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute()
  return pageOf(rows, limit, planView, (r) => [r.cts, r.id])
}

export async function createPlan(db: Kysely<Database>, request: FastifyRequest, input: PlanInput): Promise<PlanView> {
  return inTx(db, async (trx) => {
    const exists = await billingDb(trx).selectFrom('saas_plans').select('id').where('code', '=', input.code).executeTakeFirst()
    if (exists) throw new AppError('SAAS_PLAN_EXISTS', 409, `code: a plan "${input.code}" exists`)
    const row = await billingDb(trx)
      .insertInto('saas_plans')
      .values({ code: input.code, name: input.name, features: JSON.stringify(input.features), price_minor: input.priceMinor, currency: input.currency, interval: input.interval })
      .returningAll()
      .executeTakeFirstOrThrow()
    await recordAudit(trx, { ...auditContext(request), orgId: null, action: 'saas.plan.create', target: { type: 'saas_plan', id: row.id }, after: input })
    return planView(row)
  })
}

export async function updatePlan(db: Kysely<Database>, request: FastifyRequest, id: string, patch: { name?: string; features?: string[]; priceMinor?: number; active?: boolean }): Promise<PlanView> {
  if (!UUID.test(id)) throw planNotFound()
  return inTx(db, async (trx) => {
    const before = await billingDb(trx).selectFrom('saas_plans').selectAll().where('id', '=', id).forUpdate().executeTakeFirst()
    if (!before) throw planNotFound()
    const row = await billingDb(trx)
      .updateTable('saas_plans')
      .set({
        ...(patch.name !== undefined ? { name: patch.name } : {}),
        ...(patch.features !== undefined ? { features: JSON.stringify(patch.features) } : {}),
        ...(patch.priceMinor !== undefined ? { price_minor: patch.priceMinor } : {}),
        ...(patch.active !== undefined ? { active: patch.active } : {}),
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow()
    await recordAudit(trx, { ...auditContext(request), orgId: null, action: 'saas.plan.update', target: { type: 'saas_plan', id }, before: planView(before), after: planView(row) })
    return planView(row)
  })
}

type SubRow = { id: string; org_id: string; plan_id: string; price_minor: number; currency: string; interval: 'month' | 'year'; started_on: string; ended_on: string | null; end_reason: string | null; created_at: Date }
const subView = (s: SubRow) => ({ id: s.id, orgId: s.org_id, planId: s.plan_id, priceMinor: s.price_minor, currency: s.currency, interval: s.interval, mrrMinor: monthly(s), startedOn: s.started_on, endedOn: s.ended_on, endReason: s.end_reason, createdAt: s.created_at.toISOString() })
export type SubscriptionView = ReturnType<typeof subView>

/** Normalized to a month: a yearly price / 12, rounded half away from zero. */
export const monthly = (s: { price_minor: number; interval: 'month' | 'year' }): number => (s.interval === 'year' ? mulDivRound(s.price_minor, 1, 12) : s.price_minor)

export async function listSubscriptions(db: Kysely<Database>, query: { limit?: number; cursor?: string; orgId?: string }): Promise<PageOf<SubscriptionView>> {
  const limit = query.limit ?? 50
  const after = decodeCursor(query.cursor, isPos)
  let q = billingDb(db).selectFrom('saas_subscriptions').selectAll().select(sql<string>`created_at::text`.as('cts'))
  if (query.orgId) q = UUID.test(query.orgId) ? q.where('org_id', '=', query.orgId) : q.where(sql<boolean>`false`)
  if (after) q = q.where(sql<boolean>`(created_at, id) < (${after[0]}::timestamptz, ${after[1]}::uuid)`)
  const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute()
  return pageOf(rows, limit, subView, (r) => [r.cts, r.id])
}

async function activePlan(db: Kysely<Database>, planId: string) {
  if (!UUID.test(planId)) throw planNotFound()
  const p = await billingDb(db).selectFrom('saas_plans').selectAll().where('id', '=', planId).executeTakeFirst()
  if (!p || !p.active) throw planNotFound()
  return p
}

export async function subscribe(db: Kysely<Database>, request: FastifyRequest, input: { orgId: string; planId: string; startedOn: string }): Promise<SubscriptionView> {
  checkDate(input.startedOn, 'startedOn')
  return inTx(db, async (trx) => {
    const org = UUID.test(input.orgId) ? await trx.selectFrom('organizations').select('id').where('id', '=', input.orgId).executeTakeFirst() : undefined
    if (!org) throw new AppError('ORG_NOT_FOUND', 404, 'Organization not found')
    const plan = await activePlan(trx, input.planId)
    const open = await billingDb(trx).selectFrom('saas_subscriptions').select('id').where('org_id', '=', input.orgId).where('ended_on', 'is', null).executeTakeFirst()
    if (open) throw new AppError('SAAS_ALREADY_SUBSCRIBED', 409, 'The organization has an open subscription: change its plan or cancel it')
    const row = await billingDb(trx)
      .insertInto('saas_subscriptions')
      .values({ org_id: input.orgId, plan_id: plan.id, price_minor: plan.price_minor, currency: plan.currency, interval: plan.interval, started_on: input.startedOn })
      .returningAll()
      .executeTakeFirstOrThrow()
    await recordAudit(trx, { ...auditContext(request), orgId: input.orgId, action: 'saas.subscription.start', target: { type: 'saas_subscription', id: row.id }, after: subView(row) })
    return subView(row)
  })
}

async function lockOpen(db: Kysely<Database>, id: string) {
  if (!UUID.test(id)) throw subscriptionNotFound()
  const s = await billingDb(db).selectFrom('saas_subscriptions').selectAll().where('id', '=', id).forUpdate().executeTakeFirst()
  if (!s) throw subscriptionNotFound()
  if (s.ended_on !== null) throw new AppError('SAAS_SUBSCRIPTION_ENDED', 409, 'The subscription has ended')
  return s
}

export async function cancel(db: Kysely<Database>, request: FastifyRequest, id: string, endedOn: string): Promise<SubscriptionView> {
  checkDate(endedOn, 'endedOn')
  return inTx(db, async (trx) => {
    const s = await lockOpen(trx, id)
    if (endedOn < s.started_on) throw new AppError('VALIDATION', 400, 'endedOn: before the subscription started')
    const row = await billingDb(trx).updateTable('saas_subscriptions').set({ ended_on: endedOn, end_reason: 'cancelled' }).where('id', '=', id).returningAll().executeTakeFirstOrThrow()
    await recordAudit(trx, { ...auditContext(request), orgId: s.org_id, action: 'saas.subscription.cancel', target: { type: 'saas_subscription', id }, before: subView(s), after: subView(row) })
    return subView(row)
  })
}

export async function changePlan(db: Kysely<Database>, request: FastifyRequest, id: string, planId: string, on: string): Promise<SubscriptionView> {
  checkDate(on, 'date')
  return inTx(db, async (trx) => {
    const s = await lockOpen(trx, id)
    if (on < s.started_on) throw new AppError('VALIDATION', 400, 'date: before the subscription started')
    const plan = await activePlan(trx, planId)
    await billingDb(trx).updateTable('saas_subscriptions').set({ ended_on: on, end_reason: 'plan_change' }).where('id', '=', id).execute()
    const row = await billingDb(trx)
      .insertInto('saas_subscriptions')
      .values({ org_id: s.org_id, plan_id: plan.id, price_minor: plan.price_minor, currency: plan.currency, interval: plan.interval, started_on: on })
      .returningAll()
      .executeTakeFirstOrThrow()
    await recordAudit(trx, { ...auditContext(request), orgId: s.org_id, action: 'saas.subscription.change_plan', target: { type: 'saas_subscription', id: row.id }, before: subView(s), after: subView(row) })
    return subView(row)
  })
}

export interface SaasMetrics {
  month: string
  from: string
  to: string
  mrr: { currency: string; startMinor: number; endMinor: number; newMinor: number; expansionMinor: number; contractionMinor: number; churnedMinor: number; revenueChurnBp: number }[]
  logos: { start: number; end: number; new: number; churned: number; logoChurnBp: number }
}

const lastDayOf = (month: string): string => {
  const [y, m] = month.split('-').map(Number) as [number, number]
  return new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10)
}

/**
 * MRR at the start of `month` (active on the previous month's last day) and at its end
 * (active on its last day), per currency, and the movement between: new (orgs not paying at
 * the start), expansion and contraction (orgs paying at both ends), churned (orgs paying at
 * the start and not at the end). Revenue churn = (churned + contraction) / start MRR; logo
 * churn = orgs lost / orgs at the start. Rates in basis points, rounded half away from zero.
 */
export async function metrics(db: Kysely<Database>, month: string): Promise<SaasMetrics> {
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(month)) throw new AppError('VALIDATION', 400, 'month: YYYY-MM')
  const from = `${month}-01`
  const to = lastDayOf(month)
  const before = addDays(from, -1)
  const subs = await billingDb(db).selectFrom('saas_subscriptions').selectAll().where('started_on', '<=', to).where((eb) => eb.or([eb('ended_on', 'is', null), eb('ended_on', '>', before)])).execute()
  const activeOn = (s: SubRow, day: string) => s.started_on <= day && (s.ended_on === null || s.ended_on > day)
  const per = (day: string) => {
    const m = new Map<string, Map<string, number>>() // currency -> org -> mrr
    for (const s of subs) {
      if (!activeOn(s, day)) continue
      const c = m.get(s.currency) ?? new Map<string, number>()
      c.set(s.org_id, (c.get(s.org_id) ?? 0) + monthly(s))
      m.set(s.currency, c)
    }
    return m
  }
  const start = per(before)
  const end = per(to)
  const currencies = [...new Set([...start.keys(), ...end.keys()])].sort()
  const mrr = currencies.map((currency) => {
    const s = start.get(currency) ?? new Map<string, number>()
    const e = end.get(currency) ?? new Map<string, number>()
    let startMinor = 0
    let endMinor = 0
    let newMinor = 0
    let expansionMinor = 0
    let contractionMinor = 0
    let churnedMinor = 0
    for (const [org, v] of s) {
      startMinor += v
      const after = e.get(org)
      if (after === undefined) churnedMinor += v
      else if (after > v) expansionMinor += after - v
      else contractionMinor += v - after
    }
    for (const [org, v] of e) {
      endMinor += v
      if (!s.has(org)) newMinor += v
    }
    return { currency, startMinor, endMinor, newMinor, expansionMinor, contractionMinor, churnedMinor, revenueChurnBp: startMinor === 0 ? 0 : mulDivRound(churnedMinor + contractionMinor, 10_000, startMinor) }
  })
  const orgsAt = (m: Map<string, Map<string, number>>) => new Set([...m.values()].flatMap((c) => [...c.keys()]))
  const so = orgsAt(start)
  const eo = orgsAt(end)
  const churned = [...so].filter((o) => !eo.has(o)).length
  return {
    month,
    from,
    to,
    mrr,
    logos: { start: so.size, end: eo.size, new: [...eo].filter((o) => !so.has(o)).length, churned, logoChurnBp: so.size === 0 ? 0 : mulDivRound(churned, 10_000, so.size) },
  }
}

export function metricsCsv(m: SaasMetrics): string {
  return csv([
    ['mes', 'moneda', 'mrr_inicial', 'mrr_nuevo', 'expansion', 'contraccion', 'mrr_perdido', 'mrr_final', 'churn_ingresos_pct', 'clientes_inicio', 'clientes_fin', 'clientes_perdidos', 'churn_clientes_pct'],
    ...m.mrr.map((c) => [m.month, c.currency, csvMoney(c.startMinor, c.currency), csvMoney(c.newMinor, c.currency), csvMoney(c.expansionMinor, c.currency), csvMoney(c.contractionMinor, c.currency), csvMoney(c.churnedMinor, c.currency), csvMoney(c.endMinor, c.currency), (c.revenueChurnBp / 100).toFixed(2).replace('.', ','), m.logos.start, m.logos.end, m.logos.churned, (m.logos.logoChurnBp / 100).toFixed(2).replace('.', ',')]),
  ])
}

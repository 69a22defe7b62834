import { sql } from 'kysely'
import type { ContactRow } from '../common/contacts.js'
import type { ScoreCondition, ScoreObserved } from './schema.js'
import type { CrmDb } from './tables.js'

/**
 * Rule-based lead scoring. A rule is a condition and its points; a contact's score is the
 * sum of the points of the active rules it matches (negative points lower it). The
 * conditions are data, one entry each in CONDITIONS, so a new kind is one entry plus its
 * schema in schema.ts.
 *
 * When scores change: a contact's own write (create, update, a captured lead), an
 * interaction logged on it, any rule change (the organization's contacts are recomputed
 * in batches of RESCORE_BATCH), POST /crm/scoring-rules/recompute, and the hourly job
 * `crm.scores.refresh` for organizations with a time-window rule (interactions within N
 * days), whose matches change with the clock alone.
 */

export interface ScoreFacts {
  contact: ContactRow
  /** Interactions of the contact in the last `days` days (up to now). */
  interactionsWithin(days: number): number
}

/**
 * `observed` is what the rule looked at, as data: the dashboard words the condition and it
 * in the reader's language. `detail` says the same in English for API users and logs.
 */
type Outcome = { matched: boolean; observed: ScoreObserved; detail: string }
type Evaluators = { [K in ScoreCondition['type']]: (c: Extract<ScoreCondition, { type: K }>, f: ScoreFacts) => Outcome }

const same = (a: string | null, b: string) => a !== null && a.trim().toLowerCase() === b.trim().toLowerCase()

export const CONDITIONS: Evaluators = {
  vertical_equals: (c, f) => ({ matched: same(f.contact.vertical, c.value), observed: { value: f.contact.vertical }, detail: `vertical = ${c.value} (is ${f.contact.vertical ?? '—'})` }),
  revenue_at_least: (c, f) => {
    const revenue = f.contact.annual_revenue_minor === null ? null : Number(f.contact.annual_revenue_minor)
    const matched = revenue !== null && f.contact.revenue_currency === c.currency && revenue >= c.minor
    return {
      matched,
      observed: { minor: revenue, currency: f.contact.revenue_currency },
      detail: `revenue >= ${c.minor} ${c.currency} (is ${revenue ?? '—'} ${f.contact.revenue_currency ?? ''})`.trim(),
    }
  },
  has_email: (_c, f) => ({ matched: !!f.contact.email, observed: { present: !!f.contact.email }, detail: f.contact.email ? 'has an email' : 'has no email' }),
  has_phone: (_c, f) => ({ matched: !!f.contact.phone, observed: { present: !!f.contact.phone }, detail: f.contact.phone ? 'has a phone' : 'has no phone' }),
  source_equals: (c, f) => ({ matched: same(f.contact.source, c.value), observed: { value: f.contact.source }, detail: `source = ${c.value} (is ${f.contact.source ?? '—'})` }),
  city_in: (c, f) => ({ matched: c.values.some((v) => same(f.contact.city, v)), observed: { value: f.contact.city }, detail: `city in ${c.values.join(', ')} (is ${f.contact.city ?? '—'})` }),
  interactions_within: (c, f) => {
    const n = f.interactionsWithin(c.days)
    return { matched: n >= c.atLeast, observed: { count: n }, detail: `>= ${c.atLeast} interactions in ${c.days} days (has ${n})` }
  },
}

export interface ScoringRule {
  id: string
  name: string
  condition: ScoreCondition
  points: number
}

export function evaluate(rules: readonly ScoringRule[], facts: ScoreFacts) {
  const results = rules.map((rule) => {
    const evaluator = CONDITIONS[rule.condition.type] as (c: ScoreCondition, f: ScoreFacts) => Outcome
    const outcome = evaluator(rule.condition, facts)
    return { ruleId: rule.id, name: rule.name, points: rule.points, condition: rule.condition, ...outcome }
  })
  return { score: results.reduce((sum, r) => sum + (r.matched ? r.points : 0), 0), rules: results }
}

export async function activeRules(db: CrmDb, orgId: string): Promise<ScoringRule[]> {
  const rows = await db.selectFrom('crm_scoring_rules').select(['id', 'name', 'condition', 'points']).where('org_id', '=', orgId)
    .where('active', '=', true).orderBy('created_at').orderBy('id').execute()
  return rows.map((r) => ({ id: r.id, name: r.name, condition: r.condition as ScoreCondition, points: r.points }))
}

const windowsOf = (rules: readonly ScoringRule[]) =>
  [...new Set(rules.flatMap((r) => (r.condition.type === 'interactions_within' ? [r.condition.days] : [])))]

/** Interaction counts per contact for each window the rules use: days → contact → count. */
async function interactionCounts(db: CrmDb, orgId: string, contactIds: string[], windows: number[], now: Date) {
  const counts = new Map<number, Map<string, number>>()
  for (const days of windows) {
    const byContact = new Map<string, number>()
    if (contactIds.length > 0) {
      const rows = await db.selectFrom('crm_interactions').select(['contact_id', (eb) => eb.fn.countAll<number>().as('n')])
        .where('org_id', '=', orgId).where('contact_id', 'in', contactIds)
        .where('occurred_at', '>', new Date(now.getTime() - days * 86_400_000)).where('occurred_at', '<=', now)
        .groupBy('contact_id').execute()
      for (const r of rows) byContact.set(r.contact_id, Number(r.n))
    }
    counts.set(days, byContact)
  }
  return counts
}

export async function factsFor(db: CrmDb, orgId: string, contacts: ContactRow[], rules: readonly ScoringRule[], now = new Date()) {
  const counts = await interactionCounts(db, orgId, contacts.map((c) => c.id), windowsOf(rules), now)
  return (contact: ContactRow): ScoreFacts => ({ contact, interactionsWithin: (days) => counts.get(days)?.get(contact.id) ?? 0 })
}

export const RESCORE_BATCH = 500

/**
 * Recomputes and stores the score of the given contacts, or of every contact of the
 * organization (in id order, RESCORE_BATCH at a time, one UPDATE per batch that touches
 * only the rows whose score changes). Returns how many were looked at and changed.
 */
export async function rescoreContacts(db: CrmDb, orgId: string, contactIds: string[] | 'all', now = new Date()): Promise<{ contacts: number; changed: number }> {
  const rules = await activeRules(db, orgId)
  let seen = 0
  let changed = 0
  let lastId: string | undefined
  for (;;) {
    let q = db.selectFrom('contacts').selectAll().where('org_id', '=', orgId)
    if (contactIds !== 'all') {
      if (contactIds.length === 0) break
      q = q.where('id', 'in', contactIds)
    }
    if (lastId) q = q.where('id', '>', lastId)
    const batch = await q.orderBy('id').limit(RESCORE_BATCH).execute()
    if (batch.length === 0) break
    const factsOf = await factsFor(db, orgId, batch, rules, now)
    const updates = batch.map((c) => ({ id: c.id, score: evaluate(rules, factsOf(c)).score, old: c.score })).filter((u) => u.score !== u.old)
    if (updates.length > 0) {
      const values = JSON.stringify(updates.map(({ id, score }) => ({ id, score })))
      await sql`update contacts set score = v.score
        from jsonb_to_recordset(${values}::jsonb) as v(id uuid, score integer)
        where contacts.id = v.id and contacts.org_id = ${orgId}::uuid`.execute(db)
    }
    seen += batch.length
    changed += updates.length
    lastId = batch[batch.length - 1]!.id
    if (batch.length < RESCORE_BATCH) break
  }
  return { contacts: seen, changed }
}

/** The job: organizations whose rules depend on the clock get their contacts recomputed. */
export async function refreshTimeWindowScores(db: CrmDb, now: Date): Promise<{ orgs: number; changed: number }> {
  const orgs = await db.selectFrom('crm_scoring_rules').select('org_id').distinct().where('active', '=', true)
    .where(sql<boolean>`condition->>'type' = 'interactions_within'`).execute()
  let changed = 0
  for (const { org_id } of orgs) changed += (await db.transaction().execute((trx) => rescoreContacts(trx, org_id, 'all', now))).changed
  return { orgs: orgs.length, changed }
}

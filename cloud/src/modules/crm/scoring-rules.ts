import type { FastifyRequest } from 'fastify'
import type { Selectable } from 'kysely'
import type { Db } from '../../plugins/db/database.js'
import { DEFAULT_LIMIT, pageOf, type PageOf } from '../common/pagination.js'
import { auditContext, recordAudit } from '../identity/audit.js'
import { findOrgContact } from './contacts.js'
import { ruleNotFound, UUID_RE } from './errors.js'
import { after, decodePosition, msOf, type Position } from './keyset.js'
import type { CreateScoringRuleBody, ScoreCondition, UpdateScoringRuleBody } from './schema.js'
import { activeRules, evaluate, factsFor, rescoreContacts } from './scoring.js'
import { baseDb, crmDb, type CrmDb, type CrmScoringRulesTable } from './tables.js'

/** Scoring rules' routes: each change rescores the organization's contacts in the same transaction. */

type RuleRow = Selectable<CrmScoringRulesTable>

const ruleView = (r: RuleRow) => ({
  id: r.id,
  name: r.name,
  condition: r.condition as ScoreCondition,
  points: r.points,
  active: r.active,
  createdAt: r.created_at.getTime(),
  updatedAt: r.updated_at.getTime(),
})

async function findRule(db: CrmDb, orgId: string, id: string): Promise<RuleRow> {
  if (!UUID_RE.test(id)) throw ruleNotFound()
  const row = await db.selectFrom('crm_scoring_rules').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst()
  if (!row) throw ruleNotFound()
  return row
}

export async function listRules(db: Db, orgId: string, q: { limit?: number; cursor?: string }): Promise<PageOf<ReturnType<typeof ruleView>>> {
  const position = decodePosition(q.cursor, 'createdAt', 'number')
  const limit = q.limit ?? DEFAULT_LIMIT
  let query = crmDb(db).selectFrom('crm_scoring_rules').selectAll().where('org_id', '=', orgId)
  if (position) query = query.where(after(msOf('crm_scoring_rules.created_at'), 'crm_scoring_rules.id', position, false, 'timestamptz'))
  const rows = await query.orderBy(msOf('crm_scoring_rules.created_at')).orderBy('id').limit(limit + 1).execute()
  return pageOf(rows, limit, ruleView, (r): Position => ['createdAt', r.created_at.getTime(), r.id])
}

export async function createRule(db: Db, request: FastifyRequest, body: CreateScoringRuleBody) {
  const orgId = request.user.orgId
  return crmDb(db).transaction().execute(async (trx) => {
    const row = await trx.insertInto('crm_scoring_rules').values({
      org_id: orgId, name: body.name.trim(), condition: JSON.stringify(body.condition), points: body.points, active: body.active ?? true,
    }).returningAll().executeTakeFirstOrThrow()
    const rescored = await rescoreContacts(trx, orgId, 'all')
    await recordAudit(baseDb(trx), { ...auditContext(request), action: 'crm.scoring_rule.create', target: { type: 'crm_scoring_rule', id: row.id }, after: { ...ruleView(row), rescored } })
    return ruleView(row)
  })
}

export async function updateRule(db: Db, request: FastifyRequest, id: string, body: UpdateScoringRuleBody) {
  const orgId = request.user.orgId
  const crm = crmDb(db)
  const before = await findRule(crm, orgId, id)
  return crm.transaction().execute(async (trx) => {
    const row = await trx.updateTable('crm_scoring_rules').set({
      ...(body.name !== undefined ? { name: body.name.trim() } : {}),
      ...(body.condition !== undefined ? { condition: JSON.stringify(body.condition) } : {}),
      ...(body.points !== undefined ? { points: body.points } : {}),
      ...(body.active !== undefined ? { active: body.active } : {}),
      updated_at: new Date(),
    }).where('id', '=', before.id).returningAll().executeTakeFirstOrThrow()
    const rescored = await rescoreContacts(trx, orgId, 'all')
    await recordAudit(baseDb(trx), { ...auditContext(request), action: 'crm.scoring_rule.update', target: { type: 'crm_scoring_rule', id: row.id }, before: ruleView(before), after: { ...ruleView(row), rescored } })
    return ruleView(row)
  })
}

export async function deleteRule(db: Db, request: FastifyRequest, id: string) {
  const orgId = request.user.orgId
  const crm = crmDb(db)
  const before = await findRule(crm, orgId, id)
  return crm.transaction().execute(async (trx) => {
    await trx.deleteFrom('crm_scoring_rules').where('id', '=', before.id).execute()
    const rescored = await rescoreContacts(trx, orgId, 'all')
    await recordAudit(baseDb(trx), { ...auditContext(request), action: 'crm.scoring_rule.delete', target: { type: 'crm_scoring_rule', id: before.id }, before: ruleView(before), after: { rescored } })
    return ruleView(before)
  })
}

export async function recomputeScores(db: Db, request: FastifyRequest) {
  const orgId = request.user.orgId
  return crmDb(db).transaction().execute(async (trx) => {
    const result = await rescoreContacts(trx, orgId, 'all')
    await recordAudit(baseDb(trx), { ...auditContext(request), action: 'crm.scores.recompute', target: { type: 'crm_pipeline', id: orgId }, after: result })
    return result
  })
}

/** Which active rules the contact matches now, and the stored score. */
export async function scoreBreakdown(db: Db, orgId: string, contactId: string) {
  const crm = crmDb(db)
  const contact = await findOrgContact(crm, orgId, contactId)
  const rules = await activeRules(crm, orgId)
  const factsOf = await factsFor(crm, orgId, [contact], rules)
  const result = evaluate(rules, factsOf(contact))
  return { contactId: contact.id, score: contact.score, computed: result.score, rules: result.rules }
}

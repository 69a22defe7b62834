import type { FastifyRequest } from 'fastify'
import { sql } from 'kysely'
import type { Db } from '../../plugins/db/database.js'
import { DEFAULT_LIMIT, pageOf, type PageOf } from '../common/pagination.js'
import { auditContext, recordAudit } from '../identity/audit.js'
import { badStageOrder, lastStage, stageHasOpenDeals, stageNameTaken, stageNotFound, UUID_RE } from './errors.js'
import { after, decodePosition, type Position } from './keyset.js'
import type { StageView } from './schema.js'
import { baseDb, crmDb, type CrmDb } from './tables.js'

/**
 * The pipeline's stages, per organization. The defaults are seeded the first time the
 * organization uses the pipeline (listing stages, creating a stage or a deal), once: a
 * row in crm_org_state says it was done, so an organization that deleted them does not
 * get them back. Deleting a stage keeps its row (deleted_at) because the stage history and
 * the funnel still name it; a stage with open deals cannot be deleted.
 */
export const DEFAULT_STAGES = ['Contacto inicial', 'Calificación', 'Demo', 'Propuesta', 'Negociación', 'Cierre'] as const
/** The default stage where deals are won or lost. */
const DEFAULT_CLOSING = 'Cierre'

export async function ensureStages(trx: CrmDb, orgId: string): Promise<void> {
  const first = await trx.insertInto('crm_org_state').values({ org_id: orgId }).onConflict((oc) => oc.column('org_id').doNothing()).returning('org_id').executeTakeFirst()
  if (!first) return
  await trx.insertInto('crm_stages').values(DEFAULT_STAGES.map((name, position) => ({ org_id: orgId, name, position, closing: name === DEFAULT_CLOSING }))).execute()
}

/** Serializes the changes to one organization's stage order. */
async function lockStages(trx: CrmDb, orgId: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtext(${`crm-stages:${orgId}`}))`.execute(trx)
}

export async function activeStages(db: CrmDb, orgId: string) {
  return db.selectFrom('crm_stages').selectAll().where('org_id', '=', orgId).where('deleted_at', 'is', null).orderBy('position').orderBy('id').execute()
}

/** The organization's active stage (or, with `deleted`, any it ever had), or 404. */
export async function findStage(db: CrmDb, orgId: string, id: string, opts: { deleted?: boolean } = {}) {
  if (!UUID_RE.test(id)) throw stageNotFound()
  let q = db.selectFrom('crm_stages').selectAll().where('org_id', '=', orgId).where('id', '=', id)
  if (!opts.deleted) q = q.where('deleted_at', 'is', null)
  const row = await q.executeTakeFirst()
  if (!row) throw stageNotFound()
  return row
}

const openDealsOf = (db: CrmDb, stageId: string) =>
  db.selectFrom('crm_deals').select((eb) => eb.fn.countAll<number>().as('n')).where('stage_id', '=', stageId).where('status', '=', 'open').executeTakeFirstOrThrow().then((r) => Number(r.n))

async function stageView(db: CrmDb, row: { id: string; name: string; position: number; closing: boolean }): Promise<StageView> {
  return { id: row.id, name: row.name, position: row.position, closing: row.closing, openDeals: await openDealsOf(db, row.id) }
}

async function assertNameFree(trx: CrmDb, orgId: string, name: string, exceptId?: string): Promise<void> {
  let q = trx.selectFrom('crm_stages').select('id').where('org_id', '=', orgId).where('deleted_at', 'is', null).where(sql<boolean>`lower(name) = ${name.trim().toLowerCase()}`)
  if (exceptId) q = q.where('id', '<>', exceptId)
  if (await q.executeTakeFirst()) throw stageNameTaken()
}

/** Renumbers the active stages 0..n-1 in the given order. */
async function renumber(trx: CrmDb, orgId: string, ids: string[]): Promise<void> {
  if (ids.length === 0) return
  const values = JSON.stringify(ids.map((id, position) => ({ id, position })))
  await sql`update crm_stages set position = v.position
    from jsonb_to_recordset(${values}::jsonb) as v(id uuid, position integer)
    where crm_stages.id = v.id and crm_stages.org_id = ${orgId}::uuid`.execute(trx)
}

export async function listStages(db: Db, orgId: string, q: { limit?: number; cursor?: string }): Promise<PageOf<StageView>> {
  const position = decodePosition(q.cursor, 'position', 'number')
  const limit = q.limit ?? DEFAULT_LIMIT
  const crm = crmDb(db)
  await crm.transaction().execute((trx) => ensureStages(trx, orgId))
  let query = crm.selectFrom('crm_stages').selectAll().where('org_id', '=', orgId).where('deleted_at', 'is', null)
  if (position) query = query.where(after(sql.ref('crm_stages.position'), 'crm_stages.id', position, false, 'integer'))
  const rows = await query.orderBy('position').orderBy('id').limit(limit + 1).execute()
  const counts = new Map<string, number>()
  for (const r of rows) counts.set(r.id, await openDealsOf(crm, r.id))
  return pageOf(rows, limit, (r) => ({ id: r.id, name: r.name, position: r.position, closing: r.closing, openDeals: counts.get(r.id) ?? 0 }), (r): Position => ['position', r.position, r.id])
}

export async function createStage(db: Db, request: FastifyRequest, body: { name: string; position?: number | undefined }): Promise<StageView> {
  const orgId = request.user.orgId
  return crmDb(db).transaction().execute(async (trx) => {
    await ensureStages(trx, orgId)
    await lockStages(trx, orgId)
    await assertNameFree(trx, orgId, body.name)
    const stages = await activeStages(trx, orgId)
    const at = Math.min(body.position ?? stages.length, stages.length)
    const row = await trx.insertInto('crm_stages').values({ org_id: orgId, name: body.name.trim(), position: at }).returningAll().executeTakeFirstOrThrow()
    const ids = stages.map((s) => s.id)
    ids.splice(at, 0, row.id)
    await renumber(trx, orgId, ids)
    const view = await stageView(trx, { ...row, position: at })
    await recordAudit(baseDb(trx), { ...auditContext(request), action: 'crm.stage.create', target: { type: 'crm_stage', id: row.id }, after: view })
    return view
  })
}

export async function updateStage(db: Db, request: FastifyRequest, id: string, body: { name?: string | undefined; closing?: boolean | undefined }): Promise<StageView> {
  const orgId = request.user.orgId
  const crm = crmDb(db)
  const before = await findStage(crm, orgId, id)
  return crm.transaction().execute(async (trx) => {
    await lockStages(trx, orgId)
    if (body.name !== undefined) await assertNameFree(trx, orgId, body.name, before.id)
    // One closing stage at most: naming one unmarks the others.
    if (body.closing === true) await trx.updateTable('crm_stages').set({ closing: false }).where('org_id', '=', orgId).where('id', '<>', before.id).execute()
    const row = await trx.updateTable('crm_stages')
      .set({ ...(body.name !== undefined ? { name: body.name.trim() } : {}), ...(body.closing !== undefined ? { closing: body.closing } : {}) })
      .where('id', '=', before.id).returningAll().executeTakeFirstOrThrow()
    const view = await stageView(trx, row)
    await recordAudit(baseDb(trx), { ...auditContext(request), action: 'crm.stage.update', target: { type: 'crm_stage', id: row.id }, before: { name: before.name, closing: before.closing }, after: view })
    return view
  })
}

export async function reorderStages(db: Db, request: FastifyRequest, stageIds: string[]): Promise<{ stages: StageView[] }> {
  const orgId = request.user.orgId
  return crmDb(db).transaction().execute(async (trx) => {
    await ensureStages(trx, orgId)
    await lockStages(trx, orgId)
    const stages = await activeStages(trx, orgId)
    const current = new Set(stages.map((s) => s.id))
    if (new Set(stageIds).size !== stageIds.length || stageIds.length !== current.size || !stageIds.every((s) => current.has(s))) {
      // Ids of another organization are not ours to name: as unknown as any other.
      if (stageIds.some((s) => !current.has(s))) throw stageNotFound()
      throw badStageOrder()
    }
    await renumber(trx, orgId, stageIds)
    const ordered: StageView[] = []
    for (const s of await activeStages(trx, orgId)) ordered.push(await stageView(trx, s))
    await recordAudit(baseDb(trx), { ...auditContext(request), action: 'crm.stage.reorder', target: { type: 'crm_pipeline', id: orgId }, before: stages.map((s) => s.id), after: stageIds })
    return { stages: ordered }
  })
}

export async function deleteStage(db: Db, request: FastifyRequest, id: string): Promise<StageView> {
  const orgId = request.user.orgId
  const crm = crmDb(db)
  const before = await findStage(crm, orgId, id)
  return crm.transaction().execute(async (trx) => {
    await lockStages(trx, orgId)
    const open = await openDealsOf(trx, before.id)
    if (open > 0) throw stageHasOpenDeals(open)
    const stages = await activeStages(trx, orgId)
    if (stages.length <= 1) throw lastStage()
    await trx.updateTable('crm_stages').set({ deleted_at: new Date(), closing: false }).where('id', '=', before.id).execute()
    await renumber(trx, orgId, stages.filter((s) => s.id !== before.id).map((s) => s.id))
    const view = { id: before.id, name: before.name, position: before.position, closing: before.closing, openDeals: 0 }
    await recordAudit(baseDb(trx), { ...auditContext(request), action: 'crm.stage.delete', target: { type: 'crm_stage', id: before.id }, before: view })
    return view
  })
}

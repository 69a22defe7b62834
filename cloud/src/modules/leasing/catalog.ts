import type { FastifyRequest } from 'fastify'
import type { Kysely } from 'kysely'
import { sql } from 'kysely'
import { siteNotFound } from '../../errors.js'
import type { Database } from '../../plugins/db/tables.js'
import { DEFAULT_LIMIT, decodeCursor, pageOf, type PageOf } from '../common/pagination.js'
import { auditContext, recordAudit } from '../identity/audit.js'
import { badInput, duplicate, inUse, notFound, pgCode } from './errors.js'
import type { IndexTableView, MallBody, MallView, MeterBody, SpaceBody, SpacePatch, SpaceView, TariffBody, ZoneView } from './schema.js'
import { isIsoDate } from './rent.js'
import * as repo from './repository.js'
import { leasingDb, type LeasingDb, type MallRow, type MeterRow, type SpaceRow, type TariffRow } from './tables.js'

/** Malls, zones, spaces, index tables, meters and tariffs: the things leases and charges refer to. */

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
export const isUuid = (v: unknown): v is string => typeof v === 'string' && UUID_RE.test(v)
export const isIdCursor = (v: unknown): v is [string] => Array.isArray(v) && v.length === 1 && isUuid(v[0])

/** Keyset by id: stable whatever is added, and the id is unique. */
export async function pageById<T extends { id: string }, I>(
  query: { cursor?: string | undefined; limit?: number | undefined },
  fetch: (after: string | undefined, limit: number) => Promise<T[]>,
  toItem: (row: T) => I,
): Promise<PageOf<I>> {
  const after = decodeCursor(query.cursor, isIdCursor)
  const limit = query.limit ?? DEFAULT_LIMIT
  const rows = await fetch(after?.[0], limit + 1)
  return pageOf(rows, limit, toItem, (row) => [row.id])
}

/** Maps unique and foreign-key violations to coded 409s. */
export async function guarded<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    const code = pgCode(err)
    if (code === '23505') throw duplicate(what)
    if (code === '23503') throw inUse(what)
    throw err
  }
}

export const areaM2 = (centi: number): string => `${Math.floor(centi / 100)}.${String(centi % 100).padStart(2, '0')}`

const mallView = (r: MallRow): MallView => ({ id: r.id, name: r.name, siteId: r.site_id, address: r.address, createdAt: r.created_at.toISOString() })
export const spaceView = (r: SpaceRow): SpaceView => ({
  id: r.id, mallId: r.mall_id, zoneId: r.zone_id, code: r.code, areaCentiM2: r.area_centi_m2, areaM2: areaM2(r.area_centi_m2), type: r.type,
  baseRentMinor: r.base_rent_minor, currency: r.currency,
})

async function checkSite(db: Kysely<Database>, orgId: string, siteId: string | null | undefined): Promise<void> {
  if (!siteId) return
  if (!(await repo.siteInOrg(db, orgId, siteId))) throw siteNotFound()
}

export async function findMall(db: Kysely<Database>, orgId: string, id: string): Promise<MallRow> {
  if (!isUuid(id)) throw notFound('MALL')
  const row = await leasingDb(db).selectFrom('leasing_malls').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst()
  if (!row) throw notFound('MALL')
  return row
}

export async function findSpace(db: Kysely<Database>, orgId: string, id: string): Promise<SpaceRow> {
  if (!isUuid(id)) throw notFound('SPACE')
  const row = await leasingDb(db).selectFrom('leasing_spaces').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst()
  if (!row) throw notFound('SPACE')
  return row
}

async function findZone(db: Kysely<Database>, orgId: string, id: string) {
  if (!isUuid(id)) throw notFound('ZONE')
  const row = await leasingDb(db).selectFrom('leasing_zones').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst()
  if (!row) throw notFound('ZONE')
  return row
}

const audit = (request: FastifyRequest, db: Kysely<Database>, action: string, type: string, id: string, before: unknown, after: unknown) =>
  recordAudit(db, { ...auditContext(request), action, target: { type, id }, before, after })

// Malls.
export async function listMalls(db: Kysely<Database>, orgId: string, q: { cursor?: string; limit?: number }) {
  return pageById(q, (after, limit) => {
    let query = leasingDb(db).selectFrom('leasing_malls').selectAll().where('org_id', '=', orgId)
    if (after) query = query.where('id', '>', after)
    return query.orderBy('id').limit(limit).execute()
  }, mallView)
}
export const getMall = async (db: Kysely<Database>, orgId: string, id: string) => mallView(await findMall(db, orgId, id))

export async function createMall(db: Kysely<Database>, request: FastifyRequest, body: MallBody): Promise<MallView> {
  const orgId = request.user.orgId
  await checkSite(db, orgId, body.siteId)
  return db.transaction().execute(async (trx) => {
    const row = await leasingDb(trx).insertInto('leasing_malls').values({ org_id: orgId, name: body.name, site_id: body.siteId ?? null, address: body.address ?? null }).returningAll().executeTakeFirstOrThrow()
    await audit(request, trx, 'leasing.mall.create', 'leasing_mall', row.id, undefined, mallView(row))
    return mallView(row)
  })
}

export async function updateMall(db: Kysely<Database>, request: FastifyRequest, id: string, body: Partial<MallBody>): Promise<MallView> {
  const orgId = request.user.orgId
  const before = await findMall(db, orgId, id)
  if (body.siteId !== undefined) await checkSite(db, orgId, body.siteId)
  return db.transaction().execute(async (trx) => {
    const row = await leasingDb(trx)
      .updateTable('leasing_malls')
      .set({ ...(body.name !== undefined ? { name: body.name } : {}), ...(body.siteId !== undefined ? { site_id: body.siteId } : {}), ...(body.address !== undefined ? { address: body.address } : {}), updated_at: new Date() })
      .where('org_id', '=', orgId).where('id', '=', id).returningAll().executeTakeFirstOrThrow()
    await audit(request, trx, 'leasing.mall.update', 'leasing_mall', id, mallView(before), mallView(row))
    return mallView(row)
  })
}

/** Deleting is for a mall entered by mistake: one with zones, spaces or leases is refused (409). */
export async function deleteMall(db: Kysely<Database>, request: FastifyRequest, id: string): Promise<{ deleted: true }> {
  const before = await findMall(db, request.user.orgId, id)
  return guarded('mall', () => db.transaction().execute(async (trx) => {
    await leasingDb(trx).deleteFrom('leasing_malls').where('org_id', '=', request.user.orgId).where('id', '=', id).execute()
    await audit(request, trx, 'leasing.mall.delete', 'leasing_mall', id, mallView(before), undefined)
    return { deleted: true as const }
  }))
}

// Zones.
const zoneView = (r: { id: string; mall_id: string; name: string }): ZoneView => ({ id: r.id, mallId: r.mall_id, name: r.name })
export async function listZones(db: Kysely<Database>, orgId: string, q: { cursor?: string; limit?: number; mallId?: string }) {
  if (q.mallId) await findMall(db, orgId, q.mallId)
  return pageById(q, (after, limit) => {
    let query = leasingDb(db).selectFrom('leasing_zones').selectAll().where('org_id', '=', orgId)
    if (q.mallId) query = query.where('mall_id', '=', q.mallId)
    if (after) query = query.where('id', '>', after)
    return query.orderBy('id').limit(limit).execute()
  }, zoneView)
}
export async function createZone(db: Kysely<Database>, request: FastifyRequest, body: { mallId: string; name: string }): Promise<ZoneView> {
  await findMall(db, request.user.orgId, body.mallId)
  return guarded('zone', () => db.transaction().execute(async (trx) => {
    const row = await leasingDb(trx).insertInto('leasing_zones').values({ org_id: request.user.orgId, mall_id: body.mallId, name: body.name }).returningAll().executeTakeFirstOrThrow()
    await audit(request, trx, 'leasing.zone.create', 'leasing_zone', row.id, undefined, zoneView(row))
    return zoneView(row)
  }))
}
export async function updateZone(db: Kysely<Database>, request: FastifyRequest, id: string, body: { name: string }): Promise<ZoneView> {
  const before = await findZone(db, request.user.orgId, id)
  return guarded('zone', () => db.transaction().execute(async (trx) => {
    const row = await leasingDb(trx).updateTable('leasing_zones').set({ name: body.name }).where('org_id', '=', request.user.orgId).where('id', '=', id).returningAll().executeTakeFirstOrThrow()
    await audit(request, trx, 'leasing.zone.update', 'leasing_zone', id, zoneView(before), zoneView(row))
    return zoneView(row)
  }))
}
export async function deleteZone(db: Kysely<Database>, request: FastifyRequest, id: string): Promise<{ deleted: true }> {
  const before = await findZone(db, request.user.orgId, id)
  return guarded('zone', () => db.transaction().execute(async (trx) => {
    await leasingDb(trx).deleteFrom('leasing_zones').where('org_id', '=', request.user.orgId).where('id', '=', id).execute()
    await audit(request, trx, 'leasing.zone.delete', 'leasing_zone', id, zoneView(before), undefined)
    return { deleted: true as const }
  }))
}

// Spaces.
export async function listSpaces(db: Kysely<Database>, orgId: string, q: { cursor?: string; limit?: number; mallId?: string; zoneId?: string; type?: string }) {
  // A filter naming another organization's mall or zone is a 404, like the object itself.
  if (q.mallId) await findMall(db, orgId, q.mallId)
  if (q.zoneId) await findZone(db, orgId, q.zoneId)
  return pageById(q, (after, limit) => {
    let query = leasingDb(db).selectFrom('leasing_spaces').selectAll().where('org_id', '=', orgId)
    if (q.mallId) query = query.where('mall_id', '=', q.mallId)
    if (q.zoneId) query = query.where('zone_id', '=', q.zoneId)
    if (q.type) query = query.where('type', '=', q.type as SpaceRow['type'])
    if (after) query = query.where('id', '>', after)
    return query.orderBy('id').limit(limit).execute()
  }, spaceView)
}
export const getSpace = async (db: Kysely<Database>, orgId: string, id: string) => spaceView(await findSpace(db, orgId, id))

async function checkZoneInMall(db: Kysely<Database>, orgId: string, zoneId: string | null | undefined, mallId: string) {
  if (!zoneId) return
  const zone = await findZone(db, orgId, zoneId)
  if (zone.mall_id !== mallId) throw badInput('zoneId: the zone is in another mall')
}

export async function createSpace(db: Kysely<Database>, request: FastifyRequest, body: SpaceBody): Promise<SpaceView> {
  const orgId = request.user.orgId
  await findMall(db, orgId, body.mallId)
  await checkZoneInMall(db, orgId, body.zoneId, body.mallId)
  return guarded(`space ${body.code}`, () => db.transaction().execute(async (trx) => {
    const row = await leasingDb(trx).insertInto('leasing_spaces').values({
      org_id: orgId, mall_id: body.mallId, zone_id: body.zoneId ?? null, code: body.code, area_centi_m2: body.areaCentiM2, type: body.type,
      base_rent_minor: body.baseRentMinor, currency: body.currency,
    }).returningAll().executeTakeFirstOrThrow()
    await audit(request, trx, 'leasing.space.create', 'leasing_space', row.id, undefined, spaceView(row))
    return spaceView(row)
  }))
}
export async function updateSpace(db: Kysely<Database>, request: FastifyRequest, id: string, body: SpacePatch): Promise<SpaceView> {
  const orgId = request.user.orgId
  const before = await findSpace(db, orgId, id)
  if (body.zoneId !== undefined) await checkZoneInMall(db, orgId, body.zoneId, before.mall_id)
  return guarded('space', () => db.transaction().execute(async (trx) => {
    const row = await leasingDb(trx).updateTable('leasing_spaces').set({
      ...(body.zoneId !== undefined ? { zone_id: body.zoneId } : {}),
      ...(body.code !== undefined ? { code: body.code } : {}),
      ...(body.areaCentiM2 !== undefined ? { area_centi_m2: body.areaCentiM2 } : {}),
      ...(body.type !== undefined ? { type: body.type } : {}),
      ...(body.baseRentMinor !== undefined ? { base_rent_minor: body.baseRentMinor } : {}),
      ...(body.currency !== undefined ? { currency: body.currency } : {}),
      updated_at: new Date(),
    }).where('org_id', '=', orgId).where('id', '=', id).returningAll().executeTakeFirstOrThrow()
    await audit(request, trx, 'leasing.space.update', 'leasing_space', id, spaceView(before), spaceView(row))
    return spaceView(row)
  }))
}
export async function deleteSpace(db: Kysely<Database>, request: FastifyRequest, id: string): Promise<{ deleted: true }> {
  const before = await findSpace(db, request.user.orgId, id)
  return guarded('space', () => db.transaction().execute(async (trx) => {
    await leasingDb(trx).deleteFrom('leasing_spaces').where('org_id', '=', request.user.orgId).where('id', '=', id).execute()
    await audit(request, trx, 'leasing.space.delete', 'leasing_space', id, spaceView(before), undefined)
    return { deleted: true as const }
  }))
}

// Index tables (ICL, IPC...): dated values in millionths.
export function parseIndexDecimal(value: string): number {
  const [int, frac = ''] = value.split('.')
  return Number(int) * 1_000_000 + Number(frac.padEnd(6, '0'))
}
const formatMicro = (micro: number): string => `${Math.floor(micro / 1_000_000)}.${String(micro % 1_000_000).padStart(6, '0')}`

export async function findIndexTable(db: Kysely<Database>, orgId: string, id: string) {
  if (!isUuid(id)) throw notFound('INDEX_TABLE')
  const row = await leasingDb(db).selectFrom('leasing_index_tables').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst()
  if (!row) throw notFound('INDEX_TABLE')
  return row
}
export async function listIndexTables(db: Kysely<Database>, orgId: string, q: { cursor?: string; limit?: number }) {
  return pageById(q, (after, limit) => {
    let query = leasingDb(db).selectFrom('leasing_index_tables').select(['id', 'name']).where('org_id', '=', orgId)
    if (after) query = query.where('id', '>', after)
    return query.orderBy('id').limit(limit).execute()
  }, (r) => ({ id: r.id, name: r.name }))
}
export async function indexValues(db: Kysely<Database>, tableId: string) {
  const rows = await leasingDb(db).selectFrom('leasing_index_values').select(['on_date', 'value_micro']).where('table_id', '=', tableId).orderBy('on_date').execute()
  return rows.map((r) => ({ onDate: r.on_date, valueMicro: r.value_micro }))
}
export async function getIndexTable(db: Kysely<Database>, orgId: string, id: string): Promise<IndexTableView> {
  const table = await findIndexTable(db, orgId, id)
  const values = await indexValues(db, id)
  return { id: table.id, name: table.name, values: values.map((v) => ({ date: v.onDate, value: formatMicro(v.valueMicro) })) }
}
export async function createIndexTable(db: Kysely<Database>, request: FastifyRequest, body: { name: string }): Promise<IndexTableView> {
  return guarded(`index table ${body.name}`, () => db.transaction().execute(async (trx) => {
    const row = await leasingDb(trx).insertInto('leasing_index_tables').values({ org_id: request.user.orgId, name: body.name }).returningAll().executeTakeFirstOrThrow()
    await audit(request, trx, 'leasing.index.create', 'leasing_index_table', row.id, undefined, { name: row.name })
    return { id: row.id, name: row.name, values: [] }
  }))
}
/** Adds or corrects values; a corrected value changes future charges, never ones already written. */
export async function putIndexValues(db: Kysely<Database>, request: FastifyRequest, id: string, values: { date: string; value: string }[]): Promise<IndexTableView> {
  const orgId = request.user.orgId
  await findIndexTable(db, orgId, id)
  const bad = values.find((v) => !isIsoDate(v.date) || parseIndexDecimal(v.value) <= 0)
  if (bad) throw badInput(`values: ${bad.date} ${bad.value} is not a date with a positive value`)
  await db.transaction().execute(async (trx) => {
    await leasingDb(trx).insertInto('leasing_index_values')
      .values(values.map((v) => ({ table_id: id, org_id: orgId, on_date: v.date, value_micro: parseIndexDecimal(v.value) })))
      .onConflict((oc) => oc.columns(['table_id', 'on_date']).doUpdateSet({ value_micro: sql`excluded.value_micro` }))
      .execute()
    await audit(request, trx, 'leasing.index.values', 'leasing_index_table', id, undefined, { values })
  })
  return getIndexTable(db, orgId, id)
}

// Meters: a space's sub-meter is a device's counter on one of the org's sites.
const meterView = (r: MeterRow) => ({ id: r.id, spaceId: r.space_id, siteId: r.site_id, deviceId: r.device_id, metric: r.metric, kind: r.kind, unit: r.unit })
export async function listMeters(db: Kysely<Database>, orgId: string, q: { cursor?: string; limit?: number }) {
  return pageById(q, (after, limit) => {
    let query = leasingDb(db).selectFrom('leasing_meters').selectAll().where('org_id', '=', orgId)
    if (after) query = query.where('id', '>', after)
    return query.orderBy('id').limit(limit).execute()
  }, meterView)
}
export async function createMeter(db: Kysely<Database>, request: FastifyRequest, body: MeterBody) {
  const orgId = request.user.orgId
  await checkSite(db, orgId, body.siteId)
  await findSpace(db, orgId, body.spaceId)
  return guarded('meter', () => db.transaction().execute(async (trx) => {
    const row = await leasingDb(trx).insertInto('leasing_meters').values({
      org_id: orgId, space_id: body.spaceId, site_id: body.siteId, device_id: body.deviceId, metric: body.metric, kind: body.kind, unit: body.unit,
    }).returningAll().executeTakeFirstOrThrow()
    await audit(request, trx, 'leasing.meter.create', 'leasing_meter', row.id, undefined, meterView(row))
    return meterView(row)
  }))
}
export async function deleteMeter(db: Kysely<Database>, request: FastifyRequest, id: string) {
  const orgId = request.user.orgId
  const row = isUuid(id) ? await leasingDb(db).selectFrom('leasing_meters').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst() : undefined
  if (!row) throw notFound('METER')
  await db.transaction().execute(async (trx) => {
    await leasingDb(trx).deleteFrom('leasing_meters').where('org_id', '=', orgId).where('id', '=', id).execute()
    await audit(request, trx, 'leasing.meter.delete', 'leasing_meter', id, meterView(row), undefined)
  })
  return { deleted: true as const }
}

// Tariffs: one per mall and utility.
const tariffView = (r: TariffRow) => ({ id: r.id, mallId: r.mall_id, kind: r.kind, currency: r.currency, priceMinor: r.price_minor, taxRateBp: r.tax_rate_bp })
export async function listTariffs(db: Kysely<Database>, orgId: string, q: { cursor?: string; limit?: number }) {
  return pageById(q, (after, limit) => {
    let query = leasingDb(db).selectFrom('leasing_tariffs').selectAll().where('org_id', '=', orgId)
    if (after) query = query.where('id', '>', after)
    return query.orderBy('id').limit(limit).execute()
  }, tariffView)
}
export async function putTariff(db: Kysely<Database>, request: FastifyRequest, body: TariffBody) {
  const orgId = request.user.orgId
  await findMall(db, orgId, body.mallId)
  return db.transaction().execute(async (trx) => {
    const before = await leasingDb(trx).selectFrom('leasing_tariffs').selectAll().where('mall_id', '=', body.mallId).where('kind', '=', body.kind).executeTakeFirst()
    const values = { currency: body.currency, price_minor: body.priceMinor, tax_rate_bp: body.taxRateBp ?? 0, updated_at: new Date() }
    const row = await leasingDb(trx).insertInto('leasing_tariffs').values({ org_id: orgId, mall_id: body.mallId, kind: body.kind, ...values })
      .onConflict((oc) => oc.columns(['mall_id', 'kind']).doUpdateSet(values)).returningAll().executeTakeFirstOrThrow()
    await audit(request, trx, 'leasing.tariff.put', 'leasing_tariff', row.id, before ? tariffView(before) : undefined, tariffView(row))
    return tariffView(row)
  })
}

export type { LeasingDb }

import type { FastifyRequest } from 'fastify'
import type { Db } from '../../plugins/db/database.js'
import { DEFAULT_LIMIT, decodeCursor, pageOf, type PageOf } from '../common/pagination.js'
import { auditContext, recordAudit } from '../identity/audit.js'
import { deviceExists, deviceNotFound } from './errors.js'
import { gatewayForOrg } from './service.js'
import { AppError } from '../../errors.js'
import type { ColdBand, CreateDeviceBody, DevicesQuery, DeviceView, PatchDeviceBody } from './schema.js'

/**
 * The device registry: which devices a gateway serves, as the cloud lists them (the
 * site detail, telemetry labels). Every change is audited with the record before and after.
 */

type DeviceRow = {
  id: string
  gateway_id: string
  site_id: string
  name: string
  kind: string
  cold_band_min_c: number | null
  cold_band_max_c: number | null
}

const toView = (r: DeviceRow): DeviceView => ({
  id: r.id,
  gatewayId: r.gateway_id,
  siteId: r.site_id,
  name: r.name,
  kind: r.kind,
  coldBand: r.cold_band_min_c === null && r.cold_band_max_c === null ? null : { minC: r.cold_band_min_c, maxC: r.cold_band_max_c },
})

export const badColdBand = (detail: string): AppError => new AppError('DEVICE_BAD_COLD_BAND', 400, `coldBand: ${detail}`)

/**
 * The columns of a band as given: null (or both bounds null) goes back to the kind's
 * default. Checked here as well as by the table's constraint, so the client gets a coded
 * 400 rather than a failed statement.
 */
function coldBandColumns(band: ColdBand | null): { cold_band_min_c: number | null; cold_band_max_c: number | null } {
  if (band === null) return { cold_band_min_c: null, cold_band_max_c: null }
  if (band.minC !== null && band.maxC !== null && band.minC >= band.maxC) {
    throw badColdBand(`minC (${band.minC}) must be below maxC (${band.maxC})`)
  }
  return { cold_band_min_c: band.minC, cold_band_max_c: band.maxC }
}

const isDeviceCursor = (v: unknown): v is { id: string } =>
  typeof v === 'object' && v !== null && typeof (v as { id?: unknown }).id === 'string'

/** By device id, keyset on it. */
export async function listDevices(db: Db, orgId: string, gatewayId: string, query: DevicesQuery): Promise<PageOf<DeviceView>> {
  const gateway = await gatewayForOrg(db, orgId, gatewayId)
  const limit = query.limit ?? DEFAULT_LIMIT
  const after = decodeCursor(query.cursor, isDeviceCursor)
  let q = db.selectFrom('devices').selectAll().where('gateway_id', '=', gateway.id)
  if (after) q = q.where('id', '>', after.id)
  const rows = await q.orderBy('id').limit(limit + 1).execute()
  return pageOf(rows, limit, toView, (r) => ({ id: r.id }))
}

async function findDevice(db: Db, gatewayId: string, deviceId: string) {
  return db.selectFrom('devices').selectAll().where('gateway_id', '=', gatewayId).where('id', '=', deviceId).executeTakeFirst()
}

export async function getDevice(db: Db, orgId: string, gatewayId: string, deviceId: string): Promise<DeviceView> {
  const gateway = await gatewayForOrg(db, orgId, gatewayId)
  const row = await findDevice(db, gateway.id, deviceId)
  if (!row) throw deviceNotFound()
  return toView(row)
}

export async function createDevice(db: Db, request: FastifyRequest, gatewayId: string, body: CreateDeviceBody): Promise<DeviceView> {
  const gateway = await gatewayForOrg(db, request.user.orgId, gatewayId)
  const band = coldBandColumns(body.coldBand ?? null)
  return db.transaction().execute(async (trx) => {
    // ON CONFLICT rather than a failed insert: an error would end the transaction on PostgreSQL.
    const row = await trx
      .insertInto('devices')
      .values({ id: body.id, gateway_id: gateway.id, site_id: gateway.site_id, name: body.name, kind: body.kind, ...band })
      .onConflict((oc) => oc.columns(['gateway_id', 'id']).doNothing())
      .returningAll()
      .executeTakeFirst()
    if (!row) throw deviceExists(body.id)
    const view = toView(row)
    await recordAudit(trx, { ...auditContext(request), action: 'device.create', target: { type: 'device', id: `${gateway.id}/${row.id}` }, after: view })
    return view
  })
}

export async function updateDevice(db: Db, request: FastifyRequest, gatewayId: string, deviceId: string, body: PatchDeviceBody): Promise<DeviceView> {
  const gateway = await gatewayForOrg(db, request.user.orgId, gatewayId)
  const band = body.coldBand !== undefined ? coldBandColumns(body.coldBand) : {}
  return db.transaction().execute(async (trx) => {
    const before = await trx.selectFrom('devices').selectAll().where('gateway_id', '=', gateway.id).where('id', '=', deviceId).forUpdate().executeTakeFirst()
    if (!before) throw deviceNotFound()
    const row = await trx
      .updateTable('devices')
      .set({ ...(body.name !== undefined ? { name: body.name } : {}), ...(body.kind !== undefined ? { kind: body.kind } : {}), ...band })
      .where('gateway_id', '=', gateway.id)
      .where('id', '=', deviceId)
      .returningAll()
      .executeTakeFirstOrThrow()
    const view = toView(row)
    await recordAudit(trx, { ...auditContext(request), action: 'device.update', target: { type: 'device', id: `${gateway.id}/${row.id}` }, before: toView(before), after: view })
    return view
  })
}

/** Telemetry and state do not reference devices: removing one from the registry loses no history. */
export async function deleteDevice(db: Db, request: FastifyRequest, gatewayId: string, deviceId: string): Promise<void> {
  const gateway = await gatewayForOrg(db, request.user.orgId, gatewayId)
  await db.transaction().execute(async (trx) => {
    const removed = await trx.deleteFrom('devices').where('gateway_id', '=', gateway.id).where('id', '=', deviceId).returningAll().executeTakeFirst()
    if (!removed) throw deviceNotFound()
    await recordAudit(trx, { ...auditContext(request), action: 'device.delete', target: { type: 'device', id: `${gateway.id}/${removed.id}` }, before: toView(removed) })
  })
}

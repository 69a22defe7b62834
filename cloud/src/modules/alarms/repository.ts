import { sql } from 'kysely'
import type { Db } from '../../plugins/db/database.js'
import type { AlarmRow } from '../../plugins/db/tables.js'
import { selectAlarmsWithActors, type AlarmActorNames } from '../sites/repository.js'

export async function findAlarm(db: Db, siteId: string, alarmId: string): Promise<AlarmRow | undefined> {
  return db.selectFrom('alarms').selectAll().where('site_id', '=', siteId).where('alarm_id', '=', alarmId).executeTakeFirst()
}

/** The site's gateways still in the org: the only ones a command about its alarms may go to. */
export async function siteGatewayIds(db: Db, orgId: string, siteId: string): Promise<string[]> {
  const rows = await db.selectFrom('gateways').select('id').where('org_id', '=', orgId).where('site_id', '=', siteId).orderBy('id').execute()
  return rows.map((r) => r.id)
}

export async function userEmail(db: Db, orgId: string, userId: string): Promise<string | undefined> {
  const row = await db.selectFrom('users').select('email').where('id', '=', userId).where('org_id', '=', orgId).executeTakeFirst()
  return row?.email
}

/**
 * Names the cloud user who asked to acknowledge (and when) or clear the alarm. The row's
 * state is the gateway's and changes only when its event comes back through ingest.
 */
export async function recordActor(trx: Db, siteId: string, alarmId: string, action: 'ack' | 'clear', userId: string, at: Date): Promise<void> {
  await trx
    .updateTable('alarms')
    .set(action === 'ack' ? { acknowledged_by: userId, acknowledged_at: at } : { cleared_by: userId })
    .where('site_id', '=', siteId)
    .where('alarm_id', '=', alarmId)
    .execute()
}

/** Where a page ends in the list's order: updated_at, site, alarm id, all descending. */
export type AlarmPosition = [updatedAtMs: number, siteId: string, alarmId: string]

export interface OrgAlarmFilter {
  siteIds: string[]
  states?: string[] | undefined
  severity?: string | undefined
  from?: Date | undefined
  to?: Date | undefined
  after?: AlarmPosition | undefined
  /** Rows to fetch: the page size plus one, which only says whether there is a next page. */
  limit: number
}

/** Newest change first; keyset on (updated_at, site_id, alarm_id) so pages do not shift as alarms change. */
export async function listOrgAlarms(db: Db, filter: OrgAlarmFilter): Promise<(AlarmRow & AlarmActorNames & { site_name: string })[]> {
  if (filter.siteIds.length === 0) return []
  let query = selectAlarmsWithActors(db)
    .innerJoin('sites', 'sites.id', 'alarms.site_id')
    .select('sites.name as site_name')
    .where('alarms.site_id', 'in', filter.siteIds)
  if (filter.states) query = query.where('alarms.state', 'in', filter.states)
  if (filter.severity) query = query.where('alarms.severity', '=', filter.severity)
  if (filter.from) query = query.where('alarms.updated_at', '>=', filter.from)
  if (filter.to) query = query.where('alarms.updated_at', '<=', filter.to)
  if (filter.after) {
    const [at, siteId, alarmId] = filter.after
    query = query.where(sql<boolean>`(alarms.updated_at, alarms.site_id, alarms.alarm_id) < (${new Date(at)}::timestamptz, ${siteId}::uuid, ${alarmId}::text)`)
  }
  return query
    .orderBy('alarms.updated_at', 'desc')
    .orderBy('alarms.site_id', 'desc')
    .orderBy('alarms.alarm_id', 'desc')
    .limit(filter.limit)
    .execute()
}

import { randomUUID } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import { type AlarmCommandIntent, type CommandMessage } from '@tendero/protocol'
import type { Db } from '../../plugins/db/database.js'
import type { AlarmRow } from '../../plugins/db/tables.js'
import { decodeCursor, pageOf, type PageOf, DEFAULT_LIMIT } from '../common/pagination.js'
import { markSent, insertCommand, openCommands, type CommandRow } from '../fleet/repository.js'
import { auditContext, recordAudit } from '../identity/audit.js'
import { toAlarmItem, visibleSiteIds } from '../sites/repository.js'
import { findSiteForOrg, type SiteViewer } from '../sites/service.js'
import { alarmAlreadyAcknowledged, alarmAlreadyCleared, alarmGatewayUnknown, alarmNotFound, badAlarmWindow } from './errors.js'
import * as repo from './repository.js'
import type { AlarmAction, AlarmCommandView, OrgAlarmItem, OrgAlarmsQuery } from './schema.js'

/**
 * How long an acknowledgement or a clear waits for an offline gateway. A shop's internet
 * can be down for an afternoon, and the owner who tapped "acknowledge" on the phone
 * expects it to happen when the line is back, not to be told to try again later. The
 * gateway refuses one that would land on a later episode of the alarm (alarm-commands.ts
 * on the gateway), so waiting this long cannot silence an alarm nobody saw.
 */
export const ALARM_COMMAND_TTL_MS = 6 * 60 * 60_000

const KIND: Record<AlarmAction, AlarmCommandIntent['kind']> = { ack: 'alarm.ack', clear: 'alarm.clear' }

/** Where commands go: the gateways' channel (fleet/channel.ts), or a stand-in in tests. */
export interface AlarmDownlink {
  send(gatewayId: string, message: CommandMessage): boolean
  connected(gatewayId: string): boolean
}

/** The name the gateway records as `by`: the user's email, so a technician on site can tell who it was. */
async function actorLabel(db: Db, user: FastifyRequest['user']): Promise<string> {
  if (user.kind === 'api_key') return `cloud-api-key:${user.id}`
  const email = await repo.userEmail(db, user.orgId, user.id)
  const label = `cloud:${email ?? user.id}`
  return label.length <= 120 ? label : `cloud:${user.id}`
}

/**
 * The gateway that owns the alarm: the one whose event last changed it. Rows stored before
 * migration 0006 do not say; then the site's only gateway, if it has just one.
 */
async function owningGateway(db: Db, orgId: string, alarm: AlarmRow): Promise<string> {
  const gateways = await repo.siteGatewayIds(db, orgId, alarm.site_id)
  if (alarm.gateway_id !== null && gateways.includes(alarm.gateway_id)) return alarm.gateway_id
  if (alarm.gateway_id === null && gateways.length === 1) return gateways[0]!
  throw alarmGatewayUnknown(alarm.alarm_id)
}

function commandView(row: CommandRow, siteId: string, online: boolean): AlarmCommandView {
  const command = row.command as AlarmCommandIntent
  return {
    commandId: row.id,
    siteId,
    alarmId: command.alarmId,
    action: command.kind === 'alarm.ack' ? 'ack' : 'clear',
    gatewayId: row.gateway_id,
    status: row.status,
    gatewayOnline: online,
    by: command.by,
    createdAt: row.created_at.getTime(),
    expiresAt: row.expires_at.getTime(),
    result: row.result,
  }
}

/**
 * Acknowledges or clears an alarm on its gateway. The cloud never writes the alarm row
 * itself: it stores a command (audited in the same transaction), sends it down the
 * channel after the commit, and the gateway applies it through its AlarmService, whose
 * log event comes back through ingest like any other change. A gateway that is offline
 * gets it when it reconnects (fleet onConnect), until ALARM_COMMAND_TTL_MS.
 *
 * A second tap while the first command is still open returns that command instead of
 * sending another one.
 */
export async function requestAlarmAction(
  db: Db,
  downlink: AlarmDownlink,
  request: FastifyRequest,
  params: { siteId: string; alarmId: string; action: AlarmAction; note?: string | undefined },
  now = Date.now(),
): Promise<AlarmCommandView> {
  const user = request.user
  const site = await findSiteForOrg(db, user.orgId, params.siteId)
  const alarm = await repo.findAlarm(db, site.id, params.alarmId)
  if (!alarm) throw alarmNotFound(params.alarmId)
  if (alarm.state === 'cleared') throw alarmAlreadyCleared(alarm.alarm_id)
  if (params.action === 'ack' && alarm.state === 'acknowledged') throw alarmAlreadyAcknowledged(alarm.alarm_id)
  const gatewayId = await owningGateway(db, user.orgId, alarm)
  const kind = KIND[params.action]

  const open = (await openCommands(db, gatewayId, new Date(now))).find((c) => {
    const command = c.command as Partial<AlarmCommandIntent>
    return command.kind === kind && command.alarmId === alarm.alarm_id
  })
  if (open) return commandView(open, site.id, downlink.connected(gatewayId))

  const intent: AlarmCommandIntent = {
    kind,
    alarmId: alarm.alarm_id,
    by: await actorLabel(db, user),
    ...(params.note ? { note: params.note } : {}),
  }
  const row = await db.transaction().execute(async (trx) => {
    const created = await insertCommand(trx, {
      id: randomUUID(),
      gatewayId,
      deviceId: alarm.device_id,
      command: intent,
      expiresAt: new Date(now + ALARM_COMMAND_TTL_MS),
      createdBy: user.kind === 'api_key' ? null : user.id,
    })
    // Who asked, on the mirrored alarm: the gateway's event that applies it later leaves
    // these columns as they are (ingest upsertAlarm), and a new episode starts them over.
    // An API key is no user, so it names nobody.
    if (user.kind !== 'api_key') await repo.recordActor(trx, site.id, alarm.alarm_id, params.action, user.id, new Date(now))
    await recordAudit(trx, {
      ...auditContext(request),
      action: `alarm.${params.action}`,
      target: { type: 'alarm', id: `${site.id}/${alarm.alarm_id}` },
      before: { state: alarm.state, severity: alarm.severity, gatewayId },
      after: { commandId: created.id, command: intent, expiresAt: created.expires_at },
    })
    return created
  })
  const message: CommandMessage = {
    type: 'command',
    id: row.id,
    deviceId: row.device_id,
    issuedAt: row.created_at.getTime(),
    expiresAt: row.expires_at.getTime(),
    command: intent,
  }
  const sent = downlink.send(gatewayId, message)
  if (sent) {
    await markSent(db, [row.id])
    return commandView({ ...row, status: 'sent' }, site.id, true)
  }
  return commandView(row, site.id, false)
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

const isPosition = (value: unknown): value is repo.AlarmPosition =>
  Array.isArray(value) &&
  value.length === 3 &&
  Number.isSafeInteger(value[0]) &&
  typeof value[1] === 'string' &&
  UUID_RE.test(value[1]) &&
  typeof value[2] === 'string'

const STATES: Record<NonNullable<OrgAlarmsQuery['state']>, string[] | undefined> = {
  active: ['raised', 'acknowledged'],
  raised: ['raised'],
  acknowledged: ['acknowledged'],
  cleared: ['cleared'],
  all: undefined,
}

/**
 * The organization's alarms across its sites (or one of them), newest change first: its
 * own sites, and those another organization granted it alarms.read on.
 */
export async function listOrgAlarms(db: Db, viewer: string | SiteViewer, query: OrgAlarmsQuery): Promise<PageOf<OrgAlarmItem>> {
  if (query.from !== undefined && query.to !== undefined && query.from > query.to) throw badAlarmWindow()
  const after = decodeCursor(query.cursor, isPosition)
  const orgId = typeof viewer === 'string' ? viewer : viewer.orgId
  const siteIds = query.siteId !== undefined
    ? [(await findSiteForOrg(db, { orgId, permission: 'alarms.read' }, query.siteId)).id]
    : await visibleSiteIds(db, orgId, 'alarms.read')
  const limit = query.limit ?? DEFAULT_LIMIT
  const rows = await repo.listOrgAlarms(db, {
    siteIds,
    states: STATES[query.state ?? 'active'],
    severity: query.severity,
    from: query.from === undefined ? undefined : new Date(query.from),
    to: query.to === undefined ? undefined : new Date(query.to),
    after,
    limit: limit + 1,
  })
  return pageOf(
    rows,
    limit,
    (row) => ({ ...toAlarmItem(row), siteId: row.site_id, siteName: row.site_name }),
    (row): repo.AlarmPosition => [row.updated_at.getTime(), row.site_id, row.alarm_id],
  )
}

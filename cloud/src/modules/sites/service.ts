import { siteNotFound } from '../../errors.js'
import type { Db } from '../../plugins/db/database.js'
import type { SiteRow } from '../../plugins/db/tables.js'
import { DEFAULT_LIMIT, decodeCursor, pageOf, parseSort, type PageOf } from '../common/pagination.js'
import type { GatewayPresence } from '../sync/presence.js'
import { listSiteGateways } from '../sync/service.js'
import { can, GRANT_SCOPES, type GrantScope, type Permission } from '../identity/permissions.js'
import type { AuthUser } from '../../plugins/auth.js'
import { toEpochMs } from '../../plugins/db/timestamps.js'
import * as repo from './repository.js'
import {
  TELEMETRY_DEFAULT_LIMIT,
  TELEMETRY_DEFAULT_WINDOW_MS,
  ACTIVITY_KINDS,
  ACTIVITY_LOG_KINDS,
  type ActivityItem,
  type ActivityQuery,
  type AlarmCounts,
  type AlarmItem,
  type AlarmsQuery,
  type GapItem,
  type GapsQuery,
  type SiteDetail,
  type SiteHealth,
  type SiteSummary,
  type SitesQuery,
  type StateItem,
  type StateQuery,
  type TelemetryPoint,
  type TelemetryQuery,
} from './schema.js'

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/**
 * The one tenancy check for a site: a malformed id, an unknown id and another
 * organization's site all look the same (SITE_NOT_FOUND), so ids cannot be probed.
 */
export async function findSiteForOrg(db: Db, viewer: string | SiteViewer, siteId: string): Promise<SiteRow> {
  const { orgId, permission } = typeof viewer === 'string' ? { orgId: viewer, permission: undefined } : viewer
  if (!UUID_RE.test(siteId)) throw siteNotFound()
  const site = (await repo.findSite(db, orgId, siteId)) ?? (isGrantScope(permission) ? await repo.findGrantedSite(db, orgId, siteId, permission) : undefined)
  if (!site) throw siteNotFound()
  return site
}

/**
 * What a site's Socket.IO room carries: live state, readings and alarms. A shop's own
 * organization joins its rooms; a mall operator joins a shared site's room only when the
 * shop granted every one of these, since the room cannot hold back part of a push.
 */
export const SITE_ROOM_SCOPES = ['sites.read', 'telemetry.read', 'alarms.read'] as const satisfies readonly GrantScope[]

export async function findSiteForRoom(db: Db, orgId: string, siteId: string): Promise<SiteRow> {
  if (!UUID_RE.test(siteId)) throw siteNotFound()
  const own = await repo.findSite(db, orgId, siteId)
  if (own) return own
  const granted = await Promise.all(SITE_ROOM_SCOPES.map((scope) => repo.findGrantedSite(db, orgId, siteId, scope)))
  if (granted.some((site) => site === undefined)) throw siteNotFound()
  return granted[0]!
}

/**
 * Who asks for a site: an organization, and the permission it exercises. A route passes
 * `request.user` (the permission hook sets `permission` from the route), so a mall
 * operator reaches a shop's site only for what the shop granted; a bare org id never
 * reaches another organization's site.
 */
export interface SiteViewer {
  orgId: string
  permission?: Permission | undefined
}

const isGrantScope = (p: Permission | undefined): p is GrantScope => p !== undefined && (GRANT_SCOPES as readonly string[]).includes(p)

const isString = (v: unknown): v is string => typeof v === 'string'
const isEpochMs = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0
const isUuid = (v: unknown): v is string => isString(v) && UUID_RE.test(v)
const isSeq = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 1

/**
 * A cursor names the sort it was made under as its first element, so a cursor from a
 * `sort=-time` page handed to a `sort=time` request is refused instead of skipping rows.
 */
type Sorted<P extends unknown[]> = [desc: 0 | 1, ...position: P]

function sortedCursor<P extends unknown[]>(cursor: string | undefined, desc: boolean, check: (position: unknown[]) => position is P): P | undefined {
  const value = decodeCursor(cursor, (v): v is Sorted<P> => Array.isArray(v) && v[0] === (desc ? 1 : 0) && check(v.slice(1)))
  return value?.slice(1) as P | undefined
}

const sortedPosition = <P extends unknown[]>(desc: boolean, position: P): Sorted<P> => [desc ? 1 : 0, ...position]

/** Own sites and those other organizations granted (sites.read), in name order; keyset on (name, id), each with its health. */
export async function listSites(db: Db, presence: GatewayPresence, viewer: string | SiteViewer | AuthUser, query: SitesQuery = {}): Promise<PageOf<SiteSummary>> {
  const orgId = typeof viewer === 'string' ? viewer : viewer.orgId
  const { desc } = parseSort(query.sort, ['name'] as const, 'name')
  const after = sortedCursor(query.cursor, desc, (p): p is repo.SitePosition => p.length === 2 && isString(p[0]) && isUuid(p[1]))
  const limit = query.limit ?? DEFAULT_LIMIT
  const rows = await repo.listSites(db, orgId, { desc, after, limit: limit + 1 })
  const page = pageOf(rows, limit, (s) => s, (s) => sortedPosition(desc, [s.name, s.id]))
  const health = await siteHealth(db, presence, viewer, page.items)
  return {
    items: page.items.map((s) => ({
      id: s.id,
      name: s.name,
      timezone: s.timezone,
      ...(s.granted_by !== null ? { grantedBy: s.granted_by } : {}),
      health: health.get(s.id)!,
    })),
    nextCursor: page.nextCursor,
  }
}

const NO_ALARMS: AlarmCounts = { total: 0, emergency: 0, critical: 0, warning: 0, info: 0 }

/** Whether the viewer's role reads alarms (a bare org id is the organization itself: yes). */
function readsAlarms(viewer: string | SiteViewer | AuthUser): boolean {
  return typeof viewer === 'string' || !('role' in viewer) || can(viewer.role, 'alarms.read')
}

/**
 * The overview's figures for a page of sites, from two grouped queries. Whether a gateway
 * is online lives in memory (sync/presence.ts), so only that is counted here. Alarm counts
 * of a granted site need the grant to include alarms.read, as its alarm list does.
 */
async function siteHealth(db: Db, presence: GatewayPresence, viewer: string | SiteViewer | AuthUser, sites: repo.SiteListRow[]): Promise<Map<string, SiteHealth>> {
  const ids = sites.map((s) => s.id)
  const orgId = typeof viewer === 'string' ? viewer : viewer.orgId
  let alarmSites = new Set<string>()
  if (readsAlarms(viewer)) {
    const granted = sites.some((s) => s.granted_by !== null) ? new Set(await repo.visibleSiteIds(db, orgId, 'alarms.read')) : new Set<string>()
    alarmSites = new Set(sites.filter((s) => s.granted_by === null || granted.has(s.id)).map((s) => s.id))
  }
  const [gateways, alarms] = await Promise.all([repo.siteGatewayHealth(db, ids), repo.activeAlarmCounts(db, [...alarmSites])])
  const gatewaysBySite = new Map(gateways.map((g) => [g.site_id, g]))
  const countsBySite = new Map<string, AlarmCounts>()
  for (const row of alarms) {
    const counts = countsBySite.get(row.site_id) ?? { ...NO_ALARMS }
    counts.total += row.n
    if (row.severity in counts && row.severity !== 'total') counts[row.severity as Exclude<keyof AlarmCounts, 'total'>] += row.n
    countsBySite.set(row.site_id, counts)
  }
  const health = new Map<string, SiteHealth>()
  for (const id of ids) {
    const g = gatewaysBySite.get(id)
    const total = g?.gateway_ids.length ?? 0
    const online = g ? g.gateway_ids.filter((gatewayId) => presence.isOnline(gatewayId)).length : 0
    health.set(id, {
      online: total > 0 && online === total,
      gatewaysOnline: online,
      gatewaysTotal: total,
      lagSeconds: g?.lag_seconds ?? null,
      lagEvents: g?.lag_events ?? 0,
      bufferDaysLeft: g?.buffer_days_left ?? null,
      lastContactAt: toEpochMs(g?.last_contact_at ?? null),
      activeAlarms: alarmSites.has(id) ? (countsBySite.get(id) ?? { ...NO_ALARMS }) : null,
    })
  }
  return health
}

export async function getSite(db: Db, presence: GatewayPresence, orgId: string | SiteViewer, siteId: string): Promise<SiteDetail> {
  const site = await findSiteForOrg(db, orgId, siteId)
  const [gateways, devices] = await Promise.all([listSiteGateways(db, presence, site.id), repo.listDevices(db, site.id)])
  return { id: site.id, name: site.name, timezone: site.timezone, gateways, devices }
}

export async function getTelemetry(
  db: Db,
  orgId: string | SiteViewer,
  siteId: string,
  query: TelemetryQuery,
  now = Date.now(),
): Promise<PageOf<TelemetryPoint>> {
  const site = await findSiteForOrg(db, orgId, siteId)
  const { desc } = parseSort(query.sort, ['time'] as const, 'time')
  const after = sortedCursor(
    query.cursor,
    desc,
    (p): p is repo.TelemetryPosition => p.length === 4 && isEpochMs(p[0]) && isString(p[1]) && isSeq(p[2]) && isString(p[3]),
  )
  const to = query.to ?? now
  const from = query.from ?? to - TELEMETRY_DEFAULT_WINDOW_MS
  const limit = query.limit ?? TELEMETRY_DEFAULT_LIMIT
  const rows = await repo.queryTelemetry(db, site.id, {
    deviceId: query.deviceId,
    metric: query.metric,
    from: new Date(from),
    to: new Date(to),
    desc,
    after,
    limit: limit + 1,
  })
  return pageOf(rows, limit, repo.toTelemetryPoint, (r) => sortedPosition(desc, [r.time.getTime(), r.gateway_id, Number(r.seq), r.metric]))
}

/** Current device state by (deviceId, key). */
export async function getState(db: Db, orgId: string | SiteViewer, siteId: string, query: StateQuery = {}): Promise<PageOf<StateItem>> {
  const site = await findSiteForOrg(db, orgId, siteId)
  const after = decodeCursor(query.cursor, (p): p is repo.StatePosition => Array.isArray(p) && p.length === 2 && isString(p[0]) && isString(p[1]))
  const limit = query.limit ?? DEFAULT_LIMIT
  const rows = await repo.listState(db, site.id, { deviceId: query.deviceId, after, limit: limit + 1 })
  return pageOf(rows, limit, repo.toStateItem, (r): repo.StatePosition => [r.device_id, r.key])
}

/** The site's alarms by last change (newest first unless asked otherwise); keyset on (updated_at, alarm_id). */
export async function getAlarms(db: Db, orgId: string | SiteViewer, siteId: string, query: AlarmsQuery = {}): Promise<PageOf<AlarmItem>> {
  const site = await findSiteForOrg(db, orgId, siteId)
  const { desc } = parseSort(query.sort, ['updatedAt'] as const, '-updatedAt')
  const after = sortedCursor(query.cursor, desc, (p): p is repo.SiteAlarmPosition => p.length === 2 && isEpochMs(p[0]) && isString(p[1]))
  const limit = query.limit ?? DEFAULT_LIMIT
  const rows = await repo.listAlarms(db, site.id, {
    activeOnly: (query.state ?? 'active') === 'active',
    severity: query.severity,
    deviceId: query.deviceId,
    desc,
    after,
    limit: limit + 1,
  })
  return pageOf(rows, limit, repo.toAlarmItem, (r) => sortedPosition(desc, [r.updated_at.getTime(), r.alarm_id]))
}

export async function getGaps(db: Db, orgId: string | SiteViewer, siteId: string, query: GapsQuery = {}): Promise<PageOf<GapItem>> {
  const site = await findSiteForOrg(db, orgId, siteId)
  const { desc } = parseSort(query.sort, ['toTime'] as const, '-toTime')
  const after = sortedCursor(query.cursor, desc, (p): p is repo.GapPosition => p.length === 3 && isEpochMs(p[0]) && isString(p[1]) && isSeq(p[2]))
  const limit = query.limit ?? DEFAULT_LIMIT
  const rows = await repo.queryGaps(db, site.id, {
    deviceId: query.deviceId,
    from: query.from === undefined ? undefined : new Date(query.from),
    to: query.to === undefined ? undefined : new Date(query.to),
    desc,
    after,
    limit: limit + 1,
  })
  return pageOf(rows, limit, repo.toGapItem, (r) => sortedPosition(desc, [r.to_time.getTime(), r.gateway_id, Number(r.seq)]))
}

/**
 * What happened across the viewer's sites, newest first: their gateways' log events of
 * the feed's kinds. Own sites, and granted ones whose grant includes sites.read; alarm
 * events of a granted site only when the grant also includes alarms.read (as /api/alarms).
 */
export async function listActivity(db: Db, viewer: string | SiteViewer | AuthUser, query: ActivityQuery = {}): Promise<PageOf<ActivityItem>> {
  const orgId = typeof viewer === 'string' ? viewer : viewer.orgId
  const after = decodeCursor(
    query.cursor,
    (p): p is repo.ActivityPosition => Array.isArray(p) && p.length === 3 && isEpochMs(p[0]) && isString(p[1]) && isSeq(p[2]),
  )
  const siteIds = query.siteId !== undefined
    ? [(await findSiteForOrg(db, { orgId, permission: 'sites.read' }, query.siteId)).id]
    : await repo.visibleSiteIds(db, orgId, 'sites.read')
  const alarmSiteIds = readsAlarms(viewer) ? await repo.visibleSiteIds(db, orgId, 'alarms.read') : []
  const logKinds = query.kind ? ACTIVITY_LOG_KINDS[query.kind] : ACTIVITY_KINDS.flatMap((k) => ACTIVITY_LOG_KINDS[k])
  const limit = query.limit ?? DEFAULT_LIMIT
  const rows = await repo.listActivity(db, { siteIds, alarmSiteIds, logKinds, after, limit: limit + 1 })
  return pageOf(
    rows,
    limit,
    (r): ActivityItem => ({
      siteId: r.site_id,
      siteName: r.site_name,
      gatewayId: r.gateway_id,
      seq: r.seq,
      kind: r.kind,
      deviceId: r.device_id,
      time: r.time.getTime(),
      body: r.body,
    }),
    (r): repo.ActivityPosition => [r.time.getTime(), r.gateway_id, r.seq],
  )
}

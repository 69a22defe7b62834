import { siteNotFound } from '../../errors.js'
import type { Db } from '../../plugins/db/database.js'
import type { SiteRow } from '../../plugins/db/tables.js'
import type { GatewayPresence } from '../sync/presence.js'
import { listSiteGateways } from '../sync/service.js'
import { GRANT_SCOPES, type GrantScope, type Permission } from '../identity/permissions.js'
import * as repo from './repository.js'
import {
  GAPS_DEFAULT_LIMIT,
  TELEMETRY_DEFAULT_LIMIT,
  TELEMETRY_DEFAULT_WINDOW_MS,
  type AlarmItem,
  type AlarmsQuery,
  type GapItem,
  type GapsQuery,
  type SiteDetail,
  type StateItem,
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

export async function listSites(db: Db, viewer: string | SiteViewer) {
  const orgId = typeof viewer === 'string' ? viewer : viewer.orgId
  const [own, granted] = await Promise.all([repo.listSites(db, orgId), repo.listGrantedSites(db, orgId)])
  return {
    items: [
      ...own.map((s) => ({ id: s.id, name: s.name, timezone: s.timezone })),
      ...granted.map((s) => ({ id: s.id, name: s.name, timezone: s.timezone, grantedBy: s.org_name })),
    ],
  }
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
): Promise<{ items: TelemetryPoint[] }> {
  const site = await findSiteForOrg(db, orgId, siteId)
  const to = query.to ?? now
  const from = query.from ?? to - TELEMETRY_DEFAULT_WINDOW_MS
  const items = await repo.queryTelemetry(db, site.id, {
    deviceId: query.deviceId,
    metric: query.metric,
    from: new Date(from),
    to: new Date(to),
    limit: query.limit ?? TELEMETRY_DEFAULT_LIMIT,
  })
  return { items }
}

export async function getState(db: Db, orgId: string | SiteViewer, siteId: string): Promise<{ items: StateItem[] }> {
  const site = await findSiteForOrg(db, orgId, siteId)
  return { items: await repo.listState(db, site.id) }
}

export async function getAlarms(
  db: Db,
  orgId: string | SiteViewer,
  siteId: string,
  query: AlarmsQuery,
): Promise<{ items: AlarmItem[] }> {
  const site = await findSiteForOrg(db, orgId, siteId)
  return { items: await repo.listAlarms(db, site.id, (query.state ?? 'active') === 'active') }
}

export async function getGaps(db: Db, orgId: string | SiteViewer, siteId: string, query: GapsQuery): Promise<{ items: GapItem[] }> {
  const site = await findSiteForOrg(db, orgId, siteId)
  const items = await repo.queryGaps(db, site.id, {
    deviceId: query.deviceId,
    from: query.from === undefined ? undefined : new Date(query.from),
    to: query.to === undefined ? undefined : new Date(query.to),
    limit: query.limit ?? GAPS_DEFAULT_LIMIT,
  })
  return { items }
}

import { apiRequest, type QueryValue } from './client.js'
import type { Alarm, DataGap, SiteDetail, SiteSummary, StateItem, TelemetryItem } from './types.js'

const sitePath = (siteId: string) => `/api/sites/${encodeURIComponent(siteId)}`

/**
 * The cloud's one list shape: keyset pages, `?limit=&cursor=` in, `{ items, nextCursor }`
 * out, `nextCursor` null on the last page.
 */
export interface Page<T> {
  items: T[]
  nextCursor: string | null
}

/** The common page size limit; telemetry allows up to 5000. */
export const PAGE_LIMIT_MAX = 500

/**
 * Reads a list page by page until it ends or `maxItems` are in (the first `maxItems`
 * in the list's order). A list the dashboard needs whole (sites, state) is small; one
 * that can grow (history) is capped by the caller.
 */
export async function fetchPages<T>(path: string, query: Record<string, QueryValue>, maxItems = Infinity): Promise<T[]> {
  const items: T[] = []
  let cursor: string | null = null
  do {
    const page: Page<T> = await apiRequest<Page<T>>(path, { query: { ...query, cursor } })
    items.push(...page.items)
    cursor = page.nextCursor
  } while (cursor !== null && items.length < maxItems)
  return items.length > maxItems ? items.slice(0, maxItems) : items
}

/** Every site the user may see, by name. */
export function fetchSites(): Promise<SiteSummary[]> {
  return fetchPages<SiteSummary>('/api/sites', { limit: PAGE_LIMIT_MAX })
}

export function fetchSite(siteId: string): Promise<SiteDetail> {
  return apiRequest<SiteDetail>(sitePath(siteId))
}

export interface TelemetryQuery {
  deviceId?: string
  metric?: string
  /** Epoch ms; the cloud defaults to the last hour. */
  from?: number
  to?: number
  /** Page size, at most 5000; the cloud defaults to 1000. */
  limit?: number
  /** `time` (the cloud's default, oldest first) or `-time` (newest first). */
  sort?: 'time' | '-time'
}

/**
 * Raw and downsampled readings, following the pages up to `maxItems` (default: one
 * page). With sort `-time` a capped read keeps the newest readings.
 */
export function fetchTelemetry(siteId: string, query: TelemetryQuery = {}, maxItems = query.limit ?? 1000): Promise<TelemetryItem[]> {
  return fetchPages<TelemetryItem>(`${sitePath(siteId)}/telemetry`, { ...query }, maxItems)
}

/** The devices' last known state, every page of it. */
export function fetchState(siteId: string): Promise<StateItem[]> {
  return fetchPages<StateItem>(`${sitePath(siteId)}/state`, { limit: PAGE_LIMIT_MAX })
}

/** The site's `limit` most recently changed alarms (one page). */
export async function fetchAlarms(siteId: string, state: 'active' | 'all' = 'all', limit = 100): Promise<Alarm[]> {
  return (await apiRequest<Page<Alarm>>(`${sitePath(siteId)}/alarms`, { query: { state, limit } })).items
}

export interface GapQuery {
  deviceId?: string
  /** Epoch ms: gaps overlapping [from, to]. */
  from?: number
  to?: number
  /** At most 500; the cloud defaults to 50. */
  limit?: number
}

/** Gaps in the site's history (downsampled or dropped by a gateway's disk budget), newest first: one page. */
export async function fetchGaps(siteId: string, query: GapQuery = {}): Promise<DataGap[]> {
  return (await apiRequest<Page<DataGap>>(`${sitePath(siteId)}/gaps`, { query: { ...query } })).items
}

/** A cold band as the device registry keeps it (cloud fleet schema ColdBand): °C, either bound may be open. */
export interface ColdBand {
  minC: number | null
  maxC: number | null
}

/** One device of a gateway's registry (GET /api/gateways/:id/devices). */
export interface RegistryDevice {
  id: string
  gatewayId: string
  siteId: string
  name: string
  kind: string
  /** Null: the kind's default band applies. */
  coldBand: ColdBand | null
}

/** Every device a gateway's registry lists (needs fleet.read). */
export function fetchGatewayDevices(gatewayId: string): Promise<RegistryDevice[]> {
  return fetchPages<RegistryDevice>(`/api/gateways/${encodeURIComponent(gatewayId)}/devices`, { limit: PAGE_LIMIT_MAX })
}

/** One item of GET /api/activity: an event of a site's gateway log. */
export interface ActivityItem {
  siteId: string
  siteName: string
  gatewayId: string
  seq: number
  kind: string
  deviceId: string
  time: number
  body: unknown
}

/** The site's newest access decisions (card swipes, remote openings), newest first: one page. */
export async function fetchAccessActivity(siteId: string, limit = 20): Promise<ActivityItem[]> {
  return (await apiRequest<Page<ActivityItem>>('/api/activity', { query: { siteId, kind: 'access', limit } })).items
}

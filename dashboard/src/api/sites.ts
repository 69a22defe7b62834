import { apiRequest } from './client.js'
import type { Alarm, DataGap, ItemsResponse, SiteDetail, SiteSummary, StateItem, TelemetryItem } from './types.js'

const sitePath = (siteId: string) => `/api/sites/${encodeURIComponent(siteId)}`

export async function fetchSites(): Promise<SiteSummary[]> {
  return (await apiRequest<ItemsResponse<SiteSummary>>('/api/sites')).items
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
  /** At most 5000; the cloud defaults to 1000. */
  limit?: number
}

export async function fetchTelemetry(siteId: string, query: TelemetryQuery = {}): Promise<TelemetryItem[]> {
  return (await apiRequest<ItemsResponse<TelemetryItem>>(`${sitePath(siteId)}/telemetry`, { query: { ...query } })).items
}

export async function fetchState(siteId: string): Promise<StateItem[]> {
  return (await apiRequest<ItemsResponse<StateItem>>(`${sitePath(siteId)}/state`)).items
}

export async function fetchAlarms(siteId: string, state: 'active' | 'all' = 'all'): Promise<Alarm[]> {
  return (await apiRequest<ItemsResponse<Alarm>>(`${sitePath(siteId)}/alarms`, { query: { state } })).items
}

export interface GapQuery {
  deviceId?: string
  /** Epoch ms: gaps overlapping [from, to]. */
  from?: number
  to?: number
  limit?: number
}

/** Gaps in the site's history (downsampled or dropped by a gateway's disk budget), newest first. */
export async function fetchGaps(siteId: string, query: GapQuery = {}): Promise<DataGap[]> {
  return (await apiRequest<ItemsResponse<DataGap>>(`${sitePath(siteId)}/gaps`, { query: { ...query } })).items
}

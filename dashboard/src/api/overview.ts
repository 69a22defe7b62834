// The overview's one request: every site with its health (GET /api/sites, cloud sites module).
import { fetchPages, PAGE_LIMIT_MAX } from './sites.js'
import type { SiteSummary } from './types.js'

/** Active alarms of a site, by severity. */
export interface AlarmCounts {
  total: number
  emergency: number
  critical: number
  warning: number
  info: number
}

/** A site at a glance: its gateways' figures folded into the worst of each. */
export interface SiteHealth {
  /** Every gateway of the site is connected now (false for a site without gateways). */
  online: boolean
  gatewaysOnline: number
  gatewaysTotal: number
  /** Largest lag of the gateways' last reports, in seconds. */
  lagSeconds: number | null
  /** Events not yet in the cloud, summed over the gateways. */
  lagEvents: number
  /** Fewest days left before a gateway's disk budget is full. */
  bufferDaysLeft: number | null
  lastContactAt: number | null
  /** Null when the user may not read this site's alarms (a grant without alarms.read). */
  activeAlarms: AlarmCounts | null
}

export interface SiteOverview extends SiteSummary {
  /** Another organization's site shared with this one: that organization's name. */
  grantedBy?: string
  health: SiteHealth
}

/** Every site the user may see, by name, each with its health. */
export function fetchSiteOverviews(): Promise<SiteOverview[]> {
  return fetchPages<SiteOverview>('/api/sites', { limit: PAGE_LIMIT_MAX })
}

import type { Db } from '../../plugins/db/database.js'
import { findSiteForOrg, type SiteViewer } from '../sites/service.js'
import { analyzeFridge, MAX_MISSING_FRACTION, type Reading } from './analysis.js'
import { effectiveBand } from './bands.js'
import { reportBadDate, reportDeviceNotFound, reportNotColdDevice } from './errors.js'
import * as repo from './repository.js'
import type { ColdChainQuery, ColdChainReport, FridgeReport } from './schema.js'
import { localDate, localDayBounds, reportZone } from './zone.js'

/**
 * Whose sites a report may cover: the viewer's own, and those another organization shared
 * with it for telemetry.read. The report shows nothing the granted series do not (it is
 * computed from them), and a mall operator checking the cold chain of its food tenants is
 * who asks for it; the route still requires a role that holds telemetry.export.
 */
function siteViewer(viewer: string | SiteViewer): string | SiteViewer {
  return typeof viewer === 'string' ? viewer : { orgId: viewer.orgId, permission: 'telemetry.read' }
}

/** The reading the cold chain is judged on, as the simulator and the gateways' rule packs name it. */
export const COLD_METRIC = 'temperature_c'

/** What the PDF draws beside the report's figures: each fridge's readings. */
export interface ColdChainData {
  report: ColdChainReport
  readings: ReadonlyMap<string, readonly Reading[]>
}

/**
 * The daily cold-chain compliance report of a site (HACCP-style): for each fridge and
 * freezer, or the one asked for, its band, coverage, excursions and gaps over the site's
 * local day. A day still running is cut at `now` and marked partial; a day that has not
 * begun is refused.
 */
export async function coldChainReport(db: Db, viewer: string | SiteViewer, siteId: string, query: ColdChainQuery, now = Date.now()): Promise<ColdChainData> {
  const site = await findSiteForOrg(db, siteViewer(viewer), siteId)
  const timezone = reportZone(site.timezone)
  const date = query.date ?? localDate(now, timezone)
  if (Number.isNaN(Date.parse(`${date}T00:00:00Z`)) || new Date(`${date}T00:00:00Z`).toISOString().slice(0, 10) !== date) {
    throw reportBadDate(`${date} is not a calendar date`)
  }
  const { from, to } = localDayBounds(date, timezone)
  if (from > now) throw reportBadDate(`${date} has not begun yet in ${timezone}`)
  const end = Math.min(to, now)

  const devices = await repo.siteDevices(db, site.id)
  let chosen = devices
  if (query.deviceId !== undefined) {
    chosen = devices.filter((d) => d.id === query.deviceId)
    if (chosen.length === 0) throw reportDeviceNotFound()
  }
  const fridges = chosen
    .map((d) => ({ device: d, band: effectiveBand(d.kind, d.cold_band_min_c === null && d.cold_band_max_c === null ? null : { minC: d.cold_band_min_c, maxC: d.cold_band_max_c }) }))
    .filter((f) => f.band !== null)
  if (query.deviceId !== undefined && fridges.length === 0) throw reportNotColdDevice()

  const readingsById = new Map<string, Reading[]>()
  const reports: FridgeReport[] = []
  // One fridge after the other: PGlite has a single connection, and a site has a handful.
  for (const { device, band } of fridges) {
    const readings = await repo.readings(db, site.id, device.id, COLD_METRIC, from, end)
    const gatewayGaps = await repo.gatewayGaps(db, site.id, device.id, from, end)
    const alarms = await repo.alarmEpisodes(db, site.id, device.id, from, end)
    readingsById.set(device.id, readings)
    const analysis = analyzeFridge({ from, to: end, band: band!, readings, gatewayGaps, alarms })
    reports.push({ deviceId: device.id, name: device.name, kind: device.kind, metric: COLD_METRIC, band: band!, ...analysis })
  }
  return {
    report: {
      siteId: site.id,
      siteName: site.name,
      date,
      timezone,
      from,
      to,
      partial: end < to,
      generatedAt: now,
      incompleteAbovePct: MAX_MISSING_FRACTION * 100,
      fridges: reports,
    },
    readings: readingsById,
  }
}

/**
 * cadena-frio-<site>-<date>.<ext> in both languages (one name to look for in a downloads
 * folder), the site's name reduced to ASCII letters, digits and dashes for every browser.
 */
export function reportFilename(report: ColdChainReport, ext: 'csv' | 'pdf'): string {
  const slug = report.siteName.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '').slice(0, 40) || 'sitio'
  return `cadena-frio-${slug}-${report.date}.${ext}`
}

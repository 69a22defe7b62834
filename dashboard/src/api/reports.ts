// The daily cold-chain compliance report (cloud reports module, GET /api/sites/:siteId/reports/cold-chain).
import { apiRequest } from './client.js'
import { downloadFile, type DownloadRequest } from './download.js'

export type ReportVerdict = 'ok' | 'excursion' | 'incomplete'

export interface ReportBand {
  minC: number | null
  maxC: number | null
  /** `device`: the device's own coldBand; `default`: its kind's. */
  origin: 'device' | 'default'
}

export interface ReportExcursion {
  start: number
  end: number
  durationMs: number
  direction: 'high' | 'low'
  peakC: number
  /** What ended it: a reading back in band, a gap, or the end of the window. */
  closedBy: 'reading' | 'gap' | 'end'
  alarmCovered: boolean
  alarmIds: string[]
}

export interface ReportGap {
  start: number
  end: number
  durationMs: number
  source: 'silent' | 'gateway'
  kind: 'no_readings' | 'downsampled' | 'dropped'
}

export interface FridgeReport {
  deviceId: string
  name: string
  kind: string
  metric: string
  band: ReportBand
  verdict: ReportVerdict
  readings: number
  expected: number | null
  coveragePct: number | null
  medianIntervalMs: number | null
  gapThresholdMs: number
  minC: number | null
  avgC: number | null
  maxC: number | null
  inBandPct: number | null
  missingMs: number
  missingPct: number
  excursions: ReportExcursion[]
  gaps: ReportGap[]
}

export interface ColdChainReport {
  siteId: string
  siteName: string
  date: string
  timezone: string
  from: number
  to: number
  /** True while the day lasts: the figures cover from..generatedAt only. */
  partial: boolean
  generatedAt: number
  incompleteAbovePct: number
  fridges: FridgeReport[]
}

export type ReportFileFormat = 'csv' | 'pdf'
export type ReportLang = 'es' | 'en'

export interface ColdChainQuery {
  /** The site's local day, YYYY-MM-DD. */
  date: string
  deviceId?: string
}

const reportPath = (siteId: string) => `/api/sites/${encodeURIComponent(siteId)}/reports/cold-chain`

export function fetchColdChainReport(siteId: string, query: ColdChainQuery, signal?: AbortSignal): Promise<ColdChainReport> {
  return apiRequest<ColdChainReport>(reportPath(siteId), { query: { date: query.date, deviceId: query.deviceId || undefined, format: 'json' }, signal })
}

/** Downloads the PDF or CSV with the session's token; resolves with the file name. */
export function downloadColdChainReport(
  siteId: string,
  query: ColdChainQuery & { format: ReportFileFormat; lang: ReportLang },
  auth: Pick<DownloadRequest, 'token' | 'refresh'>,
): Promise<string> {
  return downloadFile({
    ...auth,
    path: reportPath(siteId),
    query: { date: query.date, deviceId: query.deviceId || undefined, format: query.format, lang: query.lang },
    fallbackName: `cadena-frio-${query.date}.${query.format}`,
  })
}

import type { SiteHealth } from '../../api/overview.js'
import type { Severity } from '../../api/types.js'
import { bufferTone, lagTone } from '../sync/health.js'

/** Most serious first: the order chips and counts are shown in. */
export const SEVERITY_ORDER: readonly Severity[] = ['emergency', 'critical', 'warning', 'info']

export type SiteTone = 'ok' | 'neutral' | 'warning' | 'danger'

/**
 * The colour of a site's card: red when something needs the owner now (a critical or
 * emergency alarm, every gateway offline, buffer about to run out), amber when something
 * deserves a look, green when all is well, grey for a site with no gateway yet.
 */
export function siteTone(health: SiteHealth): SiteTone {
  const alarms = health.activeAlarms
  const buffer = bufferTone(health.bufferDaysLeft)
  if (health.gatewaysTotal === 0) return alarms && alarms.total > 0 ? 'warning' : 'neutral'
  if ((alarms && alarms.critical + alarms.emergency > 0) || health.gatewaysOnline === 0 || buffer === 'danger') return 'danger'
  if ((alarms && alarms.total > 0) || !health.online || buffer === 'warning' || lagTone(health.lagSeconds) === 'warning') return 'warning'
  return 'ok'
}

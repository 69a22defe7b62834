/**
 * One message module per dashboard domain, each owned by the feature that uses it, merged
 * under the domain's key (`t('inbox.title')`). The older top-level keys live in es.ts/en.ts.
 */
import * as nav from './nav.js'
import * as overview from './overview.js'
import * as live from './live.js'
import * as history from './history.js'
import * as inbox from './inbox.js'
import * as activity from './activity.js'
import * as fleet from './fleet.js'
import * as rules from './rules.js'
import * as reports from './reports.js'
import * as users from './users.js'
import * as audit from './audit.js'
import * as pwa from './pwa.js'

export const domainEs = {
  nav: nav.es,
  overview: overview.es,
  live: live.es,
  history: history.es,
  inbox: inbox.es,
  activity: activity.es,
  fleet: fleet.es,
  rules: rules.es,
  reports: reports.es,
  users: users.es,
  audit: audit.es,
  pwa: pwa.es,
}

export const domainEn: typeof domainEs = {
  nav: nav.en,
  overview: overview.en,
  live: live.en,
  history: history.en,
  inbox: inbox.en,
  activity: activity.en,
  fleet: fleet.en,
  rules: rules.en,
  reports: reports.en,
  users: users.en,
  audit: audit.en,
  pwa: pwa.en,
}

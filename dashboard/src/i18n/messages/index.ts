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
import * as crm from './crm.js'
import * as leasing from './leasing.js'
import * as billing from './billing.js'
import * as appointments from './appointments.js'
import * as portal from './portal.js'
import * as saas from './saas.js'
import * as booking from './booking.js'

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
  crm: crm.es,
  leasing: leasing.es,
  billing: billing.es,
  appointments: appointments.es,
  portal: portal.es,
  saas: saas.es,
  booking: booking.es,
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
  crm: crm.en,
  leasing: leasing.en,
  billing: billing.en,
  appointments: appointments.en,
  portal: portal.en,
  saas: saas.en,
  booking: booking.en,
}

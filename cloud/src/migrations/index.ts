import type { Migration, MigrationProvider } from 'kysely'
import * as initial from './0001_initial.js'
import * as clockTrust from './0002_clock_trust.js'
import * as fleet from './0003_fleet.js'
import * as storeAndForward from './0004_store_and_forward.js'
import * as leanIngest from './0005_lean_ingest.js'
import * as gatewaySeqOrder from './0006_gateway_seq_order.js'
import * as identity from './0007_identity.js'
import * as notifications from './0008_notifications.js'
import * as telemetryPartitions from './0009_telemetry_partitions.js'
import * as fleetProvisioning from './0010_fleet_provisioning.js'
import * as alarmActors from './0011_alarm_actors.js'
import * as adminTotpPolicy from './0012_admin_totp_policy.js'
import * as gatewayRunningConfig from './0013_gateway_running_config.js'
import * as deviceColdBand from './0014_device_cold_band.js'
import * as eventsFeedIndex from './0015_events_feed_index.js'
import * as commercialCore from './0016_commercial_core.js'
import * as crm from './0017_crm.js'
import * as leasing from './0018_leasing.js'
import * as billing from './0019_billing.js'
import * as appointments from './0020_appointments.js'
import * as portalLinks from './0021_portal_links.js'

/**
 * Every migration, listed in code rather than discovered on disk, so the same set runs
 * from tsx, from tests and from any bundle. Names sort in application order.
 */
const migrations: Record<string, Migration> = {
  '0001_initial': initial,
  '0002_clock_trust': clockTrust,
  '0003_fleet': fleet,
  '0004_store_and_forward': storeAndForward,
  '0005_lean_ingest': leanIngest,
  '0006_gateway_seq_order': gatewaySeqOrder,
  '0007_identity': identity,
  '0008_notifications': notifications,
  '0009_telemetry_partitions': telemetryPartitions,
  '0010_fleet_provisioning': fleetProvisioning,
  '0011_alarm_actors': alarmActors,
  '0012_admin_totp_policy': adminTotpPolicy,
  '0013_gateway_running_config': gatewayRunningConfig,
  '0014_device_cold_band': deviceColdBand,
  '0015_events_feed_index': eventsFeedIndex,
  '0016_commercial_core': commercialCore,
  '0017_crm': crm,
  '0018_leasing': leasing,
  '0019_billing': billing,
  '0020_appointments': appointments,
  '0021_portal_links': portalLinks,
}

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
}

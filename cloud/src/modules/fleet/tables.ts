import type { ColumnType, Generated, Kysely } from 'kysely'
import type { Database } from '../../plugins/db/tables.js'
import type { FleetTables } from './repository.js'

/** Kysely's view of migration 0010, kept in this module (the shared tables.ts is not ours). */
type CreatedAt = ColumnType<Date, Date | string | undefined, never>
type Timestamp = ColumnType<Date, Date | string, Date | string>
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>

export type GatewayClaimCodesTable = {
  id: Generated<string>
  org_id: string
  site_id: string
  code_hash: string
  gateway_name: string | null
  expires_at: Timestamp
  created_by: string | null
  created_at: CreatedAt
  used_at: NullableTimestamp
  claim_nonce_hash: ColumnType<string | null, string | null | undefined, string | null>
  gateway_id: ColumnType<string | null, string | null | undefined, string | null>
}

export type ProvisioningTables = {
  gateway_claim_codes: GatewayClaimCodesTable
  gateways: {
    hardware_id: ColumnType<string | null, string | null | undefined, string | null>
    claimed_at: NullableTimestamp
  }
}

export type FleetDb = Kysely<Database & FleetTables & ProvisioningTables>

/** The shared schema plus the fleet module's own tables and columns (migrations 0003, 0010). */
export const fleetDb = (db: Kysely<Database>): FleetDb => db.withTables<FleetTables & ProvisioningTables>()

import type { Db } from './plugins/db/database.js'
import { hashPassword } from './modules/auth/password.js'
import { normalizeEmail } from './modules/auth/service.js'
import { hashGatewayKey } from './modules/ingest/repository.js'

/**
 * The demo shop every other package is configured against (gateway demo config,
 * simulator, dashboard). Ids and values are a shared contract: change them everywhere
 * or nowhere.
 */
export const DEMO = {
  organization: { id: '00000000-0000-4000-8000-000000000001', name: 'Carnicería y Panadería Don Julio' },
  site: { id: '00000000-0000-4000-8000-000000000011', name: 'Sucursal Palermo', timezone: 'America/Argentina/Buenos_Aires' },
  gateway: { id: 'gw-demo-01', name: 'Gateway Palermo' },
  device: { id: 'camara-1', name: 'Cámara de frío', kind: 'cold_room' },
  user: { email: 'demo@tendero.app', password: 'tendero-demo', name: 'Julio Pérez', locale: 'es-AR' },
} as const

/** A device of the demo gateway as the dashboard lists it. */
export interface DemoDevice {
  id: string
  name: string
  kind: string
}

/**
 * The devices of a gateway site config (`gateway/config/*.json`), for `devices` below:
 * `npm run demo` registers the shop its gateway runs. A device without a name shows its id.
 */
export function demoDevicesFromSite(site: { devices: readonly { id: string; name?: string | undefined; kind: string }[] }): DemoDevice[] {
  return site.devices.map((d) => ({ id: d.id, name: d.name || d.id, kind: d.kind }))
}

export interface SeedOptions {
  gatewayKey: string
  /**
   * The demo gateway's devices; default the single cold room of gateway/config/demo.json
   * (DEMO.device), which the end-to-end tests run. The gateway ends up with exactly these,
   * so a demo data directory reused with another site does not keep the old devices.
   */
  devices?: readonly DemoDevice[]
}

/**
 * Idempotent: safe on every boot. Names, devices and the gateway key follow the current
 * values (so a new DEMO_GATEWAY_KEY takes effect on restart); an existing user keeps its
 * password, so a demo user who changed it is not reset.
 */
export async function seedDemo(db: Db, opts: SeedOptions): Promise<void> {
  const { organization, site, gateway, user } = DEMO
  const devices = opts.devices ?? [DEMO.device]
  if (devices.length === 0) throw new Error('seedDemo: devices must list at least one device')
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('organizations')
      // A demo: `npm run demo` must log the demo user (an org admin) in with its password
      // alone, so this organization does not require admins to use two-factor login. Set
      // on insert only: a demo admin who turned it on keeps it on across restarts.
      .values({ ...organization, require_admin_totp: false })
      .onConflict((oc) => oc.column('id').doUpdateSet({ name: organization.name }))
      .execute()
    await trx
      .insertInto('sites')
      .values({ ...site, org_id: organization.id })
      .onConflict((oc) => oc.column('id').doUpdateSet({ name: site.name, timezone: site.timezone }))
      .execute()
    const keyHash = hashGatewayKey(opts.gatewayKey)
    await trx
      .insertInto('gateways')
      .values({ ...gateway, org_id: organization.id, site_id: site.id, key_hash: keyHash })
      .onConflict((oc) => oc.column('id').doUpdateSet({ name: gateway.name, key_hash: keyHash }))
      .execute()
    // Telemetry and state rows do not reference devices, so dropping one loses no history.
    await trx
      .deleteFrom('devices')
      .where('gateway_id', '=', gateway.id)
      .where('id', 'not in', devices.map((d) => d.id))
      .execute()
    await trx
      .insertInto('devices')
      .values(devices.map((d) => ({ id: d.id, name: d.name, kind: d.kind, gateway_id: gateway.id, site_id: site.id })))
      .onConflict((oc) =>
        oc.columns(['gateway_id', 'id']).doUpdateSet((eb) => ({ name: eb.ref('excluded.name'), kind: eb.ref('excluded.kind'), site_id: eb.ref('excluded.site_id') })),
      )
      .execute()
  })

  const email = normalizeEmail(user.email)
  const existing = await db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirst()
  if (existing) return
  // Hashing outside the transaction: on PGlite it would hold the only connection for ~50 ms.
  const passwordHash = await hashPassword(user.password)
  await db
    .insertInto('users')
    .values({ org_id: organization.id, email, name: user.name, password_hash: passwordHash, locale: user.locale })
    .onConflict((oc) => oc.column('email').doNothing())
    .execute()
}

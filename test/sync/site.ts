/**
 * The site the store-and-forward tests run: the cloud's demo gateway (seeded with its key)
 * with a fleet of cold rooms `camara-01…` instead of the demo's one, each with the demo's
 * compressor fail-safe and its two thermostat rules. Rules make the log more than
 * telemetry: alarms (sent ahead of history), relay commands, device acks and states.
 */
import { randomBytes, scryptSync } from 'node:crypto'
import { parseSiteConfig, type SiteConfig } from '../../gateway/src/config.js'
import { DEMO } from '../../cloud/src/seed.js'
import { fleetDeviceIds } from '../../simulator/src/index.js'

export const GATEWAY_ID = DEMO.gateway.id

/**
 * The gateway's own hash format (broker/passwords.ts) at a lower scrypt cost, N = 1024
 * instead of 16384: the gateway keeps no proven secrets across a restart, and these tests
 * restart it a dozen times with 50 rooms logging in again each time, which at the
 * production cost is seconds of CPU per restart on a two-core runner.
 */
function cheapHash(password: string): string {
  const [N, r, p] = [1024, 8, 1]
  const salt = randomBytes(16)
  const key = scryptSync(password, salt, 32, { N, r, p })
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64')}$${key.toString('base64')}`
}

export function fleetSite(count: number): SiteConfig {
  const ids = fleetDeviceIds('camara', count)
  const devices = ids.map((id) => ({
    id,
    kind: 'cold_room',
    passwordHash: cheapHash(`${id}-demo`),
    relays: [{ name: 'compressor', failsafe: { mode: 'duty' as const, onSeconds: 600, offSeconds: 900 } }],
  }))
  const rules = ids.flatMap((id) => [
    {
      id: `${id}-alta`,
      when: { kind: 'threshold', deviceId: id, metric: 'temperature_c', above: 5, forSeconds: 10, hysteresis: 0.5 },
      alarm: { severity: 'critical', message: `${id} sobre 5 °C / above 5 °C` },
      actions: [{ kind: 'relay.set', deviceId: id, relay: 'compressor', on: true }],
    },
    {
      id: `${id}-baja`,
      when: { kind: 'threshold', deviceId: id, metric: 'temperature_c', below: 3, forSeconds: 10, hysteresis: 0.5 },
      actions: [{ kind: 'relay.set', deviceId: id, relay: 'compressor', on: false }],
    },
  ])
  return parseSiteConfig({ gatewayId: GATEWAY_ID, devices, rules }, 'sync test site')
}

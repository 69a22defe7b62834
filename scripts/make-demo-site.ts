/**
 * Writes gateway/config/demo-carniceria.json, the site config `npm run demo` gives the
 * gateway: the carniceria-panaderia rule pack (devices, relays, fail-safes, rules, time
 * zone) plus the scenario's devices the pack has no rules for, each with the demo password
 * `<id>-demo` the simulator logs in with.
 *
 *   npx tsx scripts/make-demo-site.ts            # rewrite the file after a pack change
 *
 * The file is committed, so the demo needs no generation step and a technician can read
 * it. gateway/src/rules/packs/demo-site.test.ts fails when it drifts from the pack.
 * Hashes already in the file are kept while they still verify, so regenerating changes
 * only what the pack changed (scrypt salts are random).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { hashPassword, verifyPassword } from '../gateway/src/broker/passwords.js'
import type { SiteConfig } from '../gateway/src/config.js'
import { loadPack, siteConfigFromPacks } from '../gateway/src/rules/packs/index.js'
import { loadScenario } from '../simulator/src/scenarios/schema.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')

export const DEMO_SCENARIO = 'carniceria-panaderia'
/** The gateway the cloud's demo seed registers (cloud/src/seed.ts, DEMO.gateway.id). */
export const DEMO_GATEWAY_ID = 'gw-demo-01'
export const DEMO_SITE_PATH = join(root, 'gateway', 'config', 'demo-carniceria.json')
export const demoPassword = (deviceId: string): string => `${deviceId}-demo`
/** The read-only MQTT client `npm run node-red` logs in as (scripts/node-red.ts), password `nodered-demo`. */
export const DEMO_NODE_RED_SERVICE = 'nodered'

/**
 * Scenario devices outside the pack: no rule drives them, but the gateway must let them
 * in and the dashboard should name them. Kinds say what each is for the cloud and the
 * dashboard; the display fridge's compressor is a relay the gateway knows by name, so a
 * technician can switch it, with the same fail-safe cycle as the walk-in.
 */
const EXTRA_DEVICES: Record<string, SiteConfig['devices'][number]> = {
  'heladera-exhibidora': {
    id: 'heladera-exhibidora',
    name: 'Heladera exhibidora / Display fridge',
    kind: 'display_fridge',
    relays: [{ name: 'compressor', failsafe: { mode: 'duty', onSeconds: 600, offSeconds: 900 } }],
  },
  'medidor-local': { id: 'medidor-local', name: 'Medidor de energía del local / Shop energy meter', kind: 'energy_meter' },
  'puerta-local': { id: 'puerta-local', name: 'Puerta del local / Shop front door', kind: 'door_contact' },
}

async function passwordHashFor(deviceId: string, previous: Map<string, string>): Promise<string> {
  const kept = previous.get(deviceId)
  if (kept !== undefined && (await verifyPassword(demoPassword(deviceId), kept))) return kept
  return hashPassword(demoPassword(deviceId))
}

export async function makeDemoSite(previous: Map<string, string> = new Map()): Promise<SiteConfig> {
  const pack = loadPack(DEMO_SCENARIO)
  const scenario = loadScenario(DEMO_SCENARIO)
  const packIds = new Set(pack.devices.map((d) => d.id))
  const extras = scenario.devices.filter((d) => !packIds.has(d.id)).map((d) => d.id)
  const unknown = extras.filter((id) => EXTRA_DEVICES[id] === undefined)
  if (unknown.length > 0)
    throw new Error(`scenario ${DEMO_SCENARIO} has device(s) neither in the pack nor in EXTRA_DEVICES: ${unknown.join(', ')}`)

  const passwordHashes: Record<string, string> = {}
  for (const id of [...packIds, ...extras]) passwordHashes[id] = await passwordHashFor(id, previous)
  const site = siteConfigFromPacks({ gatewayId: DEMO_GATEWAY_ID, packs: [pack], passwordHashes })
  for (const id of extras) site.devices.push({ ...structuredClone(EXTRA_DEVICES[id]!), passwordHash: passwordHashes[id]! })
  site.services = [{ id: DEMO_NODE_RED_SERVICE, name: 'Node-RED', passwordHash: await passwordHashFor(DEMO_NODE_RED_SERVICE, previous) }]
  return site
}

function previousHashes(path: string): Map<string, string> {
  if (!existsSync(path)) return new Map()
  const site = JSON.parse(readFileSync(path, 'utf8')) as { devices?: { id: string; passwordHash?: string }[]; services?: { id: string; passwordHash: string }[] }
  return new Map([...(site.devices ?? []), ...(site.services ?? [])].flatMap((d) => (d.passwordHash ? [[d.id, d.passwordHash] as const] : [])))
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const site = await makeDemoSite(previousHashes(DEMO_SITE_PATH))
  writeFileSync(DEMO_SITE_PATH, `${JSON.stringify(site, null, 2)}\n`)
  process.stdout.write(`wrote ${DEMO_SITE_PATH}: ${site.devices.length} devices, ${site.rules.length} rules\n`)
}

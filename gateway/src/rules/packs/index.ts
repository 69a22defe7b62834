import { randomBytes } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import Type, { type Static } from 'typebox'
import { DEVICE_ID_PATTERN, compile } from '@tendero/protocol'
import { GatewayError } from '../../errors.js'
import { hashPassword } from '../../broker/passwords.js'
import { parseSiteConfig, type SiteConfig } from '../../config.js'
import { RelayEntry } from '../../failsafe/spec.js'
import { RuleEnvelope, type RuleSpec } from '../registry.js'

/**
 * Rule packs: one JSON file per vertical in this folder, each a site config without
 * secrets (devices with their relays and fail-safe states, rules, time zone). A pack plus
 * one password hash per device is a valid site config; `siteConfigFromPacks` does that
 * join and checks the result with the gateway's own parser. Packs are copied into a site
 * config rather than referenced from it, so the technician sees and tunes every number
 * (setpoints, hours, capacities) in the one file the gateway reads.
 */

const PACKS_DIR = new URL('./', import.meta.url)

const PackDevice = Type.Object(
  {
    id: Type.String({ pattern: DEVICE_ID_PATTERN }),
    name: Type.String({ minLength: 1, maxLength: 120 }),
    kind: Type.String({ pattern: '^[a-z][a-z0-9_]{0,47}$' }),
    relays: Type.Optional(Type.Array(RelayEntry, { maxItems: 32 })),
  },
  { additionalProperties: false },
)

export const RulePackSchema = Type.Object(
  {
    /** Same as the file name without `.json`. */
    pack: Type.String({ pattern: '^[a-z][a-z0-9-]{0,63}$' }),
    name: Type.String({ minLength: 1, maxLength: 120 }),
    description: Type.String({ minLength: 1, maxLength: 500 }),
    timezone: Type.String({ minLength: 1, maxLength: 64 }),
    devices: Type.Array(PackDevice, { minItems: 1, maxItems: 100 }),
    rules: Type.Array(RuleEnvelope, { minItems: 1, maxItems: 200 }),
  },
  { additionalProperties: false },
)
export type RulePack = Omit<Static<typeof RulePackSchema>, 'rules' | 'devices'> & {
  devices: (Omit<Static<typeof PackDevice>, 'relays'> & { relays?: RelayEntry[] })[]
  rules: RuleSpec[]
}

const packValidator = compile(RulePackSchema)

/** Names of the packs shipped in this folder, sorted. */
export function packNames(): string[] {
  return readdirSync(PACKS_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort()
}

export function loadPack(name: string): RulePack {
  if (!packNames().includes(name))
    throw new GatewayError('CONFIG_ERR_INVALID', `Unknown rule pack "${name}" (known: ${packNames().join(', ')})`)
  const json: unknown = JSON.parse(readFileSync(new URL(`${name}.json`, PACKS_DIR), 'utf8'))
  if (!packValidator.check(json))
    throw new GatewayError('CONFIG_ERR_INVALID', `Invalid rule pack ${name}:\n  ${packValidator.explain(json).join('\n  ')}`)
  if (json.pack !== name) throw new GatewayError('CONFIG_ERR_INVALID', `Rule pack ${name}.json says it is "${json.pack}"`)
  return json as RulePack
}

export function loadPacks(names: string[] = packNames()): RulePack[] {
  return names.map(loadPack)
}

export interface SiteFromPacksOptions {
  gatewayId: string
  packs: RulePack[]
  /** `passwordHash` per device id, from `hash-password`; every pack device needs one. */
  passwordHashes: Readonly<Record<string, string>>
  /** Default: the first pack's. */
  timezone?: string
}

/** Joins packs and device secrets into a site config, validated by `parseSiteConfig`. */
export function siteConfigFromPacks(opts: SiteFromPacksOptions): SiteConfig {
  const devices = opts.packs.flatMap((p) => p.devices)
  const missing = devices.filter((d) => opts.passwordHashes[d.id] === undefined).map((d) => d.id)
  if (missing.length > 0) throw new GatewayError('CONFIG_ERR_INVALID', `No password hash for device(s): ${missing.join(', ')}`)
  const site = {
    gatewayId: opts.gatewayId,
    timezone: opts.timezone ?? opts.packs[0]?.timezone,
    devices: devices.map((d) => ({ ...structuredClone(d), passwordHash: opts.passwordHashes[d.id]! })),
    rules: opts.packs.flatMap((p) => structuredClone(p.rules)),
  }
  return parseSiteConfig(site, `site config from packs ${opts.packs.map((p) => p.pack).join(', ')}`)
}

export interface ProvisionedSite {
  site: SiteConfig
  /** The plain password of each device, to flash into its node; shown once, never stored. */
  passwords: Record<string, string>
}

/** A site config from packs with a fresh random password per device (what `make-site.ts` prints). */
export async function provisionSite(opts: Omit<SiteFromPacksOptions, 'passwordHashes'>): Promise<ProvisionedSite> {
  const passwords: Record<string, string> = {}
  const passwordHashes: Record<string, string> = {}
  for (const device of opts.packs.flatMap((p) => p.devices)) {
    passwords[device.id] = randomBytes(18).toString('base64url')
    passwordHashes[device.id] = await hashPassword(passwords[device.id]!)
  }
  return { site: siteConfigFromPacks({ ...opts, passwordHashes }), passwords }
}

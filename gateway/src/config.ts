import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import Type, { type Static } from 'typebox'
import { DEVICE_ID_PATTERN, SIM_TIME_ENV, STATE_KEY_PATTERN, compile, parseSimTime, type SimulatedTime } from '@tendero/protocol'
import { GatewayError } from './errors.js'
import { parsePasswordHash } from './broker/passwords.js'
import { RuleEnvelope, type RuleSpec } from './rules/registry.js'
import { explainRuleInSite } from './rules/shared.js'
import { AccessConfigSchema, explainAccess, type AccessConfig } from './access/schema.js'
import { isValidTimeZone } from './local-time.js'
import { RelayEntry, explainFailsafe, relayName } from './failsafe/spec.js'
import { DeviceLimitsSchema, type SecurityConfig } from './broker/device-limits.js'
import type { RetentionOptions } from './log/event-log.js'
import { CLOCK_MODES, type ClockMode } from './clock/clock.js'
import { ModbusDeviceSchema, explainModbus, explainSerialBuses, type ModbusDeviceConfig } from './modbus/schema.js'
import { FirmataDeviceSchema, explainFirmata, explainFirmataPorts } from './firmata/schema.js'
import { CREDENTIALS_FILE, readCredentials, type CloudCredentials } from './provision/credentials.js'

/**
 * The gateway's configuration: environment (ports, paths, cloud link) plus the site
 * config JSON (devices, rules). Validated once at boot; anything wrong stops the
 * process with every reason listed. This is the only module that reads process.env.
 */

export const DEFAULT_SITE_CONFIG = fileURLToPath(new URL('../config/demo.json', import.meta.url))

const Device = Type.Object(
  {
    id: Type.String({ pattern: DEVICE_ID_PATTERN }),
    name: Type.Optional(Type.String({ maxLength: 120 })),
    /** What the device is, e.g. `cold_room`; informative for now. */
    kind: Type.String({ pattern: '^[a-z][a-z0-9_]{0,47}$' }),
    /**
     * `scrypt$N$r$p$salt$hash`, from `npm run -w @tendero/gateway hash-password -- <pw>`.
     * Required unless the device has a `modbus` or `firmata` section: a device the gateway
     * drives itself never logs in, and without a hash it cannot log in over MQTT at all.
     */
    passwordHash: Type.Optional(Type.String({ pattern: '^scrypt\\$' })),
    /**
     * Relays the device accepts in `relay.set`; rules are checked against it. An entry is a
     * name, or `{ name, failsafe }` with the relay's safe state (src/failsafe/spec.ts).
     */
    relays: Type.Optional(Type.Array(RelayEntry, { maxItems: 32 })),
    /** Per-device rate limit and payload size, overriding the GATEWAY_DEVICE_* defaults. */
    limits: Type.Optional(DeviceLimitsSchema),
    /** The gateway polls this device over Modbus (TCP or RTU) instead of it speaking MQTT (src/modbus/). */
    modbus: Type.Optional(ModbusDeviceSchema),
    /** A board running StandardFirmata on a serial port, driven through johnny-five (src/firmata/). */
    firmata: Type.Optional(FirmataDeviceSchema),
  },
  { additionalProperties: false },
)

/**
 * Local service clients (Node-RED, a shop display): they log in like devices but only
 * read. They may subscribe under `tendero/v1/` (devices' messages and the gateway's own
 * `tendero/v1/$gateway/...` topics) and may not publish; commands go through the local API.
 */
const Service = Type.Object(
  {
    id: Type.String({ pattern: DEVICE_ID_PATTERN }),
    name: Type.Optional(Type.String({ maxLength: 120 })),
    passwordHash: Type.String({ pattern: '^scrypt\\$' }),
  },
  { additionalProperties: false },
)
export type ServiceConfig = Static<typeof Service>

export const SiteConfigSchema = Type.Object(
  {
    gatewayId: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.-]+$' }),
    devices: Type.Array(Device, { maxItems: 1000 }),
    services: Type.Optional(Type.Array(Service, { maxItems: 32 })),
    rules: Type.Array(RuleEnvelope, { maxItems: 1000 }),
    /** IANA zone for schedules (rules, doors); default `America/Argentina/Buenos_Aires`. */
    timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    /** Doors, terminals and cashless cards (bar vertical), see src/access/schema.ts. */
    access: Type.Optional(AccessConfigSchema),
    /** Technicians' bearer tokens for the local API, scrypt-hashed like device passwords (src/api/auth.ts). */
    api: Type.Optional(
      Type.Object(
        {
          tokens: Type.Array(
            Type.Object(
              { name: Type.String({ pattern: '^[A-Za-z0-9_.@-]{1,64}$' }), tokenHash: Type.String({ pattern: '^scrypt\\$' }) },
              { additionalProperties: false },
            ),
            { maxItems: 64 },
          ),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
)
export type DeviceConfig = Omit<Static<typeof Device>, 'relays' | 'modbus'> & { relays?: RelayEntry[]; modbus?: ModbusDeviceConfig }
export interface SiteConfig {
  gatewayId: string
  devices: DeviceConfig[]
  services?: ServiceConfig[]
  rules: RuleSpec[]
  timezone?: string
  access?: AccessConfig
  api?: { tokens: { name: string; tokenHash: string }[] }
}

export interface GatewayConfig {
  gatewayId: string
  mqtt: { host: string; port: number }
  /** `token` is GATEWAY_API_TOKEN: one more technician token, named `env`, beside the site config's. */
  api: { host: string; port: number; token?: string }
  /** Holds the durable log (`log.db`). */
  dataDir: string
  /**
   * `gatewayKey` is GATEWAY_KEY, or the key a claim gave this gateway (stored in the data
   * directory, src/provision/). `claim` is set only while a GATEWAY_CLAIM_CODE is still to be
   * presented: provisionGateway() then claims and returns the config with the credentials.
   */
  cloud: { url: string; gatewayKey: string; claim?: { code: string; name?: string; hardwareId?: string } }
  /** `claim`: the gateway id and key came from a claim code, and the id replaced the site config's. */
  identity?: 'env' | 'claim'
  /**
   * True: the system clock is trusted as it is (GATEWAY_CLOCK=trusted). False: events are
   * stamped unsynced until the cloud or NTP vouch for the clock (`clock.mode`, src/clock/).
   */
  clockSynced: boolean
  /**
   * GATEWAY_CLOCK; when unset, `trusted` if clockSynced else `auto`. `simulated` (demos and
   * tests) runs on TENDERO_SIM_TIME, the accelerated clock the simulator shares.
   */
  clock?: { mode: ClockMode; simulated?: SimulatedTime }
  logLevel: string
  site: SiteConfig
  sitePath: string
  /** Durable log tuning; unset fields take the defaults in log/event-log.ts. */
  log?: { flushIntervalMs?: number; retention?: Partial<RetentionOptions> }
  /** Device limits and timestamp bounds; unset fields take the defaults in broker/device-limits.ts. */
  security?: Partial<SecurityConfig>
  /** MQTT over TLS; off unless configured. `cert` and `key` are PEM contents. */
  mqttTls?: { host: string; port: number; cert: string; key: string }
  /** MQTT over WebSocket for on-site browsers; off when unset. */
  mqttWs?: { host: string; port: number }
  /** On-site InfluxDB 1.x history (src/sinks/influx.ts); off when GATEWAY_INFLUX_URL is unset. */
  influx?: { url: string; database: string; username?: string; password?: string }
}

const siteValidator = compile(SiteConfigSchema)

function invalid(source: string, reasons: string[]): GatewayError {
  return new GatewayError('CONFIG_ERR_INVALID', `Invalid ${source}:\n${reasons.map((r) => `  ${r}`).join('\n')}`, { reasons })
}

/**
 * A device logs in over MQTT with its password, so it needs a hash; a Modbus device may
 * go without one (it is polled, and then no MQTT login is accepted for its id).
 */
function explainDevicePassword(device: DeviceConfig, path: string): string[] {
  if (device.passwordHash === undefined)
    return device.modbus || device.firmata ? [] : [`${path}: required unless the device has a modbus or firmata section`]
  try {
    parsePasswordHash(device.passwordHash)
    return []
  } catch (err) {
    return [`${path}: ${(err as Error).message}`]
  }
}

/** Checks a parsed site config JSON: schema, then per-kind rule checks, then cross-references. */
export function parseSiteConfig(value: unknown, source = 'site config'): SiteConfig {
  if (!siteValidator.check(value)) throw invalid(source, siteValidator.explain(value))
  const site = value as SiteConfig
  const reasons: string[] = []
  const devices = new Map<string, DeviceConfig>()
  site.devices.forEach((d, i) => {
    if (devices.has(d.id)) reasons.push(`/devices/${i}/id: duplicate device id "${d.id}"`)
    devices.set(d.id, d)
    reasons.push(...explainDevicePassword(d, `/devices/${i}/passwordHash`))
    const relayNames = new Set<string>()
    d.relays?.forEach((entry, j) => {
      const name = relayName(entry)
      if (relayNames.has(name)) reasons.push(`/devices/${i}/relays/${j}: duplicate relay "${name}"`)
      relayNames.add(name)
      if (typeof entry !== 'string' && entry.failsafe !== undefined)
        reasons.push(...explainFailsafe(entry.failsafe, `/devices/${i}/relays/${j}/failsafe`))
    })
    if (d.modbus) reasons.push(...explainModbus(d.modbus, (d.relays ?? []).map(relayName), `/devices/${i}/modbus`))
    if (d.firmata) reasons.push(...explainFirmata(d.firmata, (d.relays ?? []).map(relayName), `/devices/${i}/firmata`))
    if (d.modbus && d.firmata) reasons.push(`/devices/${i}/firmata: a device is either polled over Modbus or driven over Firmata, not both`)
  })
  reasons.push(...explainSerialBuses(site.devices))
  reasons.push(...explainFirmataPorts(site.devices))
  site.services?.forEach((svc, i) => {
    if (devices.has(svc.id)) reasons.push(`/services/${i}/id: "${svc.id}" is already a device id`)
    if (site.services!.findIndex((other) => other.id === svc.id) !== i) reasons.push(`/services/${i}/id: duplicate service id "${svc.id}"`)
    try {
      parsePasswordHash(svc.passwordHash)
    } catch (err) {
      reasons.push(`/services/${i}/passwordHash: ${(err as Error).message}`)
    }
  })
  // The same checks the cloud runs on one rule before it saves it (rules/shared.ts).
  const ruleIds: string[] = []
  site.rules.forEach((rule, i) => {
    for (const p of explainRuleInSite(rule, { devices: site.devices, otherRuleIds: ruleIds })) reasons.push(`/rules/${i}${p.path}: ${p.message}`)
    ruleIds.push(rule.id)
  })
  if (site.timezone !== undefined && !isValidTimeZone(site.timezone))
    reasons.push(`/timezone: unknown IANA time zone "${site.timezone}"`)
  if (site.access) reasons.push(...explainAccess(site.access, new Set(devices.keys())))
  const tokenNames = new Set<string>()
  site.api?.tokens.forEach((t, i) => {
    if (tokenNames.has(t.name)) reasons.push(`/api/tokens/${i}/name: duplicate token name "${t.name}"`)
    tokenNames.add(t.name)
    try {
      parsePasswordHash(t.tokenHash)
    } catch (err) {
      reasons.push(`/api/tokens/${i}/tokenHash: ${(err as Error).message}`)
    }
  })
  if (reasons.length > 0) throw invalid(source, reasons)
  return site
}

export function readSiteConfig(path: string): SiteConfig {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw new GatewayError('CONFIG_ERR_READ', `Cannot read site config ${path} (GATEWAY_CONFIG): ${(err as Error).message}`)
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (err) {
    throw invalid(`site config ${path}`, [`not valid JSON: ${(err as Error).message}`])
  }
  return parseSiteConfig(json, `site config ${path}`)
}

type Env = Record<string, string | undefined>

function port(env: Env, name: string, fallback: number, reasons: string[]): number {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  const n = Number(raw)
  if (!/^\d+$/.test(raw) || n > 65_535) reasons.push(`${name}: must be a port number 0-65535 (0 = any free port), got "${raw}"`)
  return n
}

function bool(env: Env, name: string, fallback: boolean, reasons: string[]): boolean {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  if (raw === 'true' || raw === '1') return true
  if (raw === 'false' || raw === '0') return false
  reasons.push(`${name}: must be true or false, got "${raw}"`)
  return fallback
}

/** A number within [min, max], or `fallback` when unset. */
function num(env: Env, name: string, fallback: number, min: number, max: number, reasons: string[]): number {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  const n = Number(raw)
  if (!Number.isFinite(n) || n < min || n > max) reasons.push(`${name}: must be a number from ${min} to ${max}, got "${raw}"`)
  return n
}

function readPem(env: Env, name: string, reasons: string[]): string {
  try {
    return readFileSync(env[name]!, 'utf8')
  } catch (err) {
    reasons.push(`${name}: cannot read ${env[name]}: ${(err as Error).message}`)
    return ''
  }
}

/** Listeners beyond plain MQTT: TLS only when all three variables are set, WebSocket unless `off`. */
function extraListeners(env: Env, host: string, reasons: string[]): Pick<GatewayConfig, 'mqttTls' | 'mqttWs'> {
  const out: Pick<GatewayConfig, 'mqttTls' | 'mqttWs'> = {}
  const tlsVars = ['GATEWAY_MQTTS_PORT', 'GATEWAY_TLS_CERT', 'GATEWAY_TLS_KEY'] as const
  const tlsSet = tlsVars.filter((v) => env[v])
  if (tlsSet.length === 3)
    out.mqttTls = { host, port: port(env, 'GATEWAY_MQTTS_PORT', 8884, reasons), cert: readPem(env, 'GATEWAY_TLS_CERT', reasons), key: readPem(env, 'GATEWAY_TLS_KEY', reasons) }
  else if (tlsSet.length > 0) reasons.push(`${tlsVars.join(', ')}: set all three for the TLS listener, or none (got only ${tlsSet.join(', ')})`)
  if (env.GATEWAY_MQTT_WS_PORT !== 'off') out.mqttWs = { host, port: port(env, 'GATEWAY_MQTT_WS_PORT', 8883, reasons) }
  return out
}

/** GATEWAY_API_TOKEN: long enough that the per-address lockout makes guessing hopeless. */
function apiToken(env: Env, reasons: string[]): { token?: string } {
  const token = env.GATEWAY_API_TOKEN
  if (!token) return {}
  if (token.length < 16 || token.length > 512 || /\s/.test(token))
    reasons.push('GATEWAY_API_TOKEN: must be 16 to 512 characters without spaces (e.g. `openssl rand -hex 24`)')
  return { token }
}

/**
 * GATEWAY_INFLUX_URL, e.g. `http://127.0.0.1:8086/tendero`: the path names the database
 * (created if missing); `http://user:pass@host:8086/db` when InfluxDB has auth on.
 */
function influxTarget(env: Env, reasons: string[]): Pick<GatewayConfig, 'influx'> {
  const raw = env.GATEWAY_INFLUX_URL
  if (!raw) return {}
  const url = URL.canParse(raw) ? new URL(raw) : undefined
  const database = url ? decodeURIComponent(url.pathname.replace(/^\/+|\/+$/g, '')) : ''
  if (!url || !/^https?:$/.test(url.protocol) || !/^[A-Za-z0-9_-]{1,64}$/.test(database)) {
    reasons.push(`GATEWAY_INFLUX_URL: must be http(s)://host:port/<database>, e.g. http://127.0.0.1:8086/tendero, got "${raw.replace(/\/\/[^/@]*@/, '//***@')}"`)
    return {}
  }
  return {
    influx: {
      url: `${url.protocol}//${url.host}`,
      database,
      ...(url.username ? { username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) } : {}),
    },
  }
}

/**
 * GATEWAY_CLOCK (default `auto`). GATEWAY_CLOCK_SYNCED is its older spelling: `true` is
 * `trusted`, `false` is `auto`; both may be set only when they agree.
 */
function clockMode(env: Env, reasons: string[]): Pick<GatewayConfig, 'clockSynced' | 'clock'> {
  const raw = env.GATEWAY_CLOCK
  const legacy = env.GATEWAY_CLOCK_SYNCED === undefined || env.GATEWAY_CLOCK_SYNCED === '' ? undefined : bool(env, 'GATEWAY_CLOCK_SYNCED', false, reasons)
  let mode: ClockMode = legacy ? 'trusted' : 'auto'
  if (raw !== undefined && raw !== '') {
    if (!(CLOCK_MODES as readonly string[]).includes(raw)) reasons.push(`GATEWAY_CLOCK: one of ${CLOCK_MODES.join(', ')}, got "${raw}"`)
    else {
      mode = raw as ClockMode
      if (legacy !== undefined && legacy !== (mode === 'trusted'))
        reasons.push(`GATEWAY_CLOCK_SYNCED=${env.GATEWAY_CLOCK_SYNCED} contradicts GATEWAY_CLOCK=${raw}; GATEWAY_CLOCK_SYNCED is the old name of GATEWAY_CLOCK=trusted, set only GATEWAY_CLOCK`)
    }
  }
  if (mode !== 'simulated') return { clockSynced: mode === 'trusted', clock: { mode } }
  const spec = env[SIM_TIME_ENV]
  if (!spec) {
    reasons.push(`GATEWAY_CLOCK=simulated needs ${SIM_TIME_ENV} (origin=<ISO time>,anchor=<epoch ms>,speed=<x>), the clock the simulator shares`)
    return { clockSynced: true, clock: { mode: 'trusted' } }
  }
  try {
    return { clockSynced: true, clock: { mode, simulated: parseSimTime(spec) } }
  } catch (err) {
    reasons.push(`${SIM_TIME_ENV}: ${(err as Error).message}`)
    return { clockSynced: true, clock: { mode: 'trusted' } }
  }
}

/**
 * Where the gateway's cloud identity comes from, in this order:
 *  - GATEWAY_KEY: the key from the environment, the id from the site config (as before);
 *  - credentials a claim stored in the data directory: their id and key (GATEWAY_CLAIM_CODE,
 *    if still set, is ignored: a code is good once);
 *  - GATEWAY_CLAIM_CODE: still to claim (src/provision/, called by main.ts before start);
 *  - none of them: the demo key, which the cloud seeds as DEMO_GATEWAY_KEY.
 * GATEWAY_KEY beside stored credentials is refused: which identity wins would be a guess.
 */
function cloudIdentity(env: Env, dataDir: string, cloudUrl: string, reasons: string[]): { cloud: GatewayConfig['cloud']; stored?: CloudCredentials } {
  const url = cloudUrl.replace(/\/+$/, '')
  const rawCode = env.GATEWAY_CLAIM_CODE
  const code = rawCode ? rawCode.toUpperCase().replace(/[\s-]/g, '') : undefined
  if (env.GATEWAY_KEY && rawCode) reasons.push('GATEWAY_KEY, GATEWAY_CLAIM_CODE: set one of them, not both (a claim code gets this gateway its own key)')
  if (code !== undefined && !/^[A-Z0-9]{6,32}$/.test(code))
    reasons.push(`GATEWAY_CLAIM_CODE: letters and digits as the technician's screen shows them (e.g. K7M2Q-XH9RP), got "${rawCode}"`)
  let stored: CloudCredentials | undefined
  try {
    stored = readCredentials(dataDir)
  } catch (err) {
    reasons.push((err as Error).message)
  }
  if (stored && env.GATEWAY_KEY)
    reasons.push(`GATEWAY_KEY: this gateway was provisioned by a claim code (${join(dataDir, CREDENTIALS_FILE)}); unset GATEWAY_KEY, or delete that file to run with it`)
  if (env.GATEWAY_KEY) return { cloud: { url, gatewayKey: env.GATEWAY_KEY } }
  if (stored) return { cloud: { url, gatewayKey: stored.gatewayKey }, stored }
  if (code) {
    const name = env.GATEWAY_NAME
    if (name !== undefined && (name.length < 1 || name.length > 120)) reasons.push('GATEWAY_NAME: 1 to 120 characters')
    const hardwareId = env.GATEWAY_HARDWARE_ID
    if (hardwareId !== undefined && (hardwareId.length < 1 || hardwareId.length > 128)) reasons.push('GATEWAY_HARDWARE_ID: 1 to 128 characters')
    return { cloud: { url, gatewayKey: '', claim: { code, ...(name ? { name } : {}), ...(hardwareId ? { hardwareId } : {}) } } }
  }
  // The demo key matches the cloud's seeded DEMO_GATEWAY_KEY default; real sites set their own.
  return { cloud: { url, gatewayKey: 'demo-gateway-key' } }
}

/**
 * The config running under the id and key a claim gave: the claimed id replaces the site
 * config's `gatewayId` everywhere (logs, uploads, the cloud's desired configs), because the
 * cloud only knows the gateway by it; the site file's id is then a placeholder.
 */
export function withCredentials(config: GatewayConfig, credentials: Pick<CloudCredentials, 'gatewayId' | 'gatewayKey'>): GatewayConfig {
  const { claim: _claim, ...cloud } = config.cloud
  return {
    ...config,
    gatewayId: credentials.gatewayId,
    site: { ...config.site, gatewayId: credentials.gatewayId },
    cloud: { ...cloud, gatewayKey: credentials.gatewayKey },
    identity: 'claim',
  }
}

const DAY_MS = 24 * 3600_000

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']

/** Builds the whole config from the environment (default: process.env) and the site config file. */
export function loadConfig(env: Env = process.env): GatewayConfig {
  const reasons: string[] = []
  const cloudUrl = env.CLOUD_URL || 'http://127.0.0.1:8080'
  if (!URL.canParse(cloudUrl) || !/^https?:/.test(cloudUrl)) reasons.push(`CLOUD_URL: must be an http(s) URL, got "${cloudUrl}"`)
  const logLevel = env.GATEWAY_LOG_LEVEL || 'info'
  if (!LOG_LEVELS.includes(logLevel)) reasons.push(`GATEWAY_LOG_LEVEL: one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`)
  const dataDir = env.GATEWAY_DATA_DIR || '.data/gateway'
  const identity = cloudIdentity(env, dataDir, cloudUrl, reasons)
  const partial = {
    mqtt: { host: env.GATEWAY_MQTT_HOST || '0.0.0.0', port: port(env, 'GATEWAY_MQTT_PORT', 1883, reasons) },
    api: { host: env.GATEWAY_API_HOST || '0.0.0.0', port: port(env, 'GATEWAY_API_PORT', 8090, reasons), ...apiToken(env, reasons) },
    dataDir,
    cloud: identity.cloud,
    ...clockMode(env, reasons),
    logLevel,
    log: {
      flushIntervalMs: num(env, 'GATEWAY_LOG_FLUSH_MS', 0, 0, 1000, reasons),
      retention: {
        maxAgeMs: num(env, 'GATEWAY_LOG_RETENTION_DAYS', 30, 0, 36_500, reasons) * DAY_MS,
        maxBytes: Math.round(num(env, 'GATEWAY_LOG_MAX_MB', 512, 0, 1_048_576, reasons) * 1024 * 1024),
      },
    },
    security: {
      messagesPerSecond: num(env, 'GATEWAY_DEVICE_RATE', 100, 0, 1_000_000, reasons),
      burst: num(env, 'GATEWAY_DEVICE_BURST', 1000, 1, 1_000_000, reasons),
      maxPayloadBytes: num(env, 'GATEWAY_DEVICE_MAX_PAYLOAD_BYTES', 16_384, 1, 16_384, reasons),
      maxAheadMs: num(env, 'GATEWAY_TS_MAX_AHEAD_S', 300, 0, 1e9, reasons) * 1000,
      maxBehindMs: num(env, 'GATEWAY_TS_MAX_BEHIND_S', 7 * 86_400, 0, 1e9, reasons) * 1000,
    },
    ...extraListeners(env, env.GATEWAY_MQTT_HOST || '0.0.0.0', reasons),
    ...influxTarget(env, reasons),
  }
  if (reasons.length > 0) throw invalid('gateway environment', reasons)
  const sitePath = env.GATEWAY_CONFIG || DEFAULT_SITE_CONFIG
  const site = readSiteConfig(sitePath)
  const config: GatewayConfig = { ...partial, gatewayId: site.gatewayId, site, sitePath, identity: 'env' }
  return identity.stored ? withCredentials(config, identity.stored) : config
}

import { randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import Type from 'typebox'
import { Compile } from 'typebox/compile'
import { Value } from 'typebox/value'
import type { PlatformAdminTotp } from './modules/auth/policy.js'
import { DEFAULT_RATE_LIMITS, type RateLimits } from './plugins/rate-limit.js'

/**
 * The cloud's configuration. This is the only module that reads `process.env`;
 * `buildApp(config)` takes the resulting object, so tests build their own.
 */
export interface CloudConfig {
  port: number
  host: string
  /** `postgres` when DATABASE_URL is set, otherwise PGlite embedded in the data directory. */
  database: { driver: 'postgres'; url: string } | { driver: 'pglite'; dataDir: string }
  dataDir: string
  jwtSecret: string
  /** Built dashboard (Vite output); served with SPA fallback when it exists. */
  dashboardDir: string
  demoGatewayKey: string
  seedDemo: boolean
  logLevel: LogLevel
  /** REDIS_URL: Socket.IO's Redis adapter, so several cloud instances share their rooms. */
  redisUrl?: string
  /** REDIS_KEY_PREFIX: Redis channel prefix; instances share Socket.IO rooms only when they share it (default `tendero`). */
  redisKeyPrefix?: string
  /** SMTP_URL (smtp://user:pass@host:port) and SMTP_FROM: email notifications; unset = email off. */
  smtp?: { url: string; from: string }
  /** WHATSAPP_API_URL + WHATSAPP_TOKEN, SMS_API_URL + SMS_TOKEN: HTTP providers for those channels; unset = channel off. */
  whatsapp?: { baseUrl: string; token: string }
  sms?: { baseUrl: string; token: string }
  /**
   * TRUST_PROXY: the addresses of reverse proxies whose X-Forwarded-For is believed (comma
   * separated, CIDR allowed), or `true` for any. Login limits are per client address, so
   * behind a proxy this must be set or every user shares the proxy's address.
   */
  trustProxy?: string | boolean
  /** TELEMETRY_RETENTION_DAYS: raw readings older than this are dropped (whole partitions); default 400. */
  telemetryRetentionDays?: number
  /**
   * RATE_LIMIT_READ_PER_MIN, RATE_LIMIT_WRITE_PER_MIN (per user or API key),
   * RATE_LIMIT_PUBLIC_PER_MIN (per client address), RATE_LIMIT_GATEWAY_PER_MIN (per gateway,
   * the uplink); 0 turns one off. Unset here: plugins/rate-limit.ts DEFAULT_RATE_LIMITS.
   */
  rateLimits?: RateLimits
  /**
   * WEBHOOK_ALLOW_PRIVATE: let webhooks reach loopback, private, link-local and other
   * internal addresses (tests and demos posting to 127.0.0.1). Default false: refused.
   */
  webhookAllowPrivate?: boolean
  /**
   * PLATFORM_ADMIN_TOTP: `required` (default) holds Tendero's platform admins to two-factor
   * login whatever their organization says; `optional` lets its requireAdminTotp decide.
   */
  platformAdminTotp?: PlatformAdminTotp
  /**
   * JOBS: `on` (default) runs the commercial modules' periodic jobs (rent schedule, metered
   * utilities, dunning, reminders, mail) on their timers; `off` leaves them to be run on
   * demand (tests, or one dedicated instance while the others serve).
   */
  jobs?: boolean
  /**
   * PUBLIC_URL: where people reach this cloud (https://app.example.com), for links in mail
   * (a client's booking, a waiting-list offer). Unset: the address each request came in on,
   * which only a trusted proxy or a direct connection makes safe to put in a mail.
   */
  publicUrl?: string
  /**
   * METRICS_TOKEN: the bearer token Prometheus sends to GET /metrics. Unset: /metrics is
   * open (compose's private network); set it, or block /metrics at the proxy, when the
   * cloud faces the internet.
   */
  metricsToken?: string
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

const EnvSchema = Type.Object({
  CLOUD_PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
  CLOUD_HOST: Type.String({ minLength: 1, default: '0.0.0.0' }),
  DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  CLOUD_DATA_DIR: Type.String({ minLength: 1, default: '.data/cloud' }),
  JWT_SECRET: Type.Optional(Type.String({ minLength: 32 })),
  DASHBOARD_DIR: Type.Optional(Type.String({ minLength: 1 })),
  DEMO_GATEWAY_KEY: Type.String({ minLength: 8, default: 'demo-gateway-key' }),
  SEED_DEMO: Type.Boolean({ default: true }),
  LOG_LEVEL: Type.Union(LOG_LEVELS.map((l) => Type.Literal(l)), { default: 'info' }),
  REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://' })),
  REDIS_KEY_PREFIX: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,64}$' })),
  SMTP_URL: Type.Optional(Type.String({ pattern: '^smtps?://' })),
  SMTP_FROM: Type.String({ minLength: 3, default: 'Tendero <alertas@tendero.app>' }),
  TELEMETRY_RETENTION_DAYS: Type.Integer({ minimum: 1, maximum: 3650, default: 400 }),
  TRUST_PROXY: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
  WHATSAPP_API_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  WHATSAPP_TOKEN: Type.Optional(Type.String({ minLength: 1 })),
  SMS_API_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  SMS_TOKEN: Type.Optional(Type.String({ minLength: 1 })),
  RATE_LIMIT_READ_PER_MIN: Type.Integer({ minimum: 0, maximum: 1_000_000, default: DEFAULT_RATE_LIMITS.readPerMin }),
  RATE_LIMIT_WRITE_PER_MIN: Type.Integer({ minimum: 0, maximum: 1_000_000, default: DEFAULT_RATE_LIMITS.writePerMin }),
  RATE_LIMIT_PUBLIC_PER_MIN: Type.Integer({ minimum: 0, maximum: 1_000_000, default: DEFAULT_RATE_LIMITS.publicPerMin }),
  RATE_LIMIT_GATEWAY_PER_MIN: Type.Integer({ minimum: 0, maximum: 1_000_000, default: DEFAULT_RATE_LIMITS.gatewayPerMin }),
  WEBHOOK_ALLOW_PRIVATE: Type.Boolean({ default: false }),
  PLATFORM_ADMIN_TOTP: Type.Union([Type.Literal('required'), Type.Literal('optional')], { default: 'required' }),
  JOBS: Type.Union([Type.Literal('on'), Type.Literal('off')], { default: 'on' }),
  PUBLIC_URL: Type.Optional(Type.String({ pattern: '^https?://[^/]+$', description: 'scheme and host, no path' })),
  METRICS_TOKEN: Type.Optional(Type.String({ minLength: 16, maxLength: 512, pattern: '^\\S+$' })),
})
const checkEnv = Compile(EnvSchema)

export class ConfigError extends Error {
  override name = 'ConfigError'
}

const repoRoot = fileURLToPath(new URL('../../', import.meta.url))

/** Reads and validates the environment; throws ConfigError with every problem listed. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): CloudConfig {
  // Empty strings mean "unset", as in most .env loaders.
  const raw = Object.fromEntries(
    Object.keys(EnvSchema.properties)
      .map((key) => [key, env[key]] as const)
      .filter(([, value]) => value !== undefined && value !== ''),
  )
  const value = Value.Convert(EnvSchema, Value.Default(EnvSchema, raw))
  if (!checkEnv.Check(value)) {
    const problems = [...checkEnv.Errors(value)].map((e) => `${e.instancePath.slice(1) || 'env'} ${e.message}`)
    throw new ConfigError(`Invalid cloud configuration: ${problems.join('; ')}`)
  }
  for (const channel of ['WHATSAPP', 'SMS'] as const) {
    if ((value[`${channel}_API_URL`] === undefined) !== (value[`${channel}_TOKEN`] === undefined))
      throw new ConfigError(`Invalid cloud configuration: set both ${channel}_API_URL and ${channel}_TOKEN, or neither`)
  }
  const dataDir = path.resolve(value.CLOUD_DATA_DIR)
  return {
    port: value.CLOUD_PORT,
    host: value.CLOUD_HOST,
    database: value.DATABASE_URL
      ? { driver: 'postgres', url: value.DATABASE_URL }
      : { driver: 'pglite', dataDir: path.join(dataDir, 'pglite') },
    dataDir,
    jwtSecret: value.JWT_SECRET ?? persistedDemoSecret(dataDir),
    dashboardDir: value.DASHBOARD_DIR ? path.resolve(value.DASHBOARD_DIR) : path.join(repoRoot, 'dashboard/dist'),
    demoGatewayKey: value.DEMO_GATEWAY_KEY,
    seedDemo: value.SEED_DEMO,
    logLevel: value.LOG_LEVEL,
    ...(value.REDIS_URL ? { redisUrl: value.REDIS_URL } : {}),
    ...(value.REDIS_KEY_PREFIX ? { redisKeyPrefix: value.REDIS_KEY_PREFIX } : {}),
    ...(value.SMTP_URL ? { smtp: { url: value.SMTP_URL, from: value.SMTP_FROM } } : {}),
    telemetryRetentionDays: value.TELEMETRY_RETENTION_DAYS,
    ...(value.WHATSAPP_API_URL && value.WHATSAPP_TOKEN ? { whatsapp: { baseUrl: value.WHATSAPP_API_URL, token: value.WHATSAPP_TOKEN } } : {}),
    ...(value.SMS_API_URL && value.SMS_TOKEN ? { sms: { baseUrl: value.SMS_API_URL, token: value.SMS_TOKEN } } : {}),
    ...(value.TRUST_PROXY ? { trustProxy: value.TRUST_PROXY === 'true' ? true : value.TRUST_PROXY } : {}),
    rateLimits: {
      readPerMin: value.RATE_LIMIT_READ_PER_MIN,
      writePerMin: value.RATE_LIMIT_WRITE_PER_MIN,
      publicPerMin: value.RATE_LIMIT_PUBLIC_PER_MIN,
      gatewayPerMin: value.RATE_LIMIT_GATEWAY_PER_MIN,
    },
    webhookAllowPrivate: value.WEBHOOK_ALLOW_PRIVATE,
    platformAdminTotp: value.PLATFORM_ADMIN_TOTP,
    jobs: value.JOBS === 'on',
    ...(value.PUBLIC_URL ? { publicUrl: value.PUBLIC_URL } : {}),
    ...(value.METRICS_TOKEN ? { metricsToken: value.METRICS_TOKEN } : {}),
  }
}

/**
 * Demos run without any env, yet tokens must survive a restart, so a random secret is
 * kept next to the embedded database. Production sets JWT_SECRET.
 */
function persistedDemoSecret(dataDir: string): string {
  const file = path.join(dataDir, 'jwt-secret')
  try {
    const existing = readFileSync(file, 'utf8').trim()
    if (existing.length >= 32) return existing
  } catch {
    // First start: fall through and create it.
  }
  mkdirSync(dataDir, { recursive: true })
  const secret = randomBytes(48).toString('base64url')
  writeFileSync(file, secret + '\n', { mode: 0o600 })
  return secret
}

import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import Type, { type TSchema } from 'typebox'
import { Compile } from 'typebox/compile'
import type { Logger } from 'pino'
import type { GatewayConfig } from '../config.js'
import type { DeviceBroker } from '../broker/broker.js'
import type { EventLog } from '../log/event-log.js'
import type { AlarmService } from '../alarms/alarms.js'
import type { Uploader } from '../uplink/uploader.js'
import type { RuleSpec } from '../rules/registry.js'
import type { NamedStateValue } from '../rules/kinds.js'
import { DEFAULT_TIME_ZONE } from '../local-time.js'
import { ApiError, toHttp } from './errors.js'
import { TokenAuth } from './auth.js'
import { SiteView } from './site-view.js'
import { RulesService } from './rules-service.js'
import { AlarmsDesk } from './alarms-service.js'
import type { LiveState } from './live-state.js'
import { rulesFilePath, type RuleSet } from './rules-file.js'
import { siteRoutes } from './routes/devices.js'
import { ruleRoutes } from './routes/rules.js'
import { alarmRoutes } from './routes/alarms.js'
import { commandRoutes } from './routes/commands.js'
import { CommandDesk, type CommandPath } from './commands-service.js'
import { metricsRoutes, type MetricsScrape } from './routes/metrics.js'
import { ClockStatusSchema } from '../clock/status-schema.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The name of the token the caller presented (`env` for GATEWAY_API_TOKEN). */
    technician: string
  }
  interface FastifyContextConfig {
    /** Served without a token (/health and /metrics). */
    public?: boolean
  }
}

export const Health = Type.Object({
  status: Type.Literal('ok'),
  gatewayId: Type.String(),
  bootId: Type.String(),
  mqtt: Type.Object({ port: Type.Integer(), clients: Type.Integer() }),
  log: Type.Object({ lastSeq: Type.Integer() }),
  uplink: Type.Object({
    ackedSeq: Type.Integer(),
    lag: Type.Integer(),
    lastError: Type.Union([Type.String(), Type.Null()]),
    lastSuccessAt: Type.Union([Type.Integer(), Type.Null()]),
    batchSize: Type.Integer(),
    heldAhead: Type.Integer(),
    /** Events the cloud quarantined since this boot; `recent` keeps the last few with reasons. */
    quarantined: Type.Object({
      total: Type.Integer(),
      recent: Type.Array(Type.Object({ seq: Type.Integer(), reason: Type.String(), at: Type.Integer() })),
    }),
  }),
  /** On-site InfluxDB history (sinks/influx.ts), when GATEWAY_INFLUX_URL is set. */
  influx: Type.Optional(
    Type.Object({
      cursor: Type.Integer(),
      lag: Type.Integer(),
      oldestPendingAt: Type.Union([Type.Integer(), Type.Null()]),
      lastError: Type.Union([Type.String(), Type.Null()]),
      lastSuccessAt: Type.Union([Type.Integer(), Type.Null()]),
      refusedBatches: Type.Integer(),
    }),
  ),
  /**
   * Modbus devices by id (src/modbus/), when the site has any: `unavailable` until the device
   * answers and again after `unavailableAfter` failed polls; `lastPollAt` is its last answer.
   */
  modbus: Type.Optional(
    Type.Record(
      Type.String(),
      Type.Object({
        state: Type.Union([Type.Literal('online'), Type.Literal('unavailable')]),
        lastPollAt: Type.Union([Type.Integer(), Type.Null()]),
        lastError: Type.Union([Type.String(), Type.Null()]),
        consecutiveFailures: Type.Integer(),
        pollMs: Type.Integer(),
      }),
    ),
  ),
  /**
   * Firmata boards by id (src/firmata/), when the site has any: `unavailable` until the first
   * handshake and whenever the board fails; `lastReadingAt` is when a reading was last logged.
   */
  firmata: Type.Optional(
    Type.Record(
      Type.String(),
      Type.Object({
        state: Type.Union([Type.Literal('online'), Type.Literal('unavailable')]),
        lastReadingAt: Type.Union([Type.Integer(), Type.Null()]),
        lastError: Type.Union([Type.String(), Type.Null()]),
        consecutiveFailures: Type.Integer(),
        connects: Type.Integer(),
      }),
    ),
  ),
  /** The wall clock: synced or not, by what, and the offset learned from the cloud (src/clock/). */
  clock: Type.Optional(ClockStatusSchema),
  /** Messages refused per device since this boot. */
  rejected: Type.Record(Type.String(), Type.Integer()),
  /** The same, per device and reason (`acl`, `rate_limited`, `bad_json`, ...; broker/rejections.ts). */
  rejectedByReason: Type.Record(Type.String(), Type.Record(Type.String(), Type.Integer())),
  /** Connections refused at CONNACK since this boot, by reason. */
  connectRefused: Type.Record(Type.String(), Type.Integer()),
})
export type Health = Type.Static<typeof Health>

/** What the API needs from the gateway; the services are built from it here. */
export interface LocalApiOptions {
  logger: Logger
  health: () => Health
  config: GatewayConfig
  /** The rules the engine was built with (rules-file.ts). */
  ruleSet: RuleSet
  /** Swaps the running engine's rules; resolves when the old engine's actions are done. */
  replaceRules(rules: RuleSpec[]): Promise<void>
  /** Tells the API when the running rules were replaced from elsewhere (the downlink). */
  onRulesReplaced?(listener: (set: RuleSet) => void): void
  namedStates(): Record<string, NamedStateValue>
  live: LiveState
  log: EventLog
  broker: DeviceBroker
  alarms: AlarmService
  uplink: Uploader
  /** Clock trust status, shown in GET /api/log/stats. */
  clock?: () => Type.Static<typeof ClockStatusSchema>
  /** The rules' command path, for POST /api/devices/:id/commands (not served without it). */
  commands?: CommandPath
  now: () => number
  /** Prometheus metrics for GET /metrics (src/metrics/); no route without them. */
  metrics?: MetricsScrape
  /** Largest request body (bytes); a rule is a few hundred. Default 64 KiB. */
  bodyLimit?: number
}

// A union of literals fails once per literal;: say it once, with the allowed values.
function oneOf(errors: { keyword: string; instancePath: string; params: unknown }[], path: string): string {
  const allowed = errors
    .filter((e) => e.keyword === 'const' && e.instancePath === path)
    .map((e) => JSON.stringify((e.params as { allowedValue?: unknown }).allowedValue))
  return `must be one of ${allowed.join(', ')}`
}

/**
 * Route schemas are checked with TypeBox's compiler instead of Fastify's Ajv: no type
 * coercion and no silent removal of unknown fields (Ajv's defaults), so a typo in a rule
 * is a 400 at its path, not a field quietly dropped. The path points at the bad field:
 * a missing or unknown property is named, not its parent.
 */
function typeboxValidator({ schema, httpPart }: { schema: unknown; httpPart?: string | undefined }) {
  const compiled = Compile(schema as TSchema)
  const part = httpPart === 'querystring' ? 'query' : (httpPart ?? 'body')
  return (data: unknown) => {
    // No body at all is an empty object: "missing id" beats "must be object".
    const value = part === 'body' && data == null ? {} : data
    if (compiled.Check(value)) return { value }
    const errors = [...compiled.Errors(value)]
    const first = errors.find((e) => e.keyword !== 'boolean')
    if (!first) return { error: new ApiError('API_ERR_VALIDATION', 400, `${part}: invalid`, { path: '/' }) }
    const params = first.params as { requiredProperties?: string[]; additionalProperties?: string[] }
    const child = params.requiredProperties?.[0] ?? params.additionalProperties?.[0]
    const path = child !== undefined ? `${first.instancePath}/${child}` : first.instancePath || '/'
    const message = params.additionalProperties
      ? 'unknown field'
      : params.requiredProperties
        ? 'required'
        : first.keyword === 'const'
          ? oneOf(errors, first.instancePath)
          : first.message
    const where = part === 'body' ? path : `${part} ${path}`
    return { error: new ApiError('API_ERR_VALIDATION', 400, `${where}: ${message}`, { path }) }
  }
}

/**
 * The technician's local API. Built without listening, Fastify-demo style, so tests can
 * use `inject()`; the gateway decides when it listens. Everything but /health needs a
 * bearer token; routes are thin and each makes one call into a service.
 */
export function buildLocalApi(opts: LocalApiOptions): FastifyInstance {
  const logger = opts.logger.child({ component: 'api' })
  const app: FastifyInstance = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: opts.bodyLimit ?? 64 * 1024,
  })
  app.setValidatorCompiler(typeboxValidator)
  app.setErrorHandler((err, req, reply) => {
    const { status, body } = toHttp(err)
    // 5xx details stay in the log, not in the answer.
    if (status >= 500) req.log.error({ err }, 'local api error')
    return reply.status(status).send(body)
  })
  app.setNotFoundHandler((req, reply) =>
    reply.status(404).send({ error: { code: 'API_ERR_NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]}` } }),
  )

  const { config, now } = opts
  const auth = new TokenAuth({ tokens: config.site.api?.tokens ?? [], envToken: config.api.token, now })
  app.decorateRequest('technician', '')
  // onRequest runs before the body is read: an unauthenticated caller cannot make us parse anything.
  app.addHook('onRequest', async (req) => {
    if (req.routeOptions.config.public) return
    req.technician = await auth.authenticate(req.headers.authorization, req.ip)
  })
  if (!auth.configured())
    logger.warn('local API: no token configured (GATEWAY_API_TOKEN or api.tokens in the site config); only GET /health and GET /metrics are served')

  app.get('/health', { config: { public: true }, schema: { response: { 200: Health } } }, async () => opts.health())
  const site = new SiteView({ devices: config.site.devices, live: opts.live, broker: opts.broker, log: opts.log, uplink: opts.uplink, namedStates: opts.namedStates, now, ...(opts.clock ? { clock: opts.clock } : {}) })
  siteRoutes(app, site)
  const rules = new RulesService({
    site: config.site,
    path: rulesFilePath(config.dataDir),
    initial: opts.ruleSet,
    apply: opts.replaceRules,
    log: opts.log,
    timeZone: config.site.timezone ?? DEFAULT_TIME_ZONE,
    now,
  })
  opts.onRulesReplaced?.((set) => rules.adopt(set))
  ruleRoutes(app, rules)
  alarmRoutes(app, new AlarmsDesk(opts.alarms, opts.live, config.site.devices.map((d) => d.id)))
  if (opts.commands) commandRoutes(app, new CommandDesk(config.site.devices, opts.commands))
  if (opts.metrics) metricsRoutes(app, opts.metrics)
  return app
}

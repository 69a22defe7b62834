import { TypeBoxValidatorCompiler, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify'
import pkg from '../package.json' with { type: 'json' }
import type { CloudConfig } from './config.js'
import { isAppError, unauthorized } from './errors.js'
import { API_KEY_MARK, resolveApiKey } from './modules/identity/api-keys.js'
import { isPermission, type Permission } from './modules/identity/permissions.js'
import alarmsRoutes from './modules/alarms/routes.js'
import appointmentsRoutes from './modules/appointments/routes.js'
import billingRoutes from './modules/billing/routes.js'
import crmRoutes from './modules/crm/routes.js'
import leasingRoutes from './modules/leasing/routes.js'
import { sendDueMail } from './modules/mail/worker.js'
import { EmailChannel } from './modules/notifications/channels.js'
import rulesRoutes from './modules/rules/routes.js'
import reportsRoutes from './modules/reports/routes.js'
import authRoutes from './modules/auth/routes.js'
import identityRoutes from './modules/identity/routes.js'
import gatewayChannelPlugin from './modules/fleet/channel-plugin.js'
import fleetRoutes from './modules/fleet/routes.js'
import jobsPlugin from './plugins/jobs.js'
import metricsPlugin from './plugins/metrics.js'
import healthRoutes from './modules/health/routes.js'
import ingestRoutes from './modules/ingest/routes.js'
import notificationsPlugin from './modules/notifications/plugin.js'
import notificationRoutes from './modules/notifications/routes.js'
import sitesRoutes from './modules/sites/routes.js'
import telemetryRoutes from './modules/telemetry/routes.js'
import { GatewayPresence } from './modules/sync/presence.js'
import syncRoutes from './modules/sync/routes.js'
import authPlugin from './plugins/auth.js'
import dashboardPlugin from './plugins/dashboard.js'
import dbPlugin from './plugins/db/index.js'
import docsPlugin from './plugins/docs.js'
import rateLimitPlugin from './plugins/rate-limit.js'
import realtimePlugin from './plugins/realtime.js'
import { seedDemo } from './seed.js'

export const VERSION: string = pkg.version
export const API_V1 = '/api/v1'

/** One `/api` route as the permission hook sees it (app.routeCatalog). */
export interface RouteEntry {
  method: string
  url: string
  permission?: Permission
  public: boolean
  gateway: boolean
  schema: unknown
}

declare module 'fastify' {
  interface FastifyInstance {
    routeCatalog: readonly RouteEntry[]
    /** PUBLIC_URL, for links in mail; undefined: the request's own origin. */
    publicUrl: string | undefined
  }
}

/** Requests other than ingest are small JSON; ingest sets its own 5 MB limit. */
const DEFAULT_BODY_LIMIT = 1024 * 1024

const STATUS_CODES: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
}

/**
 * Builds the whole cloud app without listening, so tests drive it with `inject()`.
 * Order matters: external plugins (db, docs, static), then our own (auth, realtime),
 * then routes; docs must see every route registered after it.
 */
export async function buildApp(config: CloudConfig): Promise<FastifyInstance> {
  const app = Fastify({
    logger: { level: config.logLevel },
    bodyLimit: DEFAULT_BODY_LIMIT,
    // The db plugin opens the database and runs pending migrations before anything serves.
    // Fastify's 10 s default is too short for a first boot of the embedded PGlite on a busy
    // two-core machine (WASM compile plus every migration); a real failure still throws.
    pluginTimeout: 120_000,
    // Clients get an id on every log line of their request.
    requestIdHeader: 'x-request-id',
    ...(config.trustProxy !== undefined ? { trustProxy: config.trustProxy } : {}),
    // The REST API is versioned by path: /api/v1 is the current version. Plain /api is the
    // same version, kept for the dashboard and the gateways already in the field; a v2
    // would get routes of its own and leave these as they are.
    rewriteUrl: (req) => (req.url?.startsWith(`${API_V1}/`) || req.url === API_V1 ? `/api${req.url.slice(API_V1.length)}` : (req.url ?? '/')),
  }).withTypeProvider<TypeBoxTypeProvider>()
  app.setValidatorCompiler(TypeBoxValidatorCompiler)

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (isAppError(error)) {
      return reply.code(error.status).headers(error.headers).send({ error: { code: error.code, message: error.message } })
    }
    if (error.validation) {
      return reply.code(400).send({ error: { code: 'VALIDATION', message: error.message } })
    }
    const status = error.statusCode && error.statusCode >= 400 ? error.statusCode : 500
    if (status >= 500) {
      // Details stay in the log; the client only learns that it was our fault.
      request.log.error({ err: error }, 'request failed')
      return reply.code(500).send({ error: { code: 'INTERNAL', message: 'Internal server error' } })
    }
    return reply.code(status).send({ error: { code: STATUS_CODES[status] ?? 'BAD_REQUEST', message: error.message } })
  })

  // No /api route escapes the permission table: each names a permission, or says it is
  // public or gateway-authenticated, or the app does not start. The catalog is what the
  // tenant-isolation and role tests replay, so a new route is tested the day it is added.
  const routeCatalog: RouteEntry[] = []
  app.decorate('routeCatalog', routeCatalog)
  app.decorate('publicUrl', config.publicUrl)
  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/api')) return
    const access = route.config ?? {}
    const declared = [access.permission !== undefined, access.public === true, access.gateway === true].filter(Boolean).length
    if (declared !== 1)
      throw new Error(`${String(route.method)} ${route.url}: route config must name exactly one of permission, public or gateway`)
    if (access.permission !== undefined && !isPermission(access.permission))
      throw new Error(`${String(route.method)} ${route.url}: unknown permission "${access.permission}"`)
    for (const method of [route.method].flat()) {
      if (method === 'HEAD') continue
      routeCatalog.push({ method, url: route.url, ...(access.permission ? { permission: access.permission } : {}), public: access.public === true, gateway: access.gateway === true, schema: route.schema })
    }
  })

  await app.register(dbPlugin, { database: config.database })
  // Right after the database: its hooks time every route registered after it.
  await app.register(metricsPlugin, { token: config.metricsToken })
  if (config.seedDemo) {
    await app.register(async (instance) => {
      await seedDemo(instance.db, { gatewayKey: config.demoGatewayKey })
    })
  }
  await app.register(docsPlugin, { version: VERSION })
  await app.register(dashboardPlugin, { dashboardDir: config.dashboardDir })

  // Before auth: its onRequest refuses addresses that spent their failed-authentication budget first.
  await app.register(rateLimitPlugin, { limits: config.rateLimits, redisUrl: config.redisUrl, redisKeyPrefix: config.redisKeyPrefix })
  await app.register(authPlugin, { jwtSecret: config.jwtSecret })
  await app.register(realtimePlugin, {
    ...(config.redisUrl ? { redisUrl: config.redisUrl } : {}),
    ...(config.redisKeyPrefix ? { redisKey: config.redisKeyPrefix } : {}),
    // Integrations may listen with an API key, as they call the REST API.
    apiKeys: {
      prefix: API_KEY_MARK,
      async verify(token) {
        const key = await resolveApiKey(app.db, token)
        if (!key) throw unauthorized()
        return { ...key, kind: 'api_key' }
      },
    },
  })
  // Written by the gateway channel (fleet), read by the site and sync routes.
  app.decorate('gatewayPresence', new GatewayPresence())
  await app.register(gatewayChannelPlugin)

  // Before the ingest routes: they pick up its hook (alarms and notices go to its outbox).
  await app.register(notificationsPlugin, { smtp: config.smtp, whatsapp: config.whatsapp, sms: config.sms,
    worker: { allowPrivateWebhooks: config.webhookAllowPrivate === true } })

  // Periodic jobs of the commercial modules; each module registers its own with its routes.
  await app.register(jobsPlugin, { enabled: config.jobs !== false, lock: config.database.driver === 'postgres' })
  if (config.smtp) {
    const mail = new EmailChannel(config.smtp)
    app.jobs.register('mail.send', 30_000, ({ now }) => sendDueMail(app.db, mail, now))
    app.addHook('onClose', async () => mail.close())
  }

  await app.register(
    async (api) => {
      await api.register(healthRoutes, { version: VERSION })
      await api.register(authRoutes, { platformAdminTotp: config.platformAdminTotp ?? 'required' })
      await api.register(identityRoutes)
      await api.register(sitesRoutes)
      await api.register(telemetryRoutes, { retentionDays: config.telemetryRetentionDays })
      await api.register(ingestRoutes)
      await api.register(fleetRoutes)
      await api.register(syncRoutes)
      await api.register(notificationRoutes, { allowPrivateWebhooks: config.webhookAllowPrivate === true })
      await api.register(alarmsRoutes)
      await api.register(rulesRoutes)
      await api.register(reportsRoutes)
      // Commercial modules (issue 8).
      await api.register(crmRoutes)
      await api.register(leasingRoutes)
      await api.register(billingRoutes)
      await api.register(appointmentsRoutes)
    },
    { prefix: '/api' },
  )

  return app
}

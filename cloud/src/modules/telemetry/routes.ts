import { Readable } from 'node:stream'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ErrorReply } from '../../errors.js'
import { DEFAULT_RETENTION_DAYS, maintainPartitions } from './partitions.js'
import { CsvBody, ExportQuery, Series, SeriesQuery, SiteParams } from './schema.js'
import * as service from './service.js'

export interface TelemetryRoutesOptions {
  /** config.telemetryRetentionDays: months older than this are dropped whole. */
  retentionDays?: number | undefined
  /** How often partition maintenance and retention run after the one at startup. */
  maintenanceIntervalMs?: number
}

const common = { tags: ['telemetry'], security: [{ user: [] }] }
const errors = { 400: ErrorReply, 401: ErrorReply, 403: ErrorReply, 404: ErrorReply }
const HOUR_MS = 3_600_000

/**
 * Charts and CSV export of a site's telemetry, and the upkeep of its monthly partitions:
 * maintenance runs once before the app is ready (months ahead, strays out of the default
 * partition, retention) and then every hour.
 */
const telemetryRoutes: FastifyPluginAsyncTypebox<TelemetryRoutesOptions> = async (app, opts) => {
  const retentionDays = opts.retentionDays ?? DEFAULT_RETENTION_DAYS
  const maintain = async () => {
    const result = await maintainPartitions(app.db, retentionDays)
    if (result.created.length || result.dropped.length || result.deletedFromDefault) {
      app.log.info(result, 'telemetry partitions maintained')
    }
  }
  await maintain()
  const timer = setInterval(() => {
    maintain().catch((err: unknown) => app.log.warn({ err }, 'telemetry partition maintenance failed; retried next hour'))
  }, opts.maintenanceIntervalMs ?? HOUR_MS)
  timer.unref()
  app.addHook('onClose', async () => clearInterval(timer))

  app.get(
    '/sites/:siteId/series',
    {
      preHandler: app.authenticate,
      config: { permission: 'telemetry.read' },
      schema: {
        ...common,
        description:
          'One device metric as a chart series, oldest first: raw readings, or min/avg/max/count per 1-minute or ' +
          '1-hour bucket (UTC-aligned). from (inclusive) and to (exclusive) are epoch ms, default the last 24 h; ' +
          'resolution=auto picks raw up to 2 h, 1m up to 2 days, 1h beyond.',
        params: SiteParams,
        querystring: SeriesQuery,
        response: { 200: Series, ...errors },
      },
    },
    (request) => service.getSeries(app.db, request.user, request.params.siteId, request.query),
  )

  app.get(
    '/sites/:siteId/telemetry.csv',
    {
      preHandler: app.authenticate,
      config: { permission: 'telemetry.export' },
      schema: {
        ...common,
        description:
          'Readings as CSV (UTF-8 with BOM, CRLF), ordered by device, metric and time: ' +
          `${service.CSV_HEADER.join(', ')}. hora_utc is ISO 8601 UTC; hora_local is the same instant in the ` +
          "site's time zone (zona_horaria). from/to are epoch ms, default the last 24 h, at most 366 days.",
        params: SiteParams,
        querystring: ExportQuery,
        produces: ['text/csv'],
        response: { 200: CsvBody, ...errors },
      },
    },
    async (request, reply) => {
      const result = await service.exportTelemetry(app.db, request.user.orgId, request.params.siteId, request.query)
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${result.filename}"`)
        .header('cache-control', 'no-store')
        .send(Readable.from(result.chunks))
    },
  )
}

export default telemetryRoutes

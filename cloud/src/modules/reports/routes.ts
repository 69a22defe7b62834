import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { ErrorReply } from '../../errors.js'
import { coldChainCsv } from './csv.js'
import { coldChainPdf } from './pdf.js'
import { ColdChainQuery, ColdChainReport, ReportParams } from './schema.js'
import { coldChainReport, reportFilename } from './service.js'

const errors = { 400: ErrorReply, 401: ErrorReply, 403: ErrorReply, 404: ErrorReply }
/** The CSV and PDF bodies: sent as they are, never serialized. */
const FileBody = Type.Unsafe<Buffer | string>({ type: 'string', format: 'binary' })

/** Issue 7: compliance reports of a site, built from the stored telemetry. */
const reportsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/sites/:siteId/reports/cold-chain',
    {
      config: { permission: 'telemetry.export' },
      schema: {
        tags: ['reports'],
        security: [{ user: [] }],
        description:
          "Daily cold-chain compliance report (HACCP-style) of the site's fridges and freezers, or of deviceId, over the " +
          "site's local day `date` (YYYY-MM-DD, default today: a partial day). Per fridge: its band (its own coldBand or " +
          "its kind's default), readings against those expected, coverage, min/avg/max, time in band, every excursion " +
          '(with whether an alarm covered it) and every gap (silences over max(3 median intervals, 5 min), and the ' +
          "gateway's downsampled or dropped history), never interpolated; verdict ok, excursion or incomplete (no data, or " +
          'over incompleteAbovePct % of the day without data). format=csv: one flat table with a section column, UTF-8 ' +
          'with BOM; lang=es uses ; and a decimal comma, lang=en , and a point. format=pdf: a page per fridge with chart ' +
          'and signature line. lang=es (default) or en.',
        params: ReportParams,
        querystring: ColdChainQuery,
        produces: ['application/json', 'text/csv', 'application/pdf'],
        response: { 200: Type.Union([ColdChainReport, FileBody]), ...errors },
      },
    },
    async (request, reply) => {
      const data = await coldChainReport(app.db, request.user, request.params.siteId, request.query)
      const format = request.query.format ?? 'json'
      const lang = request.query.lang ?? 'es'
      if (format === 'json') return data.report
      const body = format === 'csv' ? coldChainCsv(data.report, lang) : await coldChainPdf(data, { lang })
      return reply
        .header('content-type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/pdf')
        .header('content-disposition', `attachment; filename="${reportFilename(data.report, format)}"`)
        .header('cache-control', 'no-store')
        .send(body)
    },
  )
}

export default reportsRoutes

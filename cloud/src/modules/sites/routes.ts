import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ErrorReply } from '../../errors.js'
import * as service from './service.js'
import {
  AlarmList,
  AlarmsQuery,
  GapList,
  GapsQuery,
  SiteDetail,
  SiteList,
  SiteParams,
  StateList,
  TelemetryList,
  TelemetryQuery,
} from './schema.js'

const common = { tags: ['sites'], security: [{ user: [] }] }
const notFound = { 401: ErrorReply, 404: ErrorReply }

const sitesRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('preHandler', app.authenticate)

  app.get('/sites', { config: { permission: 'sites.read' }, schema: { ...common, response: { 200: SiteList, 401: ErrorReply } } }, (request) =>
    service.listSites(app.db, request.user),
  )

  app.get(
    '/sites/:siteId',
    { config: { permission: 'sites.read' }, schema: { ...common, params: SiteParams, response: { 200: SiteDetail, ...notFound } } },
    (request) => service.getSite(app.db, app.gatewayPresence, request.user, request.params.siteId),
  )

  app.get(
    '/sites/:siteId/telemetry',
    {
      config: { permission: 'telemetry.read' },
      schema: {
        ...common,
        description: 'Readings ascending by time; from/to are epoch ms (default: the last hour).',
        params: SiteParams,
        querystring: TelemetryQuery,
        response: { 200: TelemetryList, ...notFound },
      },
    },
    (request) => service.getTelemetry(app.db, request.user, request.params.siteId, request.query),
  )

  app.get(
    '/sites/:siteId/state',
    { config: { permission: 'sites.read' }, schema: { ...common, params: SiteParams, response: { 200: StateList, ...notFound } } },
    (request) => service.getState(app.db, request.user, request.params.siteId),
  )

  app.get(
    '/sites/:siteId/alarms',
    {
      config: { permission: 'alarms.read' },
      schema: {
        ...common,
        description: 'Newest first. state=active (default) hides cleared alarms; state=all returns every alarm.',
        params: SiteParams,
        querystring: AlarmsQuery,
        response: { 200: AlarmList, ...notFound },
      },
    },
    (request) => service.getAlarms(app.db, request.user, request.params.siteId, request.query),
  )

  app.get(
    '/sites/:siteId/gaps',
    {
      config: { permission: 'telemetry.read' },
      schema: {
        ...common,
        description:
          'History the site\'s gateways downsampled or dropped under their disk budget before the cloud had it, ' +
          'newest first. from/to (epoch ms) select gaps overlapping that window; deviceId those that touched the device.',
        params: SiteParams,
        querystring: GapsQuery,
        response: { 200: GapList, 400: ErrorReply, ...notFound },
      },
    },
    (request) => service.getGaps(app.db, request.user, request.params.siteId, request.query),
  )
}

export default sitesRoutes

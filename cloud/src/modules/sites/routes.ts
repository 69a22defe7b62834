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
  SitesQuery,
  StateList,
  StateQuery,
  TelemetryList,
  TelemetryQuery,
  ActivityList,
  ActivityQuery,
} from './schema.js'

const common = { tags: ['sites'], security: [{ user: [] }] }
const notFound = { 400: ErrorReply, 401: ErrorReply, 404: ErrorReply }

/** Every list here pages the same way (common/pagination.ts); said once in each description. */
const PAGED =
  'Keyset pages: `limit` and `cursor` (the previous page\'s `nextCursor`) in, `{ items, nextCursor }` out; ' +
  'nextCursor is null on the last page. A cursor made under another `sort` is refused (400 PAGINATION_BAD_CURSOR).'

const sitesRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('preHandler', app.authenticate)

  app.get(
    '/sites',
    {
      config: { permission: 'sites.read' },
      schema: {
        ...common,
        description:
          'The organization\'s sites and those other organizations granted it (grantedBy), by name, then id. Each carries ' +
          '`health`: its gateways online, the worst sync lag and buffer of their last reports, the last contact, and the ' +
          `active alarms by severity (null without alarms.read on the site). ${PAGED}`,
        querystring: SitesQuery,
        response: { 200: SiteList, 400: ErrorReply, 401: ErrorReply },
      },
    },
    (request) => service.listSites(app.db, app.gatewayPresence, request.user, request.query),
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
        description:
          'Raw and downsampled readings, oldest first (sort=-time for newest first), ties by gateway and seq; ' +
          'from/to are epoch ms (default: the last hour); deviceId and metric narrow it. Pages of up to 5000 ' +
          `(default 1000), as a chart's hour of readings is thousands of points; use /series for a long window. ${PAGED}`,
        params: SiteParams,
        querystring: TelemetryQuery,
        response: { 200: TelemetryList, ...notFound },
      },
    },
    (request) => service.getTelemetry(app.db, request.user, request.params.siteId, request.query),
  )

  app.get(
    '/sites/:siteId/state',
    {
      config: { permission: 'sites.read' },
      schema: {
        ...common,
        description: `The devices' last known state, by deviceId then key; deviceId narrows to one device. ${PAGED}`,
        params: SiteParams,
        querystring: StateQuery,
        response: { 200: StateList, ...notFound },
      },
    },
    (request) => service.getState(app.db, request.user, request.params.siteId, request.query),
  )

  app.get(
    '/sites/:siteId/alarms',
    {
      config: { permission: 'alarms.read' },
      schema: {
        ...common,
        description:
          'Newest change first (sort=updatedAt for oldest first), ties by alarmId. state=active (default) hides cleared ' +
          'alarms, state=all returns every alarm; severity and deviceId narrow it. acknowledgedBy/clearedBy name the cloud ' +
          `user who asked for it. ${PAGED}`,
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
          'newest first by the end of the period (sort=toTime for oldest first), ties by gateway and seq. from/to (epoch ms) ' +
          `select gaps overlapping that window; deviceId those that touched the device. ${PAGED}`,
        params: SiteParams,
        querystring: GapsQuery,
        response: { 200: GapList, ...notFound },
      },
    },
    (request) => service.getGaps(app.db, request.user, request.params.siteId, request.query),
  )

  app.get(
    '/activity',
    {
      config: { permission: 'sites.read' },
      schema: {
        ...common,
        description:
          'What happened across the sites, newest first: the gateways\' alarm changes, state changes (relays, doors, devices ' +
          'online), door and card access, commands and their answers, device events and payments, each with the body the ' +
          'gateway logged. Granted sites come in when the grant includes sites.read, their alarm changes only with ' +
          `alarms.read. siteId and kind narrow it. Ordered by (time, gatewayId, seq) descending. ${PAGED}`,
        querystring: ActivityQuery,
        response: { 200: ActivityList, 400: ErrorReply, 401: ErrorReply, 404: ErrorReply },
      },
    },
    (request) => service.listActivity(app.db, request.user, request.query),
  )
}

export default sitesRoutes

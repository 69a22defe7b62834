import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ErrorReply } from '../../errors.js'
import { withIdempotency } from '../common/idempotency.js'
import * as service from './service.js'
import { AlarmActionBody, AlarmActionParams, AlarmCommandView, OrgAlarmPage, OrgAlarmsQuery, type AlarmAction } from './schema.js'

const common = { tags: ['alarms'], security: [{ user: [] }] }
const errors = { 400: ErrorReply, 401: ErrorReply, 403: ErrorReply, 404: ErrorReply, 409: ErrorReply, 422: ErrorReply }

const ACTION_DESCRIPTION: Record<AlarmAction, string> = {
  ack: 'Acknowledges the alarm on the gateway that raised it (stops its escalation).',
  clear: 'Clears the alarm on the gateway that raised it (also a latched one).',
}

/**
 * The organization's alarms, and acknowledging or clearing one from the cloud. The
 * alarms themselves are the gateways' (mirrored by ingest); an action here is a command
 * to the gateway, answered 202: the mirror and the site's `alarm` push change when the
 * gateway's own change comes back up. README.md has the offline behaviour.
 */
const alarmsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('preHandler', app.authenticate)

  app.get(
    '/alarms',
    {
      config: { permission: 'alarms.read' },
      schema: {
        ...common,
        description:
          'The organization\'s alarms across its sites, newest change first. state=active (default) is raised or acknowledged; ' +
          'from/to (epoch ms) bound the last change; siteId narrows to one site. Sites another organization granted ' +
          'alarms.read on are included. Keyset pages: `limit` and `cursor` (the previous page\'s `nextCursor`) in, ' +
          '`{ items, nextCursor }` out, ordered by (updatedAt, siteId, alarmId) descending.',
        querystring: OrgAlarmsQuery,
        response: { 200: OrgAlarmPage, 400: ErrorReply, 401: ErrorReply, 404: ErrorReply },
      },
    },
    (request) => service.listOrgAlarms(app.db, request.user, request.query),
  )

  for (const action of ['ack', 'clear'] as const) {
    app.post(
      `/sites/:siteId/alarms/:alarmId/${action}`,
      {
        config: { permission: 'alarms.manage' },
        schema: {
          ...common,
          description: `${ACTION_DESCRIPTION[action]} Answers 202 with the command; status \`pending\` means the gateway is offline and gets it when it reconnects.`,
          params: AlarmActionParams,
          body: AlarmActionBody,
          response: { 202: AlarmCommandView, ...errors },
        },
      },
      async (request, reply) => {
        // A retried tap with the same Idempotency-Key gets the first answer, not a second command.
        await withIdempotency(app.db, request, reply, request.user.orgId, async () => ({
          status: 202,
          body: await service.requestAlarmAction(app.db, app.gatewayChannel, request, {
            siteId: request.params.siteId,
            alarmId: request.params.alarmId,
            action,
            note: request.body?.note,
          }),
        }))
        return reply
      },
    )
  }
}

export default alarmsRoutes

import fp from 'fastify-plugin'
import { gatewayStatusForPush } from '../sync/service.js'
import { GatewayChannel } from './channel.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The gateways' WebSocket downlink (desired config and commands, channel.ts). */
    gatewayChannel: GatewayChannel
  }
}

/**
 * The gateways' channel, at the root of the app so every module can send down it (fleet
 * commands and config, alarm acknowledgements).
 */
export default fp(
  async (app) => {
    const log = app.log.child({ component: 'gateway-channel' })
    const channel = new GatewayChannel({
      db: app.db,
      logger: log,
      presence: app.gatewayPresence,
      // `gateway.sync` to the site room. A gateway that never reported has no figures to
      // show yet; the site detail still tells whether it is online.
      onSyncChange: (gatewayId) => {
        gatewayStatusForPush(app.db, app.gatewayPresence, gatewayId).then(
          (view) => {
            if (view?.sync) app.realtime.emitToSite(view.siteId, 'gateway.sync', { gatewayId: view.id, ...view })
          },
          (err: unknown) => log.warn({ err, gatewayId }, 'gateway.sync push failed'),
        )
      },
    })
    channel.attach(app.server)
    app.addHook('preClose', async () => channel.close(app.server))
    app.decorate('gatewayChannel', channel)
  },
  { name: 'gateway-channel', dependencies: ['realtime'] },
)

import fp from 'fastify-plugin'
import { Server } from 'socket.io'
import { isAppError } from '../errors.js'
import { findSiteForOrg } from '../modules/sites/service.js'
import type { AuthUser } from './auth.js'

export type RealtimeEvent = 'telemetry' | 'state' | 'alarm' | 'gap' | 'gateway.sync'

export interface Realtime {
  /** Pushes to every socket that joined `site:<siteId>`. */
  emitToSite(siteId: string, event: RealtimeEvent, payload: unknown): void
}

declare module 'fastify' {
  interface FastifyInstance {
    realtime: Realtime
    io: Server
  }
}

type JoinAck = (answer: { ok: true } | { ok: false; error: string }) => void

export const siteRoom = (siteId: string): string => `site:${siteId}`

/**
 * Socket.IO on the same HTTP server and port as the API. A socket proves who it is once,
 * at connect, with the same user JWT as the REST API; joining a site room checks the
 * site belongs to the user's organization, so pushes never cross tenants.
 */
export default fp(
  async (app) => {
    const io = new Server(app.server, { path: '/socket.io', serveClient: false })

    io.use((socket, next) => {
      const token: unknown = socket.handshake.auth?.token
      if (typeof token !== 'string') return next(new Error('unauthorized'))
      app.userTokens.verify(token).then(
        (user) => {
          socket.data.user = user
          next()
        },
        () => next(new Error('unauthorized')),
      )
    })

    io.on('connection', (socket) => {
      const user = socket.data.user as AuthUser
      socket.on('site:join', async (siteId: unknown, ack: unknown) => {
        const reply: JoinAck = typeof ack === 'function' ? (ack as JoinAck) : () => {}
        try {
          const site = await findSiteForOrg(app.db, user.orgId, typeof siteId === 'string' ? siteId : '')
          await socket.join(siteRoom(site.id))
          reply({ ok: true })
        } catch (err) {
          if (!isAppError(err)) app.log.error({ err, orgId: user.orgId }, 'site:join failed')
          reply({ ok: false, error: isAppError(err) ? err.code : 'INTERNAL' })
        }
      })
    })

    app.decorate('io', io)
    app.decorate('realtime', {
      emitToSite: (siteId, event, payload) => {
        io.to(siteRoom(siteId)).emit(event, payload)
      },
    })

    // Open websockets would keep server.close() waiting forever.
    app.addHook('preClose', async () => {
      io.local.disconnectSockets(true)
    })
    app.addHook('onClose', async () => {
      // io.close() also closes the HTTP server Fastify already closed; that error is expected.
      await io.close().catch(() => {})
    })
  },
  { name: 'realtime', dependencies: ['auth', 'db'] },
)

import { createAdapter } from '@socket.io/redis-adapter'
import { createClient, type RedisClientType } from '@redis/client'
import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { Server } from 'socket.io'
import { isAppError, unauthorized } from '../errors.js'
import { findSiteForRoom } from '../modules/sites/service.js'
import type { AuthUser } from './auth.js'

export type RealtimeEvent = 'telemetry' | 'state' | 'alarm' | 'gap' | 'gateway.sync' | (string & {})

export interface Realtime {
  /** Pushes to every socket that joined `site:<siteId>`, on every cloud instance. */
  emitToSite(siteId: string, event: RealtimeEvent, payload: unknown): void
  /** Pushes to every socket of the organization's users (they join `org:<orgId>` on connect). */
  emitToOrg(orgId: string, event: RealtimeEvent, payload: unknown): void
  /** Closes every socket of a user, on every instance (a disabled user, a revoked session). */
  disconnectUser(userId: string): void
}

declare module 'fastify' {
  interface FastifyInstance {
    realtime: Realtime
    io: Server
  }
}

/**
 * API keys connect with the key itself as `auth.token`. The identity module owns the key
 * format and its verification; it plugs in here (`apiKeys` option) and every token that
 * starts with `prefix` goes to it instead of the JWT check.
 */
export interface SocketApiKeys {
  prefix: string
  /** Throws (e.g. AUTH_UNAUTHORIZED) for an unknown or revoked key. */
  verify(token: string): Promise<AuthUser>
}

export interface RealtimeOptions {
  /**
   * REDIS_URL: with it, rooms are shared by every cloud instance through Redis pub/sub
   * (@socket.io/redis-adapter), so an ingest on one instance reaches dashboards on another.
   */
  redisUrl?: string
  /** Prefix of the Redis channels; instances share rooms only when they share it. */
  redisKey?: string
  apiKeys?: SocketApiKeys
}

type JoinAck = (answer: { ok: true } | { ok: false; error: string }) => void

export const siteRoom = (siteId: string): string => `site:${siteId}`
export const orgRoom = (orgId: string): string => `org:${orgId}`
export const userRoom = (userId: string): string => `user:${userId}`

export const DEFAULT_REDIS_KEY = 'tendero'

/** How long a starting cloud waits for Redis before refusing to start. */
const REDIS_STARTUP_TIMEOUT_MS = 5000
const REDIS_STARTUP_RETRY_MS = 250
/** After a lost connection: back off up to this, forever; the cloud itself keeps serving. */
const REDIS_MAX_BACKOFF_MS = 5000

/**
 * Socket.IO on the same HTTP server and port as the API. A socket proves who it is once,
 * at connect, with the same user JWT as the REST API (or an API key, see SocketApiKeys),
 * and joins its organization's room; joining a site room checks the site through
 * findSiteForRoom (its own site, or a shared one whose grant covers all
 * that the room carries), so pushes never cross tenants.
 */
export default fp<RealtimeOptions>(
  async (app, opts) => {
    const io = new Server(app.server, { path: '/socket.io', serveClient: false })

    const redis = opts.redisUrl ? await connectRedis(opts.redisUrl, app.log) : undefined
    if (redis) io.adapter(createAdapter(redis.pub, redis.sub, { key: opts.redisKey ?? DEFAULT_REDIS_KEY }))

    io.use((socket, next) => {
      const token: unknown = socket.handshake.auth?.token
      if (typeof token !== 'string' || token === '') return next(new Error('unauthorized'))
      authenticateSocket(app, opts.apiKeys, token).then(
        (user) => {
          socket.data.user = user
          next()
        },
        (err: unknown) => {
          if (!isAppError(err)) app.log.error({ err }, 'socket authentication failed')
          next(new Error('unauthorized'))
        },
      )
    })

    io.on('connection', (socket) => {
      const user = socket.data.user as AuthUser
      void socket.join([orgRoom(user.orgId), userRoom(user.id)])
      socket.on('site:join', async (siteId: unknown, ack: unknown) => {
        const reply: JoinAck = typeof ack === 'function' ? (ack as JoinAck) : () => {}
        try {
          const site = await findSiteForRoom(app.db, user.orgId, typeof siteId === 'string' ? siteId : '')
          await socket.join(siteRoom(site.id))
          reply({ ok: true })
        } catch (err) {
          if (!isAppError(err)) app.log.error({ err, orgId: user.orgId }, 'site:join failed')
          reply({ ok: false, error: isAppError(err) ? err.code : 'INTERNAL' })
        }
      })
      socket.on('site:leave', async (siteId: unknown, ack: unknown) => {
        if (typeof siteId === 'string') await socket.leave(siteRoom(siteId))
        if (typeof ack === 'function') (ack as JoinAck)({ ok: true })
      })
    })

    app.decorate('io', io)
    app.decorate('realtime', {
      emitToSite: (siteId, event, payload) => {
        io.to(siteRoom(siteId)).emit(event, payload)
      },
      emitToOrg: (orgId, event, payload) => {
        io.to(orgRoom(orgId)).emit(event, payload)
      },
      disconnectUser: (userId) => {
        io.in(userRoom(userId)).disconnectSockets(true)
      },
    } satisfies Realtime)

    // Open websockets would keep server.close() waiting forever.
    app.addHook('preClose', async () => {
      io.local.disconnectSockets(true)
    })
    app.addHook('onClose', async () => {
      // io.close() also closes the HTTP server Fastify already closed; that error is expected.
      await io.close().catch(() => {})
      await redis?.close()
    })
  },
  { name: 'realtime', dependencies: ['auth', 'db'] },
)

/**
 * A user JWT, valid and unexpired, of a user who still exists and is not disabled (a
 * token outlives a disabling by up to its TTL; the socket must not). Tokens that carry
 * the API key prefix go to the identity module's verifier.
 */
async function authenticateSocket(app: FastifyInstance, apiKeys: SocketApiKeys | undefined, token: string): Promise<AuthUser> {
  if (apiKeys && token.startsWith(apiKeys.prefix)) return apiKeys.verify(token)
  const user = await app.userTokens.verify(token)
  const row = await app.db
    .selectFrom('users')
    .select('id')
    .where('id', '=', user.id)
    .where('org_id', '=', user.orgId)
    .where('disabled_at', 'is', null)
    .executeTakeFirst()
  if (!row) throw unauthorized()
  return user
}

interface RedisPair {
  pub: RedisClientType
  sub: RedisClientType
  close(): Promise<void>
}

/**
 * The adapter's two connections (a subscribed connection cannot publish).
 *
 * At startup Redis must answer within REDIS_STARTUP_TIMEOUT_MS or the cloud refuses to
 * start: an operator who set REDIS_URL runs several instances, and one that came up
 * without the adapter would look healthy while its dashboards silently miss every push
 * ingested elsewhere. Once running, a lost Redis never takes the process down: the
 * clients reconnect with backoff (the subscriber resubscribes), pushes still reach this
 * instance's own sockets, and those meant for other instances are dropped, not queued,
 * so nothing stale floods the dashboards when Redis is back (they refetch on reconnect).
 */
async function connectRedis(url: string, log: FastifyBaseLogger): Promise<RedisPair> {
  const where = redactUrl(url)
  const pub = redisClient(url, 'publisher', where, log)
  const sub = redisClient(url, 'subscriber', where, log)
  try {
    await Promise.all([pub.connect(), sub.connect()])
  } catch (err) {
    pub.destroy()
    sub.destroy()
    throw new Error(
      `REDIS_URL: cannot connect to Redis at ${where} within ${REDIS_STARTUP_TIMEOUT_MS / 1000} s ` +
        `(${(err as Error).message}). Socket.IO needs it to share rooms between cloud instances; ` +
        'start Redis, or unset REDIS_URL to run a single instance without it.',
    )
  }
  // The adapter publishes without handling the promise; a rejection (Redis down, offline
  // queue disabled) would be an unhandled rejection and end the process.
  const publish = pub.publish.bind(pub)
  let dropped = 0
  Object.defineProperty(pub, 'publish', {
    value: (channel: string, message: string | Buffer) =>
      publish(channel, message).catch(() => {
        if (dropped++ === 0) log.warn({ redis: where }, 'Redis unavailable: realtime pushes reach only this instance\'s clients')
        return 0
      }),
  })
  pub.on('ready', () => {
    if (dropped > 0) log.info({ redis: where, dropped }, 'Redis back: realtime pushes reach every instance again')
    dropped = 0
  })
  log.info({ redis: where }, 'Socket.IO shares its rooms through Redis')
  return {
    pub,
    sub,
    async close() {
      await Promise.all([pub.close(), sub.close()].map((p) => p.catch(() => {})))
    },
  }
}

function redisClient(url: string, role: string, where: string, log: FastifyBaseLogger): RedisClientType {
  let everReady = false
  const started = Date.now()
  const client = createClient({
    url,
    // Commands while disconnected fail at once instead of piling up in memory.
    disableOfflineQueue: true,
    socket: {
      connectTimeout: REDIS_STARTUP_TIMEOUT_MS,
      reconnectStrategy: (retries, cause) => {
        if (!everReady) return Date.now() - started < REDIS_STARTUP_TIMEOUT_MS ? REDIS_STARTUP_RETRY_MS : cause
        return Math.min(100 * 2 ** retries, REDIS_MAX_BACKOFF_MS)
      },
    },
  }) as RedisClientType
  let down = false
  client.on('ready', () => {
    everReady = true
    if (down) log.info({ redis: where, role }, 'Redis connection restored')
    down = false
  })
  // Without an 'error' listener node-redis would throw from the event emitter.
  client.on('error', (err: Error) => {
    if (!everReady || down) return
    down = true
    log.error({ redis: where, role, err: err.message }, 'Redis connection lost; reconnecting')
  })
  return client
}

/** The URL as it may appear in logs and errors: no password. */
function redactUrl(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password) parsed.password = '***'
    return parsed.toString()
  } catch {
    return 'REDIS_URL'
  }
}

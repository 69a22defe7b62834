import { createClient, type RedisClientType } from '@redis/client'
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { AppError } from '../errors.js'

/**
 * Rate limits for the whole `/api` (issue 6, "Abuse"), on top of the login guard
 * (auth/guard.ts) and the claim guard (fleet/claim-guard.ts), which stay as they are.
 *
 * Who pays: the principal the request speaks for, so an office of twenty behind one NAT
 * does not share one budget. A permission route is charged to its user or API key (the auth
 * plugin has resolved it in onRequest); the gateway route (ingest) to its gateway id (the
 * route's own onRequest checked the key); a public route to the client address, which
 * Fastify derives honouring TRUST_PROXY. The charge is taken in preParsing: after those
 * hooks, before a body (up to 5 MB on ingest) is read.
 *
 * Four budgets, each "so many per minute" with a burst of the same size (0 = off): reads
 * (GET/HEAD), writes (the other methods), public routes, and the gateway uplink. The last
 * one is generous on purpose: the uplink (gateway/src/uplink/uploader.ts) posts one batch
 * at a time and, while a backlog drains after an outage, the next one as soon as the
 * previous is acknowledged, with no pause; it must never be what slows a catch-up.
 *
 * Requests that fail authentication (401 on a non-public route) are charged to their
 * client address against the public budget; an address that spent it is refused at once,
 * before its next token is even checked, until its retry-after. That local memory of
 * refused addresses spares a Redis round trip on every request.
 *
 * Algorithm: GCRA, the token bucket written as one timestamp per key (the "theoretical
 * arrival time"), so a bucket is one number in memory and one short string in Redis, and
 * remaining/reset come out exact instead of in fixed-window steps (a fixed window lets a
 * client spend twice its budget across a window boundary).
 *
 * Why not @fastify/rate-limit: its Redis store is written for ioredis (it calls
 * `defineCommand`), while the app already talks to Redis through @redis/client
 * (plugins/realtime.ts); it counts in fixed windows; and its key generator runs before the
 * route's own authentication, where the gateway id is not known yet. What we need is a
 * short Lua script and a map, cheaper than a second Redis client library.
 *
 * Redis (REDIS_URL): every instance shares the buckets, under `<REDIS_KEY_PREFIX>:rl:`. Time
 * is Redis's own clock (TIME), so instances with skewed clocks agree. When Redis is down,
 * slow (over REDIS_TIMEOUT_MS) or not connected yet, the instance fails open to its own
 * in-memory buckets, with a warning logged once per outage: a Redis outage never turns
 * into a 500 or a stall, and each instance still limits what it sees.
 */

export interface RateLimits {
  /** GET/HEAD on permission routes, per user or API key per minute. */
  readPerMin: number
  /** Other methods on permission routes, per user or API key per minute. */
  writePerMin: number
  /** Public routes per client address per minute; also the budget of failed authentications. */
  publicPerMin: number
  /** The gateway routes (ingest) per gateway per minute. */
  gatewayPerMin: number
}

/**
 * Defaults, per principal per minute. A dashboard page fires a dozen GETs and refreshes
 * its gateways every 30 s; a busy operator makes a few writes a minute; an integration
 * polling every second uses 60 reads. A gateway sends at most 2 batches a second when idle
 * (uploader idleMs 500) and, draining a backlog, one batch per round trip. Measured on
 * test/sync/outage.test.ts (real processes, PostgreSQL): a 27k-event backlog drained at 12
 * batches a second at most, 75 batches in the whole test. 6000 a minute (100/s sustained,
 * with a burst of a full minute) is 8 times that, and above what the cloud can acknowledge
 * for one gateway's batches of 1000 (bench cloud-ingest: 65k points/s for the whole cloud).
 */
export const DEFAULT_RATE_LIMITS: RateLimits = {
  readPerMin: 1200,
  writePerMin: 300,
  publicPerMin: 300,
  gatewayPerMin: 6000,
}

export type Budget = 'read' | 'write' | 'public' | 'gateway' | 'auth'

export interface RateLimitOptions {
  limits?: Partial<RateLimits> | undefined
  redisUrl?: string | undefined
  /** REDIS_KEY_PREFIX (default `tendero`); instances share budgets only when they share it. */
  redisKeyPrefix?: string | undefined
  /** In-memory buckets kept at most; beyond it the least recently used are forgotten. */
  maxKeys?: number
  /** For tests. */
  now?: () => number
}

/** One decision: allowed or not, and when the bucket is full again or worth retrying. */
export interface Decision {
  allowed: boolean
  limit: number
  remaining: number
  /** Until the bucket is full again (ms). */
  resetMs: number
  /** Refused: until one request fits again (ms). */
  retryAfterMs: number
}

export interface BucketStore {
  /** Takes one request from the bucket `key` holding `limit` per `windowMs`. */
  take(key: string, limit: number, windowMs: number): Promise<Decision>
  /** True when the counts are shared with the other instances (Redis connected). */
  shared(): boolean
}

const WINDOW_MS = 60_000
const DEFAULT_MAX_KEYS = 100_000
const SWEEP_EVERY_MS = 60_000
/** A Redis answer slower than this falls back to memory for that request. */
const REDIS_TIMEOUT_MS = 250
const REDIS_CONNECT_WAIT_MS = 2000
const REDIS_MAX_BACKOFF_MS = 5000

/** GCRA from a stored theoretical arrival time; shared by both stores so they agree to the ms. */
export function gcra(tat: number, now: number, limit: number, windowMs: number): { decision: Decision; tat: number } {
  const interval = windowMs / limit
  const base = Math.max(tat, now)
  const next = base + interval
  if (next - now > windowMs) {
    return { tat, decision: { allowed: false, limit, remaining: 0, resetMs: base - now, retryAfterMs: next - windowMs - now } }
  }
  const remaining = Math.floor((windowMs - (next - now)) / interval + 1e-9)
  return { tat: next, decision: { allowed: true, limit, remaining, resetMs: next - now, retryAfterMs: 0 } }
}

/** Buckets of one instance: a Map in least-recently-used order, idle (full) buckets swept. */
export class MemoryBuckets implements BucketStore {
  private readonly tats = new Map<string, number>()
  private lastSweep: number

  constructor(
    private readonly maxKeys = DEFAULT_MAX_KEYS,
    private readonly now: () => number = Date.now,
  ) {
    this.lastSweep = now()
  }

  get size(): number {
    return this.tats.size
  }

  shared(): boolean {
    return false
  }

  async take(key: string, limit: number, windowMs: number): Promise<Decision> {
    return this.takeNow(key, limit, windowMs)
  }

  takeNow(key: string, limit: number, windowMs: number): Decision {
    const now = this.now()
    if (now - this.lastSweep >= SWEEP_EVERY_MS) this.sweep(now)
    const { decision, tat } = gcra(this.tats.get(key) ?? 0, now, limit, windowMs)
    this.tats.delete(key)
    this.tats.set(key, tat)
    // The oldest entry is the least recently used: forgetting it only hands it a fresh bucket.
    if (this.tats.size > this.maxKeys) this.tats.delete(this.tats.keys().next().value as string)
    return decision
  }

  /** A bucket whose arrival time has passed is full again: same as no entry at all. */
  sweep(now = this.now()): void {
    this.lastSweep = now
    for (const [key, tat] of this.tats) if (tat <= now) this.tats.delete(key)
  }
}

/**
 * GCRA in Redis, atomically. Times in ms from Redis's clock; the arrival time is written
 * with three decimals (a per-minute budget that does not divide 60,000 ms has a fractional
 * interval) and expires when the bucket is full again, so idle keys leave by themselves.
 * Returns {allowed, tat - now} and the caller derives the rest with the same formulas.
 */
const GCRA_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local interval = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local nexttat = tat + interval
if nexttat - now > window then
  return {0, tostring(tat - now)}
end
redis.call('SET', KEYS[1], string.format('%.3f', nexttat), 'PX', math.ceil(nexttat - now))
return {1, tostring(nexttat - now)}
`

export class RedisBuckets implements BucketStore {
  constructor(
    private readonly client: RedisClientType,
    private readonly prefix: string,
  ) {}

  shared(): boolean {
    return this.client.isReady
  }

  async take(key: string, limit: number, windowMs: number): Promise<Decision> {
    const interval = windowMs / limit
    const reply = (await this.client.eval(GCRA_SCRIPT, {
      keys: [`${this.prefix}:rl:${key}`],
      arguments: [String(interval), String(windowMs)],
    })) as [number, string]
    const ahead = Number(reply[1])
    if (reply[0] !== 1) return { allowed: false, limit, remaining: 0, resetMs: ahead, retryAfterMs: ahead + interval - windowMs }
    return { allowed: true, limit, remaining: Math.floor((windowMs - ahead) / interval + 1e-9), resetMs: ahead, retryAfterMs: 0 }
  }
}

/**
 * Redis when it answers, this instance's memory when it does not. A failure is logged once
 * when it starts and once when Redis answers again, never per request.
 */
class FailOpenBuckets implements BucketStore {
  private failing = false

  constructor(
    private readonly client: RedisClientType,
    private readonly redis: RedisBuckets,
    private readonly memory: MemoryBuckets,
    private readonly log: FastifyBaseLogger,
  ) {}

  shared(): boolean {
    return this.client.isReady
  }

  async take(key: string, limit: number, windowMs: number): Promise<Decision> {
    if (!this.client.isReady) return this.fallback(key, limit, windowMs, new Error('not connected'))
    let timer: NodeJS.Timeout | undefined
    try {
      const decision = await Promise.race([
        this.redis.take(key, limit, windowMs),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${REDIS_TIMEOUT_MS} ms`)), REDIS_TIMEOUT_MS)
        }),
      ])
      if (this.failing) this.log.info('rate limit: Redis answers again; budgets are shared by every instance')
      this.failing = false
      return decision
    } catch (err) {
      return this.fallback(key, limit, windowMs, err as Error)
    } finally {
      clearTimeout(timer)
    }
  }

  private fallback(key: string, limit: number, windowMs: number, err: Error): Decision {
    if (!this.failing) this.log.warn({ err: err.message }, "rate limit: Redis unavailable; counting in this instance's memory until it answers")
    this.failing = true
    return this.memory.takeNow(key, limit, windowMs)
  }
}

export const rateLimited = (d: Decision): AppError =>
  new AppError('RATE_LIMITED', 429, 'Too many requests; wait and retry', {
    ...rateLimitHeaders(d),
    'retry-after': String(Math.max(1, Math.ceil(d.retryAfterMs / 1000))),
  })

function rateLimitHeaders(d: Decision): Record<string, string> {
  return {
    'x-ratelimit-limit': String(d.limit),
    'x-ratelimit-remaining': String(d.remaining),
    'x-ratelimit-reset': String(Math.max(0, Math.ceil(d.resetMs / 1000))),
  }
}

/** Which budget a request spends, and on whose name; undefined for routes outside the limits. */
export function chargeFor(request: FastifyRequest): { budget: Budget; principal: string } | undefined {
  const access = request.routeOptions.config
  if (!request.routeOptions.url?.startsWith('/api')) return undefined
  if (access?.public) return { budget: 'public', principal: `ip:${request.ip}` }
  if (access?.gateway) {
    const gatewayId = (request as { gateway?: { id?: string } }).gateway?.id
    return gatewayId ? { budget: 'gateway', principal: `gw:${gatewayId}` } : undefined
  }
  if (access?.permission && request.user) {
    const who = request.user.kind === 'api_key' ? `key:${request.user.id}` : `user:${request.user.id}`
    return { budget: request.method === 'GET' || request.method === 'HEAD' ? 'read' : 'write', principal: who }
  }
  return undefined
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The buckets the limiter uses (Redis or memory); tests and benches inspect them. */
    rateLimitBuckets: BucketStore
  }
}

export default fp<RateLimitOptions>(
  async (app, opts) => {
    const limits: RateLimits = { ...DEFAULT_RATE_LIMITS, ...opts.limits }
    const perMin: Record<Budget, number> = {
      read: limits.readPerMin,
      write: limits.writePerMin,
      public: limits.publicPerMin,
      gateway: limits.gatewayPerMin,
      auth: limits.publicPerMin,
    }
    const now = opts.now ?? Date.now
    const memory = new MemoryBuckets(opts.maxKeys ?? DEFAULT_MAX_KEYS, now)
    let buckets: BucketStore = memory
    let client: RedisClientType | undefined
    if (opts.redisUrl) {
      client = await connectRedis(opts.redisUrl, app.log)
      buckets = new FailOpenBuckets(client, new RedisBuckets(client, opts.redisKeyPrefix ?? 'tendero'), memory, app.log)
    }
    app.decorate('rateLimitBuckets', buckets)

    // Addresses that spent their failed-authentication budget, until when: this instance's
    // own note, so refusing them costs no round trip (the count itself may live in Redis).
    const refused = new Map<string, { until: number; decision: Decision }>()

    app.addHook('onRequest', async (request) => {
      if (refused.size === 0 || request.routeOptions.config?.public || !request.routeOptions.url?.startsWith('/api')) return
      const entry = refused.get(request.ip)
      if (!entry) return
      const left = entry.until - now()
      if (left <= 0) refused.delete(request.ip)
      else throw rateLimited({ ...entry.decision, retryAfterMs: left, resetMs: left })
    })

    app.addHook('preParsing', async (request, reply) => {
      const charge = chargeFor(request)
      if (!charge) return
      const limit = perMin[charge.budget]
      if (limit <= 0) return
      const decision = await buckets.take(`${charge.budget}:${charge.principal}`, limit, WINDOW_MS)
      if (!decision.allowed) {
        request.log.warn({ budget: charge.budget, principal: charge.principal, orgId: request.user?.orgId }, 'rate limited')
        throw rateLimited(decision)
      }
      void reply.headers(rateLimitHeaders(decision))
    })

    app.addHook('onResponse', async (request: FastifyRequest, reply: FastifyReply) => {
      if (reply.statusCode !== 401 || perMin.auth <= 0) return
      const access = request.routeOptions.config
      if (!request.routeOptions.url?.startsWith('/api') || access?.public) return
      const decision = await buckets.take(`auth:ip:${request.ip}`, perMin.auth, WINDOW_MS).catch(() => undefined)
      if (!decision || decision.allowed) return
      request.log.warn({ ip: request.ip }, 'rate limited: too many failed authentications from this address')
      refused.delete(request.ip)
      refused.set(request.ip, { until: now() + decision.retryAfterMs, decision })
      if (refused.size > DEFAULT_MAX_KEYS) refused.delete(refused.keys().next().value as string)
    })

    app.addHook('onClose', async () => {
      await client?.close().catch(() => client?.destroy())
    })
  },
  { name: 'rate-limit' },
)

/**
 * The limiter's own connection. Unlike Socket.IO's adapter (plugins/realtime.ts), a
 * missing Redis never stops the start: the limiter waits a moment for it, then counts in
 * memory and keeps reconnecting in the background with backoff.
 */
async function connectRedis(url: string, log: FastifyBaseLogger): Promise<RedisClientType> {
  const client = createClient({
    url,
    // A command while disconnected fails at once (and falls back) instead of queueing.
    disableOfflineQueue: true,
    socket: {
      connectTimeout: REDIS_CONNECT_WAIT_MS,
      reconnectStrategy: (retries) => Math.min(100 * 2 ** retries, REDIS_MAX_BACKOFF_MS),
    },
  }) as RedisClientType
  // Without an 'error' listener node-redis would throw from the event emitter; the fallback logs.
  client.on('error', () => {})
  let timer: NodeJS.Timeout | undefined
  const connected = await Promise.race([
    client.connect().then(() => true, () => false),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), REDIS_CONNECT_WAIT_MS)
    }),
  ])
  clearTimeout(timer)
  if (!connected) log.warn("rate limit: Redis not reachable at start; counting in this instance's memory until it answers")
  return client
}

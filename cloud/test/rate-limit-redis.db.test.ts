import { randomBytes } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { createClient } from '@redis/client'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../src/app.js'
import type { CloudConfig } from '../src/config.js'
import { DEMO } from '../src/seed.js'
import { testConfig } from './support/app.js'
import { createTestDatabase, testDrivers, type TestDatabase } from './support/drivers.js'
import { startRedisRelay, TEST_REDIS, type RedisRelay } from './support/redis.js'

async function until(check: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out')
    await new Promise((r) => setTimeout(r, 50))
  }
}

describe.each(testDrivers())('rate limits shared by two cloud instances through Redis, on %s', (driver) => {
  // Unique per run: parallel runs on the same Redis must not share budgets.
  const redisKeyPrefix = `tendero-rl-test-${randomBytes(6).toString('hex')}`
  const databases: TestDatabase[] = []
  const apps: FastifyInstance[] = []
  let relay: RedisRelay
  let urlA: string
  let urlB: string
  let a: FastifyInstance
  let b: FastifyInstance
  let token: string

  const instance = async () => {
    // Each instance has its own PGlite (one process per embedded database); PostgreSQL is shared.
    let database: CloudConfig['database']
    if (driver === 'postgres' && databases.length) database = databases[0]!.database
    else {
      const db = await createTestDatabase(driver)
      databases.push(db)
      database = db.database
    }
    const app = await buildApp(testConfig(database, {
      redisUrl: relay.url, redisKeyPrefix, rateLimits: { readPerMin: 4, writePerMin: 100, publicPerMin: 6, gatewayPerMin: 100 },
    }))
    apps.push(app)
    await app.listen({ port: 0, host: '127.0.0.1' })
    return { app, url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}` }
  }

  beforeAll(async () => {
    relay = await startRedisRelay()
    ;({ app: a, url: urlA } = await instance())
    ;({ app: b, url: urlB } = await instance())
    const login = await fetch(`${urlA}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: DEMO.user.email, password: DEMO.user.password }) })
    token = ((await login.json()) as { token: string }).token
  }, 90_000)

  afterAll(async () => {
    for (const app of apps) await app.close()
    for (const db of databases) await db.drop()
    await relay?.close()
    const redis = createClient({ url: TEST_REDIS.toString() })
    await redis.connect()
    const keys = await redis.keys(`${redisKeyPrefix}:*`)
    if (keys.length) await redis.del(keys)
    await redis.close()
  })

  it('spends one public budget per address, whichever instance answers', async () => {
    const seen: { status: number; remaining: string | null }[] = []
    for (let i = 0; i < 8; i++) {
      const res = await fetch(`${i % 2 ? urlB : urlA}/api/time`)
      seen.push({ status: res.status, remaining: res.headers.get('x-ratelimit-remaining') })
      if (res.status === 429) {
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe('RATE_LIMITED')
        expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
      } else await res.body?.cancel()
    }
    // The login in beforeAll, a public route, spent the first of the six.
    expect(seen).toEqual([
      ...['4', '3', '2', '1', '0'].map((remaining) => ({ status: 200, remaining })),
      ...[1, 2, 3].map(() => ({ status: 429, remaining: '0' })),
    ])
    // The buckets live in Redis under the instances' prefix.
    const redis = createClient({ url: TEST_REDIS.toString() })
    await redis.connect()
    try {
      expect(await redis.keys(`${redisKeyPrefix}:rl:public:*`)).toEqual([`${redisKeyPrefix}:rl:public:ip:127.0.0.1`])
    } finally {
      await redis.close()
    }
  })

  it('spends one read budget per user across instances', async () => {
    const get = (url: string) => fetch(`${url}/api/sites`, { headers: { authorization: `Bearer ${token}` } })
    const statuses: number[] = []
    for (const url of [urlA, urlB, urlA, urlB, urlA, urlB]) {
      const res = await get(url)
      statuses.push(res.status)
      await res.body?.cancel()
    }
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429])
  })

  it('fails open to each instance\'s memory while Redis is away, and shares again when it is back', async () => {
    relay.cut()
    await until(() => !a.rateLimitBuckets.shared() && !b.rateLimitBuckets.shared(), 5000)
    // The address spent its shared budget above; each instance now counts on its own, from zero.
    const put = (url: string) => fetch(`${url}/api/me/notification-preferences`, { method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{}' })
    for (const url of [urlA, urlB]) {
      const statuses: number[] = []
      for (let i = 0; i < 7; i++) {
        const res = await fetch(`${url}/api/time`)
        statuses.push(res.status)
        await res.body?.cancel()
      }
      // Never a 500: six answered, then this instance's own limit.
      expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 429])
    }

    relay.restore()
    await until(() => a.rateLimitBuckets.shared() && b.rateLimitBuckets.shared(), 15_000)
    const remaining: string[] = []
    for (const url of [urlA, urlB, urlA, urlB]) {
      const res = await put(url)
      expect(res.status).toBe(400)
      remaining.push(res.headers.get('x-ratelimit-remaining') ?? '')
      await res.body?.cancel()
    }
    expect(remaining).toEqual(['99', '98', '97', '96'])
  }, 30_000)
})

import { randomBytes, randomUUID } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { io as connect, type Socket } from 'socket.io-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../src/app.js'
import type { CloudConfig } from '../src/config.js'
import { DEMO } from '../src/seed.js'
import { addOrganization, DEMO_KEY, ingest, loginDemo, telemetryEvent, testConfig } from './support/app.js'
import { createTestDatabase, testDrivers, type TestDatabase } from './support/drivers.js'
import { startRedisRelay, type RedisRelay } from './support/redis.js'

describe.each(testDrivers())('realtime across two cloud instances through Redis, on %s', (driver) => {
  // Unique per run: parallel runs on the same Redis must not hear each other's pushes.
  const redisKeyPrefix = `tendero-test-${randomBytes(6).toString('hex')}`
  const databases: TestDatabase[] = []
  const apps: FastifyInstance[] = []
  const sockets: Socket[] = []
  let relay: RedisRelay
  let a: FastifyInstance
  let b: FastifyInstance
  let urlA: string
  let urlB: string

  /** Each instance gets its own PGlite (an embedded database has one process); PostgreSQL is shared. */
  const database = async (): Promise<CloudConfig['database']> => {
    if (driver === 'postgres' && databases.length) return databases[0]!.database
    const db = await createTestDatabase(driver)
    databases.push(db)
    return db.database
  }
  const instance = async (redisUrl: string) => {
    // redisKeyPrefix is a config field the app passes to the realtime plugin.
    const overrides: Partial<CloudConfig> = { redisUrl, redisKeyPrefix } as Partial<CloudConfig>
    const app = await buildApp(testConfig(await database(), overrides))
    apps.push(app)
    await app.listen({ port: 0, host: '127.0.0.1' })
    return { app, url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}` }
  }
  const open = (url: string, token: string) => {
    const socket = connect(url, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true })
    sockets.push(socket)
    return new Promise<Socket>((resolve, reject) => {
      socket.once('connect', () => resolve(socket))
      socket.once('connect_error', reject)
    })
  }
  const join = async (socket: Socket, siteId: string) => {
    expect(await socket.timeout(5000).emitWithAck('site:join', siteId)).toEqual({ ok: true })
  }
  /** Resolves with the first telemetry push carrying this reading value. */
  const telemetryWith = (socket: Socket, value: number) =>
    new Promise<{ siteId: string; readings: Record<string, number> }>((resolve) => {
      const onPush = (payload: { siteId: string; readings: Record<string, number> }) => {
        if (payload.readings.temperature_c !== value) return
        socket.off('telemetry', onPush)
        resolve(payload)
      }
      socket.on('telemetry', onPush)
    })
  let seq = 0
  const ingestOnA = async (value: number) => {
    const res = await ingest(a, DEMO_KEY, DEMO.gateway.id, [telemetryEvent(++seq, { temperature_c: value })])
    expect(res.statusCode).toBe(200)
  }

  beforeAll(async () => {
    relay = await startRedisRelay()
    ;({ app: a, url: urlA } = await instance(relay.url))
    ;({ app: b, url: urlB } = await instance(relay.url))
  }, 90_000)
  afterAll(async () => {
    for (const socket of sockets) socket.disconnect()
    for (const app of apps) await app.close()
    await relay?.close()
    for (const db of databases) await db.drop()
  })

  it('pushes an event ingested on A to a dashboard on B, and to no other tenant', async () => {
    const demo = await open(urlB, await loginDemo(b))
    await join(demo, DEMO.site.id)

    // Another tenant on B: in its own org and site rooms, with a gateway of its own.
    const other = await addOrganization(b)
    const otherUser = randomUUID()
    await b.db.insertInto('users').values({ id: otherUser, org_id: other.orgId, email: `${otherUser}@tendero.test`,
      name: 'Otra dueña', password_hash: 'unused', locale: 'es-AR', role: 'owner' }).execute()
    const stranger = await open(urlB, await b.userTokens.sign({ id: otherUser, orgId: other.orgId, role: 'owner' }))
    await join(stranger, other.siteId)
    const strangerGot: unknown[] = []
    stranger.on('telemetry', (payload) => strangerGot.push(payload))

    const arrived = telemetryWith(demo, 4.7)
    await ingestOnA(4.7)
    expect(await arrived).toMatchObject({ siteId: DEMO.site.id, readings: { temperature_c: 4.7 } })

    // B already delivered A's push to every member of the room it names; a push of the
    // stranger's own site, sent after it on the same websocket, proves nothing else came first.
    const own = telemetryWith(stranger, 21)
    const res = await ingest(b, other.gatewayKey, other.gatewayId, [telemetryEvent(1, { temperature_c: 21 })])
    expect(res.statusCode).toBe(200)
    await own
    expect(strangerGot).toEqual([expect.objectContaining({ siteId: other.siteId })])
  })

  it('reaches organization rooms across instances', async () => {
    const demo = await open(urlB, await loginDemo(b))
    const got = new Promise((resolve) => demo.once('notification', resolve))
    a.realtime.emitToOrg(DEMO.organization.id, 'notification', { title: 'Cámara alta' })
    expect(await got).toEqual({ title: 'Cámara alta' })
  })

  it('keeps serving when Redis drops, and shares rooms again once it is back', async () => {
    const onA = await open(urlA, await loginDemo(a))
    const onB = await open(urlB, await loginDemo(b))
    await join(onA, DEMO.site.id)
    await join(onB, DEMO.site.id)

    relay.cut()
    // Ingest still answers and A's own dashboard still gets its push; B's does not (the
    // publish fails and is dropped, it does not wait for Redis).
    const local = telemetryWith(onA, 6.1)
    let remoteDuringOutage = false
    void telemetryWith(onB, 6.1).then(() => (remoteDuringOutage = true))
    await ingestOnA(6.1)
    await local
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect(remoteDuringOutage).toBe(false)

    // The Redis clients reconnect by themselves; the subscriber resubscribes.
    relay.restore()
    const deadline = Date.now() + 20_000
    let value = 7
    for (;;) {
      value += 0.01
      const remote = telemetryWith(onB, Number(value.toFixed(2)))
      await ingestOnA(Number(value.toFixed(2)))
      const ok = await Promise.race([remote.then(() => true), new Promise((r) => setTimeout(() => r(false), 300))])
      if (ok) break
      if (Date.now() > deadline) throw new Error('B never heard from A again after Redis came back')
    }
  }, 30_000)

  it('refuses to start when Redis cannot be reached, naming REDIS_URL', async () => {
    const closed = await startRedisRelay()
    await closed.close()
    // It gives up after its startup window (5 s) instead of waiting for Redis forever.
    await expect(buildApp(testConfig(await database(), { redisUrl: closed.url }))).rejects.toThrow(
      /REDIS_URL: cannot connect to Redis at redis:\/\/127\.0\.0\.1:\d+/,
    )
  }, 90_000)
})

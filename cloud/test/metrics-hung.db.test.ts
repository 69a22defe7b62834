import { createServer, connect, type Server, type Socket } from 'node:net'
import { afterAll, describe, expect, it } from 'vitest'
import { buildApp } from '../src/app.js'
import { testConfig } from './support/app.js'
import { createTestDatabase, type TestDatabase } from './support/drivers.js'
import { sampleValue } from '../../test/deploy/queries.js'

/**
 * A TCP proxy in front of PostgreSQL that can hang: connections stay open and nothing
 * passes either way, as with a stalled server or a dead network path, the case a timeout
 * must cover (a refused connection fails fast by itself). What is held back is delivered
 * on `resume()`, so the stalled queries then finish and the pool stays sound.
 */
async function hangingProxy(target: URL): Promise<{ port: number; hang(): void; resume(): void; close(): Promise<void> }> {
  const sockets = new Set<Socket>()
  let held: (() => void)[] | undefined
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname)
    for (const s of [client, upstream]) {
      sockets.add(s)
      s.on('error', () => {})
      s.on('close', () => sockets.delete(s))
    }
    const pass = (to: Socket) => (d: Buffer) => (held ? held.push(() => to.write(d)) : to.write(d))
    client.on('data', pass(upstream))
    upstream.on('data', pass(client))
    client.on('close', () => upstream.destroy())
    upstream.on('close', () => client.destroy())
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as { port: number }).port,
    hang: () => (held ??= []),
    resume: () => {
      const queued = held ?? []
      held = undefined
      for (const write of queued) write()
    },
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise((r) => server.close(r))
    },
  }
}

// PostgreSQL only (TEST_DATABASE_URL, as the cloud-db suite): PGlite has no connection to lose.
describe.skipIf(!process.env.TEST_DATABASE_URL)('cloud GET /metrics with PostgreSQL hung', () => {
  const cleanups: (() => Promise<unknown>)[] = []
  afterAll(async () => {
    while (cleanups.length > 0) await cleanups.pop()!().catch(() => {})
  })

  it('answers within the timeout with db_up 0, and 1 again once the database is back', async () => {
    const testDb: TestDatabase = await createTestDatabase('postgres')
    cleanups.push(() => testDb.drop())
    const direct = new URL((testDb.database as { url: string }).url)
    const proxy = await hangingProxy(direct)
    cleanups.push(() => proxy.close())
    const viaProxy = new URL(direct)
    viaProxy.host = `127.0.0.1:${proxy.port}`
    const app = await buildApp(testConfig({ driver: 'postgres', url: viaProxy.toString() }, { seedDemo: false }))
    // Closed before the proxy and the database go, so pool connections end cleanly.
    cleanups.push(() => app.close())
    await app.ready()

    const up = await app.inject({ url: '/metrics' })
    expect(sampleValue(up.body, 'tendero_cloud_db_up')).toBe(1)
    expect(sampleValue(up.body, 'tendero_cloud_outbox_pending', { outbox: 'delivery' })).toBe(0)

    proxy.hang()
    const started = Date.now()
    const hung = await app.inject({ url: '/metrics' })
    const tookMs = Date.now() - started
    expect(hung.statusCode).toBe(200)
    expect(tookMs).toBeGreaterThanOrEqual(900)
    expect(tookMs).toBeLessThan(4000)
    expect(sampleValue(hung.body, 'tendero_cloud_db_up')).toBe(0)
    expect(sampleValue(hung.body, 'tendero_cloud_outbox_pending', { outbox: 'delivery' })).toBeUndefined()
    expect(sampleValue(hung.body, 'tendero_cloud_process_resident_memory_bytes')).toBeGreaterThan(0)

    proxy.resume()
    const back = await app.inject({ url: '/metrics' })
    expect(sampleValue(back.body, 'tendero_cloud_db_up')).toBe(1)
  })
})

import { connect as connectTcp, createServer, type AddressInfo, type Server, type Socket } from 'node:net'

/** The Redis CI and the dev machines run; TEST_REDIS_URL in the environment overrides it. */
export const TEST_REDIS = new URL(process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379')

export interface RedisRelay {
  /** Where the instances under test connect instead of Redis itself. */
  url: string
  /** Drops every connection and refuses new ones: "Redis went away". */
  cut(): void
  restore(): void
  close(): Promise<void>
}

/**
 * A TCP relay in front of the shared Redis that a test can cut and restore, so an outage
 * happens for its own instances only, not for everyone using the server.
 */
export async function startRedisRelay(): Promise<RedisRelay> {
  const open = new Set<Socket>()
  let down = false
  const server: Server = createServer((client) => {
    if (down) return void client.destroy()
    const upstream = connectTcp(Number(TEST_REDIS.port || 6379), TEST_REDIS.hostname)
    for (const s of [client, upstream]) {
      open.add(s)
      s.on('error', () => {})
      s.on('close', () => {
        open.delete(s)
        client.destroy()
        upstream.destroy()
      })
    }
    client.pipe(upstream).pipe(client)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `redis://127.0.0.1:${(server.address() as AddressInfo).port}`,
    cut() {
      down = true
      for (const s of open) s.destroy()
    },
    restore() {
      down = false
    },
    async close() {
      for (const s of open) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

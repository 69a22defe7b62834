import { createServer, type AddressInfo, type Server } from 'node:net'
import { Aedes, type AuthenticateError } from 'aedes'

export interface Published {
  topic: string
  clientId: string
  body: unknown
}

export interface TestBroker {
  url: string
  published: Published[]
  /** Resolves with the first publish (past or future) that matches. */
  waitFor(match: (p: Published) => boolean, timeoutMs?: number): Promise<Published>
  /** Resolves once some client subscribed to `topic`. */
  subscribed(topic: string): Promise<void>
  send(topic: string, body: unknown): Promise<void>
  close(): Promise<void>
}

/**
 * A tiny Aedes on an ephemeral port with the gateway's login rule: client id = username,
 * password from `passwords`.
 */
export async function startTestBroker(passwords: Record<string, string>): Promise<TestBroker> {
  const broker = await Aedes.createBroker({
    authenticate: (client, username, password, done) => {
      const ok = username === client.id && username !== undefined && passwords[username] === password?.toString()
      if (ok) return done(null, true)
      const err = Object.assign(new Error('bad credentials'), { returnCode: 4 }) as AuthenticateError
      done(err, false)
    },
  })
  const published: Published[] = []
  const waiters = new Set<() => void>()
  const subscriptions = new Set<string>()
  broker.on('publish', (packet, client) => {
    if (!client) return
    published.push({ topic: packet.topic, clientId: client.id, body: JSON.parse(packet.payload.toString()) })
    for (const wake of waiters) wake()
  })
  broker.on('subscribe', (subs) => {
    for (const s of subs) subscriptions.add(s.topic)
    for (const wake of waiters) wake()
  })

  const server: Server = createServer(broker.handle)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  const until = <T>(probe: () => T | undefined, what: string, timeoutMs: number) =>
    new Promise<T>((resolve, reject) => {
      const check = () => {
        const found = probe()
        if (found === undefined) return
        cleanup()
        resolve(found)
      }
      const timer = setTimeout(() => {
        cleanup()
        reject(new Error(`timed out waiting for ${what}`))
      }, timeoutMs)
      const cleanup = () => {
        clearTimeout(timer)
        waiters.delete(check)
      }
      waiters.add(check)
      check()
    })

  return {
    url: `mqtt://127.0.0.1:${port}`,
    published,
    waitFor: (match, timeoutMs = 5000) => until(() => published.find(match), 'a publish', timeoutMs),
    subscribed: async (topic) => {
      await until(() => (subscriptions.has(topic) ? true : undefined), `a subscription to ${topic}`, 5000)
    },
    send: (topic, body) =>
      new Promise<void>((resolve, reject) =>
        broker.publish(
          { cmd: 'publish', topic, payload: Buffer.from(JSON.stringify(body)), qos: 1, retain: false, dup: false },
          (err) => (err ? reject(err) : resolve()),
        ),
      ),
    close: async () => {
      await new Promise<void>((resolve) => broker.close(() => resolve()))
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

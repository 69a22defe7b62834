/**
 * The WAN link as a TCP relay that starts closed: connections are accepted and held
 * (nothing read, nothing refused) until `open()`, then piped to the target. A gateway
 * started behind it has its first uplink request waiting on the link instead of failing
 * into backoff, so a scenario can get live traffic flowing first and then bring the link
 * back at a moment it knows. Keep it closed for less than the uplink's request timeout.
 */
import { connect, createServer, type Server, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'

export interface Gate {
  url: string
  open(): void
  close(): Promise<void>
}

export async function startGate(targetPort: number): Promise<Gate> {
  let isOpen = false
  const held: Socket[] = []
  const sockets = new Set<Socket>()
  const pipe = (client: Socket) => {
    const upstream = connect(targetPort, '127.0.0.1')
    sockets.add(upstream)
    upstream.setNoDelay(true)
    client.setNoDelay(true)
    client.pipe(upstream).pipe(client)
    const done = () => {
      client.destroy()
      upstream.destroy()
      sockets.delete(client)
      sockets.delete(upstream)
    }
    client.once('close', done).once('error', done)
    upstream.once('close', done).once('error', done)
    client.resume()
  }
  const server: Server = createServer({ pauseOnConnect: true }, (client) => {
    sockets.add(client)
    if (isOpen) pipe(client)
    else held.push(client)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    open() {
      isOpen = true
      for (const client of held.splice(0)) if (!client.destroyed) pipe(client)
    },
    async close() {
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

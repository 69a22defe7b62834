import { connect, createServer, type AddressInfo, type Socket } from 'node:net'

export interface LinkProxy {
  url: string
  /** The link goes silent: bytes are dropped both ways, sockets stay open (cable cut, frozen gateway). */
  freeze(): void
  /** Connections are closed and new ones refused (gateway process dead). */
  cut(): void
  /** Back to normal. */
  heal(): void
  close(): Promise<void>
}

/** A TCP proxy in front of an MQTT broker, to break the node's link in the ways a site does. */
export async function startLinkProxy(upstreamPort: number): Promise<LinkProxy> {
  let frozen = false
  let refusing = false
  const pairs = new Set<[Socket, Socket]>()
  const server = createServer((down) => {
    if (refusing) return void down.destroy()
    const up = connect(upstreamPort, '127.0.0.1')
    const pair: [Socket, Socket] = [down, up]
    pairs.add(pair)
    down.on('data', (d) => void (frozen || up.write(d)))
    up.on('data', (d) => void (frozen || down.write(d)))
    const end = () => {
      pairs.delete(pair)
      down.destroy()
      up.destroy()
    }
    for (const s of pair) {
      s.on('close', end)
      s.on('error', end)
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const destroyAll = () => {
    for (const [down, up] of pairs) {
      down.destroy()
      up.destroy()
    }
    pairs.clear()
  }
  return {
    url: `mqtt://127.0.0.1:${port}`,
    freeze: () => void (frozen = true),
    cut: () => {
      refusing = true
      destroyAll()
    },
    heal: () => {
      frozen = false
      refusing = false
    },
    close: async () => {
      destroyAll()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

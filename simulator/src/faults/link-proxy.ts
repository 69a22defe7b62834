import { connect, createServer, type AddressInfo, type Socket } from 'node:net'

/** How a partitioned link treats bytes sent into it. */
export type PartitionMode = 'hold' | 'drop'

export interface LinkProxyOptions {
  upstreamPort: number
  upstreamHost?: string
  /** Where the proxy listens; 0 (default) = an ephemeral port. */
  port?: number
  host?: string
  /** URL scheme of `url`; default `mqtt` (`tcp` for a Modbus device behind it). */
  scheme?: string
  /**
   * Bytes held per connection and direction during a `hold` partition, default 1 MiB;
   * past it they are dropped, as a sender whose TCP window stays shut gives up.
   */
  maxHeldBytes?: number
}

/**
 * A TCP proxy between a device and the gateway that breaks the link the ways a site does.
 * The device connects to `url` instead of the gateway.
 */
export interface LinkProxy {
  readonly url: string
  readonly port: number
  /**
   * Black-hole the link without closing it (cable cut past the switch, frozen gateway).
   * `hold` keeps the bytes and lets them through on heal, which is what TCP
   * retransmission achieves across a short partition; `drop` loses them, so the MQTT
   * stream is garbled and the connection dies on heal. Either way only keepalive
   * notices, on both sides.
   */
  partition(mode?: PartitionMode): void
  /** Connections are closed and new ones refused (gateway or device powered off). */
  cut(): void
  /** Back to normal; held bytes flow. */
  heal(): void
  readonly state: 'up' | 'partitioned' | 'cut'
  /** Connections open right now. */
  readonly connections: number
  close(): Promise<void>
}

interface Pair {
  down: Socket
  up: Socket
  /** Bytes held while partitioned, per direction. */
  held: { toUp: Buffer[]; toDown: Buffer[] }
  heldBytes: { toUp: number; toDown: number }
}

export async function startLinkProxy(options: LinkProxyOptions): Promise<LinkProxy> {
  const upstreamHost = options.upstreamHost ?? '127.0.0.1'
  let state: 'up' | 'partitioned' | 'cut' = 'up'
  let mode: PartitionMode = 'hold'
  const pairs = new Set<Pair>()

  const maxHeld = options.maxHeldBytes ?? 1024 * 1024
  const forward = (pair: Pair, dir: 'toUp' | 'toDown', data: Buffer) => {
    if (state === 'up') (dir === 'toUp' ? pair.up : pair.down).write(data)
    else if (state === 'partitioned' && mode === 'hold' && pair.heldBytes[dir] + data.length <= maxHeld) {
      pair.held[dir].push(data)
      pair.heldBytes[dir] += data.length
    }
  }

  const server = createServer((down) => {
    if (state === 'cut') return void down.destroy()
    // A new connection during a partition is black-holed too: the SYN "gets through" to
    // our listener, but nothing reaches the gateway until heal.
    const up = connect(options.upstreamPort, upstreamHost)
    const pair: Pair = { down, up, held: { toUp: [], toDown: [] }, heldBytes: { toUp: 0, toDown: 0 } }
    pairs.add(pair)
    down.on('data', (d: Buffer) => forward(pair, 'toUp', d))
    up.on('data', (d: Buffer) => forward(pair, 'toDown', d))
    const end = () => {
      pairs.delete(pair)
      down.destroy()
      up.destroy()
    }
    for (const s of [down, up]) {
      s.on('close', end)
      s.on('error', end)
    }
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo

  const destroyAll = () => {
    for (const { down, up } of pairs) {
      down.destroy()
      up.destroy()
    }
    pairs.clear()
  }

  return {
    url: `${options.scheme ?? 'mqtt'}://${options.host ?? '127.0.0.1'}:${port}`,
    port,
    get state() {
      return state
    },
    get connections() {
      return pairs.size
    },
    partition: (m = 'hold') => {
      if (state === 'cut') return
      state = 'partitioned'
      mode = m
    },
    cut: () => {
      state = 'cut'
      destroyAll()
    },
    heal: () => {
      state = 'up'
      for (const p of pairs) {
        for (const d of p.held.toUp.splice(0)) p.up.write(d)
        for (const d of p.held.toDown.splice(0)) p.down.write(d)
        p.heldBytes = { toUp: 0, toDown: 0 }
      }
    },
    close: async () => {
      destroyAll()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/**
 * One proxy per device that the plan partitions, all in front of the same gateway. The
 * runner points those devices at `links[id].url` and hands `{ link }` to the injector;
 * the other devices connect directly.
 */
export async function startPlanLinks(
  plan: ReadonlyArray<{ deviceId: string; kind: string }>,
  upstream: Omit<LinkProxyOptions, 'port'>,
): Promise<{ links: Record<string, LinkProxy>; close(): Promise<void> }> {
  const ids = [...new Set(plan.filter((e) => e.kind === 'partition').map((e) => e.deviceId))]
  const links: Record<string, LinkProxy> = {}
  try {
    for (const id of ids) links[id] = await startLinkProxy(upstream)
  } catch (err) {
    await Promise.all(Object.values(links).map((l) => l.close()))
    throw err
  }
  return { links, close: async () => void (await Promise.all(Object.values(links).map((l) => l.close()))) }
}

import type { IncomingMessage, Server } from 'node:http'
import type { Duplex } from 'node:stream'
import type { FastifyBaseLogger } from 'fastify'
import { WebSocketServer, type WebSocket } from 'ws'
import { CHANNEL_CLOSE, downlinkValidators, type CommandMessage, type ConfigMessage, type ConfigRequestMessage } from '@tendero/protocol'
import type { Db } from '../../plugins/db/database.js'
import { bearerToken } from '../../plugins/auth.js'
import type { GatewayPresence } from '../sync/presence.js'
import { recordRunningConfig } from '../rules/service.js'
import * as repo from './repository.js'
import { onConnect, onGatewayMessage, type Downlink } from './service.js'

export const CHANNEL_PATH = '/api/gateway/channel'
/** Control frames only; a config is at most a few hundred kB. */
const MAX_FRAME_BYTES = 1024 * 1024
const PING_MS = 25_000

/**
 * The downlink WebSocket (ARCHITECTURE.md sync contract 7), one per gateway. Plain `ws`
 * on the API's HTTP server rather than a Socket.IO namespace: the gateway needs no
 * Socket.IO client, and the key is checked before the upgrade (401, like ingest).
 * Socket.IO's engine drops upgrades it does not own after 1 s unless bytes were written,
 * so a key lookup slower than that (database stall) just makes the gateway retry.
 */
export class GatewayChannel implements Downlink {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES })
  private readonly sockets = new Map<string, WebSocket>()
  private readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (new URL(req.url ?? '/', 'http://x').pathname !== CHANNEL_PATH) return
    void this.upgrade(req, socket, head)
  }
  private ping: NodeJS.Timeout | undefined

  constructor(
    private readonly o: {
      db: Db
      logger: FastifyBaseLogger
      now?: () => number
      /** Kept current with the open channels, for `online` in the sync views. */
      presence?: GatewayPresence
      /** After the channel opens or closes and after each sync status: a view to push may have changed. */
      onSyncChange?: (gatewayId: string) => void
    },
  ) {}

  attach(server: Server): void {
    server.on('upgrade', this.onUpgrade)
    this.ping = setInterval(() => {
      for (const ws of this.sockets.values()) ws.ping()
    }, PING_MS)
    this.ping.unref()
  }

  /** Sends to the gateway's open channel; false when it has none (it gets it on connect). */
  send(gatewayId: string, message: ConfigMessage | CommandMessage): boolean {
    const ws = this.sockets.get(gatewayId)
    if (!ws || ws.readyState !== ws.OPEN) return false
    ws.send(JSON.stringify(message))
    return true
  }

  connected(gatewayId: string): boolean {
    return this.sockets.has(gatewayId)
  }

  close(server: Server): void {
    server.off('upgrade', this.onUpgrade)
    clearInterval(this.ping)
    for (const ws of this.sockets.values()) ws.terminate()
    this.sockets.clear()
    this.o.presence?.clear()
    this.wss.close()
  }

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    let gateway: { id: string } | undefined
    try {
      const key = bearerToken(req.headers.authorization)
      gateway = key ? await repo.findGatewayByKey(this.o.db, key) : undefined
    } catch (err) {
      this.o.logger.error({ err }, 'gateway channel: key lookup failed')
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
      return
    }
    if (!gateway) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
      return
    }
    const gatewayId = gateway.id
    this.wss.handleUpgrade(req, socket, head, (ws) => this.open(gatewayId, ws))
  }

  private open(gatewayId: string, ws: WebSocket): void {
    const log = this.o.logger.child({ gatewayId })
    // One channel per gateway: a reconnect after a half-open TCP replaces the stale one.
    this.sockets.get(gatewayId)?.close(CHANNEL_CLOSE.replaced, 'replaced')
    this.sockets.set(gatewayId, ws)
    this.o.presence?.set(gatewayId, true)
    log.info('gateway channel open')
    // Answers are applied in order: a status must not overtake the ack sent before it.
    let chain: Promise<void> = Promise.resolve()
    ws.on('message', (data) => {
      let message: unknown
      try {
        message = JSON.parse(String(data))
      } catch {
        message = undefined
      }
      if (!downlinkValidators.gatewayChannel.check(message)) {
        log.warn({ reasons: downlinkValidators.gatewayChannel.explain(message) }, 'gateway channel: bad message ignored')
        return
      }
      const valid = message
      chain = chain
        .then(async () => {
          // The config it runs is the rules module's base until the cloud has a desired version.
          if (valid.type === 'config.report') {
            if (!(await recordRunningConfig(this.o.db, gatewayId, valid))) log.warn({ named: valid.config.gatewayId }, 'gateway channel: config report of another gateway ignored')
            return
          }
          await onGatewayMessage(this.o.db, gatewayId, valid)
          if (valid.type === 'sync.status') this.o.onSyncChange?.(gatewayId)
        })
        .catch((err: unknown) => log.error({ err, type: valid.type }, 'gateway channel: message not recorded'))
    })
    ws.on('close', () => {
      // A replaced socket closing must not mark the gateway offline under its successor.
      if (this.sockets.get(gatewayId) === ws) {
        this.sockets.delete(gatewayId)
        this.o.presence?.set(gatewayId, false)
        this.o.onSyncChange?.(gatewayId)
      }
      log.info('gateway channel closed')
    })
    ws.on('error', (err) => log.warn({ err }, 'gateway channel error'))
    onConnect(this.o.db, gatewayId, this.o.now?.()).then(
      (messages) => {
        for (const m of messages) if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(m))
        // After the desired config, so the report describes what the gateway made of it.
        if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ type: 'config.request' } satisfies ConfigRequestMessage))
        this.o.onSyncChange?.(gatewayId)
      },
      (err: unknown) => {
        log.error({ err }, 'gateway channel: initial sync failed')
        ws.close(1011, 'initial sync failed')
      },
    )
  }
}

import { createServer as createHttpServer } from 'node:http'
import { createServer as createTcpServer, type AddressInfo, type Server } from 'node:net'
import { createServer as createTlsServer } from 'node:tls'
import type { Duplex } from 'node:stream'
import type { IncomingMessage } from 'node:http'
import { WebSocketServer, createWebSocketStream } from 'ws'

/** What Aedes accepts: one duplex stream per connection (`aedes.handle`). */
export type ConnectionHandler = (stream: Duplex, req?: IncomingMessage) => void

export interface Listener {
  readonly port: number
  close(): Promise<void>
}

export interface TlsFiles {
  /** PEM contents, not paths. */
  cert: string
  key: string
}

/** Plain MQTT over TCP (1883). */
export function listenTcp(handle: ConnectionHandler, port: number, host: string): Promise<Listener> {
  return bind(createTcpServer({ noDelay: true }, (socket) => handle(socket)), port, host)
}

/** MQTT over TLS (MQTTS). The gateway authenticates devices by password, not client certificates. */
export function listenTls(handle: ConnectionHandler, port: number, host: string, tls: TlsFiles): Promise<Listener> {
  return bind(createTlsServer({ cert: tls.cert, key: tls.key, noDelay: true }, (socket) => handle(socket)), port, host)
}

/**
 * MQTT over WebSocket for on-site browsers; same broker, so the same authentication and
 * ACL. Browsers ask for the `mqtt` subprotocol (MQTT 3.1.1 section 6).
 */
export async function listenWebSocket(handle: ConnectionHandler, port: number, host: string): Promise<Listener> {
  const server = createHttpServer((_req, res) => res.writeHead(426, { connection: 'close' }).end('MQTT over WebSocket only\n'))
  const wss = new WebSocketServer({ server, handleProtocols: (protocols) => (protocols.has('mqtt') ? 'mqtt' : false) })
  // ws re-emits the HTTP server's errors (EADDRINUSE); `bind` already reports those.
  wss.on('error', () => {})
  wss.on('connection', (ws, req) => {
    const stream = createWebSocketStream(ws)
    // A peer vanishing mid-frame errors the stream; Aedes sees the close either way.
    stream.on('error', () => stream.destroy())
    handle(stream, req)
  })
  const listener = await bind(server, port, host)
  return {
    port: listener.port,
    async close() {
      for (const ws of wss.clients) ws.terminate()
      await new Promise<void>((resolve) => wss.close(() => resolve()))
      await listener.close()
    },
  }
}

async function bind(server: Server | ReturnType<typeof createHttpServer>, port: number, host: string): Promise<Listener> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        if (!server.listening) return resolve()
        server.close(() => resolve())
        // Aedes closes its clients' streams first; anything left (half-open TLS) goes now.
        ;(server as Server & { closeAllConnections?: () => void }).closeAllConnections?.()
      }),
  }
}

// Live updates for one site over Socket.IO (same origin, path /socket.io).
// Socket.IO reconnects by itself after network drops; the server forgets room membership
// on every new connection, so we join the site again on each `connect` and tell the caller
// (`joined(rejoin=true)`) so it can re-fetch what it missed while offline.
import { io, type Socket } from 'socket.io-client'
import type { AlarmEvent, GapEvent, GatewaySyncEvent, JoinAck, StateEvent, TelemetryEvent } from './types.js'

export type ConnectionStatus =
  | 'idle' // no channel open
  | 'connecting' // first connection or join in progress
  | 'connected' // connected and joined to the site room
  | 'reconnecting' // lost the connection, Socket.IO is retrying
  | 'unauthorized' // the token was rejected; the session is over
  | 'error' // the server refused the join (e.g. SITE_NOT_FOUND)

export interface SiteChannelHandlers {
  telemetry(event: TelemetryEvent): void
  state(event: StateEvent): void
  alarm(event: AlarmEvent): void
  /** A gateway reported its sync status (lag, buffer, disk). */
  gatewaySync?(event: GatewaySyncEvent): void
  /** A gateway's disk budget downsampled or dropped history. */
  gap?(event: GapEvent): void
  status(status: ConnectionStatus, detail?: string): void
  /** The site room was joined; `rejoin` is true after a reconnection. */
  joined?(rejoin: boolean): void
  unauthorized?(): void
}

export interface SiteChannelOptions {
  siteId: string
  /** Read on every (re)connection so a refreshed token is used. */
  getToken(): string | null
  handlers: SiteChannelHandlers
  /** Same origin by default. */
  url?: string
}

export interface SiteChannel {
  close(): void
}

const JOIN_TIMEOUT_MS = 10_000
// Retry delay after a failure Socket.IO does not retry by itself (join timeout,
// middleware error other than unauthorized, server-side disconnect).
const RETRY_DELAY_MS = 5_000
// Error message the cloud's Socket.IO middleware uses for a bad token.
const UNAUTHORIZED_MESSAGE = 'unauthorized'

export function openSiteChannel(options: SiteChannelOptions): SiteChannel {
  const { siteId, handlers } = options
  let closed = false
  let joinedOnce = false
  let retryTimer: ReturnType<typeof setTimeout> | undefined

  const socketOptions = {
    path: '/socket.io',
    auth: (cb: (data: object) => void) => cb({ token: options.getToken() }),
  }
  const socket: Socket = options.url ? io(options.url, socketOptions) : io(socketOptions)

  const retryLater = (action: () => void) => {
    clearTimeout(retryTimer)
    retryTimer = setTimeout(() => {
      if (!closed) action()
    }, RETRY_DELAY_MS)
  }

  const join = () => {
    handlers.status(joinedOnce ? 'reconnecting' : 'connecting')
    socket.timeout(JOIN_TIMEOUT_MS).emit('site:join', siteId, (err: Error | null, ack?: JoinAck) => {
      if (closed) return
      if (err || !ack) {
        // No ack in time: the connection is probably half-open; try again while connected.
        retryLater(() => socket.connected && join())
        return
      }
      if (!ack.ok) {
        handlers.status('error', ack.error)
        return
      }
      handlers.status('connected')
      handlers.joined?.(joinedOnce)
      joinedOnce = true
    })
  }

  socket.on('connect', join)
  socket.on('disconnect', (reason) => {
    if (closed) return
    handlers.status('reconnecting')
    // The server closed us on purpose; Socket.IO will not reconnect on its own.
    if (reason === 'io server disconnect') retryLater(() => socket.connect())
  })
  socket.on('connect_error', (err) => {
    if (closed) return
    if (err.message === UNAUTHORIZED_MESSAGE) {
      handlers.status('unauthorized')
      handlers.unauthorized?.()
      socket.disconnect()
      return
    }
    handlers.status(joinedOnce ? 'reconnecting' : 'connecting')
    if (!socket.active) retryLater(() => socket.connect())
  })
  socket.on('telemetry', (event: TelemetryEvent) => {
    if (event.siteId === siteId) handlers.telemetry(event)
  })
  socket.on('state', (event: StateEvent) => {
    if (event.siteId === siteId) handlers.state(event)
  })
  socket.on('alarm', (event: AlarmEvent) => {
    if (event.siteId === siteId) handlers.alarm(event)
  })
  socket.on('gateway.sync', (event: GatewaySyncEvent) => {
    if (event.siteId === siteId) handlers.gatewaySync?.(event)
  })
  socket.on('gap', (event: GapEvent) => {
    if (event.siteId === siteId) handlers.gap?.(event)
  })

  handlers.status('connecting')

  return {
    close() {
      closed = true
      clearTimeout(retryTimer)
      socket.removeAllListeners()
      socket.disconnect()
    },
  }
}

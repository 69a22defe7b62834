// Live updates over Socket.IO (same origin, path /socket.io): one site (openSiteChannel,
// the site page) or every site a list shows (openSitesChannel: overview, inbox, activity).
// Socket.IO reconnects by itself after network drops; the server forgets room membership
// on every new connection, so we join the sites again on each `connect` and tell the
// caller (`joined(rejoin=true)`) so it can re-fetch what it missed while offline.
//
// The cloud pushes telemetry, state, alarm, gap and gateway.sync to `site:<id>` rooms
// only (its org room gets nothing yet), so listening org-wide means joining every site.
import { io, type Socket } from 'socket.io-client'
import { computed, shallowReactive } from 'vue'
import { isShowingSavedData } from '../pwa/offline.js'
import type { AlarmEvent, GapEvent, GatewaySyncEvent, JoinAck, StateEvent, TelemetryEvent } from './types.js'

export type ConnectionStatus =
  | 'idle' // no channel open
  | 'connecting' // first connection or join in progress
  | 'connected' // connected and joined to the site room(s)
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

/** What a view listening to many sites may hear; every handler is optional but `status`. */
export interface SitesChannelHandlers {
  telemetry?(event: TelemetryEvent): void
  state?(event: StateEvent): void
  alarm?(event: AlarmEvent): void
  gatewaySync?(event: GatewaySyncEvent): void
  gap?(event: GapEvent): void
  status(status: ConnectionStatus, detail?: string): void
  /** Every site room was answered; `rejoin` is true after a reconnection (re-fetch then). */
  joined?(rejoin: boolean): void
  /** A site the server would not let this socket join (a site another organization granted, say). */
  joinRefused?(siteId: string, code: string): void
  unauthorized?(): void
}

export interface SitesChannelOptions {
  siteIds: readonly string[]
  getToken(): string | null
  handlers: SitesChannelHandlers
  url?: string
}

export interface SitesChannel {
  /** Listens to these sites from now on (a list that grew or shrank). */
  setSites(siteIds: readonly string[]): void
  close(): void
}

const JOIN_TIMEOUT_MS = 10_000
// Retry delay after a failure Socket.IO does not retry by itself (join timeout,
// middleware error other than unauthorized, server-side disconnect).
const RETRY_DELAY_MS = 5_000
// Error message the cloud's Socket.IO middleware uses for a bad token.
const UNAUTHORIZED_MESSAGE = 'unauthorized'

// Every open channel's status, so one indicator (TheConnectionStatus) speaks for whichever
// view is open without knowing which store owns the channel.
const openStatuses = shallowReactive(new Map<number, ConnectionStatus>())
let nextChannelId = 1

// The worst status wins: one channel down means some view is not live.
const SEVERITY: ConnectionStatus[] = ['unauthorized', 'error', 'reconnecting', 'connecting', 'connected']

/** The app's live status: 'idle' with no channel open, else the worst of the open channels. */
export const liveStatus = computed<ConnectionStatus>(() => {
  const statuses = [...openStatuses.values()]
  if (statuses.length === 0) return 'idle'
  return SEVERITY.find((s) => statuses.includes(s)) ?? 'idle'
})

type Forward = Pick<SitesChannelHandlers, 'telemetry' | 'state' | 'alarm' | 'gatewaySync' | 'gap'>

interface CoreOptions {
  getToken(): string | null
  url?: string | undefined
  /** The site ids to join on every connection. */
  sites(): readonly string[]
  /** Whether an event of this site is for the caller. */
  wants(siteId: string): boolean
  forward: Forward
  status(status: ConnectionStatus, detail?: string): void
  /**
   * All joins answered: `refused` lists the sites the server refused. Returns the status
   * the channel is in now (with its detail), which the core records before `afterJoin`.
   */
  joined(refused: { siteId: string; code: string }[]): { status: ConnectionStatus; detail?: string }
  afterJoin(rejoin: boolean): void
  unauthorized?(): void
}

interface Core {
  /** Joins sites now if connected (sites added after the connection). */
  join(siteIds: readonly string[]): void
  leave(siteIds: readonly string[]): void
  close(): void
}

function openChannel(options: CoreOptions): Core {
  const channelId = nextChannelId++
  let closed = false
  let joinedOnce = false
  let retryTimer: ReturnType<typeof setTimeout> | undefined

  const status = (next: ConnectionStatus, detail?: string) => {
    if (closed) return
    openStatuses.set(channelId, next)
    options.status(next, detail)
  }

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

  const joinOne = (siteId: string, done: (ack: JoinAck | null) => void = () => {}) => {
    socket.timeout(JOIN_TIMEOUT_MS).emit('site:join', siteId, (err: Error | null, ack?: JoinAck) => done(err || !ack ? null : ack))
  }

  // Callbacks rather than promises: the outcome is applied as soon as the last ack arrives.
  const joinAll = () => {
    status(joinedOnce ? 'reconnecting' : 'connecting')
    const siteIds = [...options.sites()]
    const acks: (JoinAck | null)[] = []
    let pending = siteIds.length
    const finish = () => {
      if (closed) return
      if (acks.some((ack) => ack === null)) {
        // No ack in time: the connection is probably half-open; try again while connected.
        retryLater(() => socket.connected && joinAll())
        return
      }
      const refused = acks.flatMap((ack, i) => (ack && !ack.ok ? [{ siteId: siteIds[i]!, code: ack.error }] : []))
      const outcome = options.joined(refused)
      status(outcome.status, outcome.detail)
      if (outcome.status !== 'connected' || closed) return
      // A page loaded offline shows saved data: its first join catches up like a rejoin.
      options.afterJoin(joinedOnce || isShowingSavedData())
      joinedOnce = true
    }
    if (pending === 0) return finish()
    siteIds.forEach((siteId, i) =>
      joinOne(siteId, (ack) => {
        acks[i] = ack
        if (--pending === 0) finish()
      }),
    )
  }

  socket.on('connect', joinAll)
  socket.on('disconnect', (reason) => {
    if (closed) return
    status('reconnecting')
    // The server closed us on purpose; Socket.IO will not reconnect on its own.
    if (reason === 'io server disconnect') retryLater(() => socket.connect())
  })
  socket.on('connect_error', (err) => {
    if (closed) return
    if (err.message === UNAUTHORIZED_MESSAGE) {
      status('unauthorized')
      options.unauthorized?.()
      socket.disconnect()
      return
    }
    status(joinedOnce ? 'reconnecting' : 'connecting')
    if (!socket.active) retryLater(() => socket.connect())
  })
  const on = <E extends { siteId: string }>(event: string, handler: ((e: E) => void) | undefined) => {
    if (handler) socket.on(event, (e: E) => options.wants(e.siteId) && handler(e))
  }
  on('telemetry', options.forward.telemetry)
  on('state', options.forward.state)
  on('alarm', options.forward.alarm)
  on('gateway.sync', options.forward.gatewaySync)
  on('gap', options.forward.gap)

  status('connecting')

  return {
    join(siteIds) {
      if (socket.connected) for (const siteId of siteIds) joinOne(siteId)
    },
    leave(siteIds) {
      if (socket.connected) for (const siteId of siteIds) socket.emit('site:leave', siteId)
    },
    close() {
      closed = true
      openStatuses.delete(channelId)
      clearTimeout(retryTimer)
      socket.removeAllListeners()
      socket.disconnect()
    },
  }
}

/** One site's live events (the site page). A refused join is an error: the page has nothing else to show. */
export function openSiteChannel(options: SiteChannelOptions): SiteChannel {
  const { siteId, handlers } = options
  const core = openChannel({
    getToken: options.getToken,
    url: options.url,
    sites: () => [siteId],
    wants: (id) => id === siteId,
    forward: handlers,
    status: handlers.status,
    joined: (refused) => (refused.length > 0 ? { status: 'error', detail: refused[0]!.code } : { status: 'connected' }),
    afterJoin: (rejoin) => handlers.joined?.(rejoin),
    unauthorized: handlers.unauthorized,
  })
  return { close: () => core.close() }
}

/**
 * The live events of every listed site, on one socket. A site the server refuses is
 * skipped (reported through joinRefused); the others stay live.
 */
export function openSitesChannel(options: SitesChannelOptions): SitesChannel {
  const { handlers } = options
  let sites = new Set(options.siteIds)
  const core = openChannel({
    getToken: options.getToken,
    url: options.url,
    sites: () => [...sites],
    wants: (id) => sites.has(id),
    forward: handlers,
    status: handlers.status,
    joined: (refused) => {
      for (const { siteId, code } of refused) handlers.joinRefused?.(siteId, code)
      return { status: 'connected' }
    },
    afterJoin: (rejoin) => handlers.joined?.(rejoin),
    unauthorized: handlers.unauthorized,
  })
  return {
    setSites(siteIds) {
      const next = new Set(siteIds)
      core.join([...next].filter((id) => !sites.has(id)))
      core.leave([...sites].filter((id) => !next.has(id)))
      sites = next
    },
    close: () => core.close(),
  }
}

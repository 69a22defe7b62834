import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { liveStatus, openSiteChannel, openSitesChannel, type SiteChannelHandlers, type SitesChannelHandlers } from './realtime.js'

// A minimal stand-in for a socket.io-client Socket: enough to drive connect/disconnect
// and answer `site:join` acks.
const fake = vi.hoisted(() => {
  type Listener = (...args: unknown[]) => void
  const listeners = new Map<string, Listener[]>()
  const socket = {
    connected: false,
    active: true,
    joins: [] as string[],
    joinAck: { ok: true } as unknown,
    options: undefined as unknown,
    on(event: string, listener: Listener) {
      listeners.set(event, [...(listeners.get(event) ?? []), listener])
      return socket
    },
    refuse: new Set<string>(),
    leaves: [] as string[],
    timeout() {
      return {
        emit(event: string, siteId: string, ack: (err: Error | null, res?: unknown) => void) {
          if (event === 'site:join') socket.joins.push(siteId)
          ack(null, socket.refuse.has(siteId) ? { ok: false, error: 'SITE_NOT_FOUND' } : socket.joinAck)
        },
      }
    },
    emit(event: string, siteId: string) {
      if (event === 'site:leave') socket.leaves.push(siteId)
    },
    removeAllListeners: vi.fn(() => listeners.clear()),
    disconnect: vi.fn(),
    connect: vi.fn(),
    fire(event: string, ...args: unknown[]) {
      for (const listener of listeners.get(event) ?? []) listener(...args)
    },
    reset() {
      listeners.clear()
      socket.joins = []
      socket.leaves = []
      socket.refuse.clear()
      socket.connected = false
      socket.joinAck = { ok: true }
    },
  }
  return socket
})
vi.mock('socket.io-client', () => ({
  io: (options: unknown) => {
    fake.options = options
    return fake
  },
}))

function handlers(): SiteChannelHandlers & { statuses: string[] } {
  const statuses: string[] = []
  return {
    statuses,
    telemetry: vi.fn(),
    state: vi.fn(),
    alarm: vi.fn(),
    status: (s) => statuses.push(s),
    joined: vi.fn(),
    unauthorized: vi.fn(),
  }
}

const opened: { close(): void }[] = []

describe('site channel', () => {
  beforeEach(() => fake.reset())
  afterEach(() => opened.splice(0).forEach((c) => c.close()))

  it('sends the current token, joins on connect and again after each reconnect', () => {
    let token = 'jwt-1'
    const h = handlers()
    opened.push(openSiteChannel({ siteId: 's1', getToken: () => token, handlers: h }))

    const auth = (fake.options as { auth: (cb: (data: object) => void) => void }).auth
    auth((data) => expect(data).toEqual({ token: 'jwt-1' }))

    fake.fire('connect')
    expect(fake.joins).toEqual(['s1'])
    expect(h.joined).toHaveBeenLastCalledWith(false)
    expect(h.statuses.at(-1)).toBe('connected')

    fake.fire('disconnect', 'transport close')
    expect(h.statuses.at(-1)).toBe('reconnecting')
    token = 'jwt-2'
    auth((data) => expect(data).toEqual({ token: 'jwt-2' }))
    fake.fire('connect')
    expect(fake.joins).toEqual(['s1', 's1'])
    expect(h.joined).toHaveBeenLastCalledWith(true)
    expect(h.statuses.at(-1)).toBe('connected')
  })

  it('forwards only this site’s events', () => {
    const h = handlers()
    opened.push(openSiteChannel({ siteId: 's1', getToken: () => 't', handlers: h }))
    fake.fire('telemetry', { siteId: 's1', deviceId: 'd', time: 1, readings: {} })
    fake.fire('telemetry', { siteId: 's2', deviceId: 'd', time: 1, readings: {} })
    expect(h.telemetry).toHaveBeenCalledOnce()
  })

  it('forwards gateway sync reports and gaps of this site', () => {
    const h = { ...handlers(), gatewaySync: vi.fn(), gap: vi.fn() }
    opened.push(openSiteChannel({ siteId: 's1', getToken: () => 't', handlers: h }))
    fake.fire('gateway.sync', { siteId: 's1', gatewayId: 'g', sync: {} })
    fake.fire('gateway.sync', { siteId: 's2', gatewayId: 'g', sync: {} })
    fake.fire('gap', { siteId: 's1', gatewayId: 'g', reason: 'dropped' })
    fake.fire('gap', { siteId: 's2', gatewayId: 'g', reason: 'dropped' })
    expect(h.gatewaySync).toHaveBeenCalledExactlyOnceWith(expect.objectContaining({ siteId: 's1' }))
    expect(h.gap).toHaveBeenCalledExactlyOnceWith(expect.objectContaining({ siteId: 's1' }))
  })

  it('reports a refused join and an unauthorized token', () => {
    const h = handlers()
    fake.joinAck = { ok: false, error: 'SITE_NOT_FOUND' }
    opened.push(openSiteChannel({ siteId: 's1', getToken: () => 't', handlers: h }))
    fake.fire('connect')
    expect(h.statuses.at(-1)).toBe('error')

    fake.fire('connect_error', new Error('unauthorized'))
    expect(h.statuses.at(-1)).toBe('unauthorized')
    expect(h.unauthorized).toHaveBeenCalledOnce()
  })
})

describe('sites channel', () => {
  beforeEach(() => fake.reset())

  function sitesHandlers(): SitesChannelHandlers & { statuses: string[] } {
    const statuses: string[] = []
    return { statuses, alarm: vi.fn(), gatewaySync: vi.fn(), status: (s) => statuses.push(s), joined: vi.fn(), joinRefused: vi.fn() }
  }

  it('joins every site, skips the refused ones and says when it rejoined', () => {
    const h = sitesHandlers()
    fake.refuse.add('granted')
    const channel = openSitesChannel({ siteIds: ['s1', 's2', 'granted'], getToken: () => 't', handlers: h })
    fake.fire('connect')
    expect(fake.joins).toEqual(['s1', 's2', 'granted'])
    expect(h.joinRefused).toHaveBeenCalledExactlyOnceWith('granted', 'SITE_NOT_FOUND')
    expect(h.statuses.at(-1)).toBe('connected')
    expect(h.joined).toHaveBeenLastCalledWith(false)
    fake.fire('disconnect', 'transport close')
    expect(h.statuses.at(-1)).toBe('reconnecting')
    fake.fire('connect')
    expect(h.joined).toHaveBeenLastCalledWith(true)
    channel.close()
  })

  it('forwards the events of its sites only, and follows a changed list', () => {
    const h = sitesHandlers()
    const channel = openSitesChannel({ siteIds: ['s1'], getToken: () => 't', handlers: h })
    fake.fire('connect')
    fake.connected = true
    fake.fire('alarm', { siteId: 's1', alarmId: 'a' })
    fake.fire('alarm', { siteId: 's3', alarmId: 'b' })
    expect(h.alarm).toHaveBeenCalledOnce()
    channel.setSites(['s3'])
    expect(fake.joins.at(-1)).toBe('s3')
    expect(fake.leaves).toEqual(['s1'])
    fake.fire('alarm', { siteId: 's3', alarmId: 'b' })
    fake.fire('alarm', { siteId: 's1', alarmId: 'a' })
    expect(h.alarm).toHaveBeenCalledTimes(2)
    expect(h.alarm).toHaveBeenLastCalledWith(expect.objectContaining({ siteId: 's3' }))
    channel.close()
  })

  it('gives the app one live status: idle with nothing open, else the worst channel', () => {
    expect(liveStatus.value).toBe('idle')
    const a = openSitesChannel({ siteIds: ['s1'], getToken: () => 't', handlers: sitesHandlers() })
    expect(liveStatus.value).toBe('connecting')
    fake.fire('connect')
    expect(liveStatus.value).toBe('connected')
    fake.fire('disconnect', 'transport close')
    expect(liveStatus.value).toBe('reconnecting')
    a.close()
    expect(liveStatus.value).toBe('idle')
  })
})

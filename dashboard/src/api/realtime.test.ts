import { beforeEach, describe, expect, it, vi } from 'vitest'
import { openSiteChannel, type SiteChannelHandlers } from './realtime.js'

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
    timeout() {
      return {
        emit(event: string, siteId: string, ack: (err: Error | null, res?: unknown) => void) {
          if (event === 'site:join') socket.joins.push(siteId)
          ack(null, socket.joinAck)
        },
      }
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

describe('site channel', () => {
  beforeEach(() => fake.reset())

  it('sends the current token, joins on connect and again after each reconnect', () => {
    let token = 'jwt-1'
    const h = handlers()
    openSiteChannel({ siteId: 's1', getToken: () => token, handlers: h })

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
    openSiteChannel({ siteId: 's1', getToken: () => 't', handlers: h })
    fake.fire('telemetry', { siteId: 's1', deviceId: 'd', time: 1, readings: {} })
    fake.fire('telemetry', { siteId: 's2', deviceId: 'd', time: 1, readings: {} })
    expect(h.telemetry).toHaveBeenCalledOnce()
  })

  it('forwards gateway sync reports and gaps of this site', () => {
    const h = { ...handlers(), gatewaySync: vi.fn(), gap: vi.fn() }
    openSiteChannel({ siteId: 's1', getToken: () => 't', handlers: h })
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
    openSiteChannel({ siteId: 's1', getToken: () => 't', handlers: h })
    fake.fire('connect')
    expect(h.statuses.at(-1)).toBe('error')

    fake.fire('connect_error', new Error('unauthorized'))
    expect(h.statuses.at(-1)).toBe('unauthorized')
    expect(h.unauthorized).toHaveBeenCalledOnce()
  })
})

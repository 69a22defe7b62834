import { flushPromises, mount } from '@vue/test-utils'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { i18n, setLocale } from '../i18n/index.js'
import { openSitesChannel, type SitesChannel } from '../api/realtime.js'
import TheConnectionStatus from './TheConnectionStatus.vue'

// A socket that connects, answers joins and drops when told to.
const fake = vi.hoisted(() => {
  const listeners = new Map<string, ((...args: unknown[]) => void)[]>()
  return {
    on(event: string, fn: (...args: unknown[]) => void) {
      listeners.set(event, [...(listeners.get(event) ?? []), fn])
    },
    timeout: () => ({ emit: (_e: string, _id: string, ack: (err: null, res: unknown) => void) => ack(null, { ok: true }) }),
    emit() {},
    removeAllListeners: () => listeners.clear(),
    disconnect() {},
    connected: true,
    active: true,
    fire: (event: string, ...args: unknown[]) => listeners.get(event)?.forEach((fn) => fn(...args)),
  }
})
vi.mock('socket.io-client', () => ({ io: () => fake }))

describe('TheConnectionStatus', () => {
  let channel: SitesChannel | undefined
  afterEach(() => channel?.close())

  it('speaks for whichever live channel is open, and says when it is lost', async () => {
    setLocale('es-AR')
    const wrapper = mount(TheConnectionStatus, { global: { plugins: [i18n] } })
    // Nothing live on the page: nothing to report (not "offline").
    expect(wrapper.find('[data-testid=connection-status]').exists()).toBe(false)
    channel = openSitesChannel({ siteIds: ['s1'], getToken: () => 't', handlers: { status: () => {} } })
    fake.fire('connect')
    await flushPromises()
    expect(wrapper.get('[data-testid=connection-status]').attributes('data-connected')).toBe('true')
    expect(wrapper.text()).toBe('En vivo')
    fake.fire('disconnect', 'transport close')
    await flushPromises()
    expect(wrapper.get('[data-testid=connection-status]').attributes('data-status')).toBe('reconnecting')
    expect(wrapper.get('[data-testid=connection-status]').attributes('aria-label')).toBe('Estado de la conexión en vivo: Reconectando…')
    channel.close()
    channel = undefined
    await flushPromises()
    expect(wrapper.find('[data-testid=connection-status]').exists()).toBe(false)
  })
})

import { mount } from '@vue/test-utils'
import { beforeEach, describe, expect, it } from 'vitest'
import type { GatewaySync } from '../../api/types.js'
import { i18n, setLocale } from '../../i18n/index.js'
import type { GatewayStatus } from '../../stores/site.js'
import GatewaySyncPanel from './GatewaySyncPanel.vue'

const NOW = Date.UTC(2025, 0, 15, 15, 0, 0)
const MB = 1024 * 1024

const sync = (overrides: Partial<GatewaySync> = {}): GatewaySync => ({
  reportedAt: NOW - 5_000,
  lagEvents: 1234,
  lagSeconds: 200,
  oldestUnsentAt: NOW - 200_000,
  eventsPerDay: 86_400,
  bufferDaysLeft: 12.3,
  usedBytes: 100 * MB,
  maxBytes: 512 * MB,
  quarantinedTotal: 0,
  droppedTotal: 0,
  clockSynced: true,
  ...overrides,
})

const gateway = (overrides: Partial<GatewayStatus> = {}): GatewayStatus => ({
  id: 'gw-demo-01',
  name: 'Gateway Palermo',
  online: true,
  lastContactAt: NOW - 3 * 60_000,
  quarantinedTotal: 0,
  sync: sync(),
  ...overrides,
})

const mountPanel = (g: GatewayStatus) =>
  mount(GatewaySyncPanel, {
    props: { gateway: g, timeZone: 'America/Argentina/Buenos_Aires', now: NOW },
    global: { plugins: [i18n] },
  })

const text = (wrapper: ReturnType<typeof mountPanel>, id: string) => wrapper.get(`[data-testid="${id}"]`).text()

describe('GatewaySyncPanel', () => {
  beforeEach(() => setLocale('es-AR'))

  it('shows an online gateway with its lag, buffer and disk in Spanish', () => {
    const wrapper = mountPanel(gateway())
    expect(wrapper.get('[data-testid="sync-panel"]').attributes('data-online')).toBe('true')
    expect(text(wrapper, 'sync-online')).toBe('En línea')
    expect(text(wrapper, 'sync-last-contact')).toBe('hace 3 min')
    expect(text(wrapper, 'sync-lag-events')).toBe('1.234')
    expect(wrapper.get('[data-testid="sync-lag-events"]').attributes('data-value')).toBe('1234')
    expect(text(wrapper, 'sync-lag-seconds')).toBe('3 min 20 s')
    // 200 s before 12:00 in Buenos Aires.
    expect(text(wrapper, 'sync-oldest-unsent')).toBe('11:56 (hace 3 min)')
    expect(text(wrapper, 'sync-buffer-days')).toBe('12 días')
    expect(wrapper.get('[data-testid="sync-buffer-days"]').attributes('data-tone')).toBe('neutral')
    expect(text(wrapper, 'sync-disk')).toBe('100 MB de 512 MB')
    expect(text(wrapper, 'sync-quarantined')).toBe('0')
    expect(text(wrapper, 'sync-dropped')).toBe('0')
    expect(wrapper.find('[data-testid="sync-clock-warning"]').exists()).toBe(false)
    expect(wrapper.find('[data-testid="sync-empty"]').exists()).toBe(false)
  })

  it('marks a short buffer, a big lag, quarantined and dropped events, and an unsynced clock', () => {
    const wrapper = mountPanel(
      gateway({
        online: false,
        quarantinedTotal: null,
        sync: sync({ bufferDaysLeft: 1.5, lagSeconds: 7200, quarantinedTotal: 2, droppedTotal: 5000, clockSynced: false, usedBytes: 500 * MB }),
      }),
    )
    expect(text(wrapper, 'sync-online')).toBe('Sin conexión')
    expect(wrapper.get('[data-testid="sync-online"]').attributes('data-state')).toBe('offline')
    const buffer = wrapper.get('[data-testid="sync-buffer-days"]')
    expect(buffer.text()).toBe('1,5 días')
    expect(buffer.attributes('data-tone')).toBe('warning')
    expect(buffer.element.closest('.stat')?.classList.contains('stat--warning')).toBe(true)
    expect(mountPanel(gateway({ sync: sync({ bufferDaysLeft: 0.2 }) })).get('[data-testid="sync-buffer-days"]').attributes('data-tone')).toBe('danger')
    expect(wrapper.get('[data-testid="sync-lag-seconds"]').element.closest('.stat')?.classList.contains('stat--warning')).toBe(true)
    expect(wrapper.get('[data-testid="sync-disk"]').element.closest('.stat')?.classList.contains('stat--warning')).toBe(true)
    expect(text(wrapper, 'sync-quarantined')).toBe('2')
    expect(text(wrapper, 'sync-dropped')).toBe('5.000')
    // The cloud's own count wins over what the gateway last reported.
    expect(text(mountPanel(gateway({ quarantinedTotal: 3, sync: sync({ quarantinedTotal: 2 }) })), 'sync-quarantined')).toBe('3')
    expect(text(wrapper, 'sync-clock-warning')).toContain('reloj')
  })

  it('says when nothing is pending and the buffer is not known yet', () => {
    const wrapper = mountPanel(gateway({ sync: sync({ lagEvents: 0, lagSeconds: null, oldestUnsentAt: null, bufferDaysLeft: null }) }))
    expect(text(wrapper, 'sync-lag-events')).toBe('0')
    expect(text(wrapper, 'sync-lag-seconds')).toBe('Al día')
    expect(text(wrapper, 'sync-oldest-unsent')).toBe('Nada pendiente')
    expect(text(wrapper, 'sync-buffer-days')).toBe('Calculando…')
    expect(text(mountPanel(gateway({ sync: sync({ lagEvents: 0, lagSeconds: 0 }) })), 'sync-lag-seconds')).toBe('Al día')
  })

  it('has a clear empty state before the first report', () => {
    const wrapper = mountPanel(gateway({ online: null, lastContactAt: null, sync: null }))
    expect(text(wrapper, 'sync-empty')).toContain('todavía no informó')
    expect(text(wrapper, 'sync-online')).toBe('Sin datos')
    expect(text(wrapper, 'sync-last-contact')).toBe('Nunca')
    expect(wrapper.find('[data-testid="sync-lag-events"]').exists()).toBe(false)
  })

  it('follows the language', async () => {
    const wrapper = mountPanel(gateway())
    setLocale('en')
    await wrapper.vm.$nextTick()
    expect(text(wrapper, 'sync-online')).toBe('Online')
    expect(text(wrapper, 'sync-lag-events')).toBe('1,234')
    expect(text(wrapper, 'sync-disk')).toBe('100 MB of 512 MB')
    expect(text(wrapper, 'sync-buffer-days')).toBe('12 days')
  })
})

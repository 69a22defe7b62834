import { mount } from '@vue/test-utils'
import { beforeEach, describe, expect, it } from 'vitest'
import { i18n, setLocale } from '../../i18n/index.js'
import RelayState from './RelayState.vue'

const mountRelay = (value: boolean | undefined, updatedAt?: number) =>
  mount(RelayState, {
    props: { relay: 'compressor', value, updatedAt, timeZone: 'America/Argentina/Buenos_Aires' },
    global: { plugins: [i18n] },
  })

describe('RelayState', () => {
  beforeEach(() => setLocale('es-AR'))

  it('renders on as Encendido with data-state="on"', () => {
    const badge = mountRelay(true, Date.UTC(2025, 0, 15, 15, 5)).get('[data-testid="relay-compressor"]')
    expect(badge.attributes('data-state')).toBe('on')
    expect(badge.text()).toBe('Encendido')
  })

  it('renders off as Apagado with data-state="off"', () => {
    const wrapper = mountRelay(false, Date.UTC(2025, 0, 15, 15, 5))
    const badge = wrapper.get('[data-testid="relay-compressor"]')
    expect(badge.attributes('data-state')).toBe('off')
    expect(badge.text()).toBe('Apagado')
    expect(wrapper.text()).toContain('Desde las 12:05')
  })

  it('says it does not know yet before the first state arrives', () => {
    const badge = mountRelay(undefined).get('[data-testid="relay-compressor"]')
    expect(badge.attributes('data-state')).toBe('unknown')
    expect(badge.text()).toBe('Sin datos')
  })

  it('follows the language', async () => {
    const wrapper = mountRelay(true)
    setLocale('en')
    await wrapper.vm.$nextTick()
    expect(wrapper.get('[data-testid="relay-compressor"]').text()).toBe('On')
  })
})

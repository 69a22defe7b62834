import { mount } from '@vue/test-utils'
import { afterEach, describe, expect, it } from 'vitest'
import { nextTick } from 'vue'
import { i18n, setLocale } from '../i18n/index.js'
import { noteApiResponse, resetOfflineStatus, useOfflineStatus } from './offline.js'
import { CACHE_HEADER } from './sw-policy.js'
import TheOfflineBanner from './TheOfflineBanner.vue'

const saved = (at: number) => new Headers({ [CACHE_HEADER]: String(at) })
const live = () => new Headers({ 'content-type': 'application/json' })

describe('offline status', () => {
  afterEach(() => {
    resetOfflineStatus()
    setLocale('es-AR')
  })

  it('keeps the oldest save among cached responses, and clears on the first live one', () => {
    const { savedAt, showingSavedData } = useOfflineStatus()
    expect(showingSavedData.value).toBe(false)
    noteApiResponse(saved(2_000))
    noteApiResponse(saved(1_000))
    noteApiResponse(saved(3_000))
    expect(savedAt.value).toBe(1_000)
    noteApiResponse(live())
    expect(savedAt.value).toBeNull()
    expect(showingSavedData.value).toBe(false)
  })

  it('shows the banner with the saving time in both languages, and hides it when live', async () => {
    const at = Date.now() - 3 * 60_000
    const clock = new Intl.DateTimeFormat('es-AR', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(at)
    const wrapper = mount(TheOfflineBanner, { global: { plugins: [i18n] } })
    expect(wrapper.find('[data-testid=offline-banner]').exists()).toBe(false)
    // The live region is there before the message, so it is announced.
    expect(wrapper.find('[role=status]').exists()).toBe(true)

    noteApiResponse(saved(at))
    await nextTick()
    const banner = wrapper.get('[data-testid=offline-banner]')
    expect(banner.text()).toContain('Sin conexión: mostrando los últimos datos guardados')
    expect(banner.text()).toContain(`(hace 3 min, ${clock})`)
    expect(banner.attributes('data-saved-at')).toBe(String(at))

    setLocale('en')
    await nextTick()
    expect(wrapper.get('[data-testid=offline-banner]').text()).toMatch(/^Offline: showing the last saved data \(3 min\.? ago, /)

    noteApiResponse(live())
    await nextTick()
    expect(wrapper.find('[data-testid=offline-banner]').exists()).toBe(false)
  })
})

import { mount } from '@vue/test-utils'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { i18n, setLocale } from '../../i18n/index.js'
import type { GapBand } from './gaps.js'
import TemperatureChart from './TemperatureChart.vue'

// happy-dom has no canvas drawing, so this covers what is outside the canvas: the
// legend of the gap bands and the accessible summary. The bands themselves are drawn
// in the real-Chromium test (test/e2e/browser.test.ts).
const T0 = Date.UTC(2025, 0, 15, 15, 0, 0) // 12:00 in Buenos Aires
const MIN = 60_000

let mounted: { unmount(): void }[] = []
const mountChart = (gaps: GapBand[]) => {
  const wrapper = mount(TemperatureChart, {
    props: {
      points: [
        { time: T0, value: 3.5 },
        { time: T0 + 30 * MIN, value: 4.5 },
      ],
      timeZone: 'America/Argentina/Buenos_Aires',
      threshold: 5,
      gaps,
    },
    global: { plugins: [i18n] },
    // Chart.js measures its parent on every update.
    attachTo: document.body,
  })
  mounted.push(wrapper)
  return wrapper
}

describe('TemperatureChart gap marks', () => {
  beforeEach(() => setLocale('es-AR'))
  afterEach(() => {
    for (const wrapper of mounted) wrapper.unmount()
    mounted = []
  })

  it('has no legend when the history has no gaps', () => {
    const wrapper = mountChart([])
    expect(wrapper.find('[data-testid="gap-legend"]').exists()).toBe(false)
    expect(wrapper.get('[data-testid="temperature-chart"]').attributes('data-gap-bands')).toBe('0')
  })

  it('names each kind of gap once, with its time ranges in the tooltip', async () => {
    const wrapper = mountChart([
      { reason: 'downsampled', from: T0 + 5 * MIN, to: T0 + 10 * MIN },
      { reason: 'dropped', from: T0 + 12 * MIN, to: T0 + 14 * MIN },
      { reason: 'downsampled', from: T0 + 20 * MIN, to: T0 + 21 * MIN },
    ])
    expect(wrapper.get('[data-testid="temperature-chart"]').attributes('data-gap-bands')).toBe('3')
    const items = wrapper.findAll('[data-testid="gap-legend-item"]')
    expect(items.map((i) => [i.attributes('data-reason'), i.attributes('data-count'), i.text()])).toEqual([
      ['downsampled', '2', 'Datos resumidos por minuto'],
      ['dropped', '1', 'Datos descartados'],
    ])
    expect(items[0]!.attributes('title')).toContain('12:05 a 12:10')
    expect(items[0]!.attributes('title')).toContain('12:20 a 12:21')
    expect(items[1]!.attributes('title')).toContain('descartó')
    expect(wrapper.get('[data-testid="temperature-chart"]').attributes('aria-label')).toContain('Datos descartados')

    setLocale('en')
    await wrapper.vm.$nextTick()
    expect(wrapper.findAll('[data-testid="gap-legend-item"]').map((i) => i.text())).toEqual(['Downsampled (per minute)', 'Dropped'])
  })
})

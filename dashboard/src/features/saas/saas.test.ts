import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { MrrRow } from '../../api/saas.js'
import { i18n } from '../../i18n/index.js'
import { es } from '../../i18n/messages/saas.js'
import MrrChart from './MrrChart.vue'
import PlansPanel from './PlansPanel.vue'
import { checkPlan, mrrBars, parseFeatures } from './saas.js'

const row: MrrRow = { currency: 'ARS', startMinor: 1_000_000, endMinor: 1_150_000, newMinor: 300_000, expansionMinor: 50_000, contractionMinor: 0, churnedMinor: 200_000, revenueChurnBp: 2000 }

beforeEach(() => setActivePinia(createPinia()))
afterEach(() => {
  vi.unstubAllGlobals()
  document.body.innerHTML = ''
})

describe('MRR bridge', () => {
  it('goes from start to end with signed movements, scaled to the largest', () => {
    const bars = mrrBars(row, 120, 30)
    expect(bars.map((b) => [b.step, b.amountMinor, b.length])).toEqual([
      ['start', 1_000_000, 104],
      ['new', 300_000, 31],
      ['expansion', 50_000, 5],
      ['contraction', 0, 0],
      ['churned', -200_000, 20],
      ['end', 1_150_000, 120],
    ])
    // The bridge adds up: start + new + expansion - contraction - churned = end.
    expect(bars.slice(0, 5).reduce((a, b) => a + b.amountMinor, 0)).toBe(row.endMinor)
  })

  it('draws each step with its amount as text and one label for the chart', () => {
    const wrapper = mount(MrrChart, { props: { row }, global: { plugins: [i18n] } })
    expect(wrapper.findAll('[data-testid=mrr-bar]').map((b) => b.attributes('data-step'))).toEqual(['start', 'new', 'expansion', 'contraction', 'churned', 'end'])
    const label = wrapper.get('svg').attributes('aria-label')!.replace(/\s/g, ' ')
    expect(label).toContain('Perdido, − $ 2.000')
    expect(label).toContain('Al cierre, $ 11.500')
  })
})

describe('plans', () => {
  it('checks a plan and builds its body in minor units', () => {
    expect(parseFeatures('Sensores\nReportes, Sensores\n\n')).toEqual(['Sensores', 'Reportes'])
    expect(checkPlan({ code: 'pro', name: 'Pro', features: 'A', price: '25.000,50', currency: 'ARS', interval: 'month' }, 'es-AR')).toEqual({
      problems: {},
      body: { code: 'pro', name: 'Pro', features: ['A'], priceMinor: 2_500_050, currency: 'ARS', interval: 'month' },
    })
    expect(checkPlan({ code: 'Pro Plan', name: ' ', features: '', price: '1.5', currency: 'ARS', interval: 'year' }, 'es-AR').problems).toEqual({
      code: 'saas.plans.errors.code',
      name: 'saas.plans.errors.name',
      price: 'saas.plans.errors.price',
    })
  })

  it('creates a plan, and shows a code already taken on its field', async () => {
    let answer = () => Response.json({ error: { code: 'SAAS_PLAN_EXISTS', message: 'code: a plan "pro" exists' } }, { status: 409 })
    const calls: { method: string; body?: unknown }[] = []
    vi.stubGlobal(
      'fetch',
      vi.fn(async (_url: string, init: RequestInit = {}) => {
        calls.push({ method: init.method ?? 'GET', body: init.body ? JSON.parse(String(init.body)) : undefined })
        return answer()
      }),
    )
    const wrapper = mount(PlansPanel, { attachTo: document.body, global: { plugins: [i18n] } })
    await wrapper.get('[data-testid=plan-code]').setValue('pro')
    await wrapper.get('[data-testid=plan-name]').setValue('Pro')
    await wrapper.get('[data-testid=plan-price]').setValue('25.000')
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    expect(calls[0]).toMatchObject({ method: 'POST', body: { code: 'pro', priceMinor: 2_500_000, interval: 'month', features: [] } })
    expect(wrapper.get('[data-testid=plan-field-error][data-field=code]').text()).toBe(es.plans.errors.codeTaken)
    expect(wrapper.get('[data-testid=plan-code]').attributes('aria-invalid')).toBe('true')

    answer = () => Response.json({ id: 'p1', code: 'pro2', name: 'Pro', features: [], priceMinor: 2_500_000, currency: 'ARS', interval: 'month', active: true, createdAt: '' }, { status: 201 })
    await wrapper.get('[data-testid=plan-code]').setValue('pro2')
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    const item = wrapper.get('[data-testid=plan-item][data-code=pro2]')
    expect(item.text().replace(/\s/g, ' ')).toContain('$ 25.000,00 por mes')
    expect(wrapper.get('[data-testid=plan-status]').text()).toBe('Plan Pro creado.')
    wrapper.unmount()
  })
})

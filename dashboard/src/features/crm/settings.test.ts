import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { i18n, setLocale } from '../../i18n/index.js'
import ScoringRulesSettings from './ScoringRulesSettings.vue'
import SettingsPanel from './SettingsPanel.vue'
import StagesSettings from './StagesSettings.vue'
import { stubCloud } from './testing.js'

beforeEach(() => setActivePinia(createPinia()))
afterEach(() => {
  vi.unstubAllGlobals()
  vi.restoreAllMocks()
  setLocale('es-AR')
  document.body.innerHTML = ''
})

const stage = (id: string, name: string, position: number, openDeals = 0) => ({ id, name, position, closing: false, openDeals })

describe('StagesSettings', () => {
  it('lists stages in order, renames, reorders, adds, and shows the 409 of a stage with open deals on its row', async () => {
    let list = [stage('s2', 'Propuesta', 1, 2), stage('s1', 'Contacto', 0)]
    const calls = stubCloud({
      'GET /api/crm/stages': () => Response.json({ items: list, nextCursor: null }),
      'PATCH /api/crm/stages/s1': (_u, init) => Response.json({ ...stage('s1', JSON.parse(String(init.body)).name, 0) }),
      'PUT /api/crm/stages/order': (_u, init) => {
        const ids = JSON.parse(String(init.body)).stageIds as string[]
        list = ids.map((id, i) => ({ ...list.find((s) => s.id === id)!, position: i }))
        return Response.json({ stages: list })
      },
      'POST /api/crm/stages': () => Response.json(stage('s3', 'Cierre', 2), { status: 201 }),
      'DELETE /api/crm/stages/s2': () =>
        Response.json({ error: { code: 'CRM_STAGE_HAS_OPEN_DEALS', message: 'stage has 2 open deals' } }, { status: 409 }),
    })
    const confirm = vi.fn().mockReturnValue(true)
    vi.stubGlobal('confirm', confirm)
    window.confirm = confirm
    const wrapper = mount(StagesSettings, { global: { plugins: [i18n] }, attachTo: document.body })
    await flushPromises()
    const names = () => wrapper.findAll<HTMLInputElement>('[data-testid=crm-stage-name]').map((i) => i.element.value)
    expect(names()).toEqual(['Contacto', 'Propuesta'])
    // Every field is labelled.
    for (const input of wrapper.findAll('input')) expect(wrapper.find(`label[for="${input.attributes('id')}"]`).exists()).toBe(true)
    expect(wrapper.text()).toContain('2 negocios abiertos')

    // Rename inline.
    await wrapper.findAll('[data-testid=crm-stage-name]')[0]!.setValue('Primer contacto')
    await wrapper.findAll('[data-testid=crm-stage-row] form')[0]!.trigger('submit')
    await flushPromises()
    expect(calls.at(-1)).toMatchObject({ method: 'PATCH', body: { name: 'Primer contacto' } })
    expect(wrapper.get('[data-testid=crm-stages-status]').text()).toContain('Primer contacto')

    // Move the second one up: the whole order goes to the cloud.
    expect(wrapper.findAll('[data-testid=crm-stage-up]')[0]!.attributes('disabled')).toBeDefined()
    await wrapper.findAll('[data-testid=crm-stage-up]')[1]!.trigger('click')
    await flushPromises()
    expect(calls.at(-1)).toMatchObject({ method: 'PUT', body: { stageIds: ['s2', 's1'] } })
    expect(names()).toEqual(['Propuesta', 'Contacto'])

    // Delete refused: the 409 on that stage's row, the stage stays.
    await wrapper.findAll('[data-testid=crm-stage-delete]')[0]!.trigger('click')
    await flushPromises()
    const row = wrapper.findAll('[data-testid=crm-stage-row]')[0]!
    expect(row.get('[data-testid=crm-stage-problem]').text()).toContain('negocios abiertos')
    expect(names()).toHaveLength(2)

    // Add: empty is refused before sending; then added last.
    const before = calls.length
    await wrapper.get('[data-testid=crm-stage-create]').trigger('submit')
    expect(calls.length).toBe(before)
    expect(wrapper.text()).toContain('Escribí un nombre.')
    await wrapper.get('[data-testid=crm-stage-new-name]').setValue('Cierre')
    await wrapper.get('[data-testid=crm-stage-create]').trigger('submit')
    await flushPromises()
    expect(calls.at(-1)).toMatchObject({ method: 'POST', body: { name: 'Cierre' } })
    expect(names()).toEqual(['Propuesta', 'Contacto', 'Cierre'])

    setLocale('en')
    await flushPromises()
    expect(wrapper.text()).toContain('Pipeline stages')
  })
})

describe('ScoringRulesSettings', () => {
  it('lists rules with points, creates one with its condition fields, shows API errors on the field, edits, deletes and recomputes', async () => {
    const rule = { id: 'r1', name: 'Con email', condition: { type: 'has_email' }, points: 5, active: true, createdAt: 1, updatedAt: 1 }
    let posts = 0
    const calls = stubCloud({
      'GET /api/crm/scoring-rules': () => Response.json({ items: [rule], nextCursor: null }),
      'POST /api/crm/scoring-rules': (_u, init) => {
        posts++
        if (posts === 1) return Response.json({ error: { code: 'VALIDATION', message: 'body/points must be <= 1000' } }, { status: 400 })
        return Response.json({ ...JSON.parse(String(init.body)), id: 'r2', createdAt: 2, updatedAt: 2 }, { status: 201 })
      },
      'PATCH /api/crm/scoring-rules/r1': (_u, init) => Response.json({ ...rule, ...JSON.parse(String(init.body)) }),
      'DELETE /api/crm/scoring-rules/r1': () => Response.json(rule),
      'POST /api/crm/scoring-rules/recompute': () => Response.json({ contacts: 12, changed: 3 }),
    })
    const confirm = vi.fn().mockReturnValue(true)
    vi.stubGlobal('confirm', confirm)
    window.confirm = confirm
    const wrapper = mount(ScoringRulesSettings, { global: { plugins: [i18n] }, attachTo: document.body })
    await flushPromises()
    expect(wrapper.get('[data-testid=crm-rule]').text()).toContain('Con email')
    expect(wrapper.get('[data-testid=crm-rule-points]').text()).toBe('5 puntos')

    // A condition type brings its own fields; missing ones are asked for before sending.
    await wrapper.get('[data-testid=crm-rule-type]').setValue('interactions_within')
    await wrapper.get('[data-testid=crm-rule-name]').setValue('Activo')
    await wrapper.get('[data-testid=crm-rule-days]').setValue('')
    const before = calls.length
    await wrapper.get('[data-testid=crm-rule-form]').trigger('submit')
    await flushPromises()
    expect(calls.length).toBe(before)
    expect(document.activeElement).toBe(wrapper.get('[data-testid=crm-rule-days]').element)
    for (const input of wrapper.findAll('[data-testid=crm-rule-form] input, [data-testid=crm-rule-form] select')) {
      const idAttr = input.attributes('id')
      if (idAttr) expect(wrapper.find(`label[for="${idAttr}"]`).exists()).toBe(true)
    }

    // The cloud's refusal lands on its field.
    await wrapper.get('[data-testid=crm-rule-days]').setValue('30')
    await wrapper.get('[data-testid=crm-rule-at-least]').setValue('2')
    await wrapper.get('[data-testid=crm-rule-points-input]').setValue('20')
    await wrapper.get('[data-testid=crm-rule-form]').trigger('submit')
    await flushPromises()
    expect(wrapper.get('[data-testid=crm-rule-points-input]').attributes('aria-invalid')).toBe('true')
    expect(document.activeElement).toBe(wrapper.get('[data-testid=crm-rule-points-input]').element)

    await wrapper.get('[data-testid=crm-rule-form]').trigger('submit')
    await flushPromises()
    expect(calls.at(-1)).toMatchObject({ method: 'POST', body: { name: 'Activo', points: 20, condition: { type: 'interactions_within', days: 30, atLeast: 2 }, active: true } })
    expect(wrapper.findAll('[data-testid=crm-rule]')).toHaveLength(2)
    expect(wrapper.text()).toContain('Al menos 2 interacciones en 30 días')

    // Edit: the form fills with the rule; saving patches it.
    await wrapper.get('[data-rule-id=r1] [data-testid=crm-rule-edit]').trigger('click')
    expect((wrapper.get('[data-testid=crm-rule-name]').element as HTMLInputElement).value).toBe('Con email')
    await wrapper.get('[data-testid=crm-rule-type]').setValue('revenue_at_least')
    await wrapper.get('[data-testid=crm-rule-amount]').setValue('1.500,50')
    await wrapper.get('[data-testid=crm-rule-currency]').setValue('ARS')
    await wrapper.get('[data-testid=crm-rule-form]').trigger('submit')
    await flushPromises()
    expect(calls.at(-1)).toMatchObject({ method: 'PATCH', body: { condition: { type: 'revenue_at_least', minor: 150050, currency: 'ARS' }, points: 5 } })

    await wrapper.get('[data-testid=crm-rules-recompute]').trigger('click')
    await flushPromises()
    expect(wrapper.get('[data-testid=crm-rules-status]').text()).toContain('12 contactos revisados, 3 cambiaron')

    await wrapper.get('[data-rule-id=r1] [data-testid=crm-rule-delete]').trigger('click')
    await flushPromises()
    expect(calls.at(-1)).toMatchObject({ method: 'DELETE' })
    expect(wrapper.findAll('[data-testid=crm-rule]')).toHaveLength(1)
  })
})

describe('SettingsPanel', () => {
  it('holds the stages and the scoring rules, each with its heading', async () => {
    stubCloud({
      'GET /api/crm/stages': () => Response.json({ items: [stage('s1', 'Contacto', 0)], nextCursor: null }),
      'GET /api/crm/scoring-rules': () => Response.json({ items: [], nextCursor: null }),
    })
    const wrapper = mount(SettingsPanel, { global: { plugins: [i18n] } })
    await flushPromises()
    expect(wrapper.find('[data-testid=crm-stages-settings]').text()).toContain('Etapas del embudo')
    expect(wrapper.find('[data-testid=crm-rules-settings]').text()).toContain('Todavía no hay reglas.')
  })
})

import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Rule } from '../../api/rules.js'
import { i18n, setLocale } from '../../i18n/index.js'
import RuleEditor from './RuleEditor.vue'

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status })
const invalid = (fields: { path: string; message: string }[]) =>
  json(400, { error: { code: 'RULE_INVALID', message: 'rule is invalid', details: { fields } } })

const fetchMock = vi.fn<typeof fetch>()

function mountEditor(rule: Rule | null = null, readonly = false) {
  const pinia = createPinia()
  setActivePinia(pinia)
  return mount(RuleEditor, {
    props: { gatewayId: 'gw-demo-01', version: 3, deviceIds: ['camara-1', 'horno'], rule, readonly },
    global: { plugins: [pinia, i18n] },
    attachTo: document.body,
  })
}

type Wrapper = ReturnType<typeof mountEditor>

const input = (wrapper: Wrapper, id: string) => wrapper.get(`#${id}`)
const requests = () => fetchMock.mock.calls.map(([url, init]) => `${init?.method ?? 'GET'} ${String(url)}`)
const bodyOf = (n: number) => JSON.parse(String(fetchMock.mock.calls[n]![1]!.body)) as Record<string, unknown>

async function save(wrapper: Wrapper) {
  await wrapper.get('form').trigger('submit')
  await flushPromises()
}

describe('RuleEditor', () => {
  beforeEach(() => {
    setLocale('es-AR')
    fetchMock.mockReset()
    vi.stubGlobal('fetch', fetchMock)
  })
  afterEach(() => {
    vi.unstubAllGlobals()
    document.body.innerHTML = ''
  })

  it('shows the cloud’s problem under its field, tied by aria, and focuses it', async () => {
    fetchMock.mockImplementation(async () => invalid([{ path: '/when/forSeconds', message: 'must be >= 0' }]))
    const wrapper = mountEditor()
    await input(wrapper, 'rule-field-id').setValue('camara-muy-alta')
    await input(wrapper, 'rule-field-alarm-message').setValue('Muy alta')
    await input(wrapper, 'rule-field-when-forSeconds').setValue('-5')
    await save(wrapper)

    expect(requests()[0]).toBe('POST /api/gateways/gw-demo-01/rules/validate')
    expect(bodyOf(0)).toMatchObject({ create: true, rule: { id: 'camara-muy-alta', when: { kind: 'threshold', forSeconds: -5 } } })
    const field = input(wrapper, 'rule-field-when-forSeconds')
    expect(field.attributes('aria-invalid')).toBe('true')
    const describedBy = field.attributes('aria-describedby')!.split(' ')
    expect(describedBy).toContain('rule-field-when-forSeconds-error')
    expect(wrapper.get('#rule-field-when-forSeconds-error').text()).toBe('Tiene que ser 0 o más.')
    expect(document.activeElement?.id).toBe('rule-field-when-forSeconds')
    // Nothing was PUT.
    expect(requests().some((r) => r.startsWith('PUT'))).toBe(false)
  })

  it('clears the problem once fixed, and saves with the version it was loaded at', async () => {
    fetchMock
      .mockResolvedValueOnce(invalid([{ path: '/when/above', message: 'must be a number' }]))
      .mockResolvedValueOnce(json(200, { ok: true }))
      .mockResolvedValueOnce(json(201, { gatewayId: 'gw-demo-01', version: 4, rule: { id: 'nueva' } }))
    const wrapper = mountEditor()
    await input(wrapper, 'rule-field-id').setValue('nueva')
    await input(wrapper, 'rule-field-alarm-message').setValue('Alta')
    await save(wrapper)
    expect(input(wrapper, 'rule-field-when-limit').attributes('aria-invalid')).toBe('true')

    await input(wrapper, 'rule-field-when-limit').setValue('6,5')
    await save(wrapper)
    expect(wrapper.find('[data-testid=rule-field-error]').exists()).toBe(false)
    const put = fetchMock.mock.calls[2]!
    expect(`${put[1]!.method} ${String(put[0])}`).toBe('PUT /api/gateways/gw-demo-01/rules/nueva?ifVersion=3')
    expect(bodyOf(2)).toMatchObject({ id: 'nueva', when: { above: 6.5 }, alarm: { severity: 'warning', message: 'Alta' } })
    expect(wrapper.emitted('saved')).toEqual([[{ id: 'nueva' }, 4]])
  })

  it('catches empty required fields without asking the cloud', async () => {
    const wrapper = mountEditor()
    await input(wrapper, 'rule-field-when-limit').setValue('')
    await save(wrapper)
    expect(fetchMock).not.toHaveBeenCalled()
    expect(wrapper.get('#rule-field-id-error').text()).toBe('Completá este campo.')
    expect(wrapper.get('#rule-field-when-limit-error').text()).toBe('Completá este campo.')
    expect(document.activeElement?.id).toBe('rule-field-id')
  })

  it('puts a node-level "required" on the field it names, in the user’s language, once', async () => {
    fetchMock.mockImplementation(async () =>
      invalid([
        { path: '/when', message: 'must have required properties deviceId' },
        { path: '/when', message: 'set exactly one of "above" or "below"' },
        { path: '/actions/0/relay', message: 'device "camara-1" has no relay "luz"' },
      ]),
    )
    const wrapper = mountEditor({
      id: 'x',
      when: { kind: 'threshold', deviceId: 'camara-1', metric: 'temperature_c', forSeconds: 1 },
      alarm: { severity: 'info', message: 'x' },
      actions: [{ kind: 'relay.set', deviceId: 'camara-1', relay: 'luz', on: true }],
    })
    // The form's own checks would stop these first: fill them, the (stubbed) cloud still refuses.
    await input(wrapper, 'rule-field-when-limit').setValue('1')
    await save(wrapper)
    expect(wrapper.get('#rule-field-when-deviceId-error').text()).toBe('Completá este campo.')
    expect(wrapper.get('#rule-field-when-limit-error').text()).toBe('Poné un límite: mayor que o menor que.')
    expect(wrapper.get('#rule-field-actions-0-relay-error').text()).toBe('El equipo «camara-1» no tiene el relé «luz».')
    expect(document.activeElement?.id).toBe('rule-field-when-deviceId')
  })

  it('tells of a version conflict and offers to reload', async () => {
    fetchMock
      .mockResolvedValueOnce(json(200, { ok: true }))
      .mockResolvedValueOnce(json(409, { error: { code: 'CONFIG_VERSION_CONFLICT', message: 'moved' } }))
    const wrapper = mountEditor({ id: 'camara-alta', when: { kind: 'threshold', deviceId: 'camara-1', metric: 'temperature_c', above: 5, forSeconds: 120 }, actions: [] })
    await save(wrapper)
    expect(bodyOf(0)).toMatchObject({ create: false })
    expect(wrapper.get('[data-testid=rule-conflict]').text()).toContain('Alguien cambió las reglas')
    await wrapper.get('[data-testid=rule-reload]').trigger('click')
    expect(wrapper.emitted('reload')).toHaveLength(1)
  })

  it('puts a rule-wide problem in the summary at the top', async () => {
    fetchMock.mockImplementation(async () =>
      invalid([
        { path: '', message: 'a rule needs at least one action or an alarm' },
        { path: '/somewhere', message: 'an odd new check' },
      ]),
    )
    const wrapper = mountEditor()
    await input(wrapper, 'rule-field-id').setValue('sin-acciones')
    await input(wrapper, 'rule-field-alarm-on').setValue(false)
    await save(wrapper)
    expect(wrapper.findAll('[data-testid=rule-general-error]').map((e) => e.text())).toEqual([
      'La regla necesita al menos una acción o una alarma.',
      'an odd new check',
    ])
    expect(document.activeElement?.getAttribute('data-testid')).toBe('rule-editor-problems')
  })
})

describe('the form per kind', () => {
  beforeEach(() => setLocale('es-AR'))
  afterEach(() => (document.body.innerHTML = ''))

  const labels = (wrapper: Wrapper) => wrapper.findAll('label').map((l) => l.text())

  it('renders each condition kind’s own fields, and switches kind in place', async () => {
    const wrapper = mountEditor()
    expect(labels(wrapper)).toEqual(expect.arrayContaining(['Equipo', 'Medición', 'Comparación', 'Límite', 'Durante (segundos)', 'Histéresis']))
    await input(wrapper, 'rule-field-when-kind').setValue('schedule')
    expect(wrapper.find('#rule-field-when-forSeconds').exists()).toBe(false)
    expect(wrapper.find('#rule-field-when-windows-0-from').exists()).toBe(true)
    expect(labels(wrapper)).toEqual(expect.arrayContaining(['Días', 'Lun', 'Desde', 'Hasta']))
    await input(wrapper, 'rule-field-when-kind').setValue('counter')
    expect(labels(wrapper)).toEqual(expect.arrayContaining(['Evento', 'Ventana (segundos)', 'Más de (veces)']))
    await input(wrapper, 'rule-field-when-kind').setValue('all')
    expect(wrapper.find('#rule-field-when-conditions-0-kind').exists()).toBe(true)
    await wrapper.get('#rule-field-when-conditions-add').trigger('click')
    expect(wrapper.find('#rule-field-when-conditions-1-limit').exists()).toBe(true)
  })

  it('edits a kind without a form as JSON, and an action per kind', async () => {
    const wrapper = mountEditor({
      id: 'x',
      when: { kind: 'future_kind', deviceId: 'camara-1' },
      actions: [{ kind: 'notify', channel: 'sms', audience: 'owner', message: 'hola' }],
    })
    expect((input(wrapper, 'rule-field-when-json').element as HTMLTextAreaElement).value).toContain('"future_kind"')
    expect(labels(wrapper)).toEqual(expect.arrayContaining(['Canal', 'Destinatario', 'Mensaje']))
    await input(wrapper, 'rule-field-actions-0-kind').setValue('relay.set')
    expect(labels(wrapper)).toEqual(expect.arrayContaining(['Relé', 'Encender']))
  })

  it('is read-only without permission: no save, inputs locked', () => {
    const wrapper = mountEditor({ id: 'x', when: { kind: 'threshold', deviceId: 'camara-1', metric: 'temperature_c', above: 5, forSeconds: 1 }, actions: [] }, true)
    expect(wrapper.find('[data-testid=rule-save]').exists()).toBe(false)
    expect(input(wrapper, 'rule-field-when-forSeconds').attributes('readonly')).toBeDefined()
    expect(input(wrapper, 'rule-field-when-deviceId').attributes('disabled')).toBeDefined()
  })

  it('labels every field', () => {
    const wrapper = mountEditor({
      id: 'x',
      when: { kind: 'all', conditions: [{ kind: 'schedule', windows: [{ days: ['mon'], from: '08:00', to: '09:00' }] }, { kind: 'counter', deviceId: 'camara-1', metric: 'temperature_c', above: 5, windowSeconds: 60, moreThan: 1 }] },
      actions: [{ kind: 'publish', data: { a: 1 } }],
    })
    const unlabelled = wrapper.findAll('input, select, textarea').filter((el) => {
      const id = el.attributes('id')
      const wrapped = el.element.closest('label') !== null
      return !wrapped && !(id && document.querySelector(`label[for="${id}"]`)) && !el.attributes('aria-label')
    })
    expect(unlabelled.map((el) => el.html())).toEqual([])
  })
})

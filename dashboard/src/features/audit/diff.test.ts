import { mount } from '@vue/test-utils'
import { afterEach, describe, expect, it } from 'vitest'
import type { AuditEntry } from '../../api/audit.js'
import { i18n, setLocale } from '../../i18n/index.js'
import AuditEntryItem from './AuditEntryItem.vue'
import { auditDiff, changedLines, dayEnd, dayStart, showValue } from './diff.js'

describe('audit diff', () => {
  it('lists changed, added and removed fields by path, nested objects and arrays included', () => {
    const lines = auditDiff(
      { name: 'Ana', role: 'viewer', prefs: { lang: 'es' }, tags: ['a', 'b'], gone: 1 },
      { name: 'Ana', role: 'operator', prefs: { lang: 'en' }, tags: ['a'], added: true },
    )
    expect(lines).toEqual([
      { path: 'name', kind: 'same', before: 'Ana', after: 'Ana' },
      { path: 'role', kind: 'changed', before: 'viewer', after: 'operator' },
      { path: 'prefs.lang', kind: 'changed', before: 'es', after: 'en' },
      { path: 'tags.0', kind: 'same', before: 'a', after: 'a' },
      { path: 'tags.1', kind: 'removed', before: 'b' },
      { path: 'gone', kind: 'removed', before: 1 },
      { path: 'added', kind: 'added', after: true },
    ])
    expect(changedLines(lines).map((l) => l.path)).toEqual(['role', 'prefs.lang', 'tags.1', 'gone', 'added'])
  })

  it('shows a creation as all added and a scalar as one line', () => {
    expect(auditDiff(null, { id: 'u1', disabled: false }).map((l) => l.kind)).toEqual(['added', 'added'])
    expect(auditDiff(undefined, undefined)).toEqual([])
    expect(auditDiff('a', 'b')).toEqual([{ path: '', kind: 'changed', before: 'a', after: 'b' }])
    expect(auditDiff({}, { x: {} })).toEqual([
      { path: '', kind: 'removed', before: {} },
      { path: 'x', kind: 'added', after: {} },
    ])
    expect(showValue('x')).toBe('x')
    expect(showValue(null)).toBe('null')
    expect(showValue([1])).toBe('[1]')
  })

  it('turns picked days into a [from, to) window in the browser zone', () => {
    const from = dayStart('2026-11-20')!
    const to = dayEnd('2026-11-20')!
    expect(new Date(from).getDate()).toBe(20)
    expect(new Date(from).getHours()).toBe(0)
    expect(new Date(to).getDate()).toBe(21)
    expect(dayStart('')).toBeUndefined()
  })
})

describe('AuditEntryItem', () => {
  afterEach(() => setLocale('es-AR'))

  const entry: AuditEntry = {
    id: 7,
    at: Date.UTC(2026, 10, 21, 15, 0),
    actorType: 'user',
    actorId: 'u-admin',
    action: 'user.update',
    targetType: 'user',
    targetId: 'u-2',
    before: { name: 'Ana', role: 'viewer', disabled: false },
    after: { name: 'Ana', role: 'operator', disabled: false },
    requestId: 'req-1',
    ip: '10.0.0.1',
  }

  it('opens on demand to a readable diff of what changed, and can show every field', async () => {
    const wrapper = mount(AuditEntryItem, { props: { entry, actorName: 'Demo Admin', timeZone: 'UTC' }, global: { plugins: [i18n] } })
    const toggle = wrapper.get('[data-testid=audit-entry-toggle]')
    expect(toggle.text()).toContain('Usuario modificado')
    expect(toggle.text()).toContain('Demo Admin')
    expect(toggle.attributes('aria-expanded')).toBe('false')
    expect(wrapper.find('[data-testid=audit-diff]').exists()).toBe(false)

    await toggle.trigger('click')
    expect(toggle.attributes('aria-expanded')).toBe('true')
    const lines = wrapper.findAll('[data-testid=audit-diff-line]')
    expect(lines).toHaveLength(1)
    expect(lines[0]!.attributes('data-kind')).toBe('changed')
    expect(lines[0]!.get('th').text()).toBe('role')
    expect(lines[0]!.get('del').text()).toBe('viewer')
    expect(lines[0]!.get('ins').text()).toBe('operator')
    expect(wrapper.text()).toContain('Pedido req-1')

    await wrapper.get('.entry__more').trigger('click')
    expect(wrapper.findAll('[data-testid=audit-diff-line]')).toHaveLength(3)
  })

  it('falls back to the raw action name and the actor id', async () => {
    setLocale('en')
    const wrapper = mount(AuditEntryItem, { props: { entry: { ...entry, action: 'rule.dry_run', actorType: 'api_key', actorId: 'k1' }, timeZone: 'UTC' }, global: { plugins: [i18n] } })
    expect(wrapper.text()).toContain('rule.dry_run')
    expect(wrapper.text()).toContain('api_key k1')
  })
})

describe('AuditEntryItem of a creation', () => {
  it('leaves out the empty "before" column and shows times as dates', async () => {
    const created: AuditEntry = {
      id: 8,
      at: Date.UTC(2026, 10, 21, 15, 0),
      actorType: 'user',
      actorId: null,
      action: 'user.create',
      targetType: 'user',
      targetId: 'u-3',
      before: null,
      after: { name: 'Vera', createdAt: Date.UTC(2026, 10, 21, 15, 0) },
      requestId: null,
      ip: null,
    }
    const wrapper = mount(AuditEntryItem, { props: { entry: created, timeZone: 'UTC' }, global: { plugins: [i18n] } })
    expect(wrapper.text()).toContain('Usuario u-3')
    await wrapper.get('[data-testid=audit-entry-toggle]').trigger('click')
    expect(wrapper.findAll('thead th').map((th) => th.text())).toEqual(['Campo', 'Después'])
    const createdAt = wrapper.findAll('[data-testid=audit-diff-line]')[1]!
    expect(createdAt.get('ins').text()).toContain('21 nov')
  })
})

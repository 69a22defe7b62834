// The hand-made forms must stay in step with the gateway's kinds: every field a form
// offers exists in the kind's schema, every required key of the schema has a field, and
// a new node of each kind (with the form's defaults) is a rule the gateway accepts.
import { explainRuleFields, ruleKindCatalog } from '@tendero/gateway/rules'
import { describe, expect, it } from 'vitest'
import type { Rule } from '../../api/rules.js'
import { actionForms, childConditions, comparisonOf, COMPARISON_KEYS, conditionForms, newAction, newCondition, watchedSeries } from './formRegistry.js'

interface ObjectSchema {
  properties: Record<string, unknown>
  required?: string[]
}

const catalog = ruleKindCatalog()
const schemaOf = (list: { kind: string; schema: unknown }[], kind: string) => list.find((k) => k.kind === kind)?.schema as ObjectSchema

const formKeys = (fields: readonly { key: string; type: string }[]) =>
  fields.flatMap((f) => (f.type === 'comparison' ? [...COMPARISON_KEYS] : [f.key]))

describe('rule form registry', () => {
  it('has a hand-made form for the common condition kinds and every action kind', () => {
    for (const kind of ['threshold', 'state', 'schedule', 'stale', 'rate_of_change', 'counter', 'all', 'any']) expect(conditionForms.has(kind)).toBe(true)
    for (const { kind } of catalog.actions) expect(actionForms.has(kind), kind).toBe(true)
  })

  it.each([...conditionForms.values()].map((f) => [f.kind, f] as const))('condition form %s matches the gateway schema', (kind, form) => {
    const schema = schemaOf(catalog.conditions, kind)
    expect(schema, `the gateway has no ${kind}`).toBeDefined()
    const keys = formKeys(form.fields)
    for (const key of keys) expect(Object.keys(schema.properties), `${kind}.${key}`).toContain(key)
    for (const key of schema.required ?? []) if (key !== 'kind') expect(keys, `${kind} lacks required ${key}`).toContain(key)
  })

  it.each([...actionForms.values()].map((f) => [f.kind, f] as const))('action form %s matches the gateway schema', (kind, form) => {
    const schema = schemaOf(catalog.actions, kind)
    const keys = formKeys(form.fields)
    for (const key of keys) expect(Object.keys(schema.properties)).toContain(key)
    for (const key of schema.required ?? []) if (key !== 'kind') expect(keys, `${kind} lacks required ${key}`).toContain(key)
  })

  it('creates nodes the gateway accepts, for every condition kind and the relay action', () => {
    for (const kind of conditionForms.keys()) {
      const rule: Rule = { id: 'r', when: newCondition(kind, 'camara-1'), actions: [newAction('relay.set', 'camara-1')] }
      expect(explainRuleFields(rule), kind).toEqual([])
    }
  })

  it('gives a kind without a form only its kind, to be edited as JSON', () => {
    expect(newCondition('future_kind', 'x')).toEqual({ kind: 'future_kind' })
    expect(newAction('future.action', 'x')).toEqual({ kind: 'future.action' })
  })

  it('reads the comparison, the children and the watched series', () => {
    expect(comparisonOf({ below: 2 })).toBe('below')
    expect(comparisonOf({ above: 5 })).toBe('above')
    expect(comparisonOf({})).toBe('above')
    const when = {
      kind: 'all',
      conditions: [
        { kind: 'state', deviceId: 'camara-1', key: 'defrost', equals: false },
        { kind: 'threshold', deviceId: 'camara-1', metric: 'temperature_c', below: 1, forSeconds: 30 },
      ],
    }
    expect(childConditions(when).map((c) => c.path)).toEqual(['/conditions/0', '/conditions/1'])
    expect(watchedSeries(when)).toEqual({ deviceId: 'camara-1', metric: 'temperature_c', limit: 1 })
    expect(watchedSeries({ kind: 'schedule', windows: [] })).toBeNull()
  })
})

import { describe, expect, it } from 'vitest'
import { explainRule, explainRuleFields, explainRuleInSite, ruleKindCatalog, toRuleProblem } from './shared.js'

const rule = (over: Record<string, unknown> = {}) => ({
  id: 'camara-alta',
  when: { kind: 'threshold', deviceId: 'camara-1', metric: 'temperature_c', above: 5, forSeconds: 120 },
  alarm: { severity: 'critical', message: 'Cámara sobre 5 °C' },
  actions: [],
  ...over,
})
const site = { devices: [{ id: 'camara-1', relays: ['compressor', { name: 'luz' }] }], otherRuleIds: ['otra'] }

describe('rules shared with the cloud', () => {
  it('gives each reason of explainRule as the field it is about', () => {
    const bad = rule({ when: { kind: 'threshold', deviceId: 'camara-1', metric: 'temperature_c', above: 'x', forSeconds: 120 } })
    expect(explainRuleFields(bad)).toEqual(explainRule(bad).map(toRuleProblem))
    expect(explainRuleFields(bad)).toEqual([{ path: '/when/above', message: expect.stringMatching(/number/) }])
    // The rule as a whole has the empty path; a nested root `/` is its parent.
    expect(explainRuleFields(rule({ alarm: undefined }))).toEqual([{ path: '', message: 'a rule needs at least one action or an alarm' }])
    expect(toRuleProblem('/when/: must be object')).toEqual({ path: '/when', message: 'must be object' })
    expect(toRuleProblem('/: must have required property "id"')).toEqual({ path: '', message: 'must have required property "id"' })
  })

  it('checks a rule against the devices and other rules of its site', () => {
    expect(explainRuleInSite(rule(), site)).toEqual([])
    expect(explainRuleInSite(rule({ id: 'otra' }), site)).toEqual([{ path: '/id', message: 'duplicate rule id "otra"' }])
    expect(explainRuleInSite(rule({ when: { ...rule().when, deviceId: 'camara-9' } }), site)).toEqual([
      { path: '/when/deviceId', message: 'unknown device "camara-9"' },
    ])
    expect(explainRuleInSite(rule({ rearmActions: [{ kind: 'relay.set', deviceId: 'camara-1', relay: 'luz', on: false }] }), site)).toEqual([])
    expect(explainRuleInSite(rule({ actions: [{ kind: 'relay.set', deviceId: 'camara-1', relay: 'puerta', on: true }] }), site)).toEqual([
      { path: '/actions/0/relay', message: 'device "camara-1" has no relay "puerta"' },
    ])
  })

  it('lists every kind with a JSON Schema a form can be built from', () => {
    const catalog = ruleKindCatalog()
    const threshold = catalog.conditions.find((c) => c.kind === 'threshold')!
    expect(threshold.schema).toMatchObject({ type: 'object', required: expect.arrayContaining(['kind', 'deviceId', 'metric', 'forSeconds']) })
    expect(catalog.actions.map((a) => a.kind)).toEqual(['relay.set', 'alarm', 'publish', 'notify', 'state.set'])
    expect(JSON.parse(JSON.stringify(catalog)).conditions).toHaveLength(catalog.conditions.length)
  })
})

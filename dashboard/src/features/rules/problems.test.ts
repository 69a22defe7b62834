import { describe, expect, it } from 'vitest'
import type { Rule } from '../../api/rules.js'
import { clientProblems, fieldForPath, fieldId, formFields, knownMessage, placeProblems, refineProblems } from './problems.js'

const rule: Rule = {
  id: 'camara-alta',
  when: {
    kind: 'all',
    conditions: [
      { kind: 'threshold', deviceId: 'camara-1', metric: 'temperature_c', above: 5, forSeconds: 60 },
      { kind: 'schedule', windows: [{ days: ['mon'], from: '08:00', to: '20:00' }] },
      { kind: 'future_kind', anything: 1 },
    ],
  },
  alarm: { severity: 'critical', message: 'Alta' },
  actions: [{ kind: 'relay.set', deviceId: 'camara-1', relay: 'compressor', on: true }],
}

describe('JSON pointer → form field', () => {
  const fields = formFields(rule)

  it('derives DOM ids from the pointer', () => {
    expect(fieldId('/when/above')).toBe('rule-field-when-above')
    expect(fieldId('/actions/0/deviceId')).toBe('rule-field-actions-0-deviceId')
  })

  it('maps each field of the rule to its input, through composites', () => {
    expect(fields.get('/id')).toBe('rule-field-id')
    expect(fields.get('/when/conditions/0/forSeconds')).toBe('rule-field-when-conditions-0-forSeconds')
    expect(fields.get('/when/conditions/1/windows/0/from')).toBe('rule-field-when-conditions-1-windows-0-from')
    expect(fields.get('/actions/0/relay')).toBe('rule-field-actions-0-relay')
    expect(fields.get('/alarm/message')).toBe('rule-field-alarm-message')
  })

  it('sends above and below to the one limit input', () => {
    expect(fields.get('/when/conditions/0/above')).toBe('rule-field-when-conditions-0-limit')
    expect(fields.get('/when/conditions/0/below')).toBe('rule-field-when-conditions-0-limit')
  })

  it('puts a node-level problem on its kind picker and a kind without a form on its JSON text', () => {
    expect(fieldForPath('/when/conditions/0', fields)).toBe('rule-field-when-conditions-0-kind')
    expect(fieldForPath('/when/conditions/2/anything', fields)).toBe('rule-field-when-conditions-2-json')
  })

  it('falls back to the nearest enclosing field, and to the form for the rule itself', () => {
    expect(fieldForPath('/actions/0/minOnSeconds/extra', fields)).toBe('rule-field-actions-0-minOnSeconds')
    expect(fieldForPath('/actions/7/kind', fields)).toBe('rule-field-actions-add')
    expect(fieldForPath('', fields)).toBeNull()
    expect(fieldForPath('/unknown', fields)).toBeNull()
  })

  it('places the cloud problems by field, several on one field, the rest as general', () => {
    const placed = placeProblems(
      [
        { path: '/when/conditions/0/forSeconds', message: 'must be >= 0' },
        { path: '/when/conditions/0/forSeconds', message: 'must be a number' },
        { path: '/when/conditions/0/below', message: 'set exactly one' },
        { path: '', message: 'a rule needs at least one action or an alarm' },
      ],
      fields,
    )
    expect(placed.byField.get('rule-field-when-conditions-0-forSeconds')).toEqual(['must be >= 0', 'must be a number'])
    expect(placed.byField.get('rule-field-when-conditions-0-limit')).toEqual(['set exactly one'])
    expect(placed.general).toEqual(['a rule needs at least one action or an alarm'])
  })
})

describe('client-side checks', () => {
  it('passes a complete rule', () => {
    expect(clientProblems(rule)).toEqual([])
  })

  it('finds empty required fields, non-numbers, a bad id, empty days and unparsed JSON', () => {
    const bad: Rule = {
      id: 'Mala Regla',
      when: {
        kind: 'all',
        conditions: [
          { kind: 'threshold', deviceId: 'camara-1', metric: '', forSeconds: 'abc' },
          { kind: 'schedule', windows: [{ days: [], from: '08:00', to: '09:00' }] },
        ],
      },
      alarm: { severity: 'warning', message: ' ' },
      actions: [{ kind: 'notify', channel: 'sms', audience: '', message: 'hola' }],
    }
    expect(clientProblems(bad, ['/actions/0/data'])).toEqual([
      { path: '/actions/0/data', code: 'json' },
      { path: '/id', code: 'idPattern' },
      { path: '/when/conditions/0/metric', code: 'required' },
      { path: '/when/conditions/0/above', code: 'required' },
      { path: '/when/conditions/0/forSeconds', code: 'notNumber' },
      { path: '/when/conditions/1/windows/0/days', code: 'noDays' },
      { path: '/alarm/message', code: 'required' },
      { path: '/actions/0/audience', code: 'required' },
    ])
  })

  it('leaves ranges to the cloud: a negative hold time is not the form’s to refuse', () => {
    expect(clientProblems({ ...rule, when: { kind: 'threshold', deviceId: 'c', metric: 'm', above: 1, forSeconds: -5 } })).toEqual([])
  })
})

describe('the validator’s messages', () => {
  it('points node-level problems at the field they name', () => {
    expect(
      refineProblems([
        { path: '/when', message: 'must have required properties deviceId, metric' },
        { path: '/when/conditions/0', message: 'set exactly one of "above" or "below"' },
        { path: '/when', message: 'set exactly one of "event" or "metric"' },
        { path: '/when/forSeconds', message: 'must be >= 0' },
      ]),
    ).toEqual([
      { path: '/when/deviceId', message: 'must have required properties deviceId, metric' },
      { path: '/when/metric', message: 'must have required properties deviceId, metric' },
      { path: '/when/conditions/0/above', message: 'set exactly one of "above" or "below"' },
      { path: '/when/event', message: 'set exactly one of "event" or "metric"' },
      { path: '/when/forSeconds', message: 'must be >= 0' },
    ])
  })

  it('knows the common messages, and leaves the rest as they come', () => {
    expect(knownMessage('must be >= 0', '/when/forSeconds')).toEqual({ key: 'rules.problems.min', values: { limit: '0' } })
    expect(knownMessage('must be > 0', '/when/perMinute')).toEqual({ key: 'rules.problems.exclusiveMin', values: { limit: '0' } })
    expect(knownMessage('must be <= 86400', '/when/forSeconds')).toEqual({ key: 'rules.problems.max', values: { limit: '86400' } })
    expect(knownMessage('must be number', '/when/forSeconds')).toEqual({ key: 'rules.problems.notNumber' })
    expect(knownMessage('must match pattern "^[a-z]$"', '/id')).toEqual({ key: 'rules.problems.idPattern' })
    expect(knownMessage('must match pattern "^[a-z]$"', '/when/metric')).toEqual({ key: 'rules.problems.pattern' })
    expect(knownMessage('unknown device "x"', '/when/deviceId')).toEqual({ key: 'rules.problems.unknownDevice', values: { device: 'x' } })
    expect(knownMessage('duplicate rule id "a"', '/id')).toEqual({ key: 'rules.problems.duplicateId' })
    expect(knownMessage('a window needs "from" different from "to"', '/when')).toBeNull()
  })
})

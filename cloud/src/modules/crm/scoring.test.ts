import { describe, expect, it } from 'vitest'
import type { ContactRow } from '../common/contacts.js'
import { evaluate, type ScoringRule } from './scoring.js'

const contact = (over: Partial<ContactRow> = {}): ContactRow => ({
  id: '00000000-0000-4000-8000-000000000001', org_id: '00000000-0000-4000-8000-000000000002', kind: 'lead', name: 'Carnicería', company: null,
  email: null, phone: null, tax_id: null, vertical: null, city: null, country: null, annual_revenue_minor: null, revenue_currency: null,
  linked_org_id: null, owner_user_id: null, source: null, tags: [], notes: null, score: 0, last_interaction_at: null,
  created_at: new Date(0), updated_at: new Date(0), archived_at: null, ...over,
})

const rule = (id: string, condition: ScoringRule['condition'], points: number): ScoringRule => ({ id, name: id, condition, points })

describe('lead scoring', () => {
  const rules = [
    rule('vertical', { type: 'vertical_equals', value: 'Carnicería' }, 20),
    // common/money.ts's CurrencySchema is a union built from an array, so its static type is never: hence the cast.
    rule('revenue', { type: 'revenue_at_least', minor: 1_000_00, currency: 'ARS' } as unknown as ScoringRule['condition'], 30),
    rule('email', { type: 'has_email' }, 10),
    rule('phone', { type: 'has_phone' }, 5),
    rule('source', { type: 'source_equals', value: 'feria' }, -15),
    rule('city', { type: 'city_in', values: ['Córdoba', 'Rosario'] }, 7),
    rule('active', { type: 'interactions_within', days: 30, atLeast: 3 }, 25),
  ]

  it('adds the points of the rules a contact matches, negative ones included', () => {
    const facts = { contact: contact({ vertical: ' carnicería ', annual_revenue_minor: 1_000_00, revenue_currency: 'ARS', email: 'a@b.co', source: 'Feria', city: 'rosario' }), interactionsWithin: () => 3 }
    const result = evaluate(rules, facts)
    expect(result.rules.map((r) => [r.ruleId, r.matched])).toEqual([
      ['vertical', true], ['revenue', true], ['email', true], ['phone', false], ['source', true], ['city', true], ['active', true],
    ])
    expect(result.score).toBe(20 + 30 + 10 - 15 + 7 + 25)
  })

  it('does not compare revenue across currencies, nor count a window it was not given', () => {
    const seen: number[] = []
    const facts = { contact: contact({ annual_revenue_minor: 9_999_999_00, revenue_currency: 'USD' }), interactionsWithin: (days: number) => (seen.push(days), 2) }
    const result = evaluate(rules, facts)
    expect(result.score).toBe(0)
    expect(seen).toEqual([30])
    expect(result.rules.find((r) => r.ruleId === 'revenue')!.detail).toContain('USD')
    expect(result.rules.find((r) => r.ruleId === 'active')!.detail).toContain('has 2')
  })

  it('returns each rule\'s condition and what it observed as data, for the reader\'s language', () => {
    const facts = { contact: contact({ vertical: 'Verdulería', annual_revenue_minor: 5_00, revenue_currency: 'ARS', phone: '+54 11 4444-0000', city: 'Salta' }), interactionsWithin: () => 1 }
    const byId = Object.fromEntries(evaluate(rules, facts).rules.map((r) => [r.ruleId, r]))
    expect(byId.vertical).toMatchObject({ condition: { type: 'vertical_equals', value: 'Carnicería' }, observed: { value: 'Verdulería' }, matched: false })
    expect(byId.revenue).toMatchObject({ condition: { type: 'revenue_at_least', minor: 1_000_00, currency: 'ARS' }, observed: { minor: 5_00, currency: 'ARS' } })
    expect(byId.email).toMatchObject({ observed: { present: false }, matched: false })
    expect(byId.phone).toMatchObject({ observed: { present: true }, matched: true })
    expect(byId.source).toMatchObject({ observed: { value: null } })
    expect(byId.city).toMatchObject({ condition: { type: 'city_in', values: ['Córdoba', 'Rosario'] }, observed: { value: 'Salta' } })
    expect(byId.active).toMatchObject({ condition: { type: 'interactions_within', days: 30, atLeast: 3 }, observed: { count: 1 } })
  })
})

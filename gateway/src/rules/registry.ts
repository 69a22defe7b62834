import Type from 'typebox'
import { compile, type Severity, type Validator } from '@tendero/protocol'
import { SeveritySchema, type AnyActionKind, type AnyConditionKind } from './kinds.js'
import { threshold } from './conditions/threshold.js'
import { relaySet } from './actions/relay.js'
import { alarm } from './actions/alarm.js'

/**
 * The one registry of rule kinds. Adding a kind: write `conditions/<kind>.ts` or
 * `actions/<kind>.ts` and add it to one of these lists.
 */
const CONDITIONS: AnyConditionKind[] = [threshold]
const ACTIONS: AnyActionKind[] = [relaySet, alarm]

export const conditionKinds: ReadonlyMap<string, AnyConditionKind> = new Map(CONDITIONS.map((c) => [c.kind, c]))
export const actionKinds: ReadonlyMap<string, AnyActionKind> = new Map(ACTIONS.map((a) => [a.kind, a]))

const RuleId = Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,63}$' })
const AlarmShorthand = Type.Object(
  { severity: SeveritySchema, message: Type.String({ minLength: 1, maxLength: 500 }) },
  { additionalProperties: false },
)
const commonFields = {
  id: RuleId,
  description: Type.Optional(Type.String({ maxLength: 500 })),
  /** Shorthand for an `alarm` action: raised when the rule fires, cleared when it re-arms. */
  alarm: Type.Optional(AlarmShorthand),
  actions: Type.Array(Type.Object({ kind: Type.String() }, { additionalProperties: true }), { maxItems: 16 }),
}

/** What the site config schema checks before the per-kind checks below run. */
export const RuleEnvelope = Type.Object({ ...commonFields, kind: Type.String() }, { additionalProperties: true })

export interface RuleSpec {
  id: string
  kind: string
  description?: string | undefined
  alarm?: { severity: Severity; message: string } | undefined
  actions: { kind: string; [field: string]: unknown }[]
  [field: string]: unknown
}

// Compiled once per kind at load, like the protocol validators.
const conditionValidators = new Map<string, Validator<unknown>>(
  CONDITIONS.map((c) => [
    c.kind,
    compile(Type.Object({ ...commonFields, kind: Type.Literal(c.kind), ...c.fields }, { additionalProperties: false })),
  ]),
)
const actionValidators = new Map<string, Validator<unknown>>(ACTIONS.map((a) => [a.kind, compile(a.schema)]))

const known = (m: ReadonlyMap<string, unknown>) => [...m.keys()].map((k) => `"${k}"`).join(', ')

/** Reasons a rule is invalid, each prefixed with its JSON path (e.g. `/rules/0/forSeconds`). */
export function explainRule(rule: RuleSpec, path: string): string[] {
  const condition = conditionKinds.get(rule.kind)
  if (!condition) return [`${path}/kind: unknown rule kind "${rule.kind}" (known: ${known(conditionKinds)})`]
  const reasons: string[] = []
  const validator = conditionValidators.get(rule.kind)!
  if (!validator.check(rule)) reasons.push(...validator.explain(rule).map((r) => `${path}${r}`))
  else {
    const why = condition.check?.(rule)
    if (why) reasons.push(`${path}: ${why}`)
  }
  rule.actions.forEach((action, i) => {
    const v = actionValidators.get(action.kind)
    if (!v) reasons.push(`${path}/actions/${i}/kind: unknown action kind "${action.kind}" (known: ${known(actionKinds)})`)
    else if (!v.check(action)) reasons.push(...v.explain(action).map((r) => `${path}/actions/${i}${r}`))
  })
  if (rule.actions.length === 0 && !rule.alarm) reasons.push(`${path}: a rule needs at least one action or an alarm`)
  return reasons
}

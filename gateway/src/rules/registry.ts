import Type from 'typebox'
import { compile, type Validator } from '@tendero/protocol'
import { AlarmPolicySchema, type AlarmPolicy } from '../alarms/policy.js'
import type { AnyActionKind, AnyConditionKind, ConditionContext, ConditionNode, NamedStateValue } from './kinds.js'
import { threshold } from './conditions/threshold.js'
import { rateOfChange } from './conditions/rate-of-change.js'
import { stale } from './conditions/stale.js'
import { schedule } from './conditions/schedule.js'
import { counter } from './conditions/counter.js'
import { all, any } from './conditions/composite.js'
import { state } from './conditions/state.js'
import { relaySet } from './actions/relay.js'
import { alarm } from './actions/alarm.js'
import { publish } from './actions/publish.js'
import { notify } from './actions/notify.js'
import { stateSet } from './actions/state-set.js'

/**
 * The one registry of rule kinds. Adding a kind: write `conditions/<kind>.ts` or
 * `actions/<kind>.ts` and add it to one of these lists.
 */
const CONDITIONS: AnyConditionKind[] = [threshold, rateOfChange, stale, schedule, counter, all, any, state]
const ACTIONS: AnyActionKind[] = [relaySet, alarm, publish, notify, stateSet]

export const conditionKinds: ReadonlyMap<string, AnyConditionKind> = new Map(CONDITIONS.map((c) => [c.kind, c]))
export const actionKinds: ReadonlyMap<string, AnyActionKind> = new Map(ACTIONS.map((a) => [a.kind, a]))

const RuleId = Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,63}$' })
const Node = Type.Object({ kind: Type.String() }, { additionalProperties: true })
const ActionList = Type.Array(Node, { maxItems: 16 })

/** The rule as a whole; each condition and action is then checked by its own kind. */
export const RuleEnvelope = Type.Object(
  {
    id: RuleId,
    description: Type.Optional(Type.String({ maxLength: 500 })),
    /** false keeps the rule in the config without evaluating it. */
    enabled: Type.Optional(Type.Boolean()),
    /** The condition tree. */
    when: Node,
    /** Shorthand for an `alarm` action: raised when the rule fires, cleared when it re-arms. */
    alarm: Type.Optional(AlarmPolicySchema),
    /** Run when the rule fires; kinds with a re-arm step (alarm, publish) also run it on re-arm. */
    actions: ActionList,
    /** Run (their fire step) when the rule re-arms: "lights off at 20:00". */
    rearmActions: Type.Optional(ActionList),
  },
  { additionalProperties: false },
)

export interface ActionSpec {
  kind: string
  [field: string]: unknown
}

export interface RuleSpec {
  id: string
  description?: string | undefined
  enabled?: boolean | undefined
  when: ConditionNode
  alarm?: AlarmPolicy | undefined
  actions: ActionSpec[]
  rearmActions?: ActionSpec[] | undefined
}

// Compiled once per kind at load, like the protocol validators.
const envelopeValidator = compile(RuleEnvelope)
const conditionValidators = new Map<string, Validator<unknown>>(
  CONDITIONS.map((c) => [c.kind, compile(Type.Object({ kind: Type.Literal(c.kind), ...c.fields }, { additionalProperties: false }))]),
)
const actionValidators = new Map<string, Validator<unknown>>(ACTIONS.map((a) => [a.kind, compile(a.schema)]))

const known = (m: ReadonlyMap<string, unknown>) => [...m.keys()].map((k) => `"${k}"`).join(', ')

/** Reasons a condition tree is invalid, each prefixed with its JSON path. */
export function explainCondition(node: ConditionNode, path: string): string[] {
  const kind = conditionKinds.get(node.kind)
  if (!kind) return [`${path}/kind: unknown condition kind "${node.kind}" (known: ${known(conditionKinds)})`]
  const validator = conditionValidators.get(node.kind)!
  if (!validator.check(node)) return validator.explain(node).map((r) => `${path}${r}`)
  const why = kind.check?.(node)
  if (why) return [`${path}: ${why}`]
  return (kind.children?.(node) ?? []).flatMap((c) => explainCondition(c.node, `${path}${c.path}`))
}

function explainActions(actions: ActionSpec[], path: string): string[] {
  return actions.flatMap((action, i) => {
    const kind = actionKinds.get(action.kind)
    const v = actionValidators.get(action.kind)
    if (!kind || !v) return [`${path}/${i}/kind: unknown action kind "${action.kind}" (known: ${known(actionKinds)})`]
    if (!v.check(action)) return v.explain(action).map((r) => `${path}/${i}${r}`)
    const why = kind.check?.(action)
    return why ? [`${path}/${i}: ${why}`] : []
  })
}

/**
 * Reasons a rule is invalid, each prefixed with its JSON path (e.g.
 * `/rules/0/when/conditions/1/forSeconds`). Takes anything, for the local API.
 */
export function explainRule(value: unknown, path = ''): string[] {
  if (!envelopeValidator.check(value)) return envelopeValidator.explain(value).map((r) => `${path}${r}`)
  const rule = value as RuleSpec
  const reasons = [
    ...explainCondition(rule.when, `${path}/when`),
    ...explainActions(rule.actions, `${path}/actions`),
    ...explainActions(rule.rearmActions ?? [], `${path}/rearmActions`),
  ]
  if (rule.actions.length === 0 && (rule.rearmActions ?? []).length === 0 && !rule.alarm)
    reasons.push(`${path}: a rule needs at least one action or an alarm`)
  return reasons
}

/** One problem of a rule, for forms: the JSON pointer of the field and what is wrong with it. */
export interface RuleProblem {
  /** JSON pointer into the rule (with the `path` prefix given), `''` for the rule as a whole. */
  path: string
  message: string
}

/** Splits a `<path>: <why>` reason; a nested validator's root `/` means its parent itself. */
export function toRuleProblem(reason: string): RuleProblem {
  const m = /^(\/[^:\s]*|): (.*)$/s.exec(reason)
  if (!m) return { path: '', message: reason }
  const path = m[1]!.length > 1 ? m[1]!.replace(/\/$/, '') : ''
  return { path, message: m[2]! }
}

/** explainRule, structured: each reason as `{ path, message }` so a form can show it on its field. */
export function explainRuleFields(value: unknown, path = ''): RuleProblem[] {
  return explainRule(value, path).map(toRuleProblem)
}

/** Every `deviceId` the rule's conditions name, with its path, for cross-checks against the site's devices. */
export function conditionDeviceRefs(rule: RuleSpec): { path: string; deviceId: string }[] {
  const refs: { path: string; deviceId: string }[] = []
  const walk = (node: ConditionNode, path: string) => {
    if (typeof node.deviceId === 'string') refs.push({ path: `${path}/deviceId`, deviceId: node.deviceId })
    for (const c of conditionKinds.get(node.kind)?.children?.(node) ?? []) walk(c.node, `${path}${c.path}`)
  }
  walk(rule.when, '/when')
  return refs
}

/** How conditions reach nested conditions, the site's time zone and named states. */
export function conditionContext(timeZone: string, states: Readonly<Record<string, NamedStateValue>>): ConditionContext {
  const kindOf = (node: ConditionNode) => conditionKinds.get(node.kind)!
  const ctx: ConditionContext = {
    timeZone,
    states,
    child: {
      initialState: (node) => kindOf(node).initialState(node),
      onEvent: (node, st, event, now) => kindOf(node).onEvent(node, st, event, now, ctx),
      onTick: (node, st, now) => kindOf(node).onTick(node, st, now, ctx),
      onRestore: (node, st, now) => kindOf(node).onRestore?.(node, st, now, ctx),
    },
  }
  return ctx
}

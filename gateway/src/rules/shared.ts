/**
 * The part of the rules engine the cloud shares with the gateway (`@tendero/gateway/rules`):
 * the rule schema, the validator that names each problem's field, and the dry run over
 * recorded events. Pure modules only: nothing here opens a file, a socket or a database,
 * so the cloud can import it without the gateway's runtime.
 */
import Type, { type TSchema } from 'typebox'
import { AlarmPolicySchema } from '../alarms/policy.js'
import {
  RuleEnvelope,
  actionKinds,
  conditionDeviceRefs,
  conditionKinds,
  explainRuleFields,
  type RuleProblem,
  type RuleSpec,
} from './registry.js'

export {
  explainRule,
  explainRuleFields,
  toRuleProblem,
  conditionDeviceRefs,
  RuleEnvelope,
  type RuleProblem,
  type RuleSpec,
  type ActionSpec,
} from './registry.js'
export { dryRun, type DryRunOptions, type DryRunTransition } from './dry-run.js'
export { GATEWAY_DEVICE, type ConditionNode } from './kinds.js'
export { DEFAULT_TIME_ZONE } from '../local-time.js'

export interface RuleKindSchema {
  kind: string
  /** JSON Schema of the whole node, `kind` literal included: what a form for this kind edits. */
  schema: TSchema
}

export interface RuleKindCatalog {
  /** The rule's own fields; `when` holds one condition, `actions` and `rearmActions` hold actions. */
  rule: TSchema
  /** The `alarm` shorthand of a rule (and the policy of an `alarm` action). */
  alarmPolicy: TSchema
  conditions: RuleKindSchema[]
  actions: RuleKindSchema[]
}

/** Every condition and action kind of the registry with its JSON Schema, for building a form per kind. */
export function ruleKindCatalog(): RuleKindCatalog {
  return {
    rule: RuleEnvelope,
    alarmPolicy: AlarmPolicySchema,
    conditions: [...conditionKinds.values()].map((c) => ({
      kind: c.kind,
      schema: Type.Object({ kind: Type.Literal(c.kind), ...c.fields }, { additionalProperties: false }),
    })),
    actions: [...actionKinds.values()].map((a) => ({ kind: a.kind, schema: a.schema })),
  }
}

/** What a rule is checked against besides itself: the devices and the other rules of its site config. */
export interface RuleSiteContext {
  devices: readonly { id: string; relays?: readonly (string | { name: string })[] | undefined }[]
  /** Ids of the site's other rules (not the one being checked). */
  otherRuleIds: readonly string[]
}

/**
 * Problems of one rule within its site config, each at its path in the rule: its own schema
 * and per-kind checks first, then (only when those pass, as the gateway's site config
 * parser does) a duplicate id, devices the config does not have, and relays the target
 * device does not declare. The same cross-checks the gateway runs at boot and on a
 * pushed config, so a rule the cloud accepts is not refused by the gateway for them.
 */
export function explainRuleInSite(value: unknown, site: RuleSiteContext): RuleProblem[] {
  const own = explainRuleFields(value)
  if (own.length > 0) return own
  const rule = value as RuleSpec
  const problems: RuleProblem[] = []
  if (site.otherRuleIds.includes(rule.id)) problems.push({ path: '/id', message: `duplicate rule id "${rule.id}"` })
  const devices = new Map(site.devices.map((d) => [d.id, d]))
  for (const ref of conditionDeviceRefs(rule))
    if (!devices.has(ref.deviceId)) problems.push({ path: ref.path, message: `unknown device "${ref.deviceId}"` })
  const lists = { actions: rule.actions, rearmActions: rule.rearmActions ?? [] }
  for (const [list, actions] of Object.entries(lists))
    actions.forEach((a, j) => {
      if (typeof a.deviceId !== 'string') return
      const target = devices.get(a.deviceId)
      if (!target) problems.push({ path: `/${list}/${j}/deviceId`, message: `unknown device "${a.deviceId}"` })
      else if (typeof a.relay === 'string' && target.relays && !target.relays.some((r) => (typeof r === 'string' ? r : r.name) === a.relay))
        problems.push({ path: `/${list}/${j}/relay`, message: `device "${a.deviceId}" has no relay "${a.relay}"` })
    })
  return problems
}

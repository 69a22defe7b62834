// Where a rule's problems show in the form. The cloud names each problem by a JSON
// pointer into the rule (`/when/conditions/1/forSeconds`); the form gives each input an
// id derived from the same pointer, so mapping is a lookup, with the nearest enclosing
// field (or the form as a whole) for pointers no input owns.
import type { ActionNode, ConditionNode, FieldProblem, Rule } from '../../api/rules.js'
import { actionForms, childConditions, conditionForms, COMPARISON_KEYS, type FieldSpec } from './formRegistry.js'

/** The DOM id of the input editing `path` (a JSON pointer into the rule). */
export function fieldId(path: string): string {
  return `rule-field${path.replace(/[^A-Za-z0-9]+/g, '-')}`
}

/** The id of the message under that input, for aria-describedby. */
export const errorId = (id: string) => `${id}-error`

/** Id of the input that edits a form field: the comparison's number edits both above and below. */
export function inputIdFor(nodePath: string, field: FieldSpec): string {
  if (field.type === 'comparison') return fieldId(`${nodePath}/limit`)
  if (field.type === 'conditions') return fieldId(`${nodePath}/conditions/add`)
  if (field.type === 'windows') return fieldId(`${nodePath}/windows/add`)
  return fieldId(`${nodePath}/${field.key}`)
}

function addNodeFields(
  map: Map<string, string>,
  path: string,
  node: ConditionNode | ActionNode,
  fields: readonly FieldSpec[] | undefined,
): void {
  // A node's own problems ("set exactly one of above or below") go to its kind picker.
  map.set(path, fieldId(`${path}/kind`))
  map.set(`${path}/kind`, fieldId(`${path}/kind`))
  if (!fields) {
    // A kind without a form is one JSON text: everything under it belongs there.
    map.set(path, fieldId(`${path}/json`))
    return
  }
  for (const field of fields) {
    const id = inputIdFor(path, field)
    if (field.type === 'comparison') for (const key of COMPARISON_KEYS) map.set(`${path}/${key}`, id)
    else map.set(`${path}/${field.key}`, id)
    if (field.type === 'windows' && Array.isArray(node.windows)) {
      node.windows.forEach((_w, i) => {
        const base = `${path}/windows/${i}`
        map.set(base, fieldId(`${base}/from`))
        for (const key of ['days', 'from', 'to']) map.set(`${base}/${key}`, fieldId(`${base}/${key}`))
      })
    }
  }
}

function addCondition(map: Map<string, string>, path: string, node: ConditionNode): void {
  addNodeFields(map, path, node, conditionForms.get(node.kind)?.fields)
  if (!conditionForms.has(node.kind)) return
  for (const child of childConditions(node)) addCondition(map, `${path}${child.path}`, child.node)
}

function addActions(map: Map<string, string>, path: string, actions: unknown): void {
  map.set(path, fieldId(`${path}/add`))
  if (!Array.isArray(actions)) return
  actions.forEach((action: ActionNode, i) => addNodeFields(map, `${path}/${i}`, action, actionForms.get(action?.kind)?.fields))
}

/**
 * Every JSON pointer the form has an input for, mapped to that input's id, for the rule
 * as it is now (composites and action lists grow and shrink).
 */
export function formFields(rule: Rule): Map<string, string> {
  const map = new Map<string, string>()
  for (const key of ['id', 'description', 'enabled']) map.set(`/${key}`, fieldId(`/${key}`))
  addCondition(map, '/when', rule.when)
  map.set('/alarm', fieldId('/alarm/on'))
  map.set('/alarm/severity', fieldId('/alarm/severity'))
  map.set('/alarm/message', fieldId('/alarm/message'))
  addActions(map, '/actions', rule.actions)
  addActions(map, '/rearmActions', rule.rearmActions)
  return map
}

export interface PlacedProblems {
  /** Messages by input id. */
  byField: Map<string, string[]>
  /** Problems of the rule as a whole, or of a part the form has no input for. */
  general: string[]
}

/** The input a pointer belongs to: its own, else the nearest enclosing one, else none. */
export function fieldForPath(path: string, fields: ReadonlyMap<string, string>): string | null {
  for (let p = path; p !== ''; p = p.slice(0, p.lastIndexOf('/'))) {
    const id = fields.get(p)
    if (id) return id
  }
  return null
}

export function placeProblems(problems: readonly FieldProblem[], fields: ReadonlyMap<string, string>): PlacedProblems {
  const byField = new Map<string, string[]>()
  const general: string[] = []
  for (const problem of problems) {
    const id = fieldForPath(problem.path, fields)
    if (!id) general.push(problem.message)
    else byField.set(id, [...(byField.get(id) ?? []), problem.message])
  }
  return { byField, general }
}

export type ClientProblemCode = 'required' | 'notNumber' | 'idPattern' | 'json' | 'noDays'

/** A problem the form finds before asking the cloud; the message is an i18n key. */
export interface ClientProblem {
  path: string
  code: ClientProblemCode
}

const RULE_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/

const isBlank = (value: unknown) => value === undefined || value === null || (typeof value === 'string' && value.trim() === '')

function checkNode(path: string, node: ConditionNode | ActionNode, fields: readonly FieldSpec[] | undefined, out: ClientProblem[]): void {
  if (!fields) return
  for (const field of fields) {
    const at = `${path}/${field.key}`
    if (field.type === 'comparison') {
      const present = COMPARISON_KEYS.filter((k) => node[k] !== undefined)
      if (present.length === 0 && !field.optional) out.push({ path: `${path}/above`, code: 'required' })
      for (const k of present) if (typeof node[k] !== 'number' || Number.isNaN(node[k])) out.push({ path: `${path}/${k}`, code: 'notNumber' })
      continue
    }
    const value = node[field.key]
    if (field.type === 'number' && value !== undefined && (typeof value !== 'number' || Number.isNaN(value))) {
      out.push({ path: at, code: 'notNumber' })
    } else if (field.type === 'windows' && Array.isArray(value)) {
      value.forEach((w: { days?: unknown[] }, i) => {
        if (!Array.isArray(w.days) || w.days.length === 0) out.push({ path: `${at}/${i}/days`, code: 'noDays' })
      })
    } else if (!field.optional && field.type !== 'boolean' && isBlank(value)) {
      out.push({ path: at, code: 'required' })
    }
  }
}

function checkCondition(path: string, node: ConditionNode, out: ClientProblem[]): void {
  checkNode(path, node, conditionForms.get(node.kind)?.fields, out)
  for (const child of childConditions(node)) checkCondition(`${path}${child.path}`, child.node, out)
}

/**
 * The obvious problems, found before the cloud is asked: empty required fields, numbers
 * that are not numbers, the id's pattern. Ranges and cross-field rules are the cloud's
 * (the gateway's own validator), so the two never disagree on them. `unparsedJson`: the
 * pointers of JSON texts that do not parse.
 */
export function clientProblems(rule: Rule, unparsedJson: Iterable<string> = []): ClientProblem[] {
  const out: ClientProblem[] = [...unparsedJson].map((path) => ({ path, code: 'json' as const }))
  if (isBlank(rule.id)) out.push({ path: '/id', code: 'required' })
  else if (!RULE_ID.test(rule.id)) out.push({ path: '/id', code: 'idPattern' })
  checkCondition('/when', rule.when, out)
  if (rule.alarm && isBlank(rule.alarm.message)) out.push({ path: '/alarm/message', code: 'required' })
  for (const [list, actions] of [['/actions', rule.actions], ['/rearmActions', rule.rearmActions ?? []]] as const) {
    actions.forEach((action, i) => checkNode(`${list}/${i}`, action, actionForms.get(action.kind)?.fields, out))
  }
  return out
}

/**
 * Points a problem the gateway's validator states on a node at the field it is about:
 * "must have required properties deviceId" at `/when` is about `/when/deviceId`, and
 * "set exactly one of above or below" about the limit. One problem per named field.
 */
export function refineProblems(problems: readonly FieldProblem[]): FieldProblem[] {
  return problems.flatMap((problem) => {
    const required = /must have required propert(?:y|ies) (.+)$/.exec(problem.message)
    if (required) {
      const keys = required[1]!.split(/[\s,]+/).map((k) => k.replace(/['"]/g, '')).filter(Boolean)
      return keys.map((key) => ({ path: `${problem.path}/${key}`, message: problem.message }))
    }
    if (/exactly one of "above" or "below"/.test(problem.message)) return [{ path: `${problem.path}/above`, message: problem.message }]
    if (/exactly one of "event" or "metric"/.test(problem.message)) return [{ path: `${problem.path}/event`, message: problem.message }]
    return [problem]
  })
}

/** A message of the validator the form can say in the user's language: an i18n key and its values. */
export interface KnownMessage {
  key: string
  values?: Record<string, string>
}

const COMPARISONS: [RegExp, string][] = [
  [/^must be >= (-?[\d.]+)$/, 'min'],
  [/^must be > (-?[\d.]+)$/, 'exclusiveMin'],
  [/^must be <= (-?[\d.]+)$/, 'max'],
  [/^must be < (-?[\d.]+)$/, 'exclusiveMax'],
]

/** The validator's common messages (typebox's, the kinds' own checks); null for the rest, shown as they come. */
export function knownMessage(message: string, path: string): KnownMessage | null {
  for (const [pattern, key] of COMPARISONS) {
    const m = pattern.exec(message)
    if (m) return { key: `rules.problems.${key}`, values: { limit: m[1]! } }
  }
  if (/^must be (number|integer)$/.test(message)) return { key: 'rules.problems.notNumber' }
  if (/^must have required propert/.test(message)) return { key: 'rules.problems.required' }
  if (/^must match pattern/.test(message)) return { key: path === '/id' ? 'rules.problems.idPattern' : 'rules.problems.pattern' }
  if (/^must not have fewer than 1 items$/.test(message)) return { key: 'rules.problems.atLeastOne' }
  if (/^must be equal to constant$|^must match a schema in anyOf$|^must be equal to one of/.test(message)) return { key: 'rules.problems.notAllowed' }
  if (/exactly one of "above" or "below"/.test(message)) return { key: 'rules.problems.oneLimit' }
  const device = /^unknown device "(.*)"$/.exec(message)
  if (device) return { key: 'rules.problems.unknownDevice', values: { device: device[1]! } }
  const relay = /^device "(.*)" has no relay "(.*)"$/.exec(message)
  if (relay) return { key: 'rules.problems.unknownRelay', values: { device: relay[1]!, relay: relay[2]! } }
  const duplicate = /^duplicate rule id/.test(message)
  if (duplicate) return { key: 'rules.problems.duplicateId' }
  if (/needs at least one action or an alarm/.test(message)) return { key: 'rules.problems.noAction' }
  return null
}

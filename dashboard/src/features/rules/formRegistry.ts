// One form per rule condition kind and per action kind, built by hand from the gateway's
// kinds (gateway/src/rules/conditions/*.ts, actions/*.ts). A kind missing here is edited
// as JSON and checked by the cloud, so a new gateway kind never makes a rule uneditable.
import type { ActionNode, ConditionNode } from '../../api/rules.js'

export type FieldType =
  /** A device of the gateway's config. */
  | 'device'
  /** A metric name, with suggestions. */
  | 'metric'
  | 'number'
  | 'text'
  | 'longText'
  | 'select'
  | 'boolean'
  /** A state value: `true`/`false`, a number, or text. */
  | 'stateValue'
  /** `above` or `below` and its limit: one select and one number, exactly one key set. */
  | 'comparison'
  /** Schedule windows: days and local from/to times. */
  | 'windows'
  /** Nested conditions of a composite. */
  | 'conditions'
  /** A free-form object (`data` of counter and publish), as JSON. */
  | 'json'

export interface FieldSpec {
  key: string
  type: FieldType
  /** The key may be left out of the node. */
  optional?: boolean
  /** Options of a `select`. */
  options?: readonly string[]
  /** Hint shown under the input: an i18n key. */
  hint?: string
}

export interface KindForm {
  kind: string
  fields: readonly FieldSpec[]
  /** A new node of this kind with sensible defaults, for the first device of the gateway. */
  create(deviceId: string | undefined): Record<string, unknown>
}

/** The keys a `comparison` field writes: exactly one of them is set. */
export const COMPARISON_KEYS = ['above', 'below'] as const
export type Comparison = (typeof COMPARISON_KEYS)[number]

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const
export const SEVERITIES = ['info', 'warning', 'critical', 'emergency'] as const
export const CHANNELS = ['email', 'whatsapp', 'sms', 'push'] as const
export const COMPOSITE_KINDS: readonly string[] = ['all', 'any']

/** Metrics the simulated and real devices report: suggestions only, any valid name goes. */
export const METRIC_SUGGESTIONS = [
  'temperature_c',
  'humidity_pct',
  'co2_ppm',
  'door_open',
  'power_kw',
  'energy_kwh',
  'current_a',
  'voltage_v',
  'soil_moisture_pct',
  'level_pct',
  'occupancy',
  'evaporator_c',
] as const

const device = (deviceId: string | undefined) => (deviceId === undefined ? {} : { deviceId })

const CONDITION_FORMS: KindForm[] = [
  {
    kind: 'threshold',
    fields: [
      { key: 'deviceId', type: 'device' },
      { key: 'metric', type: 'metric' },
      { key: 'above', type: 'comparison' },
      { key: 'forSeconds', type: 'number', hint: 'rules.hint.forSeconds' },
      { key: 'hysteresis', type: 'number', optional: true, hint: 'rules.hint.hysteresis' },
    ],
    create: (d) => ({ kind: 'threshold', ...device(d), metric: 'temperature_c', above: 5, forSeconds: 120, hysteresis: 0.5 }),
  },
  {
    kind: 'state',
    fields: [
      { key: 'deviceId', type: 'device', optional: true, hint: 'rules.hint.stateDevice' },
      { key: 'key', type: 'text' },
      { key: 'equals', type: 'stateValue', hint: 'rules.hint.stateValue' },
    ],
    create: (d) => ({ kind: 'state', ...device(d), key: 'compressor', equals: true }),
  },
  {
    kind: 'schedule',
    fields: [
      { key: 'windows', type: 'windows' },
      { key: 'deviceId', type: 'device', optional: true },
    ],
    create: () => ({ kind: 'schedule', windows: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '08:00', to: '20:00' }] }),
  },
  {
    kind: 'stale',
    fields: [
      { key: 'deviceId', type: 'device' },
      { key: 'metric', type: 'metric', optional: true },
      { key: 'afterSeconds', type: 'number' },
    ],
    create: (d) => ({ kind: 'stale', ...device(d), afterSeconds: 600 }),
  },
  {
    kind: 'rate_of_change',
    fields: [
      { key: 'deviceId', type: 'device' },
      { key: 'metric', type: 'metric' },
      { key: 'direction', type: 'select', options: ['rising', 'falling'] },
      { key: 'perMinute', type: 'number' },
      { key: 'windowSeconds', type: 'number' },
      { key: 'hysteresis', type: 'number', optional: true },
    ],
    create: (d) => ({ kind: 'rate_of_change', ...device(d), metric: 'temperature_c', direction: 'rising', perMinute: 1, windowSeconds: 300 }),
  },
  {
    kind: 'counter',
    fields: [
      { key: 'deviceId', type: 'device' },
      { key: 'event', type: 'text', optional: true, hint: 'rules.hint.counterEvent' },
      { key: 'data', type: 'json', optional: true },
      { key: 'metric', type: 'metric', optional: true },
      { key: 'above', type: 'comparison', optional: true },
      { key: 'windowSeconds', type: 'number' },
      { key: 'moreThan', type: 'number' },
    ],
    create: (d) => ({ kind: 'counter', ...device(d), event: 'door.opened', windowSeconds: 3600, moreThan: 10 }),
  },
  ...COMPOSITE_KINDS.map(
    (kind): KindForm => ({
      kind,
      fields: [
        { key: 'conditions', type: 'conditions' },
        { key: 'forSeconds', type: 'number', optional: true },
        { key: 'deviceId', type: 'device', optional: true },
      ],
      create: (d) => ({ kind, conditions: [CONDITION_FORMS[0]!.create(d)] }),
    }),
  ),
]

const ACTION_FORMS: KindForm[] = [
  {
    kind: 'relay.set',
    fields: [
      { key: 'deviceId', type: 'device' },
      { key: 'relay', type: 'text' },
      { key: 'on', type: 'boolean' },
      { key: 'minOnSeconds', type: 'number', optional: true },
      { key: 'minOffSeconds', type: 'number', optional: true },
    ],
    create: (d) => ({ kind: 'relay.set', ...device(d), relay: 'compressor', on: true }),
  },
  {
    kind: 'alarm',
    fields: [
      { key: 'severity', type: 'select', options: SEVERITIES },
      { key: 'message', type: 'longText' },
      { key: 'escalateAfterMinutes', type: 'number', optional: true },
    ],
    create: () => ({ kind: 'alarm', severity: 'warning', message: '' }),
  },
  {
    kind: 'notify',
    fields: [
      { key: 'channel', type: 'select', options: CHANNELS },
      { key: 'audience', type: 'text' },
      { key: 'message', type: 'longText' },
    ],
    create: () => ({ kind: 'notify', channel: 'whatsapp', audience: 'owner', message: '' }),
  },
  {
    kind: 'publish',
    fields: [
      { key: 'topic', type: 'text', optional: true },
      { key: 'data', type: 'json', optional: true },
      { key: 'onRearm', type: 'boolean', optional: true },
    ],
    create: () => ({ kind: 'publish' }),
  },
  {
    kind: 'state.set',
    fields: [
      { key: 'name', type: 'text' },
      { key: 'value', type: 'stateValue' },
    ],
    create: () => ({ kind: 'state.set', name: 'modo', value: 'noche' }),
  },
]

export const conditionForms: ReadonlyMap<string, KindForm> = new Map(CONDITION_FORMS.map((f) => [f.kind, f]))
export const actionForms: ReadonlyMap<string, KindForm> = new Map(ACTION_FORMS.map((f) => [f.kind, f]))

/** A new condition of `kind`; an unknown kind gets only its `kind` (edited as JSON). */
export function newCondition(kind: string, deviceId: string | undefined): ConditionNode {
  return (conditionForms.get(kind)?.create(deviceId) as ConditionNode | undefined) ?? { kind }
}

export function newAction(kind: string, deviceId: string | undefined): ActionNode {
  return (actionForms.get(kind)?.create(deviceId) as ActionNode | undefined) ?? { kind }
}

/** Which of above/below a node uses (above when neither is set yet). */
export function comparisonOf(node: Record<string, unknown>): Comparison {
  return node.below !== undefined && node.above === undefined ? 'below' : 'above'
}

/**
 * Child conditions of a node with their JSON path below it, as the gateway walks them
 * (composites only): the form, the validation and the summaries use this one walk.
 */
export function childConditions(node: ConditionNode): { node: ConditionNode; path: string }[] {
  if (!COMPOSITE_KINDS.includes(node.kind) || !Array.isArray(node.conditions)) return []
  return (node.conditions as unknown[]).flatMap((child, i) =>
    child !== null && typeof child === 'object' && typeof (child as ConditionNode).kind === 'string'
      ? [{ node: child as ConditionNode, path: `/conditions/${i}` }]
      : [],
  )
}

/** The first device and metric a rule watches, for the dry run's chart. */
export function watchedSeries(node: ConditionNode): { deviceId: string; metric: string; limit?: number } | null {
  if (typeof node.deviceId === 'string' && typeof node.metric === 'string') {
    const limit = typeof node.above === 'number' ? node.above : typeof node.below === 'number' ? node.below : undefined
    return { deviceId: node.deviceId, metric: node.metric, ...(limit !== undefined ? { limit } : {}) }
  }
  for (const child of childConditions(node)) {
    const found = watchedSeries(child.node)
    if (found) return found
  }
  return null
}

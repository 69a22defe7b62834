import Type, { type Static, type TObject, type TProperties, type TSchema } from 'typebox'
import { SEVERITIES, type Command, type LogEvent, type LogEventKind, type Severity } from '@tendero/protocol'
import type { AlarmPolicy } from '../alarms/alarms.js'

/**
 * The contracts a rule condition or action kind implements. A new kind is one file
 * exporting one of these plus one entry in `registry.ts`; the engine never names a kind.
 */

/** The device id that gateway-made facts (named states, schedules) are recorded under. */
export const GATEWAY_DEVICE = 'gateway'

/** Emitted by a condition when its rule should act. */
export interface Transition {
  /** fire: the condition became true (held long enough). rearm: it went back to false. */
  type: 'fire' | 'rearm'
  /** The device the condition watches; alarms are keyed by it. */
  deviceId: string
  /** The reading that caused the transition, when there is one. */
  value?: number | undefined
}

/** A condition as written in a rule's `when`: its `kind` plus that kind's fields. */
export interface ConditionNode {
  kind: string
  [field: string]: unknown
}

export type NamedStateValue = boolean | number | string

/** What a condition may look at besides its own spec, state and the event. */
export interface ConditionContext {
  /** The site's IANA time zone, for schedules. */
  timeZone: string
  /** Named states set by `state.set` actions (and seen in `state` events of device `gateway`). */
  states: Readonly<Record<string, NamedStateValue>>
  /** Evaluates nested conditions, for composition (`all`, `any`). */
  child: {
    initialState(node: ConditionNode): unknown
    onEvent(node: ConditionNode, state: unknown, event: LogEvent, now: number): Transition | null
    onTick(node: ConditionNode, state: unknown, now: number): Transition | null
    onRestore(node: ConditionNode, state: unknown, now: number): void
  }
}

/** The condition's own fields as its functions see them. */
export type ConditionSpec<F extends TProperties> = Static<TObject<F>>

export interface ConditionKind<F extends TProperties = TProperties, S = unknown, Spec = ConditionSpec<F>> {
  kind: string
  /** The fields this kind adds beside `kind`. Unknown fields are refused. */
  fields: F
  /** Cross-field checks JSON Schema cannot say cleanly; returns a reason or null. */
  check?(spec: Spec): string | null
  /** Nested conditions with their JSON path below this node, so validation can point at them. */
  children?(spec: Spec): { node: ConditionNode; path: string }[]
  /** Plain JSON, so the engine's state object can be persisted as is. */
  initialState(spec: Spec): S
  onEvent(spec: Spec, state: S, event: LogEvent, now: number, ctx: ConditionContext): Transition | null
  onTick(spec: Spec, state: S, now: number, ctx: ConditionContext): Transition | null
  /** Called once when state comes back from disk after a restart, before any event. */
  onRestore?(spec: Spec, state: S, now: number, ctx: ConditionContext): void
}

// Spelled as a tuple so its Static type is the literal union.
export const SeveritySchema = Type.Union(SEVERITIES.map((s) => Type.Literal(s)) as [ReturnType<typeof Type.Literal<Severity>>])

/** A command as a rule states it; the engine adds id, issuedAt and expiresAt. */
export type CommandIntent = Command extends infer C ? (C extends Command ? Omit<C, 'id' | 'issuedAt' | 'expiresAt'> : never) : never

/** What actions may do to the world. The gateway provides it; tests can fake it. */
export interface RuleEffects {
  sendCommand(deviceId: string, intent: CommandIntent, source: { ruleId: string }): Promise<void>
  /** Appends gateway-made events (`notify`, `state`) to the durable log. */
  record(event: { kind: LogEventKind; deviceId: string; body: unknown }): Promise<void>
  /** Publishes on the gateway's broker, for Node-RED and other local subscribers. */
  publish(topic: string, payload: string): Promise<void>
}

/** Alarm lifecycle as rules drive it (src/alarms implements it). */
export interface AlarmSink {
  raise(input: { ruleId: string; deviceId: string; value?: number | undefined; policy: AlarmPolicy }): Promise<void>
  /** Clears because the condition recovered (by = `rule`). */
  clearByRule(alarmId: string, value?: number): Promise<void>
}

/** Relay commands go through the min on/off guard (relay-guard.ts). */
export interface RelaySwitch {
  request(deviceId: string, relay: string, on: boolean, ruleId: string): Promise<'sent' | 'deferred'>
}

export interface ActionContext {
  ruleId: string
  deviceId: string
  value?: number | undefined
  transition: Transition['type']
  /** `<ruleId>:<deviceId>` when the rule has an alarm, for linking notifications to it. */
  alarmId?: string | undefined
  /** The gateway clock when the transition happened. */
  now: number
  effects: RuleEffects
  alarms: AlarmSink
  relays: RelaySwitch
  setState(name: string, value: NamedStateValue): Promise<void>
}

export interface ActionKind<S extends TSchema = TSchema> {
  kind: string
  /** The whole action object, including its `kind` literal. */
  schema: S
  /** Cross-field checks; returns a reason or null. */
  check?(spec: Static<S>): string | null
  onFire(spec: Static<S>, ctx: ActionContext): Promise<void>
  /** What the action does when its rule re-arms (an alarm clears); none by default. */
  onRearm?(spec: Static<S>, ctx: ActionContext): Promise<void>
}

// The registry holds kinds with different spec types; the engine only passes each its own.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyConditionKind = ConditionKind<any, any, any>
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyActionKind = ActionKind<any>

export function defineCondition<F extends TProperties, S>(def: ConditionKind<F, S>): ConditionKind<F, S> {
  return def
}

export function defineAction<S extends TSchema>(def: ActionKind<S>): ActionKind<S> {
  return def
}

/** The value of `metric` in a telemetry event from `deviceId`, if it carries one. */
export function readingOf(event: LogEvent, deviceId: string, metric: string): number | undefined {
  if (event.kind !== 'telemetry' || event.deviceId !== deviceId) return undefined
  return event.body.readings[metric]
}

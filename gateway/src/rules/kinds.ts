import Type, { type Static, type TObject, type TProperties, type TSchema } from 'typebox'
import { SEVERITIES, type AlarmChange, type AlarmState, type Command, type LogEvent, type Severity } from '@tendero/protocol'

/**
 * The contracts a rule condition or action kind implements. A new kind is one file
 * exporting one of these plus one entry in `registry.ts`; the engine never names a kind.
 */

/** Emitted by a condition when its rule should act. */
export interface Transition {
  /** fire: the condition held long enough. rearm: it went back past its hysteresis. */
  type: 'fire' | 'rearm'
  /** The device the condition watches; alarms are keyed by it. */
  deviceId: string
  /** The reading that caused the transition, when there is one. */
  value?: number | undefined
}

/** The rule as a condition kind sees it: its own fields (plus the common ones). */
export type ConditionSpec<F extends TProperties> = Static<TObject<F>>

export interface ConditionKind<F extends TProperties = TProperties, S = unknown, Spec = ConditionSpec<F>> {
  kind: string
  /** The rule fields this kind adds beside `id`, `kind`, `alarm` and `actions`. */
  fields: F
  /** Cross-field checks JSON Schema cannot say cleanly; returns a reason or null. */
  check?(spec: Spec): string | null
  /** Plain JSON, so the engine's state object can be persisted as is. */
  initialState(): S
  onEvent(spec: Spec, state: S, event: LogEvent, now: number): Transition | null
  onTick(spec: Spec, state: S, now: number): Transition | null
}

/**
 * protocol's AlarmChange with `severity` and `state` spelled out: the protocol builds
 * those unions from `.map()` over arrays, which TypeBox's Static types as `never`
 * (reported to the protocol owner). Same wire shape.
 */
// Spelled as a tuple so its Static type is the literal union (see AlarmChangeBody).
export const SeveritySchema = Type.Union(SEVERITIES.map((s) => Type.Literal(s)) as [ReturnType<typeof Type.Literal<Severity>>])

export type AlarmChangeBody = Omit<AlarmChange, 'severity' | 'state'> & { severity: Severity; state: AlarmState }

/** A command as a rule states it; the engine adds id, issuedAt and expiresAt. */
export type CommandIntent = Command extends infer C ? (C extends Command ? Omit<C, 'id' | 'issuedAt' | 'expiresAt'> : never) : never

/** What actions may do to the world. The gateway provides it; tests can fake it. */
export interface RuleEffects {
  sendCommand(deviceId: string, intent: CommandIntent, source: { ruleId: string }): Promise<void>
  recordAlarm(change: AlarmChangeBody): Promise<void>
}

export interface ActionContext {
  ruleId: string
  deviceId: string
  value?: number | undefined
  effects: RuleEffects
}

export interface ActionKind<S extends TSchema = TSchema> {
  kind: string
  /** The whole action object, including its `kind` literal. */
  schema: S
  onFire(spec: Static<S>, ctx: ActionContext): Promise<void>
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

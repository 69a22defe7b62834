import type { Logger } from 'pino'
import type { LogEvent } from '@tendero/protocol'
import {
  GATEWAY_DEVICE,
  type ActionContext,
  type AlarmSink,
  type AnyActionKind,
  type AnyConditionKind,
  type ConditionContext,
  type NamedStateValue,
  type RuleEffects,
  type Transition,
} from './kinds.js'
import { actionKinds, conditionContext, conditionKinds, type ActionSpec, type RuleSpec } from './registry.js'
import { RelayGuard, relayKey, type RelayGuardState, type RelayPolicy } from './relay-guard.js'
import type { StateStore } from './state-store.js'
import { DEFAULT_TIME_ZONE } from '../local-time.js'

export interface RulesEngineOptions {
  rules: RuleSpec[]
  effects: RuleEffects
  alarms: AlarmSink
  logger: Logger
  /** The gateway's wall clock; injectable so tests can hold a condition for minutes instantly. */
  now?: () => number
  /** How often held conditions, schedules and deferred relay commands are re-evaluated. */
  tickMs?: number
  /** The site's IANA time zone, for schedules. */
  timeZone?: string
  /** Where the state is persisted; without it, state lives in memory only. */
  store?: StateStore | undefined
}

/** Everything the rules remember, as one plain JSON object: persisted as is. */
export interface RulesState {
  /** Per rule: its condition tree's state, and a fingerprint of the tree it belongs to. */
  rules: Record<string, { fingerprint: string; condition: unknown }>
  relays: RelayGuardState
  /** Named states set by `state.set`. */
  states: Record<string, NamedStateValue>
}

interface CompiledAction {
  kind: AnyActionKind
  spec: ActionSpec
}

interface CompiledRule {
  spec: RuleSpec
  condition: AnyConditionKind
  actions: CompiledAction[]
  rearmActions: CompiledAction[]
  hasAlarm: boolean
}

const STORE_KEY = 'rules'
const fingerprint = (spec: RuleSpec) => JSON.stringify(spec.when)

/** The min on/off times that apply to each relay: the largest any action on it declares. */
function relayPolicies(rules: RuleSpec[]): Map<string, RelayPolicy> {
  const policies = new Map<string, RelayPolicy>()
  for (const rule of rules) {
    for (const a of [...rule.actions, ...(rule.rearmActions ?? [])]) {
      if (a.kind !== 'relay.set') continue
      const key = relayKey(a.deviceId as string, a.relay as string)
      const p = policies.get(key) ?? { minOnMs: 0, minOffMs: 0 }
      p.minOnMs = Math.max(p.minOnMs, ((a.minOnSeconds as number | undefined) ?? 0) * 1000)
      p.minOffMs = Math.max(p.minOffMs, ((a.minOffSeconds as number | undefined) ?? 0) * 1000)
      policies.set(key, p)
    }
  }
  for (const [key, p] of policies) if (p.minOnMs === 0 && p.minOffMs === 0) policies.delete(key)
  return policies
}

/**
 * Runs the declarative rules of the site config over committed log events. It only sees
 * events after they are durable, so a rule never acts on something a crash could undo.
 * Its state (condition timers and counters, relay guards, named states) is one JSON
 * object, restored from the store at construction: a restart does not restart a hold.
 */
export class RulesEngine {
  readonly state: RulesState
  readonly relays: RelayGuard
  private readonly rules: CompiledRule[]
  private readonly now: () => number
  private readonly ctx: ConditionContext
  private readonly inFlight = new Set<Promise<void>>()
  private timer: NodeJS.Timeout | undefined

  constructor(private readonly opts: RulesEngineOptions) {
    this.now = opts.now ?? Date.now
    const saved = opts.store?.load<RulesState>(STORE_KEY)
    this.state = { rules: {}, relays: saved?.relays ?? {}, states: saved?.states ?? {} }
    this.ctx = conditionContext(opts.timeZone ?? DEFAULT_TIME_ZONE, this.state.states)
    const compileActions = (list: ActionSpec[] = []) => list.map((a) => ({ kind: actionKinds.get(a.kind)!, spec: a }))
    const now = this.now()
    this.rules = opts.rules
      .filter((spec) => spec.enabled !== false)
      .map((spec) => {
        const condition = conditionKinds.get(spec.when.kind)!
        const fp = fingerprint(spec)
        const previous = saved?.rules[spec.id]
        // State of an edited condition tree would not fit it: the rule starts over.
        if (previous && previous.fingerprint === fp) {
          this.state.rules[spec.id] = previous
          condition.onRestore?.(spec.when, previous.condition, now, this.ctx)
        } else this.state.rules[spec.id] = { fingerprint: fp, condition: condition.initialState(spec.when) }
        const actions = compileActions([...spec.actions, ...(spec.alarm ? [{ kind: 'alarm', ...spec.alarm }] : [])])
        return { spec, condition, actions, rearmActions: compileActions(spec.rearmActions), hasAlarm: actions.some((a) => a.spec.kind === 'alarm') }
      })
    this.relays = new RelayGuard({
      state: this.state.relays,
      policies: relayPolicies(this.rules.map((r) => r.spec)),
      now: this.now,
      logger: opts.logger.child({ component: 'relay-guard' }),
      onChange: () => opts.store?.changed(),
      send: (deviceId, relay, on, ruleId) => opts.effects.sendCommand(deviceId, { kind: 'relay.set', relay, on }, { ruleId }),
    })
    opts.store?.register(STORE_KEY, () => this.state)
  }

  start(): void {
    this.timer ??= setInterval(() => this.tick(), this.opts.tickMs ?? 1000)
    this.timer.unref()
  }

  /** Stops the timer and waits for actions already running. */
  async stop(): Promise<void> {
    clearInterval(this.timer)
    this.timer = undefined
    await this.settled()
  }

  /** Named states as the rules see them now. */
  namedStates(): Record<string, NamedStateValue> {
    return { ...this.state.states }
  }

  handle(events: LogEvent[]): void {
    const now = this.now()
    for (const event of events) {
      if (event.kind === 'state') {
        // Named states set elsewhere (e.g. by hand through the API) reach conditions too.
        if (event.deviceId === GATEWAY_DEVICE) Object.assign(this.state.states, event.body.state)
        this.relays.observe(event)
      }
      for (const rule of this.rules)
        this.evaluate(rule, () => rule.condition.onEvent(rule.spec.when, this.conditionState(rule), event, now, this.ctx))
    }
    this.opts.store?.changed()
  }

  tick(): void {
    const now = this.now()
    for (const rule of this.rules)
      this.evaluate(rule, () => rule.condition.onTick(rule.spec.when, this.conditionState(rule), now, this.ctx))
    for (const send of this.relays.tick()) this.track(send.catch((err) => this.opts.logger.error({ err }, 'deferred relay command failed')))
    this.opts.store?.changed()
  }

  /** Resolves when every action started so far has finished. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight])
  }

  private conditionState(rule: CompiledRule): unknown {
    return this.state.rules[rule.spec.id]!.condition
  }

  // A faulty condition must not take down the broker path that called us, nor other rules.
  private evaluate(rule: CompiledRule, step: () => Transition | null): void {
    let transition: Transition | null
    try {
      transition = step()
    } catch (err) {
      this.opts.logger.error({ err, ruleId: rule.spec.id }, 'rule evaluation failed')
      return
    }
    if (!transition) return
    const log = this.opts.logger.child({ ruleId: rule.spec.id, deviceId: transition.deviceId })
    log.info({ transition: transition.type, value: transition.value }, 'rule %s', transition.type === 'fire' ? 'fired' : 're-armed')
    this.track(this.runActions(rule, transition, log))
  }

  private track(run: Promise<void>): void {
    const tracked = run.finally(() => this.inFlight.delete(tracked))
    this.inFlight.add(tracked)
  }

  // Actions run in order; one failing (e.g. the log is closing) does not stop the rest.
  private async runActions(rule: CompiledRule, t: Transition, log: Logger): Promise<void> {
    const ctx: ActionContext = {
      ruleId: rule.spec.id,
      deviceId: t.deviceId,
      value: t.value,
      transition: t.type,
      now: this.now(),
      alarmId: rule.hasAlarm ? `${rule.spec.id}:${t.deviceId}` : undefined,
      effects: this.opts.effects,
      alarms: this.opts.alarms,
      relays: this.relays,
      setState: (name, value) => this.setState(name, value),
    }
    const steps =
      t.type === 'fire'
        ? rule.actions.map((a) => ({ a, run: a.kind.onFire }))
        : [...rule.actions.map((a) => ({ a, run: a.kind.onRearm })), ...rule.rearmActions.map((a) => ({ a, run: a.kind.onFire }))]
    for (const { a, run } of steps) {
      if (!run) continue
      try {
        await run(a.spec, ctx)
      } catch (err) {
        log.error({ err, action: a.spec.kind }, 'rule action failed')
      }
    }
  }

  private async setState(name: string, value: NamedStateValue): Promise<void> {
    this.state.states[name] = value
    this.opts.store?.changed()
    await this.opts.effects.record({ kind: 'state', deviceId: GATEWAY_DEVICE, body: { state: { [name]: value } } })
  }
}

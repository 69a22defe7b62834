import type { Logger } from 'pino'
import type { LogEvent } from '@tendero/protocol'
import type { AnyActionKind, AnyConditionKind, RuleEffects, Transition } from './kinds.js'
import { actionKinds, conditionKinds, type RuleSpec } from './registry.js'

export interface RulesEngineOptions {
  rules: RuleSpec[]
  effects: RuleEffects
  logger: Logger
  /** The gateway's wall clock; injectable so tests can hold a condition for minutes instantly. */
  now?: () => number
  /** How often held conditions are re-evaluated without a new reading. */
  tickMs?: number
}

/** Every rule's condition state, by rule id: one plain JSON object so it can be persisted later. */
export type RulesState = Record<string, unknown>

interface CompiledRule {
  spec: RuleSpec
  condition: AnyConditionKind
  actions: { kind: AnyActionKind; spec: { kind: string } }[]
}

/**
 * Runs the declarative rules of the site config over committed log events. It only sees
 * events after they are durable, so a rule never acts on something a crash could undo.
 */
export class RulesEngine {
  readonly state: RulesState = {}
  private readonly rules: CompiledRule[]
  private readonly now: () => number
  private readonly inFlight = new Set<Promise<void>>()
  private timer: NodeJS.Timeout | undefined

  constructor(private readonly opts: RulesEngineOptions) {
    this.now = opts.now ?? Date.now
    this.rules = opts.rules.map((spec) => {
      const condition = conditionKinds.get(spec.kind)!
      const actionSpecs = [...spec.actions, ...(spec.alarm ? [{ kind: 'alarm', ...spec.alarm }] : [])]
      this.state[spec.id] = condition.initialState()
      return { spec, condition, actions: actionSpecs.map((a) => ({ kind: actionKinds.get(a.kind)!, spec: a })) }
    })
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

  handle(events: LogEvent[]): void {
    const now = this.now()
    for (const event of events) {
      for (const rule of this.rules) this.evaluate(rule, () => rule.condition.onEvent(rule.spec, this.state[rule.spec.id], event, now))
    }
  }

  tick(): void {
    const now = this.now()
    for (const rule of this.rules) this.evaluate(rule, () => rule.condition.onTick(rule.spec, this.state[rule.spec.id], now))
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
    this.apply(rule, transition)
  }

  /** Resolves when every action started so far has finished. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight])
  }

  private apply(rule: CompiledRule, transition: Transition | null): void {
    if (!transition) return
    const log = this.opts.logger.child({ ruleId: rule.spec.id, deviceId: transition.deviceId })
    log.info({ transition: transition.type, value: transition.value }, 'rule %s', transition.type === 'fire' ? 'fired' : 're-armed')
    const run = this.runActions(rule, transition, log).finally(() => this.inFlight.delete(run))
    this.inFlight.add(run)
  }

  // Actions run in order; one failing (e.g. the log is closing) does not stop the rest.
  private async runActions(rule: CompiledRule, t: Transition, log: Logger): Promise<void> {
    const ctx = { ruleId: rule.spec.id, deviceId: t.deviceId, value: t.value, effects: this.opts.effects }
    for (const action of rule.actions) {
      const step = t.type === 'fire' ? action.kind.onFire : action.kind.onRearm
      try {
        await step?.(action.spec, ctx)
      } catch (err) {
        log.error({ err, action: action.spec.kind }, 'rule action failed')
      }
    }
  }
}

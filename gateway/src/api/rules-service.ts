import type { SiteConfig } from '../config.js'
import type { EventLog } from '../log/event-log.js'
import { dryRun, type DryRunTransition } from '../rules/dry-run.js'
import type { RuleSpec } from '../rules/registry.js'
import { ApiError, invalidInput, splitReason } from './errors.js'
import { readHistory } from './history.js'
import { explainRuleSet, saveRuleSet, type RuleSet } from './rules-file.js'

export interface RulesServiceOptions {
  site: SiteConfig
  /** The rules file in the data directory (rules-file.ts). */
  path: string
  /** What the engine runs at boot. */
  initial: RuleSet
  /** Swaps the running engine's rule set; resolves once the old one has finished its actions. */
  apply(rules: RuleSpec[]): Promise<void>
  log: EventLog
  timeZone: string
  now: () => number
}

export interface DryRunRange {
  from?: number | undefined
  to?: number | undefined
}

export interface DryRunResult {
  ruleId: string
  from: number
  to: number
  eventsReplayed: number
  /** True when the window held more events than one dry run replays. */
  truncated: boolean
  transitions: DryRunTransition[]
}

const DAY_MS = 86_400_000
/** A dry run ticks every second of its window on the request path: a week is about 600k ticks. */
const MAX_WINDOW_MS = 7 * DAY_MS

/**
 * Rules CRUD for technicians. Every change is validated as the site config would be at
 * boot, written to the rules file (atomically) and only then handed to the engine, so a
 * rule that runs is a rule that survives a restart. Changes are synchronous up to the
 * engine swap, so two requests cannot interleave their read-modify-write.
 */
export class RulesService {
  private rules: RuleSpec[]
  private source: RuleSet['source']
  private savedAt: number | null

  constructor(private readonly opts: RulesServiceOptions) {
    this.rules = opts.initial.rules
    this.source = opts.initial.source
    this.savedAt = opts.initial.savedAt
  }

  /** Rules applied from elsewhere (the cloud's desired config): shown and edited from now on. */
  adopt(set: RuleSet): void {
    this.rules = set.rules
    this.source = set.source
    this.savedAt = set.savedAt
  }

  list(): RuleSet {
    return { rules: structuredClone(this.rules), source: this.source, savedAt: this.savedAt }
  }

  get(id: string): RuleSpec {
    return structuredClone(this.find(id).rule)
  }

  async create(rule: RuleSpec): Promise<RuleSpec> {
    if (this.rules.some((r) => r.id === rule.id))
      throw new ApiError('RULE_ERR_EXISTS', 409, `rule "${rule.id}" already exists; use PUT /api/rules/${rule.id} to change it`, { path: '/id' })
    await this.save([...this.rules, rule], this.rules.length)
    return structuredClone(rule)
  }

  async update(id: string, rule: RuleSpec): Promise<RuleSpec> {
    const { index } = this.find(id)
    if (rule.id !== id) throw new ApiError('API_ERR_VALIDATION', 400, `/id: must be "${id}", the id in the URL`, { path: '/id' })
    await this.save(this.rules.map((r, i) => (i === index ? rule : r)), index)
    return structuredClone(rule)
  }

  async remove(id: string): Promise<void> {
    const { index } = this.find(id)
    await this.save(this.rules.filter((_, i) => i !== index), -1)
  }

  /** When would the saved rule have fired over the recorded history? */
  async dryRunSaved(id: string, range: DryRunRange): Promise<DryRunResult> {
    return this.replay(this.find(id).rule, range)
  }

  /** The same for a rule not saved yet; its problems are reported under `/rule`. */
  async dryRunDraft(rule: RuleSpec, range: DryRunRange): Promise<DryRunResult> {
    // Checked as if it were added, so unknown devices are named as on save; its own id may clash.
    const others = this.rules.filter((r) => r.id !== rule.id)
    const reasons = this.reasonsFor([...others, rule], others.length, '/rule')
    if (reasons.length > 0) throw invalidInput('RULE_ERR_INVALID', reasons)
    return this.replay(rule, range)
  }

  private find(id: string): { rule: RuleSpec; index: number } {
    const index = this.rules.findIndex((r) => r.id === id)
    if (index < 0) throw new ApiError('RULE_ERR_NOT_FOUND', 404, `no rule "${id}"`)
    return { rule: this.rules[index]!, index }
  }

  private async save(next: RuleSpec[], changedIndex: number): Promise<void> {
    const reasons = this.reasonsFor(next, changedIndex, '')
    if (reasons.length > 0) throw invalidInput('RULE_ERR_INVALID', reasons)
    const savedAt = this.opts.now()
    saveRuleSet(this.opts.path, next, savedAt)
    this.rules = next
    this.source = 'api'
    this.savedAt = savedAt
    await this.opts.apply(next)
  }

  /** Set-level reasons, with `/rules/<changedIndex>` rewritten to `prefix` so paths point into the request body. */
  private reasonsFor(rules: RuleSpec[], changedIndex: number, prefix: string): string[] {
    const own = `/rules/${changedIndex}`
    return explainRuleSet(this.opts.site, rules).map((reason) => {
      const { path, message } = splitReason(reason)
      if (path === own || path.startsWith(`${own}/`)) return `${prefix}${path.slice(own.length) || (prefix ? '' : '/')}: ${message}`
      return reason
    })
  }

  private async replay(rule: RuleSpec, range: DryRunRange): Promise<DryRunResult> {
    const to = range.to ?? this.opts.now()
    const from = range.from ?? to - DAY_MS
    if (from >= to) throw new ApiError('DRYRUN_ERR_RANGE', 400, '/from: must be before "to"', { path: '/from' })
    if (to - from > MAX_WINDOW_MS)
      throw new ApiError('DRYRUN_ERR_RANGE', 400, `/to: a dry run covers at most ${MAX_WINDOW_MS / DAY_MS} days`, { path: '/to' })
    const { events, truncated } = await readHistory(this.opts.log, { from, to })
    const transitions = dryRun(rule, events, { timeZone: this.opts.timeZone, until: to })
    return { ruleId: rule.id, from, to, eventsReplayed: events.length, truncated, transitions }
  }
}

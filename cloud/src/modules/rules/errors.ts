import type { RuleProblem } from '@tendero/gateway/rules'
import { AppError } from '../../errors.js'

/**
 * Rules errors. RULE_INVALID carries one entry per field so a form can put each message
 * under its input; the rules routes reply with `error.details.fields` (routes.ts), the
 * app-wide handler only knows code and message.
 */
const where = (p: RuleProblem) => `${p.path || '/'}: ${p.message}`

export class RuleInvalidError extends AppError {
  readonly fields: RuleProblem[]

  constructor(fields: RuleProblem[]) {
    const [first] = fields
    super('RULE_INVALID', 400, !first ? 'Invalid rule' : fields.length === 1 ? where(first) : `${fields.length} problems; first: ${where(first)}`)
    this.fields = fields
  }
}

export function isRuleInvalid(err: unknown): err is RuleInvalidError {
  return err instanceof RuleInvalidError
}

export const ruleNotFound = (id: string): AppError => new AppError('RULE_NOT_FOUND', 404, `No rule "${id}" in the gateway's desired config`)

export const noBaseConfig = (): AppError =>
  new AppError(
    'RULES_NO_BASE_CONFIG',
    409,
    "The cloud has no config of this gateway yet: it has stored no desired config, and the gateway has not reported " +
      'the one it runs (it does when its channel opens). Connect the gateway, or store a desired config first (PUT /api/gateways/:id/config).',
  )

export const configVersionConflict = (expected: number, actual: number): AppError =>
  new AppError(
    'CONFIG_VERSION_CONFLICT',
    409,
    `The desired config moved to version ${actual} (expected ${expected}); reload the rules and apply the change again`,
  )

export const dryRunRange = (message: string): AppError => new AppError('DRYRUN_RANGE', 400, message)

import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { writeJsonDurably } from '../durable-file.js'
import { parseSiteConfig, type SiteConfig } from '../config.js'
import { GatewayError, isGatewayError } from '../errors.js'
import type { RuleSpec } from '../rules/registry.js'

/** Where rules edited through the local API live: `rules.json` in the data directory. */
export const rulesFilePath = (dataDir: string) => join(dataDir, 'rules.json')

export interface RuleSet {
  rules: RuleSpec[]
  /** `site-config` until the first change through the API; then `api` (the file wins from then on). */
  /** Where the running rules came from: the site file, a technician's edit, or the cloud's desired config. */
  source: 'site-config' | 'api' | 'cloud'
  savedAt: number | null
}

interface RulesFileContent {
  version: 1
  savedAt: number
  rules: unknown[]
}

/**
 * Reasons the rule set is invalid for this site, each `/rules/<i>/...: why`: the same
 * checks the site config gets at boot (schema, per-kind checks, unknown devices and
 * relays, duplicate ids), so a rule the API accepts also boots.
 */
export function explainRuleSet(site: SiteConfig, rules: readonly unknown[]): string[] {
  try {
    parseSiteConfig({ ...site, rules })
    return []
  } catch (err) {
    if (isGatewayError(err, 'CONFIG_ERR_INVALID')) return (err.details.reasons as string[] | undefined) ?? [err.message]
    throw err
  }
}

/**
 * The rules to run: the file written by the API when there is one, else the site
 * config's. A file that no longer fits the site (a device was removed from the config)
 * stops the boot with every reason, like an invalid site config does.
 */
export function loadRuleSet(dataDir: string, site: SiteConfig): RuleSet {
  const path = rulesFilePath(dataDir)
  if (!existsSync(path)) return { rules: site.rules, source: 'site-config', savedAt: null }
  const fail = (reasons: string[]) =>
    new GatewayError(
      'CONFIG_ERR_INVALID',
      `Invalid rules file ${path} (saved through the local API; it replaces the site config's rules). ` +
        `Fix it, or delete it to run the site config's rules:\n${reasons.map((r) => `  ${r}`).join('\n')}`,
      { reasons },
    )
  let content: RulesFileContent
  try {
    content = JSON.parse(readFileSync(path, 'utf8')) as RulesFileContent
  } catch (err) {
    throw fail([`not readable JSON: ${(err as Error).message}`])
  }
  if (content?.version !== 1 || !Array.isArray(content.rules)) throw fail(['expected { "version": 1, "savedAt": <ms>, "rules": [ ... ] }'])
  const reasons = explainRuleSet(site, content.rules)
  if (reasons.length > 0) throw fail(reasons)
  return { rules: content.rules as RuleSpec[], source: 'api', savedAt: content.savedAt }
}

/**
 * Replaces the file atomically: write a temp file, fsync it, rename over the old one,
 * fsync the directory. A crash leaves either the old set or the new one, never half.
 */
export function saveRuleSet(path: string, rules: readonly RuleSpec[], savedAt: number): void {
  const content: RulesFileContent = { version: 1, savedAt, rules: [...rules] }
  writeJsonDurably(path, content)
}

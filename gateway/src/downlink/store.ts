import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { writeJsonDurably } from '../durable-file.js'
import { dirname, join } from 'node:path'
import type { Logger } from 'pino'
import { parseSiteConfig, type GatewayConfig, type SiteConfig } from '../config.js'

/**
 * The last known good desired config from the cloud (ARCHITECTURE.md sync contract 7):
 * `desired-config.json` in the data directory. Only a version that passed validation is
 * ever written here, so the file is always one the gateway can run.
 */
export const desiredConfigPath = (dataDir: string) => join(dataDir, 'desired-config.json')

export interface DesiredConfig {
  version: number
  site: SiteConfig
  appliedAt: number
}

interface FileContent {
  format: 1
  version: number
  appliedAt: number
  config: unknown
}

/** Write a temp file, fsync it, rename over the old one, fsync the directory: old or new after a crash, never half. */
export function saveDesiredConfig(dataDir: string, desired: DesiredConfig): void {
  const path = desiredConfigPath(dataDir)
  mkdirSync(dirname(path), { recursive: true })
  const content: FileContent = { format: 1, version: desired.version, appliedAt: desired.appliedAt, config: desired.site }
  writeJsonDurably(path, content)
}

/**
 * The stored desired config, re-validated with today's parser. One that no longer passes
 * (a gateway upgrade made a check stricter, a hand edit) is ignored with an error log
 * rather than stopping the boot: a gateway the cloud cannot reach any more must not be
 * bricked by its own cache. It then runs its site file and reports version 0.
 */
export function loadDesiredConfig(dataDir: string, gatewayId: string, logger?: Logger): DesiredConfig | undefined {
  const path = desiredConfigPath(dataDir)
  if (!existsSync(path)) return undefined
  try {
    const content = JSON.parse(readFileSync(path, 'utf8')) as FileContent
    if (content?.format !== 1 || !Number.isInteger(content.version) || content.version < 1) throw new Error('not a desired config file')
    const site = parseSiteConfig(content.config, `desired config v${content.version} (${path})`)
    if (site.gatewayId !== gatewayId) throw new Error(`gatewayId "${site.gatewayId}" is not this gateway ("${gatewayId}")`)
    return { version: content.version, site, appliedAt: content.appliedAt }
  } catch (err) {
    logger?.error({ err, path }, 'stored desired config ignored; running the site config file')
    return undefined
  }
}

/** The gateway config with the last known good desired config, if any, as its site (devices, rules, access, timezone). */
export function withDesiredConfig(config: GatewayConfig, logger?: Logger): GatewayConfig {
  const desired = loadDesiredConfig(config.dataDir, config.gatewayId, logger)
  if (!desired) return config
  logger?.info({ version: desired.version }, 'running the desired config from the cloud')
  return { ...config, site: desired.site }
}

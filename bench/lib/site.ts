/**
 * The site config a benchmark gateway boots with: `bench-N` devices sharing one password
 * (hashed once per run), plus the demo rules and every rule pack under
 * gateway/src/rules/packs/, so the rules engine carries its real load.
 *
 * Pack rules name their own device ids. Each distinct pack device id is remapped onto one
 * of the load devices (round robin), with the relays its rules switch, so every message of
 * the load is evaluated against the pack rules of its device. Rules that do not validate
 * (checked with the gateway's own parseSiteConfig) are left out and reported.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { hashPassword } from '../../gateway/src/broker/passwords.js'
import { DEFAULT_SITE_CONFIG, parseSiteConfig } from '../../gateway/src/config.js'
import { REPO_ROOT } from './processes.js'

export const BENCH_PASSWORD = 'bench-device-pw'
const PACKS_DIR = join(REPO_ROOT, 'gateway/src/rules/packs')

let hash: Promise<string> | undefined
export const benchPasswordHash = () => (hash ??= hashPassword(BENCH_PASSWORD))

type Json = Record<string, unknown>
interface SiteDevice {
  id: string
  kind: string
  passwordHash: string
  relays: string[]
  limits?: { messagesPerSecond: number }
}
export interface BenchSite {
  config: { gatewayId: string; devices: SiteDevice[]; rules: Json[] }
  /** Where the rules came from and what was left out. */
  rulesLoaded: number
  packFiles: string[]
  skipped: string[]
}

/** Rules of one pack file: an array of rules, or an object with `rules` (and maybe `devices`). */
function packRules(file: string): Json[] {
  const json = JSON.parse(readFileSync(file, 'utf8')) as unknown
  if (Array.isArray(json)) return json as Json[]
  if (json && typeof json === 'object' && Array.isArray((json as Json).rules)) return (json as { rules: Json[] }).rules
  throw new Error('neither an array of rules nor an object with "rules"')
}

/** Rewrites every `deviceId` string anywhere in a rule (conditions may nest in all/any). */
function remapDevices(value: unknown, map: (id: string) => string, relay: (deviceId: string, relay: string) => void): unknown {
  if (Array.isArray(value)) return value.map((v) => remapDevices(v, map, relay))
  if (!value || typeof value !== 'object') return value
  const out: Json = {}
  for (const [k, v] of Object.entries(value as Json)) out[k] = k === 'deviceId' && typeof v === 'string' ? map(v) : remapDevices(v, map, relay)
  if (typeof out.deviceId === 'string' && typeof out.relay === 'string') relay(out.deviceId, out.relay)
  return out
}

export async function benchSite(opts: { devices: number; extraDevices?: SiteDevice[]; extraRules?: Json[]; packs?: boolean }): Promise<BenchSite> {
  const passwordHash = await benchPasswordHash()
  // The load is far above what one real device sends, so the bench devices have no rate
  // limit (`limits.messagesPerSecond: 0`); dropped for a gateway that has no `limits` yet.
  const devices: SiteDevice[] = Array.from({ length: opts.devices }, (_, i) => ({
    id: `bench-${i}`,
    kind: 'bench',
    passwordHash,
    relays: [],
    limits: { messagesPerSecond: 0 },
  }))
  const byId = new Map(devices.map((d) => [d.id, d]))
  for (const extra of opts.extraDevices ?? []) {
    const d = { ...extra, relays: [...extra.relays], limits: { messagesPerSecond: 0 } }
    byId.set(d.id, d)
    devices.push(d)
  }

  const sources: { from: string; rules: Json[] }[] = []
  const skipped: string[] = []
  const packFiles: string[] = []
  if (opts.packs !== false) {
    sources.push({ from: 'demo', rules: (JSON.parse(readFileSync(DEFAULT_SITE_CONFIG, 'utf8')) as { rules: Json[] }).rules })
    if (existsSync(PACKS_DIR))
      for (const f of readdirSync(PACKS_DIR).filter((f) => f.endsWith('.json')).sort()) {
        packFiles.push(f)
        try {
          sources.push({ from: f, rules: packRules(join(PACKS_DIR, f)) })
        } catch (err) {
          skipped.push(`${f}: ${(err as Error).message}`)
        }
      }
  }

  const remap = new Map<string, string>()
  const mapId = (id: string) => {
    if (byId.has(id) && id.startsWith('bench-')) return id
    let to = remap.get(id)
    if (!to) remap.set(id, (to = `bench-${remap.size % opts.devices}`))
    return to
  }
  const addRelay = (deviceId: string, relay: string) => {
    const d = byId.get(deviceId)
    if (d && !d.relays.includes(relay)) d.relays.push(relay)
  }
  const ruleIds = new Set<string>()
  let candidates: { from: string; rule: Json }[] = []
  for (const { from, rules } of sources)
    for (const raw of rules) {
      const rule = remapDevices(raw, mapId, addRelay) as Json
      // Two packs may reuse an id; the site config needs them unique.
      let id = String(rule.id)
      for (let n = 2; ruleIds.has(id); n++) id = `${String(rule.id).slice(0, 60)}-${n}`
      ruleIds.add(id)
      candidates.push({ from, rule: { ...rule, id } })
    }
  candidates.push(...(opts.extraRules ?? []).map((rule) => ({ from: 'scenario', rule })))

  // Drop what the gateway refuses, rule by rule, until the whole config validates.
  for (;;) {
    const config = { gatewayId: 'gw-bench', devices, rules: candidates.map((c) => c.rule) }
    try {
      parseSiteConfig(config)
      return { config, rulesLoaded: config.rules.length, packFiles, skipped }
    } catch (err) {
      const reasons = ((err as { details?: { reasons?: string[] } }).details?.reasons ?? []) as string[]
      if (devices.some((d) => d.limits) && reasons.some((r) => /^\/devices\/\d+/.test(r))) {
        for (const d of devices) delete d.limits
        skipped.push('device limits: not accepted by this gateway, devices keep the default rate limit')
        continue
      }
      const bad = new Set(reasons.map((r) => /^\/rules\/(\d+)/.exec(r)?.[1]).filter((i): i is string => i !== undefined).map(Number))
      if (bad.size === 0) throw err
      for (const r of reasons) if (/^\/rules\/\d+/.test(r)) {
        const i = Number(/^\/rules\/(\d+)/.exec(r)![1])
        skipped.push(`${candidates[i]!.from} rule ${String(candidates[i]!.rule.id)}: ${r.replace(/^\/rules\/\d+/, '')}`)
      }
      candidates = candidates.filter((_, i) => !bad.has(i))
    }
  }
}

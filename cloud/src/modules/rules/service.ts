import type { FastifyRequest } from 'fastify'
import { downlinkValidators, type ConfigMessage, type ConfigReportMessage, type LogEvent } from '@tendero/protocol'
import {
  DEFAULT_TIME_ZONE,
  GATEWAY_DEVICE,
  conditionDeviceRefs,
  dryRun as replayRule,
  explainRuleFields,
  explainRuleInSite,
  ruleKindCatalog,
  type RuleProblem,
  type RuleSiteContext,
  type RuleSpec,
} from '@tendero/gateway/rules'
import type { Db } from '../../plugins/db/database.js'
import { toEpochMs } from '../../plugins/db/timestamps.js'
import { auditContext, recordAudit } from '../identity/audit.js'
import * as fleetRepo from '../fleet/repository.js'
import { gatewayForOrg, type Downlink } from '../fleet/service.js'
import { RuleInvalidError, configVersionConflict, dryRunRange, noBaseConfig, ruleNotFound } from './errors.js'
import * as repo from './repository.js'
import type { DryRunBody, DryRunReply, RulesView, ValidateBody } from './schema.js'

/**
 * Rules of a gateway as the cloud edits them: one rule at a time inside the gateway's
 * desired config (fleet module), checked with the gateway's own validator so the form
 * gets the same field errors the gateway would give, and replayed over the events the
 * gateway uplinked. Mirrors the gateway's local rules API (gateway/src/api/rules-service.ts).
 */

type Gateway = Awaited<ReturnType<typeof gatewayForOrg>>
type SiteConfigBody = ConfigMessage['config']
/**
 * What a change is made on: the latest desired version, or before the first one, the
 * config the gateway reported it runs (version 0: the first save makes version 1).
 */
type Desired = { version: number; config: SiteConfigBody; source: 'desired' | 'reported' }

const DAY_MS = 86_400_000
/** A month of history, ticked every second of it like the live engine: about 2.7M cheap calls. */
const MAX_WINDOW_MS = 31 * DAY_MS
/** Warm-up before `from` is at most this long, whatever the rule's durations say. */
const MAX_LOOKBACK_MS = 7 * DAY_MS
/** A device may stamp a reading a few minutes ahead of the gateway's receive clock. */
const AHEAD_SLACK_MS = 10 * 60_000
const PAGE_ROWS = 5_000
/** Past this many events one dry run stops reading and says so (`truncated`). */
const MAX_EVENTS = 200_000

export const kinds = () => ruleKindCatalog()

async function baseConfig(db: Db, gatewayId: string): Promise<Desired | null> {
  const row = await fleetRepo.latestConfig(db, gatewayId)
  if (row) return { version: row.version, config: row.config as SiteConfigBody, source: 'desired' }
  const reported = await repo.runningConfig(db, gatewayId)
  if (reported && downlinkValidators.desiredConfig.check(reported.config) && reported.config.gatewayId === gatewayId)
    return { version: 0, config: reported.config, source: 'reported' }
  return null
}

/**
 * A gateway's `config.report`: kept as the base of its rules until the cloud stores a
 * desired version. False (nothing stored) when the config names another gateway.
 */
export async function recordRunningConfig(db: Db, gatewayId: string, message: ConfigReportMessage, now = Date.now()): Promise<boolean> {
  if (message.config.gatewayId !== gatewayId) return false
  await repo.recordRunningConfig(db, gatewayId, message.running, message.config, new Date(now))
  return true
}

async function timeZoneOf(db: Db, gateway: Gateway, desired: Desired | null): Promise<string> {
  const own = (desired?.config as { timezone?: unknown } | undefined)?.timezone
  if (typeof own === 'string' && own) return own
  return (await repo.siteTimeZone(db, gateway.site_id)) ?? DEFAULT_TIME_ZONE
}

const rulesOf = (config: SiteConfigBody): RuleSpec[] => config.rules as RuleSpec[]
/** The cloud stores desired configs it does not parse in full: a rule entry may be anything. */
const idOf = (rule: unknown): unknown => (rule !== null && typeof rule === 'object' ? (rule as { id?: unknown }).id : undefined)
const devicesOf = (config: SiteConfigBody): RuleSiteContext['devices'] =>
  config.devices.filter((d): d is RuleSiteContext['devices'][number] => typeof (d as { id?: unknown })?.id === 'string')

function siteContext(config: SiteConfigBody, exceptId: string | null): RuleSiteContext {
  const ids = rulesOf(config).map(idOf).filter((id): id is string => typeof id === 'string')
  return { devices: devicesOf(config), otherRuleIds: ids.filter((id) => id !== exceptId) }
}

function check(problems: RuleProblem[]): void {
  if (problems.length > 0) throw new RuleInvalidError(problems)
}

export async function listRules(db: Db, orgId: string, gatewayId: string): Promise<RulesView> {
  const gateway = await gatewayForOrg(db, orgId, gatewayId)
  const desired = await baseConfig(db, gateway.id)
  if (!desired) throw noBaseConfig()
  return {
    gatewayId: gateway.id,
    version: desired.version,
    source: desired.source,
    timeZone: await timeZoneOf(db, gateway, desired),
    deviceIds: devicesOf(desired.config).map((d) => d.id),
    rules: rulesOf(desired.config),
    reported: { version: gateway.reported_config_version, at: toEpochMs(gateway.config_reported_at), error: gateway.config_error },
  }
}

/**
 * Checks one rule as saving it would. Without a desired config only the rule itself can
 * be checked (its devices are unknown to the cloud).
 */
export async function validateRule(db: Db, orgId: string, gatewayId: string, body: ValidateBody): Promise<{ ok: true }> {
  const gateway = await gatewayForOrg(db, orgId, gatewayId)
  const desired = await baseConfig(db, gateway.id)
  if (!desired) {
    check(explainRuleFields(body.rule))
    return { ok: true }
  }
  const id = idOf(body.rule)
  const replacing = !body.create && typeof id === 'string' ? id : null
  check(explainRuleInSite(body.rule, siteContext(desired.config, replacing)))
  return { ok: true }
}

/** The id in the URL names the rule: a body without one takes it, a body with another is refused at `/id`. */
function withPathId(rule: Record<string, unknown>, ruleId: string): Record<string, unknown> {
  if (rule.id === undefined) return { id: ruleId, ...rule }
  if (rule.id !== ruleId) throw new RuleInvalidError([{ path: '/id', message: `must be "${ruleId}", the id in the URL` }])
  return rule
}

/**
 * Stores the config with the change as a new desired version (the fleet module's
 * versioning, under its row lock) and pushes it. The version is checked inside that
 * transaction: if anyone stored a version since `base` was read, this change was made on
 * a stale config and is refused rather than silently undoing theirs.
 */
async function storeVersion(
  db: Db,
  downlink: Downlink,
  request: FastifyRequest,
  gateway: Gateway,
  base: Desired,
  config: SiteConfigBody,
  audit: { action: string; ruleId: string; before: unknown; after: unknown },
): Promise<number> {
  const user = request.user
  const row = await fleetRepo.insertConfig(db, gateway.id, config, user.kind === 'api_key' ? null : user.id, async (trx, created) => {
    if (created.version !== base.version + 1) throw configVersionConflict(base.version, created.version - 1)
    await recordAudit(trx, {
      ...auditContext(request),
      action: audit.action,
      target: { type: 'gateway', id: gateway.id },
      before: { version: base.version, ruleId: audit.ruleId, rule: audit.before },
      after: { version: created.version, ruleId: audit.ruleId, rule: audit.after },
    })
  })
  downlink.send(gateway.id, { type: 'config', version: row.version, config })
  return row.version
}

async function baseFor(db: Db, gateway: Gateway, ifVersion: number | undefined): Promise<Desired> {
  const base = await baseConfig(db, gateway.id)
  if (!base) throw noBaseConfig()
  if (ifVersion !== undefined && ifVersion !== base.version) throw configVersionConflict(ifVersion, base.version)
  return base
}

export async function putRule(
  db: Db,
  downlink: Downlink,
  request: FastifyRequest,
  q: { gatewayId: string; ruleId: string; rule: Record<string, unknown>; ifVersion?: number | undefined },
): Promise<{ created: boolean; gatewayId: string; version: number; rule: RuleSpec }> {
  const gateway = await gatewayForOrg(db, request.user.orgId, q.gatewayId)
  const base = await baseFor(db, gateway, q.ifVersion)
  const rule = withPathId(q.rule, q.ruleId)
  check(explainRuleInSite(rule, siteContext(base.config, q.ruleId)))
  const spec = rule as unknown as RuleSpec
  const rules = rulesOf(base.config)
  const index = rules.findIndex((r) => idOf(r) === q.ruleId)
  const next = index < 0 ? [...rules, spec] : rules.map((r, i) => (i === index ? spec : r))
  const version = await storeVersion(db, downlink, request, gateway, base, { ...base.config, rules: next }, {
    action: index < 0 ? 'gateway.rule.create' : 'gateway.rule.update',
    ruleId: q.ruleId,
    before: index < 0 ? null : rules[index],
    after: spec,
  })
  return { created: index < 0, gatewayId: gateway.id, version, rule: spec }
}

export async function deleteRule(
  db: Db,
  downlink: Downlink,
  request: FastifyRequest,
  q: { gatewayId: string; ruleId: string; ifVersion?: number | undefined },
): Promise<{ gatewayId: string; version: number }> {
  const gateway = await gatewayForOrg(db, request.user.orgId, q.gatewayId)
  const base = await baseFor(db, gateway, q.ifVersion)
  const rules = rulesOf(base.config)
  const old = rules.find((r) => idOf(r) === q.ruleId)
  if (!old) throw ruleNotFound(q.ruleId)
  const version = await storeVersion(db, downlink, request, gateway, base, { ...base.config, rules: rules.filter((r) => r !== old) }, {
    action: 'gateway.rule.delete',
    ruleId: q.ruleId,
    before: old,
    after: null,
  })
  return { gatewayId: gateway.id, version }
}

/** The longest duration a condition tree holds state over (forSeconds, windowSeconds, afterSeconds...). */
function warmUpMs(node: unknown): number {
  if (Array.isArray(node)) return Math.max(0, ...node.map(warmUpMs))
  if (node === null || typeof node !== 'object') return 0
  let ms = 0
  for (const [key, value] of Object.entries(node)) {
    if (key.endsWith('Seconds') && typeof value === 'number') ms = Math.max(ms, value * 1000)
    else if (typeof value === 'object') ms = Math.max(ms, warmUpMs(value))
  }
  return Math.min(ms, MAX_LOOKBACK_MS)
}

const toLogEvent = (r: repo.EventRow): LogEvent =>
  ({
    seq: r.seq,
    kind: r.kind,
    deviceId: r.device_id,
    time: r.time.getTime(),
    receivedAt: r.received_at.getTime(),
    bootId: r.boot_id,
    monoMs: 0,
    clockSynced: r.clock_synced,
    body: r.body,
  }) as LogEvent

/**
 * The replay's clock starts at its first event. On the gateway that is whichever device
 * spoke first; here only the watched devices are read, so an event no condition looks at
 * (no device has this id) starts the clock at the warm-up, as if the gateway ran from
 * there. Without it a schedule, which reads no events, would never tick.
 */
const clockStart = (time: number): LogEvent =>
  ({ seq: 0, kind: 'telemetry', deviceId: ' dry-run clock', time, receivedAt: time, bootId: 'dry-run', monoMs: 0, clockSynced: true, body: { readings: {} } }) as LogEvent

/**
 * When would this rule have fired over what the gateway uplinked? The gateway's own dry
 * run (a virtual clock ticking every second between events), fed from the `events` table
 * in pages. Reading starts a warm-up before `from` (the rule's longest duration), so a
 * condition already held at `from` fires where it would have; transitions inside the
 * warm-up are not reported. Only the devices the rule's conditions watch, plus the
 * gateway's named states, are read: no condition looks at any other event.
 */
export async function dryRun(
  db: Db,
  orgId: string,
  gatewayId: string,
  body: DryRunBody,
  o: { now?: number; pageRows?: number; maxEvents?: number } = {},
): Promise<DryRunReply> {
  const { now = Date.now(), pageRows = PAGE_ROWS, maxEvents = MAX_EVENTS } = o
  const gateway = await gatewayForOrg(db, orgId, gatewayId)
  const desired = await baseConfig(db, gateway.id)
  const ruleId = idOf(body.rule)
  check(
    desired
      ? explainRuleInSite(body.rule, siteContext(desired.config, typeof ruleId === 'string' ? ruleId : null))
      : explainRuleFields(body.rule),
  )
  const rule = body.rule as RuleSpec
  const to = body.to ?? now
  const from = body.from ?? to - DAY_MS
  if (from >= to) throw dryRunRange('from: must be before "to"')
  if (to - from > MAX_WINDOW_MS) throw dryRunRange(`to: a dry run covers at most ${MAX_WINDOW_MS / DAY_MS} days`)
  const timeZone = await timeZoneOf(db, gateway, desired)

  const start = from - warmUpMs(rule.when)
  const deviceIds = [...new Set([GATEWAY_DEVICE, ...conditionDeviceRefs(rule).map((r) => r.deviceId)])]
  const events: LogEvent[] = []
  let truncated = false
  let afterSeq = (await repo.firstSeqReceivedFrom(db, gateway.id, new Date(start - AHEAD_SLACK_MS))) - 1
  for (;;) {
    const limit = Math.min(pageRows, maxEvents + 1 - events.length)
    const rows = await repo.eventsPage(db, { gatewayId: gateway.id, afterSeq, from: new Date(start), to: new Date(to), deviceIds, limit })
    events.push(...rows.map(toLogEvent))
    if (events.length > maxEvents) {
      events.length = maxEvents
      truncated = true
      break
    }
    if (rows.length < limit) break
    afterSeq = rows.at(-1)!.seq
  }
  // A cut-short history ends where reading stopped: ticking on past it would invent silence.
  const until = truncated ? events.reduce((max, e) => Math.max(max, e.time), start) : to
  const transitions = replayRule(rule, [clockStart(start), ...events], { timeZone, until, maxTransitions: 10_000 })
    .filter((t) => t.time >= from && t.time <= to)
    .slice(0, 1000)
  return { ruleId: rule.id, from, to, timeZone, eventsReplayed: events.length, truncated, transitions }
}

// The rules of a gateway as the cloud edits them (cloud/src/modules/rules), the gateways
// to pick from (fleet module), and the chart series a dry run is drawn over (telemetry).
import { ApiError, apiRequest } from './client.js'
import type { Page } from './sites.js'

/** A condition as a rule's `when` holds it: its kind plus that kind's fields. */
export interface ConditionNode {
  kind: string
  [field: string]: unknown
}

export interface ActionNode {
  kind: string
  [field: string]: unknown
}

export interface AlarmPolicy {
  severity: 'info' | 'warning' | 'critical' | 'emergency'
  message: string
  [field: string]: unknown
}

/** A rule as the gateway's site config holds it (gateway/src/rules/registry.ts, RuleEnvelope). */
export interface Rule {
  id: string
  description?: string
  enabled?: boolean
  when: ConditionNode
  alarm?: AlarmPolicy
  actions: ActionNode[]
  rearmActions?: ActionNode[]
}

export interface RulesView {
  gatewayId: string
  /** Pass back as `ifVersion` when saving or deleting. */
  version: number
  /** `reported`: no desired config yet, these are the rules the gateway runs (version 0). */
  source: 'desired' | 'reported'
  timeZone: string
  deviceIds: string[]
  /** Entries of a stored config may have any shape: the view checks before reading them. */
  rules: unknown[]
  reported: { version: number; at: number | null; error: { version: number; reason: string } | null }
}

/** One problem of a rule: a JSON pointer into it ('' = the rule as a whole) and why. */
export interface FieldProblem {
  path: string
  message: string
}

export interface RuleSaved {
  gatewayId: string
  version: number
  rule: Rule
}

export type TransitionKind = 'fire' | 'rearm'

export interface DryRunTransition {
  time: number
  transition: TransitionKind
  deviceId: string
  value?: number
}

export interface DryRunResult {
  ruleId: string
  from: number
  to: number
  timeZone: string
  eventsReplayed: number
  truncated: boolean
  transitions: DryRunTransition[]
}

/** A gateway of the organization, as the fleet list gives it (only what this view reads). */
export interface FleetGateway {
  id: string
  siteId: string
  name: string
  online: boolean
}

export interface SeriesPoint {
  time: number
  min: number
  avg: number
  max: number
  count: number
}

export interface Series {
  deviceId: string
  metric: string
  from: number
  to: number
  resolution: 'raw' | '1m' | '1h'
  truncated: boolean
  items: SeriesPoint[]
}

/** The cloud's code for a save whose base version was overtaken by someone else's. */
export const VERSION_CONFLICT = 'CONFIG_VERSION_CONFLICT'
export const RULE_INVALID = 'RULE_INVALID'

const gatewayPath = (gatewayId: string) => `/api/gateways/${encodeURIComponent(gatewayId)}`

/** Every gateway of the organization (the list is small: a page of 500 is all of it). */
export async function fetchGateways(): Promise<FleetGateway[]> {
  const items: FleetGateway[] = []
  let cursor: string | null = null
  do {
    const page: Page<FleetGateway> = await apiRequest<Page<FleetGateway>>('/api/gateways', { query: { limit: 500, cursor } })
    items.push(...page.items)
    cursor = page.nextCursor
  } while (cursor !== null)
  return items
}

export function fetchGateway(gatewayId: string): Promise<FleetGateway> {
  return apiRequest<FleetGateway>(gatewayPath(gatewayId))
}

export function fetchRules(gatewayId: string): Promise<RulesView> {
  return apiRequest<RulesView>(`${gatewayPath(gatewayId)}/rules`)
}

function isProblemList(value: unknown): value is FieldProblem[] {
  return Array.isArray(value) && value.every((p) => typeof p?.path === 'string' && typeof p?.message === 'string')
}

/** The field problems of a RULE_INVALID error, when the client kept the error's details. */
export function problemsOf(err: unknown): FieldProblem[] | null {
  const fields = (err as { details?: { fields?: unknown } } | null)?.details?.fields
  return isProblemList(fields) ? fields : null
}

/**
 * The problems the cloud finds in a rule, as saving it would: [] when it is valid. Other
 * failures (network, permissions, a gateway gone) throw their ApiError.
 */
export async function validateRule(gatewayId: string, rule: Rule, create: boolean): Promise<FieldProblem[]> {
  const path = `${gatewayPath(gatewayId)}/rules/validate`
  const body = { rule, create }
  try {
    await apiRequest<{ ok: true }>(path, { method: 'POST', body })
    return []
  } catch (err) {
    if (!(err instanceof ApiError) || err.code !== RULE_INVALID) throw err
    return problemsOf(err) ?? [{ path: '', message: err.message }]
  }
}

export function saveRule(gatewayId: string, rule: Rule, ifVersion: number): Promise<RuleSaved> {
  return apiRequest<RuleSaved>(`${gatewayPath(gatewayId)}/rules/${encodeURIComponent(rule.id)}`, {
    method: 'PUT',
    query: { ifVersion },
    body: rule,
  })
}

export function deleteRule(gatewayId: string, ruleId: string, ifVersion: number): Promise<{ gatewayId: string; version: number }> {
  return apiRequest(`${gatewayPath(gatewayId)}/rules/${encodeURIComponent(ruleId)}`, { method: 'DELETE', query: { ifVersion } })
}

export function dryRunRule(gatewayId: string, rule: Rule, from: number, to: number): Promise<DryRunResult> {
  return apiRequest<DryRunResult>(`${gatewayPath(gatewayId)}/rules/dry-run`, { method: 'POST', body: { rule, from, to } })
}

export function fetchSeries(siteId: string, query: { deviceId: string; metric: string; from: number; to: number }): Promise<Series> {
  return apiRequest<Series>(`/api/sites/${encodeURIComponent(siteId)}/series`, { query: { ...query, resolution: 'auto' } })
}

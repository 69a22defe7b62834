// A rule in words, for the list: "camara-1: temperature_c mayor que 5 durante 2 min".
import type { ActionNode, ConditionNode, Rule } from '../../api/rules.js'
import { formatDuration } from '../../i18n/format.js'
import { childConditions, comparisonOf, COMPOSITE_KINDS, conditionForms } from './formRegistry.js'

export type Translate = (key: string, values?: Record<string, unknown>) => string

const GATEWAY = 'gateway'

/** i18n key of an action kind's label (dots would split the key path). */
export const actionKindKey = (kind: string) => `rules.actionKinds.${kind.replace(/\./g, '_')}`

/** The label of a condition or action kind, "other" for kinds without a form. */
export function kindLabel(t: Translate, kind: string, action = false): string {
  if (action) return t(['relay.set', 'alarm', 'notify', 'publish', 'state.set'].includes(kind) ? actionKindKey(kind) : 'rules.actionKinds.other')
  return conditionForms.has(kind) ? t(`rules.kinds.${kind}`) : t('rules.kinds.other')
}

const str = (value: unknown) => (value === undefined || value === null ? '?' : String(value))

export function conditionSummary(node: ConditionNode, t: Translate, locale: string): string {
  const device = str(node.deviceId ?? GATEWAY)
  const duration = (seconds: unknown) => formatDuration(typeof seconds === 'number' ? seconds : 0, locale)
  const number = (value: unknown) => (typeof value === 'number' ? new Intl.NumberFormat(locale).format(value) : str(value))
  const comparison = () => {
    const which = comparisonOf(node)
    return { comparison: t(`rules.options.${which}`), limit: number(node[which]) }
  }
  switch (node.kind) {
    case 'threshold':
      return t('rules.summary.threshold', { device, metric: str(node.metric), ...comparison(), duration: duration(node.forSeconds) })
    case 'state':
      return t('rules.summary.state', { device, key: str(node.key), value: str(node.equals) })
    case 'schedule': {
      const windows = Array.isArray(node.windows) ? (node.windows as { days?: string[]; from?: string; to?: string }[]) : []
      const text = windows
        .map((w) => t('rules.summary.window', { days: (w.days ?? []).map((d) => t(`rules.days.${d}`)).join(' '), from: str(w.from), to: str(w.to) }))
        .join('; ')
      return t('rules.summary.schedule', { windows: text })
    }
    case 'stale':
      return t('rules.summary.stale', { device, metric: node.metric ? str(node.metric) : t('rules.summary.anyData'), duration: duration(node.afterSeconds) })
    case 'rate_of_change':
      return t('rules.summary.rate', { device, metric: str(node.metric), direction: t(`rules.options.${node.direction === 'falling' ? 'falling' : 'rising'}`), perMinute: number(node.perMinute) })
    case 'counter':
      return node.event !== undefined
        ? t('rules.summary.counterEvent', { device, event: str(node.event), count: number(node.moreThan), duration: duration(node.windowSeconds) })
        : t('rules.summary.counterMetric', { device, metric: str(node.metric), ...comparison(), count: number(node.moreThan), duration: duration(node.windowSeconds) })
    default:
      if (COMPOSITE_KINDS.includes(node.kind)) {
        const parts = childConditions(node).map((c) => conditionSummary(c.node, t, locale))
        return t(`rules.summary.${node.kind}`, { parts: parts.join(' · ') })
      }
      return t('rules.summary.other', { kind: node.kind })
  }
}

export function actionsSummary(rule: Rule, t: Translate): string {
  const parts = (rule.actions ?? []).map((a: ActionNode) =>
    a.kind === 'relay.set' ? `${kindLabel(t, a.kind, true)} ${str(a.relay)} ${a.on ? 'ON' : 'OFF'}` : kindLabel(t, a.kind, true),
  )
  if (rule.alarm) parts.unshift(t('rules.list.alarm', { severity: t(`rules.options.severity.${rule.alarm.severity}`) }))
  return parts.length ? t('rules.list.actions', { actions: parts.join(', ') }) : t('rules.list.noActions')
}

/** A stored config may hold anything: only entries shaped like a rule are listed as one. */
export function isRule(value: unknown): value is Rule {
  if (value === null || typeof value !== 'object') return false
  const rule = value as Partial<Rule>
  return typeof rule.id === 'string' && rule.when !== null && typeof rule.when === 'object' && typeof rule.when.kind === 'string'
}

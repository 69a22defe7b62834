// The platform view's logic that needs no DOM: the MRR bridge of a month as chart rows,
// and the plan form's checks. Money stays in integer minor units.
import type { MrrRow, NewPlan, PlanInterval } from '../../api/saas.js'
import { ApiError } from '../../api/client.js'
import { billingErrorKey, parseAmount } from '../billing/billing.js'

export const MRR_STEPS = ['start', 'new', 'expansion', 'contraction', 'churned', 'end'] as const
export type MrrStep = (typeof MRR_STEPS)[number]

export interface MrrBar {
  step: MrrStep
  /** Signed: contraction and churn take MRR away. */
  amountMinor: number
  /** Bar length in chart units (0-`width`), by the absolute amount. */
  length: number
  y: number
}

/** A month's MRR from start to end: start, + new, + expansion, − contraction, − churned, end. */
export function mrrBars(row: MrrRow, width: number, rowHeight: number): MrrBar[] {
  const values: Record<MrrStep, number> = {
    start: row.startMinor,
    new: row.newMinor,
    expansion: row.expansionMinor,
    // `|| 0`: no contraction is 0, not -0 (which would print as "-$ 0,00").
    contraction: -row.contractionMinor || 0,
    churned: -row.churnedMinor || 0,
    end: row.endMinor,
  }
  const max = Math.max(0, ...MRR_STEPS.map((s) => Math.abs(values[s])))
  return MRR_STEPS.map((step, i) => {
    const amount = values[step]
    const abs = Math.abs(amount)
    const length = max === 0 || abs === 0 ? 0 : Math.max(1, Number((BigInt(abs) * BigInt(width)) / BigInt(max)))
    return { step, amountMinor: amount, length, y: i * rowHeight }
  })
}

export interface PlanDraft {
  code: string
  name: string
  features: string
  price: string
  currency: string
  interval: PlanInterval
}

const CODE = /^[a-z0-9][a-z0-9_-]{0,39}$/

/** One feature per line (or comma-separated), trimmed, each once. */
export const parseFeatures = (text: string): string[] => [...new Set(text.split(/[\n,]/).map((s) => s.trim()).filter(Boolean))]

export function checkPlan(d: PlanDraft, locale: string): { problems: Record<string, string>; body?: NewPlan } {
  const problems: Record<string, string> = {}
  const k = 'saas.plans.errors.'
  const code = d.code.trim()
  if (!CODE.test(code)) problems.code = `${k}code`
  if (!d.name.trim()) problems.name = `${k}name`
  const priceMinor = parseAmount(d.price, locale, d.currency)
  if (priceMinor === null) problems.price = `${k}price`
  const features = parseFeatures(d.features)
  if (features.length > 50 || features.some((f) => f.length > 100)) problems.features = `${k}features`
  if (Object.keys(problems).length > 0) return { problems }
  return { problems, body: { code, name: d.name.trim(), features, priceMinor: priceMinor!, currency: d.currency, interval: d.interval } }
}

const OWN_CODES = ['SAAS_PLAN_EXISTS', 'SAAS_ALREADY_SUBSCRIBED', 'SAAS_SUBSCRIPTION_ENDED', 'SAAS_PLAN_NOT_FOUND', 'SAAS_SUBSCRIPTION_NOT_FOUND', 'ORG_NOT_FOUND'] as const

/** i18n key for a failure of a platform request. */
export function saasErrorKey(err: unknown): string {
  const code = err instanceof ApiError ? err.code : 'UNKNOWN'
  return (OWN_CODES as readonly string[]).includes(code) ? `saas.errors.${code}` : billingErrorKey(err)
}

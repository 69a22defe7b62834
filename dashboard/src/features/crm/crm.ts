// The logic of the CRM views that needs no DOM: the cloud's errors on their fields, money
// typed by a person, the pipeline grouped by stage, segment definitions in words, and the
// lead form's embed snippet.
import { ApiError } from '../../api/client.js'
import type { Deal, ScoreRuleResult, SegmentDefinition, Stage } from '../../api/crm.js'
import { errorMessageKey } from '../../i18n/index.js'

export type FieldProblems<F extends string> = Partial<Record<F, string>>

export const CONTACT_FIELDS = ['name', 'company', 'email', 'phone', 'vertical', 'city', 'country', 'source', 'notes'] as const
export type ContactField = (typeof CONTACT_FIELDS)[number]

const OWN_CODES = [
  'CRM_CONTACT_DUPLICATE_EMAIL',
  'CRM_CONTACT_ARCHIVED',
  'CRM_DEAL_CLOSED',
  'CRM_DEAL_SAME_STAGE',
  'CRM_DEAL_NOT_FOUND',
  'CRM_STAGE_NOT_FOUND',
  'CRM_STAGE_HAS_OPEN_DEALS',
  'CRM_STAGE_LAST',
  'CRM_STAGE_NAME_TAKEN',
  'CRM_FORM_NOT_FOUND',
  'CRM_SEGMENT_NOT_FOUND',
  'CRM_CONTACT_ALREADY_LINKED',
  'CRM_PORTAL_NOTHING_TO_REVOKE',
  'CONTACT_NOT_FOUND',
  'VALIDATION',
] as const

/** i18n key for a failure of a CRM request: the module's codes, else the common ones. */
export function crmErrorKey(err: unknown): string {
  const code = err instanceof ApiError ? err.code : 'UNKNOWN'
  return (OWN_CODES as readonly string[]).includes(code) ? `crm.errors.${code}` : errorMessageKey(code)
}

/**
 * The fields a 400 names. The cloud says them two ways: schema checks as
 * `body/email must match format "email", …` and its own as `phone: must hold …`.
 */
export function fieldsInMessage(message: string): string[] {
  const fields = new Set<string>()
  for (const match of message.matchAll(/\bbody\/(\w+)/g)) fields.add(match[1]!)
  const own = /^(\w+)(?: or \w+)?:/.exec(message)
  if (own) fields.add(own[1]!)
  return [...fields]
}

/**
 * A contact save the cloud refused, as problems on the form's fields (i18n keys), or null
 * when the problem belongs to no field of the form (then the caller shows it whole).
 */
export function contactProblemsFrom(err: unknown): FieldProblems<ContactField> | null {
  if (!(err instanceof ApiError)) return null
  if (err.code === 'CRM_CONTACT_DUPLICATE_EMAIL') return { email: 'crm.form.errors.duplicate' }
  if (err.code !== 'VALIDATION') return null
  const problems: FieldProblems<ContactField> = {}
  for (const field of fieldsInMessage(err.message)) {
    if ((CONTACT_FIELDS as readonly string[]).includes(field)) problems[field as ContactField] = `crm.form.errors.${field}`
  }
  return Object.keys(problems).length > 0 ? problems : null
}

/** The first field with a problem, in the form's order (where the focus goes). */
export function firstProblem<F extends string>(order: readonly F[], problems: FieldProblems<F>): F | undefined {
  return order.find((field) => problems[field])
}

// ISO 4217 exponents of the currencies the cloud accepts (cloud modules/common/money.ts).
const MINOR_DIGITS: Record<string, number> = { ARS: 2, COP: 2, USD: 2, UYU: 2, CLP: 0, MXN: 2, PEN: 2, BRL: 2, EUR: 2 }
export const DEAL_CURRENCIES = Object.keys(MINOR_DIGITS)

/**
 * An amount as a person types it, in minor units; null when it is not one. Spanish writes
 * "1.500,50", English "1,500.50": the group separator of the UI's language is dropped and
 * its decimal mark read. A bare "1500.5" in Spanish is read as a decimal too, since nobody
 * groups thousands by one digit.
 */
export function parseMoneyInput(text: string, currency: string, locale: string): number | null {
  const digits = MINOR_DIGITS[currency] ?? 2
  let value = text.replace(/[\s$]/g, '')
  if (!value) return null
  if (locale.startsWith('es')) {
    if (/^\d+\.\d{1,2}$/.test(value) && !value.includes(',')) value = value.replace('.', ',')
    value = value.replace(/\./g, '').replace(',', '.')
  } else {
    value = value.replace(/,/g, '')
  }
  const match = /^(\d+)(?:\.(\d*))?$/.exec(value)
  if (!match) return null
  const fraction = match[2] ?? ''
  if (fraction.length > digits) return null
  const minor = Number(match[1]) * 10 ** digits + Number(fraction.padEnd(digits, '0') || '0')
  return Number.isSafeInteger(minor) ? minor : null
}

/**
 * A fresh Idempotency-Key. crypto.randomUUID exists only on secure pages; a shop's LAN
 * address over plain HTTP is not one, and getRandomValues works everywhere.
 */
export function newIdempotencyKey(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID()
  const bytes = crypto.getRandomValues(new Uint8Array(16))
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}

export interface StageColumn {
  stage: Stage
  deals: Deal[]
  /** Open value per currency in this stage (never summed across currencies). */
  totals: { currency: string; valueMinor: number }[]
}

/** The open deals under their stage, in the pipeline's order. */
export function groupByStage(stages: readonly Stage[], deals: readonly Deal[]): StageColumn[] {
  return [...stages]
    .sort((a, b) => a.position - b.position)
    .map((stage) => {
      const own = deals.filter((d) => d.stageId === stage.id && d.status === 'open')
      const totals = new Map<string, number>()
      for (const deal of own) totals.set(deal.currency, (totals.get(deal.currency) ?? 0) + deal.valueMinor)
      return { stage, deals: own, totals: [...totals].map(([currency, valueMinor]) => ({ currency, valueMinor })) }
    })
}

/** Replaces the item with the same id, or puts a new one first. */
export function upsertById<T extends { id: string }>(list: readonly T[], item: T): T[] {
  const at = list.findIndex((x) => x.id === item.id)
  if (at === -1) return [item, ...list]
  const next = [...list]
  next[at] = item
  return next
}

/** Appends a page, skipping items already shown (one created meanwhile may come again). */
export function appendPage<T extends { id: string }>(list: readonly T[], page: readonly T[]): T[] {
  const seen = new Set(list.map((x) => x.id))
  return [...list, ...page.filter((x) => !seen.has(x.id))]
}

/** A segment definition as lines of (i18n key, value), in a fixed order. */
export function describeDefinition(
  definition: SegmentDefinition,
  words: { kind: (k: string) => string; money: (minor: number, currency: string) => string },
): { key: string; value: string }[] {
  const lines: { key: string; value: string }[] = []
  const list = (values: readonly string[]) => values.join(', ')
  if (definition.kinds) lines.push({ key: 'crm.segments.def.kinds', value: list(definition.kinds.map(words.kind)) })
  if (definition.verticals) lines.push({ key: 'crm.segments.def.verticals', value: list(definition.verticals) })
  if (definition.cities) lines.push({ key: 'crm.segments.def.cities', value: list(definition.cities) })
  if (definition.countries) lines.push({ key: 'crm.segments.def.countries', value: list(definition.countries) })
  if (definition.tags) lines.push({ key: 'crm.segments.def.tags', value: list(definition.tags) })
  if (definition.minScore !== undefined) lines.push({ key: 'crm.segments.def.minScore', value: String(definition.minScore) })
  if (definition.activeWithinDays) lines.push({ key: 'crm.segments.def.activeWithinDays', value: String(definition.activeWithinDays) })
  if (definition.inactiveForDays) lines.push({ key: 'crm.segments.def.inactiveForDays', value: String(definition.inactiveForDays) })
  if (definition.revenueCurrency && (definition.revenueMinMinor !== undefined || definition.revenueMaxMinor !== undefined)) {
    const c = definition.revenueCurrency
    const min = definition.revenueMinMinor !== undefined ? words.money(definition.revenueMinMinor, c) : ''
    const max = definition.revenueMaxMinor !== undefined ? words.money(definition.revenueMaxMinor, c) : ''
    lines.push({ key: 'crm.segments.def.revenue', value: min && max ? `${min} – ${max}` : min ? `≥ ${min}` : `≤ ${max}` })
  }
  return lines
}

export interface EmbedWords {
  name: string
  email: string
  phone: string
  message: string
  send: string
  thanks: string
  failed: string
}

const escapeHtml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

/**
 * A self-contained form for the shop's own site: it asks the cloud for a token when the page
 * loads, sends it back with the lead, and keeps the honeypot field `website` out of sight
 * (people leave it empty; bots fill it).
 */
export function embedSnippet(origin: string, formKey: string, words: EmbedWords): string {
  const url = `${origin}/api/public/crm/leads/${encodeURIComponent(formKey)}`
  const id = `tendero-lead-${formKey.slice(0, 8).replace(/[^A-Za-z0-9]/g, '')}`
  const w = Object.fromEntries(Object.entries(words).map(([k, v]) => [k, escapeHtml(v)])) as unknown as EmbedWords
  // A string for the script: JSON, with `<` escaped so no text can close the <script>.
  const js = (text: string) => JSON.stringify(text).replace(/</g, '\\u003c')
  return `<form id="${id}">
  <label>${w.name} <input name="name" required maxlength="200"></label>
  <label>${w.email} <input name="email" type="email" maxlength="254"></label>
  <label>${w.phone} <input name="phone" type="tel" maxlength="30"></label>
  <label>${w.message} <textarea name="message" maxlength="2000"></textarea></label>
  <label style="position:absolute;left:-9999px" aria-hidden="true">Website <input name="website" tabindex="-1" autocomplete="off"></label>
  <button type="submit">${w.send}</button>
  <p role="status"></p>
</form>
<script>
(function () {
  var url = ${js(url)};
  var form = document.getElementById(${js(id)});
  var status = form.querySelector('[role=status]');
  var token = fetch(url).then(function (r) { return r.json(); }).then(function (j) { return j.token; });
  form.addEventListener('submit', function (e) {
    e.preventDefault();
    var body = {};
    new FormData(form).forEach(function (v, k) { if (v) body[k] = v; });
    token.then(function (t) {
      body.formToken = t;
      return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    }).then(function (r) {
      status.textContent = r.ok ? ${js(words.thanks)} : ${js(words.failed)};
      if (r.ok) form.reset();
    }, function () { status.textContent = ${js(words.failed)}; });
  });
})();
</script>`
}

/**
 * Why a rule matched or not, as an i18n key and its values: the cloud sends the rule's
 * condition and what it observed as data, so the reason reads in the reader's language.
 * `money` formats minor units; `none` is the word for a missing value.
 */
export function scoreReason(rule: Pick<ScoreRuleResult, 'condition' | 'observed'>, money: (minor: number, currency: string) => string, none: string): { key: string; values: Record<string, string | number> } {
  const c = rule.condition
  const o = rule.observed ?? {}
  const actual = o.value ?? none
  switch (c.type) {
    case 'vertical_equals':
      return { key: 'crm.score.vertical_equals', values: { value: c.value, actual } }
    case 'source_equals':
      return { key: 'crm.score.source_equals', values: { value: c.value, actual } }
    case 'city_in':
      return { key: 'crm.score.city_in', values: { values: c.values.join(', '), actual } }
    case 'revenue_at_least':
      return {
        key: 'crm.score.revenue_at_least',
        values: { amount: money(c.minor, c.currency), actual: o.minor === null || o.minor === undefined ? none : money(o.minor, o.currency ?? c.currency) },
      }
    case 'has_email':
      return { key: o.present ? 'crm.score.has_email' : 'crm.score.no_email', values: {} }
    case 'has_phone':
      return { key: o.present ? 'crm.score.has_phone' : 'crm.score.no_phone', values: {} }
    case 'interactions_within':
      return { key: 'crm.score.interactions_within', values: { atLeast: c.atLeast, days: c.days, count: o.count ?? 0 } }
    default:
      return { key: 'crm.score.unknown', values: {} }
  }
}

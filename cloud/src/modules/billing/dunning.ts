import type { FastifyRequest } from 'fastify'
import type { Kysely } from 'kysely'
import { AppError } from '../../errors.js'
import type { Database } from '../../plugins/db/tables.js'
import { auditContext, recordAudit } from '../identity/audit.js'
import { queueMail } from '../mail/queue.js'
import { openInvoices, type OpenInvoice } from './aging.js'
import { formatDay, formatMoney } from './format.js'
import { billingDb } from './tables.js'
import { addDays, inTx, isoDay } from './util.js'

/**
 * Dunning: reminders by email at days relative to an invoice's due date (negative: before
 * it). The job `billing.dunning` looks at every posted invoice with an open balance and a
 * customer email, and queues the latest step whose day has come, once per invoice and step
 * (dedup key `dunning:<invoiceId>:<step>`): missed earlier steps are not sent late. A paid
 * or credited invoice is no longer open, so nothing more is queued, and paying it cancels
 * its reminders still pending (payments.ts, credit-notes.ts).
 */
export const DEFAULT_STEPS = [-3, 1, 7, 15, 30]

export async function stepsOf(db: Kysely<Database>, orgId: string): Promise<{ steps: number[]; isDefault: boolean }> {
  const rows = await billingDb(db).selectFrom('billing_dunning_steps').select('offset_days').where('org_id', '=', orgId).orderBy('offset_days').execute()
  return rows.length ? { steps: rows.map((r) => r.offset_days), isDefault: false } : { steps: DEFAULT_STEPS, isDefault: true }
}

export async function setSteps(db: Kysely<Database>, request: FastifyRequest, steps: number[]): Promise<{ steps: number[]; isDefault: boolean }> {
  const orgId = request.user.orgId
  const unique = [...new Set(steps)].sort((a, b) => a - b)
  if (unique.length !== steps.length) throw new AppError('VALIDATION', 400, 'steps: each day once')
  return inTx(db, async (trx) => {
    const before = await stepsOf(trx, orgId)
    await billingDb(trx).deleteFrom('billing_dunning_steps').where('org_id', '=', orgId).execute()
    if (unique.length) await billingDb(trx).insertInto('billing_dunning_steps').values(unique.map((offset_days) => ({ org_id: orgId, offset_days }))).execute()
    await recordAudit(trx, { ...auditContext(request), action: 'dunning.schedule.set', target: { type: 'dunning_schedule', id: orgId }, before, after: { steps: unique } })
    return stepsOf(trx, orgId)
  })
}

export function reminderText(inv: OpenInvoice, step: number, today: string): { subject: string; text: string } {
  const amount = formatMoney(inv.open_minor, inv.currency)
  const due = formatDay(inv.due_date)
  const late = Math.max(0, Math.round((Date.parse(today) - Date.parse(inv.due_date)) / 86_400_000))
  const subject = step < 0 ? `Recordatorio: la factura ${inv.number} vence el ${due}` : step === 0 ? `La factura ${inv.number} vence hoy` : `Factura ${inv.number} vencida: saldo ${amount}`
  const lines = [
    `Hola ${inv.contact_name}:`,
    '',
    step < 0
      ? `Te recordamos que la factura ${inv.number} vence el ${due}. El saldo a pagar es de ${amount}.`
      : step === 0
        ? `La factura ${inv.number} vence hoy (${due}). El saldo a pagar es de ${amount}.`
        : `La factura ${inv.number} venció el ${due} (hace ${late} días) y tiene un saldo pendiente de ${amount}.`,
    'Si ya la pagaste, desestimá este mensaje.',
    '',
    'Saludos.',
    '',
    `-- Reminder: invoice ${inv.number}, due ${inv.due_date}, balance ${amount} (${inv.currency}).`,
  ]
  return { subject, text: lines.join('\n') }
}

/** The job: returns how many reminders it queued (0 on a second run the same day). */
export async function runDunning(db: Kysely<Database>, now: Date): Promise<{ queued: number }> {
  const today = isoDay(now)
  const open = (await openInvoices(db, {})).filter((i) => i.contact_email)
  const steps = new Map<string, number[]>()
  let queued = 0
  for (const inv of open) {
    if (!steps.has(inv.org_id)) steps.set(inv.org_id, (await stepsOf(db, inv.org_id)).steps)
    const due = steps.get(inv.org_id)!.filter((s) => addDays(inv.due_date, s) <= today)
    if (due.length === 0) continue
    const step = due[due.length - 1]!
    const { subject, text } = reminderText(inv, step, today)
    if (await queueMail(db, { orgId: inv.org_id, to: inv.contact_email!, subject, text, kind: 'billing.dunning', dedupKey: `dunning:${inv.id}:${step}` })) queued++
  }
  return { queued }
}

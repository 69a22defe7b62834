// The portal's logic that needs no DOM: error wording, open balances per currency.
import { ApiError } from '../../api/client.js'
import type { PortalInvoice } from '../../api/portal.js'
import { errorMessageKey } from '../../i18n/index.js'

const OWN_CODES = [
  'LEASING_LEASE_NOT_FOUND', 'LEASING_SPACE_NOT_FOUND', 'VALIDATION', 'FORBIDDEN',
  'PORTAL_LINK_CODE_INVALID', 'PORTAL_LINK_RATE_LIMITED', 'PORTAL_LINK_TAKEN', 'PORTAL_LINK_NOT_FOUND',
] as const

export function portalErrorKey(err: unknown): string {
  const code = err instanceof ApiError ? err.code : 'UNKNOWN'
  return (OWN_CODES as readonly string[]).includes(code) ? `portal.errors.${code}` : errorMessageKey(code)
}

/** What is still owed, per currency (never added across currencies), of posted invoices. */
export function openBalances(invoices: readonly PortalInvoice[]): { currency: string; amountMinor: number }[] {
  const sums = new Map<string, number>()
  for (const inv of invoices) {
    if (inv.status !== 'posted' || inv.openMinor <= 0) continue
    sums.set(inv.currency, (sums.get(inv.currency) ?? 0) + inv.openMinor)
  }
  return [...sums].sort(([a], [b]) => a.localeCompare(b)).map(([currency, amountMinor]) => ({ currency, amountMinor }))
}

/** Newest first by the time reported. */
export const newestFirst = <T extends { createdAt: string }>(items: readonly T[]): T[] => [...items].sort((a, b) => b.createdAt.localeCompare(a.createdAt))

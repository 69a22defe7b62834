import type { AccessDecision, LedgerEntry, PaymentReason, PaymentRecord } from '@tendero/protocol'
import { localTime, withinWindows } from '../local-time.js'
import { normalizeCardId, type AccessConfig, type CardConfig, type DoorConfig } from './schema.js'
import { cardAccount, type CardWallet } from './wallet.js'

/** The access config indexed for lookups on every swipe and charge. */
export class AccessDirectory {
  readonly cards = new Map<string, CardConfig>()
  readonly doors = new Map<string, DoorConfig>()
  private readonly doorsByReader = new Map<string, DoorConfig[]>()
  private readonly terminals = new Map<string, { topup: boolean }>()

  constructor(readonly config: AccessConfig) {
    for (const card of config.cards) this.cards.set(normalizeCardId(card.id), card)
    for (const door of config.doors) {
      this.doors.set(door.id, door)
      this.doorsByReader.set(door.deviceId, [...(this.doorsByReader.get(door.deviceId) ?? []), door])
    }
    for (const t of config.terminals ?? []) this.terminals.set(t.deviceId, { topup: t.topup ?? false })
  }

  /** The door a reader's swipe is for: the one it names, or its only door when it names none. */
  doorFor(readerId: string, doorId: string | undefined): DoorConfig | undefined {
    const doors = this.doorsByReader.get(readerId) ?? []
    if (doorId === undefined) return doors.length === 1 ? doors[0] : undefined
    // A reader naming a door it does not serve is refused, so one reader cannot open another's door.
    return doors.find((d) => d.id === doorId)
  }

  /** Every door a reader serves. */
  doorsOf(readerId: string): DoorConfig[] {
    return this.doorsByReader.get(readerId) ?? []
  }

  terminal(deviceId: string): { topup: boolean } | undefined {
    return this.terminals.get(deviceId)
  }

  offlineLimit(card: CardConfig): number {
    return card.offlineLimitMinor ?? this.config.offlineLimitMinor
  }
}

/** Decides a swipe on site, in the order a person at the door would want explained. */
export function decideSwipe(
  dir: AccessDirectory,
  readerId: string,
  swipe: { card: string; door?: string | undefined },
  now: number,
  timeZone: string,
): AccessDecision {
  const cardId = normalizeCardId(swipe.card)
  const door = dir.doorFor(readerId, swipe.door)
  const doorId = door?.id ?? swipe.door ?? readerId
  const card = dir.cards.get(cardId)
  const decision = (allow: boolean, reason: AccessDecision['reason']): AccessDecision => ({
    cardId,
    doorId,
    allow,
    reason,
    ...(card ? { holder: card.holder } : {}),
  })
  if (!door) return decision(false, 'unknown_door')
  if (!card) return decision(false, 'unknown_card')
  if (card.blocked) return decision(false, 'card_blocked')
  if (card.doors !== '*' && !card.doors.includes(door.id)) return decision(false, 'door_not_allowed')
  if (door.schedule && !withinWindows(door.schedule, localTime(now, timeZone))) return decision(false, 'outside_schedule')
  return decision(true, 'allowed')
}

export interface PaymentRequest {
  kind: 'charge' | 'topup'
  txId: string
  cardId: string
  terminalId: string
  amountMinor: number
  currency: string
}

/**
 * Decides a charge or top-up against the card's wallet. Online a charge is capped by the
 * balance; offline also by what the card may spend while the cloud cannot see it, so a
 * cloned or stolen card cannot drain a balance the cloud might have blocked meanwhile.
 */
export function decidePayment(dir: AccessDirectory, req: PaymentRequest, wallet: CardWallet, offline: boolean): PaymentRecord {
  const card = dir.cards.get(req.cardId)
  let reason: PaymentReason = 'approved'
  if (!card) reason = 'unknown_card'
  else if (card.blocked) reason = 'card_blocked'
  else if (req.currency !== dir.config.currency) reason = 'currency_mismatch'
  else if (req.kind === 'charge' && req.amountMinor > wallet.balanceMinor) reason = 'insufficient_balance'
  else if (req.kind === 'charge' && offline && wallet.offlineSpentMinor + req.amountMinor > dir.offlineLimit(card)) reason = 'offline_limit'
  const approved = reason === 'approved'
  const delta = !approved ? 0 : req.kind === 'charge' ? -req.amountMinor : req.amountMinor
  return {
    txId: req.txId,
    cardId: req.cardId,
    terminalId: req.terminalId,
    kind: req.kind,
    amountMinor: req.amountMinor,
    currency: req.currency,
    approved,
    reason,
    balanceAfterMinor: wallet.balanceMinor + delta,
    entries: approved ? ledgerEntries(req) : [],
  }
}

/**
 * Charge: the venue owes the holder less (debit the card) and has earned a sale at that
 * terminal. Top-up: cash came into the terminal's drawer and the venue owes it back on
 * the card.
 */
export function ledgerEntries(req: Pick<PaymentRequest, 'kind' | 'cardId' | 'terminalId' | 'amountMinor'>): LedgerEntry[] {
  const card = cardAccount(req.cardId)
  const [debit, credit] = req.kind === 'charge' ? [card, `sales:${req.terminalId}`] : [`cash:${req.terminalId}`, card]
  return [
    { account: debit, debitMinor: req.amountMinor, creditMinor: 0 },
    { account: credit, debitMinor: 0, creditMinor: req.amountMinor },
  ]
}

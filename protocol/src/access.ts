import Type from 'typebox'

/** RFID card UIDs as the reader prints them: hex or alphanumeric, no separators. */
export const CARD_ID_PATTERN = '^[A-Za-z0-9]{4,64}$'
export const CardId = Type.String({ pattern: CARD_ID_PATTERN })
export const CurrencyCode = Type.String({ pattern: '^[A-Z]{3}$' })
/** Money is always integer minor units (centavos) plus an ISO 4217 code. */
export const MinorUnits = Type.Integer({ minimum: -1_000_000_000_000, maximum: 1_000_000_000_000 })

export const ACCESS_REASONS = ['allowed', 'unknown_card', 'door_not_allowed', 'card_blocked', 'outside_schedule', 'unknown_door', 'remote_open'] as const
export const AccessReason = Type.Union([
  Type.Literal('allowed'),
  Type.Literal('unknown_card'),
  /** A known card that is not on this door's allow-list. */
  Type.Literal('door_not_allowed'),
  Type.Literal('card_blocked'),
  Type.Literal('outside_schedule'),
  Type.Literal('unknown_door'),
  /** Opened by a cloud user's `door.open` command, not by a card. */
  Type.Literal('remote_open'),
])
export type AccessReason = (typeof ACCESS_REASONS)[number]

/**
 * One door decision taken on the gateway, online or not. `source` `cloud` is a remote
 * opening ordered by a cloud command (`door.open`): it names that command and no card.
 */
export const AccessDecision = Type.Object(
  {
    /** Absent only for a remote opening. */
    cardId: Type.Optional(CardId),
    doorId: Type.String({ minLength: 1, maxLength: 64 }),
    allow: Type.Boolean(),
    reason: AccessReason,
    holder: Type.Optional(Type.String({ maxLength: 120 })),
    /** Who asked: a card at the reader (the default when absent) or a cloud command. */
    source: Type.Optional(Type.Union([Type.Literal('card'), Type.Literal('cloud')])),
    /** The cloud command id, for `source: 'cloud'`; the cloud knows which user issued it. */
    commandId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  },
  { additionalProperties: false },
)
export type AccessDecision = Type.Static<typeof AccessDecision>

export const PAYMENT_REASONS = ['approved', 'insufficient_balance', 'offline_limit', 'unknown_card', 'card_blocked',
  'currency_mismatch', 'terminal_not_allowed'] as const
export const PaymentReason = Type.Union([
  /** The device is not a terminal, or not one allowed to top up. */
  Type.Literal('terminal_not_allowed'),
  Type.Literal('approved'),
  Type.Literal('insufficient_balance'),
  Type.Literal('offline_limit'),
  Type.Literal('unknown_card'),
  Type.Literal('card_blocked'),
  Type.Literal('currency_mismatch'),
])
export type PaymentReason = (typeof PAYMENT_REASONS)[number]

/** A double-entry line: exactly one of debit or credit is non-zero. */
export const LedgerEntry = Type.Object(
  {
    account: Type.String({ minLength: 1, maxLength: 80 }),
    debitMinor: Type.Integer({ minimum: 0 }),
    creditMinor: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
)
export type LedgerEntry = Type.Static<typeof LedgerEntry>

/**
 * A cashless card movement decided on the gateway. Approved movements carry balanced
 * entries (debits = credits); declined ones carry none and leave the balance as it was.
 */
export const PaymentRecord = Type.Object(
  {
    txId: Type.String({ minLength: 1, maxLength: 64 }),
    cardId: CardId,
    terminalId: Type.String({ minLength: 1, maxLength: 64 }),
    kind: Type.Union([Type.Literal('charge'), Type.Literal('topup'), Type.Literal('refund')]),
    amountMinor: Type.Integer({ minimum: 0, maximum: 1_000_000_000_000 }),
    currency: CurrencyCode,
    approved: Type.Boolean(),
    reason: PaymentReason,
    balanceAfterMinor: MinorUnits,
    entries: Type.Array(LedgerEntry, { maxItems: 8 }),
    /** Decided while the cloud link was down, so it counts against the card's offline limit. */
    offline: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
)
export type PaymentRecord = Type.Static<typeof PaymentRecord>

/** A message for people, raised on site and delivered by the cloud's channels later. */
export const Notification = Type.Object(
  {
    channel: Type.Union([Type.Literal('email'), Type.Literal('whatsapp'), Type.Literal('sms'), Type.Literal('push')]),
    /** A role or a user reference the cloud resolves (e.g. `owner`, `technician`). */
    audience: Type.String({ minLength: 1, maxLength: 64 }),
    message: Type.String({ minLength: 1, maxLength: 1000 }),
    alarmId: Type.Optional(Type.String({ maxLength: 160 })),
    /** The rule that sent it, when a rule did (an escalation names its alarm instead). */
    ruleId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  },
  { additionalProperties: false },
)
export type Notification = Type.Static<typeof Notification>

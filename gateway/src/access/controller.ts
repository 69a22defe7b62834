import Type from 'typebox'
import type { Logger } from 'pino'
import {
  CardId,
  CurrencyCode,
  compile,
  type AccessDecision,
  type AccessResultCommand,
  type ChargeResultCommand,
  type LogEvent,
  type PaymentRecord,
} from '@tendero/protocol'
import type { EventInput, EventLog } from '../log/event-log.js'
import { AccessDirectory, decidePayment, decideSwipe, ledgerEntries, type PaymentRequest } from './decide.js'
import { normalizeCardId, type AccessConfig } from './schema.js'
import { WalletStore } from './wallet.js'

type Intent<C> = Omit<C, 'id' | 'issuedAt' | 'expiresAt'>
export type AccessIntent = Intent<AccessResultCommand> | Intent<ChargeResultCommand>

export interface AccessControllerOptions {
  access: AccessConfig
  /** IANA zone door schedules are read in. */
  timeZone: string
  /** Stamped as `deviceId` on events the gateway itself originates (opening balances). */
  gatewayId: string
  walletPath: string
  /** The durable log, read to replay payments the wallet missed in a crash. */
  log: EventLog
  /** Appends to the durable log and resolves once committed (and handed to the rules). */
  append(inputs: EventInput[]): Promise<LogEvent[]>
  /** The gateway's command path: stamps id and expiry, logs, publishes. */
  sendCommand(deviceId: string, intent: AccessIntent, origin: string): Promise<void>
  /** Whether the cloud link counts as up right now (see `cloudLinkOnline`). */
  linkOnline(): boolean
  logger: Logger
  now?: () => number
  /** How often the wallet's replay start is moved up to the log's end when idle (ms). */
  checkpointMs?: number
}

/** The uplink status fields that tell whether the cloud has been reachable lately. */
export interface LinkStatus {
  lastSuccessAt: number | null
  lastError: string | null
}

/**
 * Up when the last upload succeeded and none has failed since (a quiet site uploads
 * nothing, and that is not an outage), or when the last success is recent enough to
 * call a failure a blip. Never reached: down.
 */
export function cloudLinkOnline(status: LinkStatus, now: number, offlineAfterMs: number): boolean {
  if (status.lastSuccessAt === null) return false
  return status.lastError === null || now - status.lastSuccessAt <= offlineAfterMs
}

const SwipeData = compile(
  Type.Object({ card: CardId, door: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })) }, { additionalProperties: true }),
)
const PaymentData = compile(
  Type.Object(
    {
      tx: Type.String({ minLength: 1, maxLength: 64 }),
      card: CardId,
      amount_minor: Type.Integer({ minimum: 1, maximum: 1_000_000_000_000 }),
      currency: CurrencyCode,
    },
    { additionalProperties: true },
  ),
)

/** A cloud `door.open` the gateway cannot place; `message` starts with a stable code (`not_a_door: ...`). */
export class RemoteOpenRefused extends Error {
  constructor(
    readonly code: 'not_a_door' | 'door_required' | 'unknown_door',
    detail: string,
  ) {
    super(`${code}: ${detail}`)
    this.name = 'RemoteOpenRefused'
  }
}

/** A remote opening as the downlink hands it in. */
export interface RemoteOpen {
  /** The reader the cloud command is addressed to. */
  readerId: string
  doorId?: string | undefined
  seconds?: number | undefined
  /** The cloud command id, logged with the decision. */
  commandId: string
}

const PAYMENT_KINDS = { 'pos.charge': 'charge', 'pos.topup': 'topup' } as const
const OPENING_TERMINAL = 'opening'

/**
 * Decides RFID swipes and cashless payments on site, from committed device events:
 * `rfid.swipe` → `access` event + `access.result`; `pos.charge` / `pos.topup` →
 * `payment` event + `charge.result`. The decision is in the durable log before the
 * device hears it. Payments run one at a time, so two terminals cannot both spend the
 * last peso of a card.
 */
export class AccessController {
  private readonly dir: AccessDirectory
  readonly wallet: WalletStore
  private readonly now: () => number
  private readonly logger: Logger
  private payments: Promise<void> = Promise.resolve()
  private paymentsInFlight = 0
  private readonly pending = new Set<Promise<void>>()
  private readonly ignored = new Map<string, number>()
  private checkpointTimer: NodeJS.Timeout | undefined
  private stopped = false

  constructor(private readonly o: AccessControllerOptions) {
    this.dir = new AccessDirectory(o.access)
    this.now = o.now ?? Date.now
    this.logger = o.logger
    this.wallet = new WalletStore(o.walletPath)
    this.replay()
  }

  /** Credits opening balances of cards seen for the first time, and starts checkpoints. */
  async start(): Promise<void> {
    const openings: PaymentRecord[] = []
    for (const card of this.o.access.cards) {
      const cardId = normalizeCardId(card.id)
      if (!card.balanceMinor || this.wallet.findTx(OPENING_TERMINAL, cardId)) continue
      const req = { kind: 'topup', txId: cardId, cardId, terminalId: OPENING_TERMINAL, amountMinor: card.balanceMinor } as const
      openings.push({
        ...req,
        currency: this.o.access.currency,
        approved: true,
        reason: 'approved',
        balanceAfterMinor: this.wallet.card(cardId).balanceMinor + card.balanceMinor,
        entries: ledgerEntries(req),
      })
    }
    // One log commit for all of them: a venue may load thousands of cards at once.
    const events = await this.o.append(openings.map((body) => ({ kind: 'payment', deviceId: this.o.gatewayId, body })))
    openings.forEach((record, i) => this.wallet.apply(record, events[i]!.seq, false))
    if (openings.length > 0) this.logger.info({ cards: openings.length }, 'opening balances credited')
    this.checkpointTimer = setInterval(() => this.checkpoint(), this.o.checkpointMs ?? 5_000)
    this.checkpointTimer.unref()
  }

  /** Takes committed log events; acts on swipes and payment requests, ignores the rest. */
  handle(events: LogEvent[]): void {
    if (this.stopped) return
    for (const event of events) {
      if (event.kind !== 'event') continue
      const kind = event.body.kind
      if (kind === 'rfid.swipe') this.track(this.swipe(event.deviceId, event.body.data))
      else if (kind === 'pos.charge' || kind === 'pos.topup') {
        const run = () => this.payment(PAYMENT_KINDS[kind], event.deviceId, event.body.data)
        this.paymentsInFlight += 1
        const next = this.payments.then(run).finally(() => (this.paymentsInFlight -= 1))
        this.payments = next.catch(() => {})
        this.track(next)
      }
    }
  }

  /** Resolves when every decision handed in so far has been logged and answered. */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending])
  }

  /** Requests dropped before a decision, by reason (not a terminal, malformed data). */
  ignoredCounts(): Record<string, number> {
    return Object.fromEntries(this.ignored)
  }

  async stop(): Promise<void> {
    this.stopped = true
    clearInterval(this.checkpointTimer)
    await this.settled()
    this.checkpoint()
    this.wallet.close()
  }

  private track(p: Promise<void>): void {
    const tracked = p.catch((err: Error) => this.logger.error({ err }, 'access decision failed'))
    this.pending.add(tracked)
    void tracked.finally(() => this.pending.delete(tracked))
  }

  private ignore(deviceId: string, reason: string, details: object = {}): void {
    this.ignored.set(reason, (this.ignored.get(reason) ?? 0) + 1)
    this.logger.warn({ deviceId, reason, ...details }, 'access request ignored')
  }

  private async swipe(readerId: string, data: unknown): Promise<void> {
    if (!SwipeData.check(data)) return this.ignore(readerId, 'invalid_swipe', { errors: SwipeData.explain(data) })
    const decision = decideSwipe(this.dir, readerId, data, this.now(), this.o.timeZone)
    await this.o.append([{ kind: 'access', deviceId: readerId, body: decision }])
    const { cardId, doorId, allow, reason } = decision
    this.logger.info({ deviceId: readerId, cardId, doorId, allow, reason }, 'access decided')
    await this.o.sendCommand(readerId, { kind: 'access.result', cardId, doorId, allow, reason }, 'access')
  }

  /**
   * Opens a door on a cloud command, the way a granted card does: an `access` event
   * (source `cloud`, the command id, reason `remote_open`) is in the durable log before the
   * reader gets its `access.result`. No schedule or card list applies: the cloud decided
   * who may open remotely. Throws RemoteOpenRefused when the reader and door do not match.
   */
  async openRemotely(open: RemoteOpen): Promise<AccessDecision> {
    const doors = this.dir.doorsOf(open.readerId)
    if (doors.length === 0) throw new RemoteOpenRefused('not_a_door', `device "${open.readerId}" is not the reader of any door`)
    const door = this.dir.doorFor(open.readerId, open.doorId)
    if (!door) {
      const ids = doors.map((d) => d.id).join(', ')
      if (open.doorId === undefined) throw new RemoteOpenRefused('door_required', `reader "${open.readerId}" serves doors ${ids}; say which in doorId`)
      throw new RemoteOpenRefused('unknown_door', `reader "${open.readerId}" has no door "${open.doorId}" (it serves ${ids})`)
    }
    const decision: AccessDecision = { doorId: door.id, allow: true, reason: 'remote_open', source: 'cloud', commandId: open.commandId }
    await this.o.append([{ kind: 'access', deviceId: open.readerId, body: decision }])
    this.logger.info({ deviceId: open.readerId, doorId: door.id, cloudCommandId: open.commandId }, 'door opened remotely')
    const intent: Intent<AccessResultCommand> = {
      kind: 'access.result',
      doorId: door.id,
      allow: true,
      reason: 'remote_open',
      ...(open.seconds !== undefined ? { seconds: open.seconds } : {}),
    }
    await this.o.sendCommand(open.readerId, intent, 'access')
    return decision
  }

  private async payment(kind: PaymentRequest['kind'], terminalId: string, data: unknown): Promise<void> {
    const terminal = this.dir.terminal(terminalId)
    if (!terminal) return this.ignore(terminalId, 'not_a_terminal', { kind })
    if (kind === 'topup' && !terminal.topup) return this.ignore(terminalId, 'topup_not_allowed')
    if (!PaymentData.check(data)) return this.ignore(terminalId, 'invalid_payment', { errors: PaymentData.explain(data) })
    const req: PaymentRequest = {
      kind,
      txId: data.tx,
      cardId: normalizeCardId(data.card),
      terminalId,
      amountMinor: data.amount_minor,
      currency: data.currency,
    }
    const previous = this.wallet.findTx(terminalId, req.txId)
    if (previous) {
      // A retry (lost answer, terminal reboot): same answer, no second movement, no new payment event.
      const { record } = previous
      if (record.cardId !== req.cardId || record.amountMinor !== req.amountMinor || record.kind !== req.kind)
        this.logger.warn({ deviceId: terminalId, txId: req.txId }, 'tx id reused for a different request; answering the original')
      this.answer(record)
      return
    }
    const online = this.o.linkOnline()
    this.wallet.noteLink(online)
    const record = decidePayment(this.dir, req, this.wallet.card(req.cardId), !online)
    const [event] = await this.o.append([{ kind: 'payment', deviceId: terminalId, body: record }])
    this.wallet.apply(record, event!.seq, !online)
    this.logger.info(
      { deviceId: terminalId, txId: record.txId, cardId: record.cardId, kind, amountMinor: record.amountMinor, reason: record.reason, online },
      'payment decided',
    )
    // Answered outside the payment queue: the next decision need not wait for this publish.
    this.answer(record)
  }

  private answer(r: PaymentRecord): void {
    const intent: Intent<ChargeResultCommand> = {
      kind: 'charge.result',
      txId: r.txId,
      cardId: r.cardId,
      approved: r.approved,
      reason: r.reason,
      balanceMinor: r.balanceAfterMinor,
      currency: r.currency,
    }
    this.track(this.o.sendCommand(r.terminalId, intent, 'charge'))
  }

  /** Applies payment events the log has and the wallet missed (a crash between the two). */
  private replay(): void {
    let after = this.wallet.appliedSeq()
    let replayed = 0
    for (;;) {
      const events = this.o.log.read(after, 1000)
      if (events.length === 0) break
      for (const e of events) if (e.kind === 'payment' && this.wallet.apply(e.body, e.seq, false)) replayed += 1
      after = events.at(-1)!.seq
    }
    this.wallet.checkpoint(after)
    if (replayed > 0) this.logger.warn({ replayed }, 'wallet caught up with payments from the log')
  }

  private checkpoint(): void {
    // Only when no payment sits between its log append and its wallet apply.
    if (this.paymentsInFlight === 0) this.wallet.checkpoint(this.o.log.lastSeq())
  }
}

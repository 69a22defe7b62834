import type { Logger } from 'pino'
import { parsePayload, validators, type Command, type CommandAck } from '@tendero/protocol'
import { DEFAULT_FAILSAFE, failsafeFromCommand, type FailsafeSpec } from './failsafe.js'

export interface CommandCounts {
  applied: number
  refused: number
  invalid: number
}

/** What a simulated node lends its command handling: its relays, its clock and its uplink. */
export interface NodeCommandsOptions {
  log: Logger
  /** Wall clock, epoch ms: command expiry and ack timestamps. */
  now: () => number
  /** The relays this node obeys `relay.set` and `failsafe.set` for. */
  hasRelay: (name: string) => boolean
  setRelay: (name: string, on: boolean) => void
  /** A `setpoint.set`: false when the node has no such setpoint or refuses the value. */
  setSetpoint?: (name: string, value: number) => boolean
  /** Publishes an ack on the node's ack topic. */
  ack: (ack: CommandAck) => void
  /** Publishes the node's state; called after a relay switched on command. */
  publishState: () => void
}

/**
 * How a simulated node answers what arrives on its cmd topic, as the firmware does:
 * `relay.set` switches a relay and reports the new state, `failsafe.set` stores the safe
 * state the relay takes when the gateway is lost; each gets an ack, a refusal says why.
 * A payload that is not a valid command gets no ack at all.
 */
export class NodeCommands {
  readonly counts: CommandCounts = { applied: 0, refused: 0, invalid: 0 }
  private readonly failsafes = new Map<string, FailsafeSpec>()

  constructor(private readonly o: NodeCommandsOptions) {}

  /** The safe state set for `relay`, or the default (off) when the gateway sent none. */
  failsafeOf(relay: string): FailsafeSpec {
    return this.failsafes.get(relay) ?? DEFAULT_FAILSAFE
  }

  handle(payload: Buffer): void {
    const parsed = parsePayload<Command>(payload, validators.command)
    if (!parsed.ok) {
      // No ack: without a valid payload there is no trustworthy command id to answer to.
      this.counts.invalid += 1
      this.o.log.warn({ reason: parsed.reason }, 'ignored invalid command')
      return
    }
    const cmd = parsed.value
    const now = this.o.now()
    if (cmd.expiresAt < now) return this.refuse(cmd, 'expired')
    if (cmd.kind === 'failsafe.set') {
      if (!this.o.hasRelay(cmd.relay)) return this.refuse(cmd, 'unknown_relay')
      const spec = failsafeFromCommand(cmd)
      if (!spec) return this.refuse(cmd, 'invalid_failsafe')
      this.failsafes.set(cmd.relay, spec)
      this.counts.applied += 1
      this.o.log.info({ commandId: cmd.id, relay: cmd.relay, failsafe: spec }, 'fail-safe set')
      this.o.ack({ id: cmd.id, ts: now, ok: true })
      return
    }
    if (cmd.kind === 'setpoint.set') {
      if (!this.o.setSetpoint?.(cmd.name, cmd.value)) return this.refuse(cmd, 'unknown_setpoint')
      this.counts.applied += 1
      this.o.log.info({ commandId: cmd.id, setpoint: cmd.name, value: cmd.value }, 'setpoint set')
      this.o.ack({ id: cmd.id, ts: now, ok: true })
      return
    }
    if (cmd.kind !== 'relay.set') return this.refuse(cmd, 'unsupported_command')
    if (!this.o.hasRelay(cmd.relay)) return this.refuse(cmd, 'unknown_relay')
    this.o.setRelay(cmd.relay, cmd.on)
    this.counts.applied += 1
    this.o.log.info({ commandId: cmd.id, relay: cmd.relay, on: cmd.on }, 'relay set')
    this.o.ack({ id: cmd.id, ts: now, ok: true })
    this.o.publishState()
  }

  private refuse(cmd: Command, error: string): void {
    this.counts.refused += 1
    this.o.log.warn({ commandId: cmd.id, kind: cmd.kind, error }, 'command refused')
    this.o.ack({ id: cmd.id, ts: this.o.now(), ok: false, error })
  }
}

import type { CommandIntent, CommandStatus, CommandTarget } from '../../api/fleet.js'

/** One button of the command panel: what it sends and how it is labelled. */
export interface CommandChoice {
  /** Stable across renders, also the button's data-command. */
  key: string
  intent: CommandIntent
  label: { key: 'fleet.command.relayOn' | 'fleet.command.relayOff' | 'fleet.command.doorOpen'; params: Record<string, string> }
}

/**
 * The commands a device accepts, from what its config declares: `relay.set` on and off for
 * each relay, `door.open` for each door it is the reader of. A device the config does not
 * describe gets nothing: the gateway would refuse a guess (`unknown_relay`, `not_a_door`).
 */
export function commandChoices(target: CommandTarget | undefined): CommandChoice[] {
  if (!target) return []
  const choices: CommandChoice[] = []
  for (const relay of target.relays) {
    choices.push({ key: `relay.set:${relay}:on`, intent: { kind: 'relay.set', relay, on: true }, label: { key: 'fleet.command.relayOn', params: { relay } } })
    choices.push({ key: `relay.set:${relay}:off`, intent: { kind: 'relay.set', relay, on: false }, label: { key: 'fleet.command.relayOff', params: { relay } } })
  }
  // A reader of a single door needs no doorId; one serving several must say which.
  const single = target.doors.length === 1
  for (const door of target.doors) {
    choices.push({ key: `door.open:${door}`, intent: single ? { kind: 'door.open' } : { kind: 'door.open', doorId: door }, label: { key: 'fleet.command.doorOpen', params: { door } } })
  }
  return choices
}

/** What the user sees of a command: still on its way, done, refused by the gateway or the device, or too late. */
export type CommandOutcome = 'pending' | 'ok' | 'refused' | 'expired'

export function commandOutcome(status: CommandStatus): CommandOutcome {
  switch (status) {
    case 'acked':
      return 'ok'
    case 'failed':
      return 'refused'
    case 'expired':
      return 'expired'
    default:
      return 'pending'
  }
}

/** An Idempotency-Key for one attempt (the cloud accepts 8-128 of A-Z a-z 0-9 _ . : -). */
export function newIdempotencyKey(random: () => string = () => globalThis.crypto.randomUUID()): string {
  return `dash-${random()}`
}

import { describe, expect, it } from 'vitest'
import { pino } from 'pino'
import { upstreamValidators, type CommandAck } from '@tendero/protocol'
import { NodeCommands } from './node-commands.js'

const NOW = 1_795_000_000_000

/** A node with one relay, `valvula`, recording what it would publish, in order. */
function node() {
  const relays = new Map([['valvula', false]])
  const out: ({ ack: CommandAck } | { state: Record<string, boolean> })[] = []
  const commands = new NodeCommands({
    log: pino({ level: 'silent' }),
    now: () => NOW,
    hasRelay: (name) => relays.has(name),
    setRelay: (name, on) => relays.set(name, on),
    ack: (ack) => out.push({ ack }),
    publishState: () => out.push({ state: Object.fromEntries(relays) }),
  })
  const send = (cmd: Record<string, unknown>) =>
    commands.handle(Buffer.from(JSON.stringify({ issuedAt: NOW - 10, expiresAt: NOW + 10_000, ...cmd })))
  return { relays, out, commands, send }
}

describe('node commands', () => {
  it('switches a relay, acks, then reports the new state', () => {
    const n = node()
    n.send({ id: 'r1', kind: 'relay.set', relay: 'valvula', on: true })
    expect(n.relays.get('valvula')).toBe(true)
    expect(n.out).toEqual([{ ack: { id: 'r1', ts: NOW, ok: true } }, { state: { valvula: true } }])
    expect(n.commands.counts).toEqual({ applied: 1, refused: 0, invalid: 0 })
  })

  it('sets a setpoint the node has and refuses one it has not', () => {
    const setpoints = new Map<string, number>()
    const out: CommandAck[] = []
    const commands = new NodeCommands({
      log: pino({ level: 'silent' }),
      now: () => NOW,
      hasRelay: () => false,
      setRelay: () => {},
      setSetpoint: (name, value) => name === 'setpoint_c' && value <= 300 && (setpoints.set(name, value), true),
      ack: (ack) => out.push(ack),
      publishState: () => {},
    })
    const send = (cmd: Record<string, unknown>) => commands.handle(Buffer.from(JSON.stringify({ issuedAt: NOW - 10, expiresAt: NOW + 10_000, ...cmd })))
    send({ id: 's1', kind: 'setpoint.set', name: 'setpoint_c', value: 230 })
    send({ id: 's2', kind: 'setpoint.set', name: 'setpoint_c', value: 900 })
    send({ id: 's3', kind: 'setpoint.set', name: 'humedad', value: 40 })
    send({ id: 's4', kind: 'access.result', cardId: 'AB12CD34', doorId: 'entrada', allow: true, reason: 'allowed' })
    expect(setpoints.get('setpoint_c')).toBe(230)
    expect(out.map((a) => [a.id, a.ok, a.error])).toEqual([
      ['s1', true, undefined],
      ['s2', false, 'unknown_setpoint'],
      ['s3', false, 'unknown_setpoint'],
      ['s4', false, 'unsupported_command'],
    ])
    expect(commands.counts).toEqual({ applied: 1, refused: 3, invalid: 0 })
  })

  it('stores a fail-safe per relay and acks it without touching the relay', () => {
    const n = node()
    expect(n.commands.failsafeOf('valvula')).toEqual({ mode: 'off' })
    n.send({ id: 'f1', kind: 'failsafe.set', relay: 'valvula', mode: 'duty', onSeconds: 60, offSeconds: 120 })
    expect(n.commands.failsafeOf('valvula')).toEqual({ mode: 'duty', onSeconds: 60, offSeconds: 120 })
    expect(n.relays.get('valvula')).toBe(false)
    expect(n.out).toEqual([{ ack: { id: 'f1', ts: NOW, ok: true } }])
  })

  it('refuses with a reason in the ack, and answers nothing to a payload that is not a command', () => {
    const n = node()
    n.send({ id: 'c1', kind: 'relay.set', relay: 'valvula', on: true, expiresAt: NOW - 1 })
    n.send({ id: 'c2', kind: 'relay.set', relay: 'bomba', on: true })
    n.send({ id: 'c3', kind: 'failsafe.set', relay: 'bomba', mode: 'off' })
    n.send({ id: 'c4', kind: 'failsafe.set', relay: 'valvula', mode: 'duty' })
    n.send({ id: 'c5', kind: 'setpoint.set', name: 'temperatura', value: 4 })
    n.commands.handle(Buffer.from('{ no es json'))
    n.send({ id: 'c6', kind: 'relay.set', relay: 'valvula' })
    expect(n.out.map((o) => ('ack' in o ? o.ack : o))).toEqual([
      { id: 'c1', ts: NOW, ok: false, error: 'expired' },
      { id: 'c2', ts: NOW, ok: false, error: 'unknown_relay' },
      { id: 'c3', ts: NOW, ok: false, error: 'unknown_relay' },
      { id: 'c4', ts: NOW, ok: false, error: 'invalid_failsafe' },
      { id: 'c5', ts: NOW, ok: false, error: 'unknown_setpoint' },
    ])
    for (const o of n.out) if ('ack' in o) expect(upstreamValidators.ack.check(o.ack)).toBe(true)
    expect(n.relays.get('valvula')).toBe(false)
    expect(n.commands.failsafeOf('valvula')).toEqual({ mode: 'off' })
    expect(n.commands.counts).toEqual({ applied: 0, refused: 5, invalid: 2 })
  })
})

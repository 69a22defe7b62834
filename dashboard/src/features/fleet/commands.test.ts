import { describe, expect, it } from 'vitest'
import { commandChoices, commandOutcome, newIdempotencyKey } from './commands.js'

describe('commandChoices', () => {
  it('offers on and off for each relay the config declares', () => {
    const choices = commandChoices({ id: 'camara-1', name: null, kind: 'cold_room', relays: ['compressor', 'light'], doors: [] })
    expect(choices.map((c) => c.key)).toEqual(['relay.set:compressor:on', 'relay.set:compressor:off', 'relay.set:light:on', 'relay.set:light:off'])
    expect(choices[1]!.intent).toEqual({ kind: 'relay.set', relay: 'compressor', on: false })
  })

  it('opens the only door of a reader without naming it, and names the door of a reader serving several', () => {
    expect(commandChoices({ id: 'lector', name: null, kind: 'rfid_reader', relays: [], doors: ['calle'] })[0]!.intent).toEqual({ kind: 'door.open' })
    const two = commandChoices({ id: 'lector', name: null, kind: 'rfid_reader', relays: [], doors: ['calle', 'deposito'] })
    expect(two.map((c) => c.intent)).toEqual([{ kind: 'door.open', doorId: 'calle' }, { kind: 'door.open', doorId: 'deposito' }])
  })

  it('offers nothing for a device the config does not describe', () => {
    expect(commandChoices(undefined)).toEqual([])
    expect(commandChoices({ id: 'puerta', name: null, kind: 'door_contact', relays: [], doors: [] })).toEqual([])
  })
})

describe('commandOutcome', () => {
  it('maps the cloud status to what the user sees', () => {
    expect(['pending', 'sent', 'acked', 'failed', 'expired'].map((s) => commandOutcome(s as never))).toEqual(['pending', 'pending', 'ok', 'refused', 'expired'])
  })
})

describe('newIdempotencyKey', () => {
  it('is a fresh key the cloud accepts for every attempt', () => {
    const a = newIdempotencyKey()
    expect(a).toMatch(/^[A-Za-z0-9_.:-]{8,128}$/)
    expect(newIdempotencyKey()).not.toBe(a)
  })
})

import { describe, expect, it } from 'vitest'
import type { RuleSpec } from '../src/rules/registry.js'
import { engineHarness, minutes, stateEvent, telemetry } from './rule-fixtures.js'

const compressor = (on: boolean) => ({
  kind: 'relay.set', deviceId: 'camara-1', relay: 'compressor', on, minOnSeconds: 180, minOffSeconds: 300,
})
const warm: RuleSpec = {
  id: 'camara-alta',
  when: { kind: 'threshold', deviceId: 'camara-1', metric: 'temperature_c', above: 5, forSeconds: 0 },
  actions: [compressor(true)],
}
const cold: RuleSpec = {
  id: 'camara-baja',
  when: { kind: 'threshold', deviceId: 'camara-1', metric: 'temperature_c', below: 2, forSeconds: 0 },
  actions: [compressor(false)],
}
const reading = (v: number) => telemetry('camara-1', { temperature_c: v })

describe('relay.set with minimum on and off times', () => {
  it('defers an off that would cut the minimum on time, and sends it once allowed', async () => {
    const h = engineHarness([warm, cold])
    const t0 = h.clock.now
    await h.send(reading(6))
    expect(h.commands).toMatchObject([{ on: true, at: t0 }])
    await h.advance(60_000)
    await h.send(reading(1.5)) // 60 s after switching on: too soon
    expect(h.commands).toHaveLength(1)
    expect(h.engine.state.relays['camara-1/compressor']!.pending).toMatchObject({ on: false, ruleId: 'camara-baja' })
    await h.advance(119_000)
    expect(h.commands).toHaveLength(1)
    await h.advance(1000)
    expect(h.commands).toMatchObject([{ on: true }, { on: false, at: t0 + 180_000, ruleId: 'camara-baja' }])
  })

  it('sends at once when the minimum has passed, and a newer request replaces a deferred one', async () => {
    const h = engineHarness([warm, cold])
    await h.send(reading(6))
    await h.advance(200_000)
    await h.send(reading(1.5)) // on for 200 s ≥ 180 s: allowed
    expect(h.commands.map((c) => c.on)).toEqual([true, false])
    await h.advance(10_000)
    await h.send(reading(6)) // off for 10 s < 300 s: deferred
    expect(h.commands).toHaveLength(2)
    await h.send(reading(4.9)) // nothing new from the rules
    await h.advance(60_000)
    await h.send(reading(1)) // the cold rule re-arms/fires only after recovering: request off again → cancels the pending on
    expect(h.engine.state.relays['camara-1/compressor']!.pending).toBeNull()
    await h.advance(600_000)
    expect(h.commands.map((c) => c.on)).toEqual([true, false, false])
  })

  it("switches the relay back to the rules' position after the device's fail-safe moved it, within the guard", async () => {
    const h = engineHarness([warm, cold])
    await h.send(reading(6))
    await h.send(stateEvent('camara-1', { compressor: true }))
    await h.advance(600_000)
    // The link dropped, the node's duty cycle switched the compressor off, and it reports so on reconnect.
    await h.send(stateEvent('camara-1', { compressor: false }))
    expect(h.commands.map((c) => c.on)).toEqual([true])
    await h.advance(299_000)
    expect(h.commands.map((c) => c.on)).toEqual([true])
    await h.advance(1000) // minimum off time (300 s) has passed: the rule's "on" is sent again
    expect(h.commands.map((c) => c.on)).toEqual([true, true])
    // The device agrees now: nothing more is sent.
    await h.send(stateEvent('camara-1', { compressor: true }))
    await h.advance(600_000)
    expect(h.commands).toHaveLength(2)
  })

  it('restarts the clock when the device reports a switch it made itself', async () => {
    const h = engineHarness([warm, cold])
    await h.send(reading(6))
    await h.advance(200_000)
    await h.send(stateEvent('camara-1', { compressor: false })) // its fail-safe switched it off
    await h.send(reading(1.5))
    await h.send(reading(6)) // warm again 0 s after the device's own off: deferred by minOff
    expect(h.commands.map((c) => c.on)).toEqual([true, false])
  })
})

describe('publish, notify, state.set and rearmActions', () => {
  it('publishes the transition on the gateway topic, on fire and on re-arm', async () => {
    const h = engineHarness([{ ...warm, id: 'pub', actions: [{ kind: 'publish', data: { zona: 'carnes' } }] }])
    await h.send(reading(6))
    await h.send(reading(4))
    expect(h.published).toMatchObject([
      { topic: 'tendero/v1/$gateway/rules/pub', message: { ruleId: 'pub', deviceId: 'camara-1', transition: 'fire', value: 6, data: { zona: 'carnes' } } },
      { topic: 'tendero/v1/$gateway/rules/pub', message: { transition: 'rearm' } },
    ])
    const quiet = engineHarness([{ ...warm, id: 'pub', actions: [{ kind: 'publish', topic: 'nodered/frio', onRearm: false }] }])
    await quiet.send(reading(6))
    await quiet.send(reading(4))
    expect(quiet.published.map((p) => p.topic)).toEqual(['nodered/frio'])
  })

  it('logs a notify event linked to the rule alarm, only when the rule fires', async () => {
    const h = engineHarness([
      {
        ...warm,
        id: 'avisar',
        alarm: { severity: 'warning', message: 'Cámara tibia' },
        actions: [{ kind: 'notify', channel: 'whatsapp', audience: 'owner', message: 'La cámara está tibia' }],
      },
    ])
    await h.send(reading(4))
    expect(h.logged.filter((e) => e.kind === 'notify')).toEqual([])
    await h.send(reading(6))
    expect(h.logged.filter((e) => e.kind === 'notify')).toEqual([
      {
        kind: 'notify',
        deviceId: 'camara-1',
        body: { channel: 'whatsapp', audience: 'owner', message: 'La cámara está tibia', ruleId: 'avisar', alarmId: 'avisar:camara-1' },
      },
    ])
  })

  it('state.set logs a gateway state event that another rule can act on', async () => {
    const setter: RuleSpec = { ...warm, id: 'modo', actions: [{ kind: 'state.set', name: 'defrost', value: true }], rearmActions: [{ kind: 'state.set', name: 'defrost', value: false }] }
    const follower: RuleSpec = { id: 'seguir', when: { kind: 'state', key: 'defrost', equals: true }, actions: [{ kind: 'publish' }] }
    const h = engineHarness([setter, follower])
    await h.advance(2000)
    expect(h.published).toEqual([])
    await h.send(reading(6))
    expect(h.logged).toContainEqual({ kind: 'state', deviceId: 'gateway', body: { state: { defrost: true } } })
    expect(h.engine.namedStates()).toEqual({ defrost: true })
    await h.advance(1000)
    expect(h.published.map((p) => p.message.transition)).toEqual(['fire'])
    await h.send(reading(4))
    await h.advance(1000)
    expect(h.engine.namedStates()).toEqual({ defrost: false })
    expect(h.published.map((p) => p.message.transition)).toEqual(['fire', 'rearm'])
  })

  it('a schedule switches the lights on at window start and off at window end', async () => {
    const lights: RuleSpec = {
      id: 'luces',
      when: { kind: 'schedule', windows: [{ days: ['mon'], from: '09:30', to: '10:00' }] },
      actions: [{ kind: 'relay.set', deviceId: 'local-1', relay: 'lights', on: true }],
      rearmActions: [{ kind: 'relay.set', deviceId: 'local-1', relay: 'lights', on: false }],
    }
    const h = engineHarness([lights]) // starts Monday 09:00 local
    await h.advance(minutes(29))
    expect(h.commands).toEqual([])
    await h.advance(minutes(2))
    expect(h.commands.map((c) => [c.on, new Date(c.at).toISOString()])).toEqual([[true, '2026-01-05T12:30:00.000Z']])
    await h.advance(minutes(30))
    expect(h.commands.map((c) => [c.on, new Date(c.at).toISOString()])).toEqual([
      [true, '2026-01-05T12:30:00.000Z'],
      [false, '2026-01-05T13:00:00.000Z'],
    ])
  })
})

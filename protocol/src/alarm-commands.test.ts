import { describe, expect, it } from 'vitest'
import { downlinkValidators } from './index.js'

const command = (intent: unknown) => ({
  type: 'command',
  id: '0b7c9d1e-3f7a-4c55-9a49-1f0c2f6c8a11',
  deviceId: 'camara-1',
  issuedAt: 1_700_000_000_000,
  expiresAt: 1_700_000_060_000,
  command: intent,
})

describe('downlink alarm commands', () => {
  it('carries alarm.ack and alarm.clear with the alarm, who did it and an optional note', () => {
    for (const kind of ['alarm.ack', 'alarm.clear']) {
      expect(downlinkValidators.downlink.explain(command({ kind, alarmId: 'camara-alta:camara-1', by: 'cloud:a@b.ar' }))).toEqual([])
      expect(downlinkValidators.downlink.check(command({ kind, alarmId: 'x:y', by: 'cloud:a@b.ar', note: 'Ya voy' }))).toBe(true)
    }
  })

  it('refuses one without who did it, with unknown fields, or with an empty alarm id', () => {
    expect(downlinkValidators.downlink.check(command({ kind: 'alarm.ack', alarmId: 'x:y' }))).toBe(false)
    expect(downlinkValidators.downlink.check(command({ kind: 'alarm.ack', alarmId: 'x:y', by: 'u', extra: 1 }))).toBe(false)
    expect(downlinkValidators.downlink.check(command({ kind: 'alarm.clear', alarmId: '', by: 'u' }))).toBe(false)
    expect(downlinkValidators.downlink.check(command({ kind: 'alarm.ack', alarmId: 'x:y', by: 'u', note: 'n'.repeat(501) }))).toBe(false)
  })

  it('keeps every existing command valid, and alarm kinds out of what the fleet command route takes', () => {
    expect(downlinkValidators.downlink.check(command({ kind: 'relay.set', relay: 'compressor', on: true }))).toBe(true)
    expect(downlinkValidators.downlink.check(command({ kind: 'door.open', doorId: 'puerta' }))).toBe(true)
    expect(downlinkValidators.intent.check({ kind: 'alarm.ack', alarmId: 'x:y', by: 'u' })).toBe(false)
    expect(downlinkValidators.alarmIntent.check({ kind: 'alarm.ack', alarmId: 'x:y', by: 'u' })).toBe(true)
  })
})

import { describe, expect, it } from 'vitest'
import { deviceTopic, parseDeviceTopic, parsePayload, validators, MAX_PAYLOAD_BYTES } from './index.js'

describe('topics', () => {
  it('round-trips a device topic', () => {
    expect(parseDeviceTopic(deviceTopic('camara-1', 'telemetry'))).toEqual({ deviceId: 'camara-1', channel: 'telemetry' })
  })

  it('rejects topics outside the layout', () => {
    for (const topic of ['tendero/v1/+/telemetry', 'tendero/v1/camara-1', 'tendero/v2/camara-1/telemetry',
      'tendero/v1/Camara/telemetry', 'tendero/v1/camara-1/other', 'tendero/v1/a/b/telemetry']) {
      expect(parseDeviceTopic(topic), topic).toBeNull()
    }
  })
})

describe('payloads', () => {
  it('accepts the README examples', () => {
    expect(validators.telemetry.check({ ts: 1763719200000, seq: 4711, readings: { temperature_c: 4.6, door_open: 0 } })).toBe(true)
    expect(validators.state.check({ state: { compressor: true, setpoint_c: 2, fw: '0.3.1' } })).toBe(true)
    expect(validators.event.check({ kind: 'door.opened', data: { door: 'camara' } })).toBe(true)
    expect(validators.command.check({ id: 'r-1', issuedAt: 1, expiresAt: 2, kind: 'relay.set', relay: 'compressor', on: true })).toBe(true)
    expect(validators.ack.check({ id: 'r-1', ok: false, error: 'unknown_relay' })).toBe(true)
  })

  it('rejects wrong types, unknown fields and empty readings with a reason', () => {
    const wrongType = parsePayload('{"readings":{"temperature_c":"hot"}}', validators.telemetry)
    expect(wrongType).toMatchObject({ ok: false })
    expect(!wrongType.ok && wrongType.reason).toContain('/readings/temperature_c')
    expect(parsePayload('{"readings":{"t":1},"extra":1}', validators.telemetry).ok).toBe(false)
    expect(parsePayload('{"readings":{}}', validators.telemetry).ok).toBe(false)
    expect(parsePayload('{"readings":{"Bad-Name":1}}', validators.telemetry).ok).toBe(false)
  })

  it('rejects non-JSON and oversized payloads without throwing', () => {
    expect(parsePayload('not json', validators.telemetry)).toEqual({ ok: false, reason: 'payload is not valid JSON' })
    const huge = Buffer.alloc(MAX_PAYLOAD_BYTES + 1, 0x20)
    const result = parsePayload(huge, validators.telemetry)
    expect(result.ok).toBe(false)
    expect(!result.ok && result.reason).toMatch(/too large/)
  })

  it('checks log events by kind', () => {
    const base = { seq: 1, time: 1, receivedAt: 1, bootId: 'b', monoMs: 0, clockSynced: true, deviceId: 'camara-1' }
    expect(validators.logEvent.check({ ...base, kind: 'telemetry', body: { readings: { temperature_c: 3 } } })).toBe(true)
    expect(validators.logEvent.check({ ...base, kind: 'alarm', body: { readings: { temperature_c: 3 } } })).toBe(false)
    expect(validators.logEvent.check({ ...base, kind: 'alarm', body: {
      alarmId: 'r:camara-1', ruleId: 'r', deviceId: 'camara-1', severity: 'critical', state: 'raised', message: 'x' } })).toBe(true)
    expect(validators.logEvent.check({ ...base, seq: 0, kind: 'telemetry', body: { readings: { t: 3 } } })).toBe(false)
  })
})

describe('alarm types', () => {
  it('keeps severity and state as literal unions', () => {
    const severity: import('./alarms.js').AlarmChange['severity'] = 'critical'
    const state: import('./alarms.js').AlarmChange['state'] = 'raised'
    expect(validators.logEvent.check({ seq: 1, time: 1, receivedAt: 1, bootId: 'b', monoMs: 0, clockSynced: true,
      deviceId: 'd', kind: 'alarm', body: { alarmId: 'r:d', ruleId: 'r', deviceId: 'd', severity, state, message: '' } })).toBe(true)
  })
})

describe('access, payments and notifications', () => {
  const base = { seq: 1, time: 1, receivedAt: 1, bootId: 'b', monoMs: 0, clockSynced: true, deviceId: 'puerta-1' }

  it('accepts a door decision and a balanced charge', () => {
    expect(validators.logEvent.check({ ...base, kind: 'access',
      body: { cardId: '04A1B2C3', doorId: 'vip', allow: false, reason: 'outside_schedule' } })).toBe(true)
    expect(validators.logEvent.check({ ...base, kind: 'payment', body: {
      txId: 't-1', cardId: '04A1B2C3', terminalId: 'barra-1', kind: 'charge', amountMinor: 250000, currency: 'ARS',
      approved: true, reason: 'approved', balanceAfterMinor: 750000,
      entries: [{ account: 'card:04A1B2C3', debitMinor: 250000, creditMinor: 0 }, { account: 'sales:barra-1', debitMinor: 0, creditMinor: 250000 }] } })).toBe(true)
    expect(validators.command.check({ id: 'c', issuedAt: 1, expiresAt: 2, kind: 'access.result', cardId: '04A1B2C3',
      doorId: 'vip', allow: true, reason: 'allowed' })).toBe(true)
  })

  it('refuses fractional money, lowercase currencies and unknown reasons', () => {
    const charge = { txId: 't', cardId: '04A1B2C3', terminalId: 'b', kind: 'charge', amountMinor: 2.5, currency: 'ARS',
      approved: true, reason: 'approved', balanceAfterMinor: 0, entries: [] }
    expect(validators.logEvent.check({ ...base, kind: 'payment', body: charge })).toBe(false)
    expect(validators.logEvent.check({ ...base, kind: 'payment', body: { ...charge, amountMinor: 250, currency: 'ars' } })).toBe(false)
    expect(validators.logEvent.check({ ...base, kind: 'access',
      body: { cardId: '04A1B2C3', doorId: 'vip', allow: true, reason: 'because' } })).toBe(false)
  })
})

describe('fail-safe command', () => {
  it('accepts the three modes', () => {
    const base = { id: 'f-1', issuedAt: 1, expiresAt: 2, kind: 'failsafe.set', relay: 'compressor' }
    expect(validators.command.check({ ...base, mode: 'off' })).toBe(true)
    expect(validators.command.check({ ...base, mode: 'duty', onSeconds: 600, offSeconds: 900 })).toBe(true)
    expect(validators.command.check({ ...base, mode: 'sometimes' })).toBe(false)
  })
})

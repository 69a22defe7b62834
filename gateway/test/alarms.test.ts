import { describe, expect, it } from 'vitest'
import { AlarmChange, compile } from '@tendero/protocol'
import { isGatewayError } from '../src/errors.js'
import type { RuleSpec } from '../src/rules/registry.js'
import type { AlarmPolicy } from '../src/alarms/alarms.js'
import { engineHarness, minutes, telemetry } from './rule-fixtures.js'

const alarmChange = compile(AlarmChange)
const warmRule = (alarm: AlarmPolicy): RuleSpec => ({
  id: 'camara-alta',
  when: { kind: 'threshold', deviceId: 'camara-1', metric: 'temperature_c', above: 5, forSeconds: 0 },
  alarm,
  actions: [],
})
const reading = (v: number, deviceId = 'camara-1') => telemetry(deviceId, { temperature_c: v })
const alarmEvents = (logged: { kind: string; body: Record<string, unknown> }[]) =>
  logged.filter((e) => e.kind === 'alarm').map((e) => e.body)

describe('alarm lifecycle', () => {
  it('raised → acknowledged → cleared, each a valid protocol alarm event with level and by', async () => {
    const h = engineHarness([warmRule({ severity: 'critical', message: 'Cámara sobre 5 °C' })])
    await h.send(reading(6))
    expect(h.alarms.list()).toMatchObject([{ alarmId: 'camara-alta:camara-1', state: 'raised', severity: 'critical', level: 0, value: 6 }])
    const acked = await h.alarms.acknowledge('camara-alta:camara-1', 'ana')
    expect(acked).toMatchObject({ state: 'acknowledged', acknowledgedBy: 'ana', acknowledgedAt: h.clock.now })
    await h.send(reading(4))
    expect(h.alarms.list()).toEqual([])
    const changes = alarmEvents(h.logged)
    expect(changes.map((c) => [c.state, c.by, c.level])).toEqual([
      ['raised', undefined, 0],
      ['acknowledged', 'ana', 0],
      ['cleared', 'rule', 0],
    ])
    for (const c of changes) expect(alarmChange.explain(c)).toEqual([])
  })

  it('keeps one active alarm per rule and device', async () => {
    const h = engineHarness([warmRule({ severity: 'warning', message: 'tibia' })])
    await h.send(reading(6))
    await h.alarms.raise({ ruleId: 'camara-alta', deviceId: 'camara-1', policy: { severity: 'warning', message: 'tibia' } })
    await h.alarms.raise({ ruleId: 'camara-alta', deviceId: 'camara-2', policy: { severity: 'warning', message: 'tibia' } })
    expect(h.alarms.list().map((a) => a.alarmId)).toEqual(['camara-alta:camara-1', 'camara-alta:camara-2'])
    expect(alarmEvents(h.logged)).toHaveLength(2)
  })

  it('a manual clear while the condition holds does not re-raise until the rule re-arms and fires again', async () => {
    const h = engineHarness([warmRule({ severity: 'warning', message: 'tibia' })])
    await h.send(reading(6))
    const cleared = await h.alarms.clear('camara-alta:camara-1', 'tecnico')
    expect(cleared.alarmId).toBe('camara-alta:camara-1')
    await h.send(reading(7))
    expect(h.alarms.list()).toEqual([])
    await h.send(reading(4))
    await h.send(reading(6))
    expect(alarmEvents(h.logged).map((c) => [c.state, c.by])).toEqual([
      ['raised', undefined],
      ['cleared', 'tecnico'],
      ['raised', undefined],
    ])
  })

  it('a latched alarm (autoClear false) stays until someone clears it', async () => {
    const h = engineHarness([warmRule({ severity: 'emergency', message: 'vacunas', autoClear: false })])
    await h.send(reading(6))
    await h.send(reading(4))
    expect(h.alarms.list()).toMatchObject([{ state: 'raised' }])
    await h.alarms.clear('camara-alta:camara-1', 'enfermera')
    expect(h.alarms.list()).toEqual([])
  })

  it('acknowledging or clearing an unknown alarm is a coded error', async () => {
    const h = engineHarness([])
    await expect(h.alarms.acknowledge('nada:x', 'ana')).rejects.toSatisfy((e) => isGatewayError(e, 'ALARM_ERR_NOT_FOUND'))
    await expect(h.alarms.clear('nada:x', 'ana')).rejects.toSatisfy((e) => isGatewayError(e, 'ALARM_ERR_NOT_FOUND'))
  })
})

describe('alarm escalation', () => {
  const policy: AlarmPolicy = {
    severity: 'warning',
    message: 'Cámara sobre 5 °C',
    escalateAfterMinutes: 10,
    escalateSeverity: true,
    maxLevel: 2,
    notify: { channel: 'sms', audience: 'owner' },
  }

  it('escalates every N minutes while unacknowledged: level up, severity up, a notify event; stops at maxLevel', async () => {
    const h = engineHarness([warmRule(policy)])
    await h.send(reading(6))
    h.alarms.tick()
    await h.advance(minutes(10) - 1000)
    h.alarms.tick()
    expect(h.alarms.list()[0]).toMatchObject({ level: 0, severity: 'warning' })
    await h.advance(1000)
    h.alarms.tick()
    await h.alarms.settled()
    expect(h.alarms.list()[0]).toMatchObject({ level: 1, severity: 'critical', state: 'raised' })
    await h.advance(minutes(10))
    h.alarms.tick()
    await h.advance(minutes(30))
    h.alarms.tick()
    await h.alarms.settled()
    expect(h.alarms.list()[0]).toMatchObject({ level: 2, severity: 'emergency' })
    expect(alarmEvents(h.logged).map((c) => [c.state, c.level, c.severity])).toEqual([
      ['raised', 0, 'warning'],
      ['raised', 1, 'critical'],
      ['raised', 2, 'emergency'],
    ])
    const notes = h.logged.filter((e) => e.kind === 'notify').map((e) => e.body)
    expect(notes).toHaveLength(2)
    expect(notes[0]).toMatchObject({ channel: 'sms', audience: 'owner', alarmId: 'camara-alta:camara-1' })
    expect(notes[0]!.message).toContain('Cámara sobre 5 °C')
  })

  it('does not escalate once acknowledged, nor without escalateAfterMinutes', async () => {
    const h = engineHarness([warmRule(policy), { ...warmRule({ severity: 'info', message: 'x' }), id: 'sin-escalar' }])
    await h.send(reading(6))
    await h.alarms.acknowledge('camara-alta:camara-1', 'ana')
    await h.advance(minutes(60))
    h.alarms.tick()
    await h.alarms.settled()
    expect(h.alarms.list().map((a) => [a.alarmId, a.level])).toEqual([
      ['camara-alta:camara-1', 0],
      ['sin-escalar:camara-1', 0],
    ])
    expect(h.logged.filter((e) => e.kind === 'notify')).toEqual([])
  })
})

import { describe, expect, it } from 'vitest'
import { pino } from 'pino'
import { validators } from '@tendero/protocol'
import { ScenarioRunner } from './runner.js'
import { loadScenario, parseScenario, scenarioNames } from './schema.js'

const logger = pino({ level: 'silent' })
// Never dialled: these runners are driven by advance() and never started.
const offline = (name: string, seed = 1) =>
  new ScenarioRunner({ scenario: loadScenario(name), mqttUrl: 'mqtt://127.0.0.1:9', password: '{id}-demo', speed: 1, seed, logger })

describe('scenario runner (offline, clock driven by hand)', () => {
  it('every device of every scenario yields protocol-valid readings over two simulated days', () => {
    for (const name of scenarioNames()) {
      const runner = offline(name)
      for (let i = 0; i < 2 * 24 * 12; i++) {
        runner.advance(300)
        for (const n of runner.snapshot().nodes) {
          if (!n.powered) continue
          const telemetry = { ts: Date.now(), seq: i, readings: n.lastReadings }
          expect(validators.telemetry.check(telemetry), `${name}/${n.deviceId}: ${validators.telemetry.explain(telemetry).join('; ')}`).toBe(true)
          for (const v of Object.values(n.lastReadings)) expect(Number.isFinite(v), `${name}/${n.deviceId}`).toBe(true)
        }
      }
      expect(runner.snapshot().day).toBe(3)
    }
  })

  it('applies scheduled events at their clock time and undoes them after durationS', () => {
    const runner = offline('carniceria-panaderia')
    // Starts 07:00; the power cut is 10:30–10:50.
    runner.advance(3.5 * 3600 - 1)
    expect(runner.node('camara-carne')?.snapshot().powered).toBe(true)
    runner.advance(2)
    expect(runner.snapshot().clock).toBe('10:30')
    expect(runner.node('camara-carne')?.snapshot().powered).toBe(false)
    expect(runner.physicsOf('camara-carne')?.relay('compressor')).toBe(false)
    runner.advance(1200)
    expect(runner.node('camara-carne')?.snapshot().powered).toBe(true)
    // And again the next day.
    runner.advance(24 * 3600 - 1200)
    expect(runner.node('camara-carne')?.snapshot().powered).toBe(false)
  })

  it('opens the irrigation valve in its window and the meter sees the flow', () => {
    // riego.json leaves the valve to the gateway's rules; a manual window is a valve.set event.
    const riego = loadScenario('riego')
    const scenario = parseScenario({ ...riego, events: [{ at: '06:30', device: 'riego-ctrl', action: 'valve.set', on: true, durationS: 1800 }] })
    const runner = new ScenarioRunner({ scenario, mqttUrl: 'mqtt://127.0.0.1:9', password: '{id}-demo', speed: 1, seed: 1, logger })
    runner.advance(1.5 * 3600 + 600) // 06:40
    expect(runner.physicsOf('riego-ctrl')?.readings().flow_lpm).toBeGreaterThan(2)
    expect(runner.node('riego-ctrl')?.snapshot().relays.valve_1).toBe(true)
    runner.advance(1800) // 07:10, window over
    expect(runner.physicsOf('riego-ctrl')?.readings().flow_lpm).toBe(0)
  })

  it('is deterministic for a seed however the clock is sliced', () => {
    const a = offline('centro-medico', 7)
    const b = offline('centro-medico', 7)
    a.advance(6 * 3600)
    for (let i = 0; i < 6 * 60; i++) b.advance(60)
    expect(b.physicsOf('sala-espera')?.readings()).toEqual(a.physicsOf('sala-espera')?.readings())
  })

  it('passes readings through the fault hook before publishing', () => {
    const runner = offline('riego')
    runner.setReadingFilter((id, _t, r) => (id === 'suelo-1' ? {} : id === 'clima-vivero' ? { ...r, temperature_c: 99 } : r))
    runner.advance(600)
    expect(runner.node('clima-vivero')?.snapshot().lastReadings.temperature_c).toBe(99)
    expect(runner.node('suelo-1')?.snapshot().lastReadings).toEqual({})
    expect(runner.node('riego-ctrl')?.snapshot().lastReadings.flow_lpm).toBe(0)
  })

  it('names the path of a reading or relay the model lacks', () => {
    const s = parseScenario({
      name: 'x',
      title: 'X',
      description: 'x',
      startAt: '08:00',
      devices: [{ id: 'horno', name: 'Horno', model: 'oven', readings: ['temperature_c', 'humidity_pct'], intervalS: 30 }],
      events: [],
    })
    expect(() => new ScenarioRunner({ scenario: s, mqttUrl: 'mqtt://x', password: 'p', speed: 1, seed: 1, logger })).toThrow(
      /\/devices\/0\/readings\/1: model oven has no reading "humidity_pct"/,
    )
  })
})

import { describe, expect, it } from 'vitest'
import { pino } from 'pino'
import { ScenarioRunner } from '../src/scenarios/runner.js'
import { loadScenario } from '../src/scenarios/schema.js'
import { FaultInjector, parseFaultPlan } from '../src/faults/index.js'

// The wiring the scenario runner is meant to use, on its own clock and nodes, with no
// broker: the runner is driven by advance() and never started.

describe('faults on a scenario runner', () => {
  it('powers a node off and on, counts active faults in the status and transforms its readings', () => {
    const scenario = loadScenario('carniceria-panaderia')
    const runner = new ScenarioRunner({
      scenario,
      mqttUrl: 'mqtt://127.0.0.1:9',
      password: '{id}-demo',
      speed: 1,
      seed: 1,
      logger: pino({ level: 'silent' }),
    })
    const id = scenario.devices[0]!.id
    const plan = parseFaultPlan(
      [
        { deviceId: id, kind: 'offline', from: 600, to: 1200 },
        { deviceId: id, kind: 'drift', from: 0, params: { ratePerHour: 1 } },
      ],
      '/faults',
      { deviceIds: scenario.devices.map((d) => d.id) },
    )
    const injector = new FaultInjector({
      plan,
      clock: () => runner.simulatedS,
      targets: Object.fromEntries(runner.nodes.map((n) => [n.snapshot().deviceId, { setOffline: (off: boolean) => n.setPowered(!off) }])),
    })
    runner.setFaultCounter(() => injector.active().length)

    runner.advance(300)
    injector.update()
    expect(runner.snapshot().faultsActive).toBe(1)
    expect(runner.node(id)!.snapshot().powered).toBe(true)

    runner.advance(300)
    injector.update()
    expect(runner.snapshot().faultsActive).toBe(2)
    expect(runner.node(id)!.snapshot().powered).toBe(false)
    expect(injector.isOffline(id)).toBe(true)

    runner.advance(600)
    injector.update()
    expect(runner.node(id)!.snapshot().powered).toBe(true)
    expect(injector.transform(id, { x: 0 })).toEqual({ x: 1200 / 3600 })
  })
})

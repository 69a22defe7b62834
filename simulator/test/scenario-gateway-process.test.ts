import { afterEach, describe, expect, it } from 'vitest'
import { pino } from 'pino'
import { ScenarioRunner } from '../src/scenarios/runner.js'
import { loadScenario, scenarioNames } from '../src/scenarios/schema.js'
import { startScenarioGateway, until, type ScenarioGateway } from './scenario-gateway.js'

// Every scenario against a real gateway process whose site config is the rule pack of the
// same name: the gateway must let every device in, reject none of their messages, and
// hand each pack relay its fail-safe (which it only does for relays it knows by name).

let gateway: ScenarioGateway | undefined
let runner: ScenarioRunner | undefined
afterEach(async () => {
  await runner?.stop()
  await gateway?.dispose()
  gateway = runner = undefined
})

describe('scenarios against a gateway running their rule pack', () => {
  it.each(scenarioNames())(
    '%s',
    async (name) => {
      const scenario = loadScenario(name)
      gateway = await startScenarioGateway(scenario)
      const { pack, lines: log, mqttPort: port } = gateway
      runner = new ScenarioRunner({
        scenario,
        mqttUrl: `mqtt://127.0.0.1:${port}`,
        password: '{id}-demo',
        speed: 300,
        seed: 2,
        tickMs: 100,
        logger: pino({ level: 'silent' }),
      })
      await runner.start()
      const r = runner
      const packRelays = pack.devices.flatMap((d) => (d.relays ?? []).map((x) => ({ id: d.id, relay: x.name })))
      // One failsafe.set per pack relay, applied (acked ok) by the node that owns it.
      for (const id of new Set(packRelays.map((x) => x.id))) {
        const want = packRelays.filter((x) => x.id === id).length
        await until(() => (r.node(id)?.snapshot().commands.applied ?? 0) >= want, `fail-safes for ${id}`)
      }
      await until(() => r.snapshot().nodes.every((n) => n.sent.telemetry >= 2), 'telemetry from every device')
      expect(r.snapshot().online).toBe(scenario.devices.length)
      for (const n of r.snapshot().nodes) expect(n.commands.refused, n.deviceId).toBe(0)
      const complaints = log.filter((e) => e.msg === 'message rejected' || e.msg?.startsWith('device refused'))
      expect(complaints).toEqual([])
    },
    40_000,
  )
})

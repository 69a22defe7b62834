import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import { ScenarioRunner } from './runner.js'
import { loadScenario, scenarioNames } from './schema.js'

/**
 * The scenarios exist to drive the gateway's rule packs, so names must line up: every pack
 * device a scenario simulates publishes the metrics, relays and events its rules read.
 * Read from the pack files themselves (no import across packages), walking any JSON.
 */
const PACKS = join(import.meta.dirname, '../../../gateway/src/rules/packs')

interface Needs {
  metrics: Map<string, Set<string>>
  relays: Map<string, Set<string>>
  events: Map<string, Set<string>>
}

function packNeeds(pack: string): Needs {
  const json = JSON.parse(readFileSync(join(PACKS, `${pack}.json`), 'utf8')) as {
    devices: { id: string; relays?: { name: string }[] }[]
    rules: unknown[]
  }
  const needs: Needs = { metrics: new Map(), relays: new Map(), events: new Map() }
  const add = (m: Map<string, Set<string>>, id: string, what: string) => m.set(id, (m.get(id) ?? new Set()).add(what))
  for (const d of json.devices) for (const r of d.relays ?? []) add(needs.relays, d.id, r.name)
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk)
    if (node === null || typeof node !== 'object') return
    const o = node as Record<string, unknown>
    if (typeof o.deviceId === 'string') {
      if (typeof o.metric === 'string') add(needs.metrics, o.deviceId, o.metric)
      if (o.kind === 'counter' && typeof o.event === 'string') add(needs.events, o.deviceId, o.event)
    }
    Object.values(o).forEach(walk)
  }
  walk(json.rules)
  return needs
}

/** Events each physics publishes (see physics.ts). */
const EMITS: Record<string, string[]> = {
  'cold-room': ['door.opened'],
  'door-contact': ['door.opened'],
  'rfid-reader': ['rfid.swipe'],
  'pos-terminal': ['pos.charge'],
  'access-door': ['rfid.swipe', 'door.opened', 'door.forced'],
}

describe('scenarios line up with the gateway rule packs', () => {
  it.each(scenarioNames())('%s', (name) => {
    const scenario = loadScenario(name)
    expect(scenario.pack).toBe(name)
    const needs = packNeeds(scenario.pack as string)
    const runner = new ScenarioRunner({ scenario, mqttUrl: 'mqtt://127.0.0.1:9', password: 'x', speed: 1, seed: 1, logger: pino({ level: 'silent' }) })
    const ids = new Set([...needs.metrics.keys(), ...needs.relays.keys(), ...needs.events.keys()])
    for (const id of ids) {
      const device = scenario.devices.find((d) => d.id === id)
      expect(device, `pack device ${id} missing from scenario ${name}`).toBeDefined()
      if (!device) continue
      const node = runner.node(id)
      const physics = runner.physicsOf(id)
      const readings = device.readings ?? physics?.readingNames ?? []
      for (const metric of needs.metrics.get(id) ?? []) expect(readings, `${id} must publish ${metric}`).toContain(metric)
      for (const relay of needs.relays.get(id) ?? []) expect(Object.keys(node?.snapshot().relays ?? {}), `${id} must own relay ${relay}`).toContain(relay)
      for (const event of needs.events.get(id) ?? []) expect(EMITS[physics?.kind ?? ''] ?? [], `${id} must emit ${event}`).toContain(event)
    }
  })
})

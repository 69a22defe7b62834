import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { formatSimTime } from '@tendero/protocol'
import { scenarioOrigin } from '../src/scenarios/runner.js'
import { loadScenario, scenarioNames, type RuleExpectation, type Scenario } from '../src/scenarios/schema.js'
import { REPO_ROOT, startScenarioGateway, stopProcess, until, type Pack, type ScenarioGateway } from './scenario-gateway.js'

// Issue 5: each scenario runs a simulated day at high speed, and the gateway's rule packs
// fire where the scenario says they should. A real gateway process (its rule pack as the
// site config) and the real simulator CLI share one simulated clock (GATEWAY_CLOCK=simulated,
// TENDERO_SIM_TIME), so "10 minutes" in a rule is 10 simulated minutes. Afterwards the
// gateway's own log says what fired and when: raised alarms, rule commands, notifications.
// Every `expect` entry of the scenario must have fired in its window, and no alarm may
// fire outside one: a false alarm fails the test as surely as a missing one.

const SPEED = Number(process.env.SCENARIO_DAY_SPEED ?? 480)
const DAY_S = 86_400
/** Both processes start and every device connects while the shared clock stands still. */
const STARTUP_MS = Number(process.env.SCENARIO_DAY_STARTUP_MS ?? 60_000)
/** A Monday, so the weekday schedules of the packs apply. */
const DAY_OF = Date.parse('2026-11-23T15:00:00Z')

interface Firing {
  rule: string
  /** Simulated seconds since the scenario started. */
  atS: number
  how: 'alarm' | 'command' | 'notify'
}

const clockS = (hhmm: string) => {
  const [h, m] = hhmm.split(':').map(Number) as [number, number]
  return h * 3600 + m * 60
}
const hhmm = (s: number) => {
  const t = ((Math.floor(s) % DAY_S) + DAY_S) % DAY_S
  return `${String(Math.floor(t / 3600)).padStart(2, '0')}:${String(Math.floor((t % 3600) / 60)).padStart(2, '0')}`
}

/** The window's one occurrence in the day from `startAt`, in simulated seconds since the start. */
function windowOf(e: RuleExpectation, startAt: string): [number, number] {
  const from = (((clockS(e.from) - clockS(startAt)) % DAY_S) + DAY_S) % DAY_S
  const length = (((clockS(e.to) - clockS(e.from)) % DAY_S) + DAY_S) % DAY_S
  return [from, from + length]
}

/** What the pack's rules did, read from the gateway's log. */
function firings(dataDir: string, pack: Pack, originMs: number): Firing[] {
  const db = new Database(join(dataDir, 'log.db'), { readonly: true })
  try {
    const rows = db.prepare(`SELECT kind, time, body FROM events WHERE kind IN ('alarm', 'command', 'notify') ORDER BY seq`).all() as {
      kind: string
      time: number
      body: string
    }[]
    // A command's id starts with the first 24 characters of its rule's id.
    const byPrefix = new Map(pack.rules.map((r) => [`${r.id.slice(0, 24)}.`, r.id]))
    const out: Firing[] = []
    for (const row of rows) {
      const body = JSON.parse(row.body) as { state?: string; ruleId?: string; id?: string; alarmId?: string; level?: number }
      const atS = (row.time - originMs) / 1000
      // An escalation logs the alarm as raised again, one level up: not a new firing.
      if (row.kind === 'alarm' && body.state === 'raised' && !body.level && body.ruleId) out.push({ rule: body.ruleId, atS, how: 'alarm' })
      else if (row.kind === 'notify' && body.ruleId && !body.alarmId) out.push({ rule: body.ruleId, atS, how: 'notify' })
      else if (row.kind === 'command' && body.id) {
        const rule = byPrefix.get(body.id.slice(0, body.id.indexOf('.') + 1))
        if (rule) out.push({ rule, atS, how: 'command' })
      }
    }
    return out
  } finally {
    db.close()
  }
}

function timeline(list: Firing[], startAt: string): string {
  return list.map((f) => `  ${hhmm(clockS(startAt) + f.atS)}  ${f.how.padEnd(7)} ${f.rule}`).join('\n')
}

const running: ChildProcess[] = []
const gateways: ScenarioGateway[] = []
afterAll(async () => {
  await Promise.all(running.map((c) => stopProcess(c)))
  await Promise.all(gateways.map((g) => g.dispose()))
})

async function runDay(scenario: Scenario): Promise<{ fired: Firing[]; gateway: ScenarioGateway; simStderr: string }> {
  const originMs = scenarioOrigin(scenario, DAY_OF)
  const anchorMs = Date.now() + STARTUP_MS
  const simTime = formatSimTime({ originMs, anchorMs, speed: SPEED })
  const gateway = await startScenarioGateway(scenario, { env: { GATEWAY_CLOCK: 'simulated', TENDERO_SIM_TIME: simTime } })
  gateways.push(gateway)
  const sim = spawn(
    process.execPath,
    ['--import', 'tsx', 'simulator/src/main.ts', '--scenario', scenario.name, '--mqtt-url', `mqtt://127.0.0.1:${gateway.mqttPort}`, '--seed', '1', '--log-level', 'warn'],
    { cwd: REPO_ROOT, env: { PATH: process.env.PATH, TENDERO_SIM_TIME: simTime, SIM_DEVICE_PASSWORD: '{id}-demo' }, stdio: ['ignore', 'ignore', 'pipe'] },
  )
  running.push(sim)
  let simStderr = ''
  sim.stderr!.on('data', (d) => (simStderr += d))
  type Devices = { devices: { id: string; online: boolean; rejected: { total: number; byReason: Record<string, number> } }[] }
  const devices = async () =>
    (await (await fetch(`http://127.0.0.1:${gateway.apiPort}/api/devices`, { headers: { authorization: `Bearer ${gateway.apiToken}` } })).json()) as Devices
  const simulated = new Set(scenario.devices.map((d) => d.id))
  await until(
    async () => sim.exitCode === null && (await devices()).devices.filter((d) => simulated.has(d.id)).every((d) => d.online),
    `every device of ${scenario.name} online (simulator: ${simStderr})`,
    STARTUP_MS,
  )
  expect(Date.now(), 'the processes took longer to start than the clock waited for them').toBeLessThan(anchorMs)
  // The day, and a simulated 10 minutes for the last actions to land in the log.
  await new Promise((r) => setTimeout(r, anchorMs - Date.now() + ((DAY_S + 600) * 1000) / SPEED))
  expect(sim.exitCode, `the simulator died: ${simStderr}`).toBeNull()
  const rejected = (await devices()).devices.filter((d) => d.rejected.total > 0)
  expect(rejected, 'messages the gateway refused').toEqual([])
  await stopProcess(sim)
  await gateway.stop()
  return { fired: firings(gateway.dataDir, gateway.pack, originMs), gateway, simStderr }
}

describe('a simulated day of each scenario fires the rule packs where the scenario says', () => {
  it.concurrent.each(scenarioNames())(
    '%s',
    async (name) => {
      const scenario = loadScenario(name)
      const expectations = scenario.expect ?? []
      const { fired, gateway } = await runDay(scenario)
      const report = `${name}: what fired over the day (scenario clock)\n${timeline(fired, scenario.startAt)}`
      if (process.env.SCENARIO_DAY_REPORT) console.log(report)
      expect(expectations.length, `${name}.json has no "expect" entries\n${report}`).toBeGreaterThan(0)
      const ruleIds = new Set(gateway.pack.rules.map((r) => r.id))
      for (const e of expectations) {
        expect(ruleIds.has(e.rule), `${name}.json expects unknown rule ${e.rule}`).toBe(true)
        const [from, to] = windowOf(e, scenario.startAt)
        const hit = fired.some((f) => f.rule === e.rule && f.atS >= from && f.atS < to)
        expect(hit, `${e.rule} should fire between ${e.from} and ${e.to} (${e.note ?? ''})\n${report}`).toBe(true)
      }
      for (const f of fired.filter((x) => x.how === 'alarm')) {
        const covered = expectations.some((e) => {
          const [from, to] = windowOf(e, scenario.startAt)
          return e.rule === f.rule && f.atS >= from && f.atS < to
        })
        expect(covered, `alarm ${f.rule} at ${hhmm(clockS(scenario.startAt) + f.atS)} is in no "expect" window\n${report}`).toBe(true)
      }
    },
    STARTUP_MS + ((DAY_S + 600) * 1000) / SPEED + 60_000,
  )
})

import { readFileSync } from 'node:fs'
import { pino } from 'pino'
import { FaultInjector, parseFaultPlan, startPlanLinks, type FaultPlan } from '../faults/index.js'
import type { SimulatorConfig } from '../config.js'
import { SimulatorError } from '../errors.js'
import { formatSimTime } from '@tendero/protocol'
import { ScenarioRunner, scenarioOrigin } from './runner.js'
import { loadScenario, scenarioNames, type Scenario } from './schema.js'
import { DEFAULT_SCENARIO_TIME_ZONE, zonedClock } from './zoned-time.js'
import { createScenarioStatus } from './status.js'

/** `--list`: one scenario a line, name, devices and title. */
export function listScenarios(): string {
  return scenarioNames()
    .map((name) => {
      const s = loadScenario(name)
      return `${name.padEnd(22)} ${String(s.devices.length).padStart(2)} dispositivos  ${s.title}`
    })
    .join('\n')
}

/**
 * `--scenario <name>`: starts every device of the scenario and keeps a one-line status.
 * Never resolves: the process ends through SIGINT/SIGTERM or a fatal error.
 */
export async function runScenarioCli(config: SimulatorConfig): Promise<never> {
  const fail = (message: string): never => {
    process.stderr.write(`${message}\n`)
    process.exit(1)
  }
  if (config.list) {
    process.stdout.write(`${listScenarios()}\n`)
    process.exit(0)
  }
  if (config.scenario === undefined) return fail('--print-sim-time needs --scenario')
  let scenario: Scenario
  try {
    scenario = loadScenario(config.scenario)
  } catch (err) {
    return fail(err instanceof SimulatorError ? err.message : String(err))
  }
  const zone = scenario.timezone ?? DEFAULT_SCENARIO_TIME_ZONE
  // `now`: the shop's local time now, so the day's profiles and events match the wall clock.
  const startAt = config.startAt === 'now' ? zonedClock(Date.now(), zone) : config.startAt
  if (config.printSimTime) {
    // Starts now, at the scenario's start time today: run the gateway and this simulator with it.
    const spec = formatSimTime({ originMs: scenarioOrigin(scenario, Date.now(), startAt), anchorMs: Date.now(), speed: config.speed })
    process.stdout.write(`${spec}\n`)
    process.exit(0)
  }
  const tty = process.stdout.isTTY === true
  const logger = pino({ name: 'simulator', level: config.logLevel ?? (tty ? 'warn' : 'info') }, pino.destination(2))
  // A fault plan is read before the devices exist: a device with a partition fault reaches
  // the gateway through a link proxy of its own, which the plan's partitions then break.
  let plan: FaultPlan | undefined
  if (config.faults) {
    try {
      plan = parseFaultPlan(JSON.parse(readFileSync(config.faults, 'utf8')), '/faults', { deviceIds: scenario.devices.map((d) => d.id) })
    } catch (err) {
      return fail(`Invalid --faults ${config.faults}: ${err instanceof Error ? err.message : String(err)}`)
    }
  }
  const broker = new URL(config.mqttUrl)
  if (plan?.some((e) => e.kind === 'partition') && broker.protocol !== 'mqtt:' && broker.protocol !== 'tcp:')
    return fail(`partition faults need a plain mqtt:// broker URL, got ${config.mqttUrl}`)
  const planLinks = await startPlanLinks(plan ?? [], { upstreamHost: broker.hostname, upstreamPort: Number(broker.port || 1883), host: '127.0.0.1' })
  const links = new Map(Object.entries(planLinks.links))
  let runner: ScenarioRunner
  try {
    runner = new ScenarioRunner({
      scenario,
      mqttUrl: config.mqttUrl,
      mqttUrlFor: (id) => links.get(id)?.url,
      password: config.password,
      speed: config.speed,
      ...(config.simTime ? { simTime: config.simTime } : {}),
      ...(startAt !== undefined ? { startAt } : {}),
      seed: config.seed,
      logger,
      keepaliveS: config.keepaliveS,
      reconnectPeriodMs: config.reconnectMs,
    })
  } catch (err) {
    return fail(err instanceof SimulatorError ? err.message : String(err))
  }
  let injector: FaultInjector | undefined
  if (plan) {
    try {
      const faults = new FaultInjector({
        plan,
        seed: config.seed,
        clock: () => runner.simulatedS,
        logger,
        targets: Object.fromEntries(
          runner.nodes.map((n) => {
            const link = links.get(n.deviceId)
            return [n.deviceId, { setOffline: (off: boolean) => n.setPowered(!off), ...(link ? { link } : {}) }]
          }),
        ),
      })
      runner.setReadingFilter((deviceId, simS, readings) => faults.transform(deviceId, readings, simS))
      runner.setFaultCounter(() => faults.active().length)
      injector = faults
    } catch (err) {
      return fail(`Invalid --faults ${config.faults}: ${err instanceof Error ? err.message : String(err)}`)
    }
  }
  const status = createScenarioStatus(process.stdout, config.speed)
  const render = setInterval(() => status.update(runner.snapshot()), tty ? 250 : 1000)
  let stopping = false
  const shutdown = async (code: number, message?: string): Promise<void> => {
    if (stopping) return
    stopping = true
    clearInterval(render)
    status.done(code === 0 ? runner.snapshot() : undefined)
    await injector?.stop()
    await runner.stop()
    await planLinks.close()
    if (message) process.stderr.write(`${message}\n`)
    process.exit(code)
  }
  process.once('SIGINT', () => void shutdown(0))
  process.once('SIGTERM', () => void shutdown(0))
  runner.start().then(
    () => {
      injector?.start()
      status.update(runner.snapshot())
    },
    (err: unknown) => {
      if (err instanceof SimulatorError && err.code === 'SIM_STOPPED') return
      const hint = err instanceof SimulatorError && err.code === 'SIM_MQTT_REFUSED' ? ' (check --password; {id} is each device id)' : ''
      void shutdown(1, `Error: ${err instanceof Error ? err.message : String(err)}${hint}`)
    },
  )
  return new Promise<never>(() => {})
}

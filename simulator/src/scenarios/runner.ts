import { pino, type Logger } from 'pino'
import { simulatedNow, type SimulatedTime } from '@tendero/protocol'
import { ScenarioNode, type ScenarioNodeSnapshot } from '../devices/scenario-node.js'
import { devicePassword } from '../devices/cold-room-fleet.js'
import { SimulatorError } from '../errors.js'
import { buildPhysics, type Physics, type PhysicsEvent } from './physics.js'
import type { Scenario, ScheduledEvent } from './schema.js'
import { DEFAULT_SCENARIO_TIME_ZONE, zonedEpoch } from './zoned-time.js'

const DAY_S = 86_400

export interface ScenarioRunnerOptions {
  scenario: Scenario
  mqttUrl: string
  /** A device's own broker URL instead of `mqttUrl` (a link proxy for partition faults). */
  mqttUrlFor?: (deviceId: string) => string | undefined
  /** MQTT password template; `{id}` is each device's id, as for the cold-room fleet. */
  password: string
  /** Simulated seconds per real second (`simTime.speed` when that is given). */
  speed: number
  /**
   * The clock shared with a gateway on GATEWAY_CLOCK=simulated (TENDERO_SIM_TIME): the
   * scenario starts at `originMs` (which should be `startAt` in the scenario's zone,
   * `scenarioOrigin`), follows the shared line from the anchor, and every message is
   * stamped on it. Without it, messages carry the real time and the clock starts at `start()`.
   */
  simTime?: SimulatedTime
  /** Scenario clock at start, `HH:MM`, instead of the file's `startAt`. */
  startAt?: string
  /** Base seed; each device gets its own derived from it. */
  seed: number
  /** Real ms between clock ticks. Default: 30 simulated seconds a tick, between 20 and 250 ms. */
  tickMs?: number
  logger?: Logger
  keepaliveS?: number
  reconnectPeriodMs?: number
  now?: () => number
}

export interface ScenarioSnapshot {
  scenario: string
  devices: number
  online: number
  /** Simulated seconds since the start. */
  simulatedS: number
  /** Scenario clock, "HH:MM", and the day (1 = the first). */
  clock: string
  day: number
  /** Messages the broker acknowledged, all devices and channels. */
  sent: number
  faultsActive: number
  nodes: readonly ScenarioNodeSnapshot[]
}

interface Pending {
  atS: number
  /** Order among actions at the same instant: scenario order, undo after do. */
  order: number
  label: string
  apply: () => void
}

const clockSeconds = (hhmm: string): number => {
  const [h, m] = hhmm.split(':').map(Number) as [number, number]
  return h * 3600 + m * 60
}

const hhmm = (s: number): string => {
  const t = ((Math.floor(s) % DAY_S) + DAY_S) % DAY_S
  return `${String(Math.floor(t / 3600)).padStart(2, '0')}:${String(Math.floor((t % 3600) / 60)).padStart(2, '0')}`
}

/**
 * The simulated epoch at which a scenario starts: its `startAt` (or the one given) in its time
 * zone on the local day of `dayOf`. The origin of a TENDERO_SIM_TIME for it.
 */
export function scenarioOrigin(scenario: Scenario, dayOf: number = Date.now(), startAt: string = scenario.startAt): number {
  return zonedEpoch(startAt, scenario.timezone ?? DEFAULT_SCENARIO_TIME_ZONE, dayOf)
}

/**
 * Runs every device of a scenario on one simulated clock: each tick steps every physics
 * by the same simulated time (split at scheduled events, which repeat daily), then lets
 * each node publish what is due. `advance` is public so tests (and fault injection) can
 * drive the clock without timers.
 */
export class ScenarioRunner {
  readonly nodes: readonly ScenarioNode[]
  private readonly hosts = new Map<string, Physics>()
  /** Node id → the id of the device whose physics it reads. */
  private readonly hostOf = new Map<string, string>()
  private readonly byId = new Map<string, ScenarioNode>()
  private readonly startClockS: number
  private readonly log: Logger
  private pending: Pending[] = []
  private order = 0
  private simS = 0
  private timer: NodeJS.Timeout | null = null
  private faultCounter: () => number = () => 0
  private readonly speed: number

  constructor(private readonly options: ScenarioRunnerOptions) {
    const { scenario } = options
    this.speed = options.simTime?.speed ?? options.speed
    if (!(this.speed > 0)) throw new SimulatorError('SIM_CONFIG_INVALID', 'speed must be > 0')
    if (options.startAt !== undefined && !/^([01][0-9]|2[0-3]):[0-5][0-9]$/.test(options.startAt))
      throw new SimulatorError('SIM_CONFIG_INVALID', `start time must be HH:MM, got "${options.startAt}"`)
    this.log = options.logger ?? pino({ name: 'simulator' })
    this.startClockS = clockSeconds(options.startAt ?? scenario.startAt)
    const simTime = options.simTime
    // On shared simulated time every message is stamped on the scenario clock.
    const now = simTime ? () => simTime.originMs + this.simS * 1000 : options.now
    const nodes: ScenarioNode[] = []
    scenario.devices.forEach((device, index) => {
      const where = `${scenario.name}.json /devices/${index}`
      let physics: Physics
      if (device.model !== undefined) {
        physics = buildPhysics(
          {
            kind: device.model,
            preset: device.preset,
            params: device.params,
            init: device.init,
            startHour: this.startClockS / 3600,
            seed: (options.seed + index * 7919) >>> 0,
          },
          where,
        )
        this.hosts.set(device.id, physics)
        this.hostOf.set(device.id, device.id)
      } else {
        const hostId = device.of as string
        physics = this.hosts.get(hostId) ?? this.hostPhysicsAhead(hostId, index)
        this.hostOf.set(device.id, hostId)
      }
      const readings = device.readings ?? [...physics.readingNames]
      const relays = device.relays ?? [...physics.relayNames]
      readings.forEach((r, i) => {
        if (!physics.readingNames.includes(r))
          throw new SimulatorError('SIM_CONFIG_INVALID', `${where}/readings/${i}: model ${physics.kind} has no reading "${r}" (it has ${physics.readingNames.join(', ')})`)
      })
      relays.forEach((r, i) => {
        if (!physics.relayNames.includes(r))
          throw new SimulatorError('SIM_CONFIG_INVALID', `${where}/relays/${i}: model ${physics.kind} has no relay "${r}" (it has ${physics.relayNames.join(', ') || 'none'})`)
      })
      const node = new ScenarioNode({
        mqttUrl: options.mqttUrlFor?.(device.id) ?? options.mqttUrl,
        deviceId: device.id,
        password: devicePassword(options.password, device.id),
        physics,
        readings,
        relays,
        intervalS: device.intervalS,
        logger: this.log,
        ...(options.keepaliveS !== undefined ? { keepaliveS: options.keepaliveS } : {}),
        ...(options.reconnectPeriodMs !== undefined ? { reconnectPeriodMs: options.reconnectPeriodMs } : {}),
        ...(now ? { now } : {}),
      })
      nodes.push(node)
      this.byId.set(device.id, node)
    })
    this.nodes = nodes
    scenario.events.forEach((event, index) => this.checkEvent(event, index))
    this.scheduleDay(0)
  }

  /** Fault injection reports how many faults are active through this (shown in the status). */
  setFaultCounter(count: () => number): void {
    this.faultCounter = count
  }

  /**
   * Sensor fault hook: every node's readings pass through `filter` before they are
   * published (`SensorFaults.apply` has this shape). `undefined` removes it.
   */
  setReadingFilter(filter: ((deviceId: string, simS: number, readings: Record<string, number>) => Record<string, number>) | undefined): void {
    for (const node of this.nodes) node.setReadingFilter(filter && ((simS, readings) => filter(node.deviceId, simS, readings)))
  }

  /** The physics behind a device (its own or its host's), for fault injection and tests. */
  physicsOf(deviceId: string): Physics | undefined {
    const host = this.hostOf.get(deviceId)
    return host === undefined ? undefined : this.hosts.get(host)
  }

  node(deviceId: string): ScenarioNode | undefined {
    return this.byId.get(deviceId)
  }

  get simulatedS(): number {
    return this.simS
  }

  /**
   * Connects every device (resolves once all have); the clock runs at `speed` from the
   * call, or on the shared simulated time. Each tick moves the clock to where real time
   * says it should be, so a late timer (a busy machine) does not slow simulated time down.
   */
  async start(): Promise<void> {
    const tickMs = this.options.tickMs ?? Math.min(250, Math.max(20, Math.round(30_000 / this.speed)))
    const simTime = this.options.simTime ?? { originMs: 0, anchorMs: Date.now() - (this.simS * 1000) / this.speed, speed: this.speed }
    // After a stall, in steps of at most a normal tick's worth: devices keep publishing at
    // their interval through the gap instead of one reading for all of it.
    const maxStepS = (tickMs / 1000) * this.speed
    const catchUp = () => {
      const target = (simulatedNow(simTime) - simTime.originMs) / 1000
      while (target - this.simS > maxStepS) this.advance(maxStepS)
      if (target > this.simS) this.advance(target - this.simS)
    }
    catchUp()
    this.publishAll()
    this.timer = setInterval(catchUp, tickMs)
    await Promise.all(this.nodes.map((n) => n.start()))
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
    await Promise.all(this.nodes.map((n) => n.stop()))
  }

  /** Moves the scenario clock by `dtS` simulated seconds, applying scheduled events on time. */
  advance(dtS: number): void {
    if (!(dtS >= 0) || !Number.isFinite(dtS)) throw new RangeError(`advance needs a finite dt >= 0, got ${dtS}`)
    const target = this.simS + dtS
    for (;;) {
      const next = this.pending[0]
      if (!next || next.atS > target) break
      this.pending.shift()
      this.stepTo(next.atS)
      this.log.info({ at: hhmm(this.startClockS + next.atS), event: next.label }, 'scenario event')
      next.apply()
    }
    this.stepTo(target)
  }

  snapshot(): ScenarioSnapshot {
    const nodes = this.nodes.map((n) => n.snapshot())
    const clockS = this.startClockS + this.simS
    return {
      scenario: this.options.scenario.name,
      devices: nodes.length,
      online: nodes.filter((n) => n.connected).length,
      simulatedS: this.simS,
      clock: hhmm(clockS),
      day: Math.floor(clockS / DAY_S) + 1,
      sent: nodes.reduce((sum, n) => sum + n.sent.telemetry + n.sent.state + n.sent.event + n.sent.ack, 0),
      faultsActive: this.faultCounter(),
      nodes,
    }
  }

  private hostPhysicsAhead(hostId: string, index: number): never {
    throw new SimulatorError(
      'SIM_CONFIG_INVALID',
      `${this.options.scenario.name}.json /devices/${index}/of: "${hostId}" must come before the devices that share its physics`,
    )
  }

  private stepTo(targetS: number): void {
    const dt = targetS - this.simS
    if (dt > 0) for (const physics of this.hosts.values()) physics.step(dt)
    this.simS = Math.max(this.simS, targetS)
    this.publishAll()
  }

  private publishAll(): void {
    const events = new Map<string, PhysicsEvent[]>()
    for (const [id, physics] of this.hosts) events.set(id, physics.drainEvents())
    for (const node of this.nodes) node.publishDue(this.simS, node.deviceId === this.hostOf.get(node.deviceId) ? events.get(node.deviceId) : [])
  }

  private checkEvent(event: ScheduledEvent, index: number): void {
    const where = `${this.options.scenario.name}.json /events/${index}`
    const physics = this.physicsOf(event.device) as Physics
    if ((event.action === 'door.open' || event.action === 'door.close') && !physics.setDoor)
      throw new SimulatorError('SIM_CONFIG_INVALID', `${where}/action: ${physics.kind} has no door to open or close`)
    if (event.action === 'valve.set' && !physics.setValve)
      throw new SimulatorError('SIM_CONFIG_INVALID', `${where}/action: ${physics.kind} has no valve`)
    if ((event.action === 'rain.start' || event.action === 'rain.stop') && !physics.setRain)
      throw new SimulatorError('SIM_CONFIG_INVALID', `${where}/action: ${physics.kind} has no weather to rain on`)
    if (event.action === 'relay.set' && !physics.relayNames.includes(event.relay as string))
      throw new SimulatorError('SIM_CONFIG_INVALID', `${where}/relay: ${physics.kind} has no relay "${event.relay}"`)
  }

  /** Queues the day's scheduled events (day 0 = from the start), and the next day's refill. */
  private scheduleDay(day: number): void {
    const base = day * DAY_S
    this.options.scenario.events.forEach((event) => {
      const offset = (((clockSeconds(event.at) - this.startClockS) % DAY_S) + DAY_S) % DAY_S
      const at = base + offset
      this.push(at, `${event.device} ${event.action}`, () => this.apply(event, true))
      if (event.durationS !== undefined) this.push(at + event.durationS, `${event.device} ${event.action} (fin)`, () => this.apply(event, false))
    })
    this.push(base + DAY_S, 'next day', () => this.scheduleDay(day + 1))
  }

  private push(atS: number, label: string, apply: () => void): void {
    this.pending.push({ atS, order: this.order++, label, apply })
    this.pending.sort((a, b) => a.atS - b.atS || a.order - b.order)
  }

  /** Applies a scheduled event (`doing`) or its undo after `durationS`. */
  private apply(event: ScheduledEvent, doing: boolean): void {
    const node = this.byId.get(event.device) as ScenarioNode
    const physics = this.physicsOf(event.device) as Physics
    const isHost = this.hostOf.get(event.device) === event.device
    const power = (on: boolean) => {
      if (isHost) physics.setPowered(on)
      void node.setPowered(on)
    }
    switch (event.action) {
      case 'power.cut':
        return power(!doing)
      case 'power.restore':
        return power(doing)
      case 'door.open':
        physics.setDoor?.(doing)
        return
      case 'door.close':
        physics.setDoor?.(!doing)
        return
      case 'relay.set':
        physics.setRelay(event.relay as string, doing ? (event.on as boolean) : !event.on)
        return node.publishState()
      case 'valve.set':
        physics.setValve?.(doing ? (event.on as boolean) : !event.on)
        return node.publishState()
      case 'rain.start':
        physics.setRain?.(doing ? (event.mmH as number) : 0)
        return
      case 'rain.stop':
        if (doing) physics.setRain?.(0)
        return
    }
  }
}

import { connect, type MqttClient } from 'mqtt'
import { nodeClientOptions } from './mqtt-session.js'
import { pino, type Logger } from 'pino'
import { deviceTopic, isDeviceId, upstreamValidators, type UpstreamChannel } from '@tendero/protocol'
import { SimulatorError } from '../errors.js'
import { NodeCommands } from './node-commands.js'
import type { Physics } from '../scenarios/physics.js'

export interface ScenarioNodeOptions {
  mqttUrl: string
  /** Also the MQTT client id and username, as on a real node. */
  deviceId: string
  password: string
  /** The physics this node reads; several nodes may share one (a probe and a relay board in one room). */
  physics: Physics
  /** Readings this node publishes, a subset of `physics.readingNames`. */
  readings: readonly string[]
  /** Relays this node owns and obeys `relay.set` for, a subset of `physics.relayNames`. */
  relays: readonly string[]
  /** Simulated seconds between telemetry messages. */
  intervalS: number
  logger?: Logger
  reconnectPeriodMs?: number
  keepaliveS?: number
  /** Wall clock, epoch ms. */
  now?: () => number
}

export interface ScenarioNodeSnapshot {
  deviceId: string
  connected: boolean
  /** False during a scheduled power cut: the node is dark and off the network. */
  powered: boolean
  relays: Readonly<Record<string, boolean>>
  lastReadings: Readonly<Record<string, number>>
  sent: Readonly<Record<UpstreamChannel, number>>
  commands: Readonly<{ applied: number; refused: number; invalid: number }>
}

const SEQ_WRAP = 4_294_967_296
/** Readings sent as soon as they change, not only every interval: contacts. */
const REPORT_ON_CHANGE = /_open$/

/**
 * A generic ESP32-like node for scenarios: publishes its readings every `intervalS` of
 * simulated time and the physics' events as they happen, obeys and acks `relay.set` and
 * `failsafe.set`. Unlike ColdRoomNode it has no clock of its own: the scenario runner
 * steps the physics and calls `publishDue`, so every device shares one simulated time.
 */
export class ScenarioNode {
  private readonly log: Logger
  private readonly now: () => number
  private client: MqttClient | null = null
  private connected = false
  private everConnected = false
  private stopping = false
  private started = false
  private powered = true
  private seq = 0
  private nextDueS = 0
  private lastReadings: Record<string, number> = {}
  /** What the probes read at the last telemetry, before sensor faults: contacts are compared with it. */
  private lastRaw: Record<string, number> = {}
  private readonly sent: Record<UpstreamChannel, number> = { telemetry: 0, state: 0, event: 0, ack: 0 }
  private readonly commands: NodeCommands
  private readingFilter: ((simS: number, readings: Record<string, number>) => Record<string, number>) | undefined
  private firstConnect: { resolve: () => void; reject: (err: Error) => void } | null = null

  constructor(private readonly options: ScenarioNodeOptions) {
    if (!isDeviceId(options.deviceId)) throw new SimulatorError('SIM_CONFIG_INVALID', `invalid device id "${options.deviceId}"`)
    if (!(options.intervalS > 0)) throw new SimulatorError('SIM_CONFIG_INVALID', 'intervalS must be > 0')
    this.log = (options.logger ?? pino({ name: 'simulator' })).child({ deviceId: options.deviceId })
    this.now = options.now ?? Date.now
    this.commands = new NodeCommands({
      log: this.log,
      now: this.now,
      hasRelay: (name) => this.options.relays.includes(name),
      setRelay: (name, on) => this.options.physics.setRelay(name, on),
      setSetpoint: (name, value) => this.options.physics.setSetpoint?.(name, value) ?? false,
      ack: (ack) => this.publish('ack', ack),
      publishState: () => this.publishState(),
    })
  }

  get deviceId(): string {
    return this.options.deviceId
  }

  /** Connects; resolves on the first CONNACK, rejects with SIM_MQTT_REFUSED on bad credentials. */
  start(): Promise<void> {
    if (this.client) throw new Error('scenario node already started')
    const connected = new Promise<void>((resolve, reject) => {
      this.firstConnect = { resolve, reject }
    })
    this.started = true
    // Powered on in the dark (a scenario that starts inside a power cut): connect when power is back.
    if (this.powered) this.connectClient()
    return connected
  }

  async stop(): Promise<void> {
    this.stopping = true
    this.settleFirstConnect(new SimulatorError('SIM_STOPPED', 'stopped before connecting'))
    await this.disconnect()
  }

  /**
   * After the runner stepped the physics to `simS`: events go out at once, telemetry when its
   * interval is due. A dark (power-cut) node sends nothing; its events are lost, as on a real one.
   */
  publishDue(simS: number, events: ReadonlyArray<{ kind: string; data?: Record<string, unknown> }> = []): void {
    if (!this.powered) return
    for (const e of events) this.publish('event', { ts: this.now(), kind: e.kind, ...(e.data ? { data: e.data } : {}) })
    const all = this.options.physics.readings()
    // Contacts (door_open…) are reported the moment they change, as a node's interrupt
    // input does; everything else waits for its interval.
    const changed = this.options.readings.some((key) => REPORT_ON_CHANGE.test(key) && key in this.lastRaw && all[key] !== this.lastRaw[key])
    if (simS + 1e-9 < this.nextDueS && !changed) return
    this.nextDueS = simS + this.options.intervalS
    const readings: Record<string, number> = {}
    for (const key of this.options.readings) readings[key] = all[key] as number
    this.lastRaw = readings
    const sent = this.readingFilter ? this.readingFilter(simS, readings) : readings
    this.lastReadings = sent
    // A sensor fault may drop every reading of this message: nothing to send then.
    if (Object.keys(sent).length === 0) return
    this.publish('telemetry', { ts: this.now(), seq: this.seq, readings: sent })
    this.seq = (this.seq + 1) % SEQ_WRAP
  }

  /**
   * Hook for sensor fault injection: sees what the probes read (at simulated `simS`) and
   * returns what the node reports (offset, stuck, dropped metrics…).
   */
  setReadingFilter(filter: ((simS: number, readings: Record<string, number>) => Record<string, number>) | undefined): void {
    this.readingFilter = filter
  }

  /**
   * Mains off: the node goes dark (off the broker) and its relays drop; back on, it boots
   * with relays off and reconnects, publishing its state and a fresh reading.
   */
  async setPowered(on: boolean): Promise<void> {
    if (on === this.powered) return
    this.powered = on
    if (!on) {
      for (const relay of this.options.relays) this.options.physics.setRelay(relay, false)
      this.log.warn('power cut: node dark')
      await this.disconnect()
      return
    }
    this.log.info('power back: node booting')
    this.nextDueS = 0
    if (this.started && !this.stopping) this.connectClient()
  }

  snapshot(): ScenarioNodeSnapshot {
    return Object.freeze({
      deviceId: this.options.deviceId,
      connected: this.connected,
      powered: this.powered,
      relays: Object.freeze(this.relayState()),
      lastReadings: Object.freeze({ ...this.lastReadings }),
      sent: Object.freeze({ ...this.sent }),
      commands: Object.freeze({ ...this.commands.counts }),
    })
  }

  private relayState(): Record<string, boolean> {
    return Object.fromEntries(this.options.relays.map((r) => [r, this.options.physics.relay(r)]))
  }

  private connectClient(): void {
    const { deviceId } = this.options
    const clientOptions = nodeClientOptions(this.options)
    const client = connect(this.options.mqttUrl, clientOptions)
    this.client = client
    client.on('connect', () => this.onConnect(client))
    client.on('close', () => {
      if (this.connected && !this.stopping && this.powered) this.enterFailsafe()
      this.connected = false
    })
    client.on('error', (err: Error & { code?: unknown }) => {
      if (typeof err.code === 'number' && !this.everConnected) {
        this.settleFirstConnect(new SimulatorError('SIM_MQTT_REFUSED', `MQTT broker ${this.options.mqttUrl} refused device ${deviceId} (CONNACK ${err.code})`))
        client.end(true)
        return
      }
      this.log.debug({ err: err.message }, 'mqtt error, will retry')
    })
    client.on('message', (topic, payload) => {
      if (topic === deviceTopic(deviceId, 'cmd')) this.commands.handle(payload)
    })
  }

  private async disconnect(): Promise<void> {
    const client = this.client
    this.client = null
    this.connected = false
    if (!client) return
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        client.stream?.destroy()
        resolve()
      }, 2000)
      client.end(false, {}, () => {
        clearTimeout(force)
        resolve()
      })
    })
  }

  private onConnect(client: MqttClient): void {
    if (client !== this.client) return
    this.connected = true
    this.everConnected = true
    client.options.reconnectOnConnackError = true
    const cmdTopic = deviceTopic(this.options.deviceId, 'cmd')
    client.subscribe(cmdTopic, { qos: 1 }, (err) => {
      if (err) this.log.error({ err, topic: cmdTopic }, 'subscribe failed')
      else this.settleFirstConnect()
    })
    this.publishState()
  }

  private settleFirstConnect(err?: Error): void {
    const pending = this.firstConnect
    if (!pending) return
    this.firstConnect = null
    if (err) pending.reject(err)
    else pending.resolve()
  }

  /** Lost the gateway: owned relays go to their safe state (a duty cycle is held as is here). */
  private enterFailsafe(): void {
    for (const relay of this.options.relays) {
      const spec = this.commands.failsafeOf(relay)
      if (spec.mode !== 'duty') this.options.physics.setRelay(relay, spec.mode === 'on')
    }
    this.log.warn('lost the gateway: fail-safe')
  }

  /** Relay changes made by the scenario (not by a command) are reported too. */
  publishState(): void {
    if (this.options.relays.length === 0) return
    this.publish('state', { ts: this.now(), state: { ...this.relayState() } })
  }

  /** Checked against the protocol before it leaves, as the gateway will check it. */
  private publish(channel: UpstreamChannel, payload: unknown): void {
    const validator = upstreamValidators[channel]
    if (!validator.check(payload)) {
      this.log.error({ channel, reasons: validator.explain(payload) }, 'not publishing a payload the protocol rejects')
      return
    }
    const client = this.client
    if (!client || !this.powered) return
    client.publish(deviceTopic(this.options.deviceId, channel), JSON.stringify(payload), { qos: 1 }, (err) => {
      if (!err) this.sent[channel] += 1
    })
  }
}

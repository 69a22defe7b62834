import { connect, type MqttClient } from 'mqtt'
import { nodeClientOptions } from './mqtt-session.js'
import { pino, type Logger } from 'pino'
import { deviceTopic, isDeviceId, upstreamValidators, type UpstreamChannel } from '@tendero/protocol'
import { ColdRoomModel } from '../models/cold-room.js'
import { SimulatorError } from '../errors.js'
import { DutyCycle, advanceWithDutyCycles, type FailsafeSpec } from './failsafe.js'
import { NodeCommands } from './node-commands.js'

export interface ColdRoomNodeOptions {
  /** e.g. `mqtt://127.0.0.1:1883` (the gateway's broker). */
  mqttUrl: string
  /** Also the MQTT client id and username, as on a real node. */
  deviceId: string
  password: string
  /** Real time between telemetry messages, ms. Default 2000. */
  intervalMs?: number
  /** Simulated seconds per real second. Default 1. */
  speed?: number
  /** The physics; build one with `new ColdRoomModel(params, init)`. Default: default parameters. */
  model?: ColdRoomModel
  logger?: Logger
  /** Delay between reconnection attempts, ms. Default 2000. */
  reconnectPeriodMs?: number
  /**
   * MQTT keepalive, s. Default 10. A silent link (cable cut, gateway frozen) is noticed
   * after 1.5 × this, and the node goes into fail-safe; a closed socket is noticed at once.
   */
  keepaliveS?: number
  /**
   * Relays beside the compressor that this node drives without physics (a valve, lights),
   * name → initial state. They take `relay.set` and `failsafe.set` like the compressor.
   */
  extraRelays?: Record<string, boolean>
  /** Wall clock, epoch ms; tests may pin it. */
  now?: () => number
  /**
   * Called once per message the broker acknowledged (PUBACK), with the payload as sent.
   * A crash test uses it to know which readings the gateway vouched for.
   */
  onAcknowledged?: (channel: UpstreamChannel, payload: unknown) => void
}

export type SentCounts = Record<UpstreamChannel, number>

export interface ColdRoomNodeSnapshot {
  deviceId: string
  connected: boolean
  /** The probe reading, °C (0.1 °C resolution). */
  temperatureC: number
  compressor: boolean
  /** The extra relays (`extraRelays`), name → energised. */
  relays: Readonly<Record<string, boolean>>
  /** True while the node runs its relays on its own, having lost the gateway. */
  failsafe: boolean
  /** The safe state of every relay, as the gateway last set it (or the default, off). */
  failsafes: Readonly<Record<string, FailsafeSpec>>
  doorOpen: boolean
  doorOpenings: number
  simulatedS: number
  /** Messages the broker acknowledged (PUBACK), per channel. */
  sent: Readonly<SentCounts>
  commands: Readonly<{ applied: number; refused: number; invalid: number }>
}

/**
 * What the node reports, declared as data: adding a reading is one entry. Booleans go
 * out as 0/1 (protocol README, Telemetry).
 */
const readings: ReadonlyArray<{ key: string; value: (model: ColdRoomModel) => number }> = [
  { key: 'temperature_c', value: (m) => m.sensorC },
  { key: 'door_open', value: (m) => (m.doorOpen ? 1 : 0) },
]

const COMPRESSOR = 'compressor'
/** MQTT 3.1.1 CONNACK return codes [MQTT-3.2.2.3]; 4 and 5 are what a wrong password gets. */
const CONNACK_REFUSALS: Record<number, string> = {
  1: 'unacceptable protocol version',
  2: 'client id rejected',
  3: 'server unavailable',
  4: 'bad username or password',
  5: 'not authorized',
}
const SEQ_WRAP = 4_294_967_296

/**
 * An ESP32 cold-room node: a temperature probe, a door contact and the compressor relay.
 * Physics runs on its own timer whether or not the broker is reachable; QoS 1 messages
 * published while offline are held by mqtt.js and sent on reconnect.
 */
export class ColdRoomNode {
  readonly model: ColdRoomModel
  private readonly log: Logger
  private readonly intervalMs: number
  private readonly speed: number
  private readonly now: () => number
  private client: MqttClient | null = null
  private timer: NodeJS.Timeout | null = null
  private connected = false
  private everConnected = false
  private errorsSinceConnect = 0
  private stopping = false
  private seq = 0
  private readonly sent: SentCounts = { telemetry: 0, state: 0, event: 0, ack: 0 }
  private readonly commands: NodeCommands
  private firstConnect: { resolve: () => void; reject: (err: Error) => void } | null = null
  /** Relays other than the compressor (which lives in the model). */
  private readonly relays: Map<string, boolean>
  /** Non-null while in fail-safe: the duty cycles running, by relay. */
  private duty: Map<string, DutyCycle> | null = null

  constructor(private readonly options: ColdRoomNodeOptions) {
    if (!isDeviceId(options.deviceId)) throw new SimulatorError('SIM_CONFIG_INVALID', `invalid device id "${options.deviceId}"`)
    this.intervalMs = options.intervalMs ?? 2000
    this.speed = options.speed ?? 1
    if (!(this.intervalMs > 0) || !(this.speed > 0)) {
      throw new SimulatorError('SIM_CONFIG_INVALID', 'intervalMs and speed must be > 0')
    }
    this.model = options.model ?? new ColdRoomModel()
    this.log = (options.logger ?? pino({ name: 'simulator' })).child({ deviceId: options.deviceId })
    this.now = options.now ?? Date.now
    this.relays = new Map(Object.entries(options.extraRelays ?? {}))
    if (this.relays.has(COMPRESSOR)) throw new SimulatorError('SIM_CONFIG_INVALID', 'extraRelays must not name the compressor')
    this.commands = new NodeCommands({
      log: this.log,
      now: this.now,
      hasRelay: (name) => this.hasRelay(name),
      setRelay: (name, on) => this.setRelay(name, on),
      ack: (ack) => this.publish('ack', ack),
      publishState: () => this.publishState(),
    })
  }

  /**
   * Connect and start the physics clock. Resolves on the first CONNACK; rejects with
   * SIM_MQTT_REFUSED if the broker refuses the credentials. An unreachable broker is not
   * an error: the node keeps retrying, like a node powered on before its gateway.
   */
  start(): Promise<void> {
    if (this.client) throw new Error('cold room node already started')
    const { deviceId } = this.options
    const clientOptions = nodeClientOptions(this.options)
    const connected = new Promise<void>((resolve, reject) => {
      this.firstConnect = { resolve, reject }
    })
    const client = connect(this.options.mqttUrl, clientOptions)
    this.client = client
    client.on('connect', () => this.onConnect())
    // 'close' covers every way a link ends: socket closed by the peer, keepalive expired
    // (mqtt.js destroys the stream), network error. 'offline' follows it.
    client.on('close', () => {
      if (this.connected && !this.stopping) {
        this.log.warn('disconnected from broker')
        this.enterFailsafe()
      }
      this.connected = false
    })
    client.on('error', (err) => this.onError(err))
    client.on('message', (topic, payload) => {
      if (topic === deviceTopic(deviceId, 'cmd')) this.commands.handle(payload)
    })
    // Like firmware after boot: take the first reading right away, then every interval.
    this.tick(0)
    this.timer = setInterval(() => this.tick((this.intervalMs / 1000) * this.speed), this.intervalMs)
    return connected
  }

  async stop(): Promise<void> {
    this.stopping = true
    if (this.timer) clearInterval(this.timer)
    this.timer = null
    const client = this.client
    if (!client) return
    this.settleFirstConnect(new SimulatorError('SIM_STOPPED', 'stopped before connecting'))
    // A graceful end waits for in-flight QoS 1 PUBACKs; offline there is nothing to wait
    // for, and a broker that stopped answering must not hold shutdown for ever.
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        client.stream?.destroy()
        resolve()
      }, 2000)
      client.end(!this.connected, {}, () => {
        clearTimeout(force)
        resolve()
      })
    })
    this.connected = false
  }

  snapshot(): ColdRoomNodeSnapshot {
    const m = this.model
    return Object.freeze({
      deviceId: this.options.deviceId,
      connected: this.connected,
      temperatureC: m.sensorC,
      compressor: m.compressorOn,
      relays: Object.freeze(Object.fromEntries(this.relays)),
      failsafe: this.duty !== null,
      failsafes: Object.freeze(Object.fromEntries(this.relayNames().map((r) => [r, this.failsafeOf(r)]))),
      doorOpen: m.doorOpen,
      doorOpenings: m.snapshot().doorOpenings,
      simulatedS: m.elapsedS,
      sent: Object.freeze({ ...this.sent }),
      commands: Object.freeze({ ...this.commands.counts }),
    })
  }

  private onConnect(): void {
    const client = this.client
    if (!client) return
    this.connected = true
    this.everConnected = true
    this.errorsSinceConnect = 0
    // After a good session, a later refusal (password rotated at the gateway) should be
    // retried like any other outage rather than silencing the node for good.
    client.options.reconnectOnConnackError = true
    this.log.info({ mqttUrl: this.options.mqttUrl }, 'connected to broker')
    // Back in touch: the relays stay as they are until the gateway says otherwise.
    if (this.duty) {
      this.duty = null
      this.log.warn({ compressor: this.model.compressorOn }, 'fail-safe ended, relays held')
    }
    const cmdTopic = deviceTopic(this.options.deviceId, 'cmd')
    client.subscribe(cmdTopic, { qos: 1 }, (err) => {
      if (err) this.log.error({ err, topic: cmdTopic }, 'subscribe failed')
      // Resolve only once commands can reach us, so callers may send one right away.
      else this.settleFirstConnect()
    })
    this.publishState()
  }

  private onError(err: Error & { code?: unknown }): void {
    const reason = typeof err.code === 'number' ? CONNACK_REFUSALS[err.code] : undefined
    if (reason && !this.everConnected) {
      // Not logged here: the rejected start() carries it and the caller decides how to say it.
      this.settleFirstConnect(
        new SimulatorError('SIM_MQTT_REFUSED', `MQTT broker ${this.options.mqttUrl} refused device ${this.options.deviceId}: ${reason}`),
      )
      this.client?.end(true)
      return
    }
    // A node retrying every 2 s against a dead broker would flood the log: say it once per outage.
    const level = this.errorsSinceConnect++ === 0 ? 'warn' : 'debug'
    this.log[level]({ err: err.message, code: err.code }, 'mqtt error, will retry')
  }

  private settleFirstConnect(err?: Error): void {
    const pending = this.firstConnect
    if (!pending) return
    this.firstConnect = null
    if (err) pending.reject(err)
    else pending.resolve()
  }

  private tick(dtS: number): void {
    const { doorOpenedAt, switched } = this.advance(dtS)
    if (switched) this.publishState()
    for (const _ of doorOpenedAt) this.publish('event', { ts: this.now(), kind: 'door.opened' })
    const values: Record<string, number> = {}
    for (const reading of readings) values[reading.key] = reading.value(this.model)
    this.publish('telemetry', { ts: this.now(), seq: this.seq, readings: values })
    this.seq = (this.seq + 1) % SEQ_WRAP
  }

  private relayNames(): string[] {
    return [COMPRESSOR, ...this.relays.keys()]
  }

  private hasRelay(name: string): boolean {
    return name === COMPRESSOR || this.relays.has(name)
  }

  private relayOn(name: string): boolean {
    return name === COMPRESSOR ? this.model.compressorOn : this.relays.get(name) === true
  }

  private setRelay(name: string, on: boolean): void {
    if (name === COMPRESSOR) this.model.setCompressor(on)
    else this.relays.set(name, on)
  }

  private failsafeOf(name: string): FailsafeSpec {
    return this.commands.failsafeOf(name)
  }

  /** The link to the gateway is gone: every relay goes to its safe state, by itself. */
  private enterFailsafe(): void {
    if (this.duty) return
    const duty = new Map<string, DutyCycle>()
    for (const relay of this.relayNames()) {
      const spec = this.failsafeOf(relay)
      if (spec.mode === 'duty') duty.set(relay, new DutyCycle(spec, this.relayOn(relay)))
      else this.setRelay(relay, spec.mode === 'on')
    }
    this.duty = duty
    this.log.warn({ failsafes: Object.fromEntries(this.relayNames().map((r) => [r, this.failsafeOf(r)])) }, 'lost the gateway: fail-safe')
    // Queued by mqtt.js and delivered on reconnect, so the gateway learns what happened.
    this.publishState()
  }

  private advance(dtS: number): { doorOpenedAt: number[]; switched: boolean } {
    return advanceWithDutyCycles(this.model, this.duty ?? [], (relay, on) => this.setRelay(relay, on), dtS)
  }

  private publishState(): void {
    const relays = Object.fromEntries(this.relays)
    this.publish('state', { ts: this.now(), state: { compressor: this.model.compressorOn, ...relays, failsafe: this.duty !== null } })
  }

  /** Every payload is checked against the protocol before it leaves, as the gateway will. */
  private publish(channel: UpstreamChannel, payload: unknown): void {
    const validator = upstreamValidators[channel]
    if (!validator.check(payload)) {
      this.log.error({ channel, reasons: validator.explain(payload) }, 'not publishing a payload the protocol rejects')
      return
    }
    this.send(channel, JSON.stringify(payload), payload)
  }

  private send(channel: UpstreamChannel, text: string, payload: unknown): void {
    const client = this.client
    if (!client) return
    client.publish(deviceTopic(this.options.deviceId, channel), text, { qos: 1 }, (err) => {
      if (err) {
        // mqtt.js holds what it had sent, but a publish it had only queued (behind the
        // messages it resends after a reconnect) is dropped with "Connection closed" when
        // that connection ends too. A node keeps its readings: queue it again once mqtt.js
        // has finished dropping, so it lands behind everything it still holds, in order.
        if (!this.stopping && /connection closed/i.test(err.message)) {
          this.log.debug({ channel }, 'publish dropped by a closed connection, queued again')
          queueMicrotask(() => this.send(channel, text, payload))
          return
        }
        this.log.debug({ channel, err: err.message }, 'publish not acknowledged')
        return
      }
      this.sent[channel] += 1
      this.options.onAcknowledged?.(channel, payload)
    })
  }
}

/** Build a node and start it. The returned promise settles like `ColdRoomNode.start()`. */
export async function startColdRoomNode(options: ColdRoomNodeOptions): Promise<ColdRoomNode> {
  const node = new ColdRoomNode(options)
  try {
    await node.start()
  } catch (err) {
    await node.stop()
    throw err
  }
  return node
}

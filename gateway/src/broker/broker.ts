import { Aedes, type AuthenticateError, type Client, type PublishPacket } from 'aedes'
import type { Logger } from 'pino'
import { deviceTopic, upstreamValidators, type Command, type LogEvent } from '@tendero/protocol'
import type { DeviceConfig, ServiceConfig } from '../config.js'
import { GatewayError } from '../errors.js'
import type { EventLog } from '../log/event-log.js'
import { maySubscribe, publishChannel, serviceMaySubscribe } from './acl.js'
import { burnVerification, verifyPassword } from './passwords.js'
import { DEFAULT_SECURITY, TokenBucket, effectiveLimits, type SecurityConfig } from './device-limits.js'
import { listenTcp, listenTls, listenWebSocket, type Listener, type TlsFiles } from './listeners.js'
import { checkMessage } from './message-check.js'
import { Rejections, type ConnectRefusal, type RejectReason } from './rejections.js'
import { RedeliveryFilter } from './redelivery.js'

export interface DeviceBrokerOptions {
  devices: DeviceConfig[]
  /** Read-only local clients such as Node-RED (config.ts `services`). */
  services?: ServiceConfig[]
  log: EventLog
  logger: Logger
  /** Called with events once they are committed to the log (feeds the rules engine). */
  onCommitted: (events: LogEvent[]) => void
  /**
   * Device session changes, for fail-safe states and online/offline (src/failsafe/):
   * `commandsReady` once the session holds a cmd subscription; `connection` is the Aedes
   * client object, to tell two sessions of one device id apart.
   */
  onDeviceLink?: (deviceId: string, change: 'connected' | 'commandsReady' | 'disconnected', connection: object) => void
  /** Rate limit, payload size and timestamp bounds; `devices[].limits` override per device. */
  security?: Partial<SecurityConfig>
  /** Wall clock (epoch ms) for rate limits and timestamp checks. */
  now?: () => number
  /** Device timestamps are checked only while this says the gateway clock is right. */
  clockSynced?: () => boolean
}

/** Errors Aedes raises itself, before our hooks, for a PUBLISH it will not take (lib/handlers/publish.js). */
const AEDES_TOPIC_ERRORS: [RegExp, RejectReason][] = [
  [/^[+#] is not allowed in PUBLISH$/, 'wildcard_topic'],
  [/^empty topic not allowed in PUBLISH$|^topic has too many levels$/, 'bad_topic'],
]

// CONNACK return codes, MQTT 3.1.1 section 3.2.2.3.
const IDENTIFIER_REJECTED = 2
const BAD_USERNAME_OR_PASSWORD = 4

function authError(returnCode: number, message: string): AuthenticateError {
  return Object.assign(new Error(message), { returnCode }) as AuthenticateError
}

/**
 * The embedded Aedes broker: authenticates devices against the site registry, enforces
 * the topic ACL, validates every upstream payload and writes it to the durable log
 * before the device gets its PUBACK.
 */
export class DeviceBroker {
  private aedes: Aedes | undefined
  private starting: Promise<Aedes> | undefined
  private listeners: Listener[] = []
  private readonly devices: Map<string, DeviceConfig>
  private readonly services: Map<string, ServiceConfig>
  private readonly logger: Logger
  private readonly security: SecurityConfig
  private readonly now: () => number
  private readonly rejections: Rejections
  /** Per device: its token bucket and payload limit, built on its first message. */
  private readonly limits = new Map<string, { bucket: TokenBucket; maxPayloadBytes: number }>()
  /** Readings already logged, so a device's resend after a lost PUBACK is not logged twice. */
  private readonly redeliveries = new RedeliveryFilter()

  constructor(private readonly opts: DeviceBrokerOptions) {
    this.devices = new Map(opts.devices.map((d) => [d.id, d]))
    this.services = new Map((opts.services ?? []).map((svc) => [svc.id, svc]))
    this.logger = opts.logger
    this.security = { ...DEFAULT_SECURITY, ...opts.security }
    this.now = opts.now ?? Date.now
    this.rejections = new Rejections(this.logger, this.now)
    this.redeliveries.seed(opts.log, opts.devices.length)
  }

  /** Starts the broker and its TCP listener; resolves with the bound port (0 picks a free one). */
  async listen(port: number, host: string): Promise<number> {
    return this.addListener(listenTcp(this.handler(await this.start()), port, host))
  }

  /** MQTT over TLS on a second port; same broker, same authentication and ACL. */
  async listenTls(port: number, host: string, tls: TlsFiles): Promise<number> {
    return this.addListener(listenTls(this.handler(await this.start()), port, host, tls))
  }

  /** MQTT over WebSocket for on-site browsers; same broker, same authentication and ACL. */
  async listenWebSocket(port: number, host: string): Promise<number> {
    return this.addListener(listenWebSocket(this.handler(await this.start()), port, host))
  }

  private async addListener(listening: Promise<Listener>): Promise<number> {
    const listener = await listening
    this.listeners.push(listener)
    return listener.port
  }

  private handler(aedes: Aedes) {
    return (stream: Parameters<Aedes['handle']>[0], req?: Parameters<Aedes['handle']>[1]) => aedes.handle(stream, req)
  }

  private start(): Promise<Aedes> {
    this.starting ??= this.createAedes()
    return this.starting
  }

  private async createAedes(): Promise<Aedes> {
    const aedes = await Aedes.createBroker({
      id: 'tendero-gateway',
      // Device ids are up to 64 characters (protocol DEVICE_ID_PATTERN).
      maxClientsIdLength: 64,
      authenticate: (client, username, password, done) => {
        this.authenticate(client, username, password).then(
          () => done(null, true),
          (err: AuthenticateError) => done(err, false),
        )
      },
      authorizePublish: (client, packet, done) => this.authorizePublish(client, packet, done),
      authorizeSubscribe: (client, sub, done) => {
        const allowed = this.services.has(client.id) ? serviceMaySubscribe(sub.topic) : maySubscribe(client.id, sub.topic)
        if (allowed) return done(null, sub)
        this.logger.warn({ deviceId: client.id, topic: sub.topic }, 'subscription refused by ACL')
        // A null subscription is SUBACK 0x80 for that topic; the device stays connected.
        done(null, null)
      },
      // Devices only ever receive their own commands, whatever else flows through the broker.
      // Devices only ever receive their own commands; services get what they subscribed to.
      authorizeForward: (client, packet) =>
        this.services.has(client.id) || packet.topic === deviceTopic(client.id, 'cmd') ? packet : null,
    })
    this.aedes = aedes
    aedes.on('clientError', (client, err) => {
      const topicError = AEDES_TOPIC_ERRORS.find(([pattern]) => pattern.test(err.message))
      // Aedes refuses these before authorizePublish and closes the connection; count them here.
      if (topicError && this.devices.has(client.id)) this.rejections.record(client.id, topicError[1], { detail: err.message })
      else this.logger.warn({ deviceId: client.id, err: err.message }, 'device connection error')
    })
    const link = this.opts.onDeviceLink
    if (link) {
      const cmdTopic = (client: Client) => deviceTopic(client.id, 'cmd')
      aedes.on('clientReady', (client) => {
        link(client.id, 'connected', client)
        // A persistent session comes back with its subscriptions restored, and Aedes
        // emits no 'subscribe' for those (lib/client.js keeps them; the typings omit it).
        const restored = (client as Client & { subscriptions?: Record<string, unknown> }).subscriptions
        if (restored?.[cmdTopic(client)]) link(client.id, 'commandsReady', client)
      })
      aedes.on('subscribe', (subs, client) => {
        if (subs.some((s) => s.topic === cmdTopic(client) && (s.qos as number) !== 128)) link(client.id, 'commandsReady', client)
      })
      aedes.on('clientDisconnect', (client) => link(client.id, 'disconnected', client))
    }
    return aedes
  }

  async close(): Promise<void> {
    const { starting, listeners } = this
    this.aedes = undefined
    this.starting = undefined
    this.listeners = []
    const aedes = await starting?.catch(() => undefined)
    await new Promise<void>((resolve) => (aedes ? aedes.close(() => resolve()) : resolve()))
    await Promise.all(listeners.map((l) => l.close()))
  }

  clientCount(): number {
    return this.aedes?.connectedClients ?? 0
  }

  /** Messages refused per device since start, all reasons together. */
  rejectedCounts(): Record<string, number> {
    return this.rejections.totals()
  }

  /** Messages refused per device and reason since start, e.g. `{ "camara-1": { "bad_json": 3 } }`. */
  rejectionsByReason(): Record<string, Partial<Record<RejectReason, number>>> {
    return this.rejections.byReason()
  }

  /** Connections refused at CONNACK since start, by reason (not per device: the id is the client's claim). */
  connectRefusals(): Partial<Record<ConnectRefusal, number>> {
    return this.rejections.connectRefusals()
  }

  /** Publishes a command QoS 1 on the device's cmd topic. */
  publishCommand(deviceId: string, command: Command): Promise<void> {
    return this.publish(deviceTopic(deviceId, 'cmd'), JSON.stringify(command))
  }

  /** Publishes QoS 1 as the gateway itself (commands, rule `publish` actions for services). */
  publish(topic: string, payload: string): Promise<void> {
    const aedes = this.aedes
    if (!aedes) return Promise.reject(new GatewayError('BROKER_ERR_ACL', 'broker is not running'))
    const packet = { cmd: 'publish' as const, topic, payload: Buffer.from(payload), qos: 1 as const, retain: false, dup: false }
    return new Promise((resolve, reject) => aedes.publish(packet, (err) => (err ? reject(err) : resolve())))
  }

  private async authenticate(client: Client, username: string | undefined, password: Buffer | undefined): Promise<void> {
    const deviceId = client.id
    const secret = password?.toString('utf8') ?? ''
    // No anonymous devices: the client id, the username and a registry entry must all agree.
    if (username !== deviceId) {
      this.rejections.refuseConnect('bad_client_id')
      this.logger.warn({ deviceId, username }, 'device refused: username must equal client id')
      throw authError(IDENTIFIER_REJECTED, 'username must equal client id')
    }
    const device = this.devices.get(deviceId) ?? this.services.get(deviceId)
    if (!device) {
      await burnVerification(secret)
      this.rejections.refuseConnect('unknown_device')
      this.logger.warn({ deviceId }, 'device refused: unknown device')
      throw authError(BAD_USERNAME_OR_PASSWORD, 'bad user name or password')
    }
    if (device.passwordHash === undefined) {
      // A Modbus device without a hash is polled, never logged in. Same cost and same
      // CONNACK as a wrong password, so a client learns nothing about which ids these are.
      await burnVerification(secret)
      this.rejections.refuseConnect('bad_password')
      this.logger.warn({ deviceId }, 'device refused: no MQTT password (Modbus or Firmata device without passwordHash)')
      throw authError(BAD_USERNAME_OR_PASSWORD, 'bad user name or password')
    }
    if (!(await verifyPassword(secret, device.passwordHash))) {
      this.rejections.refuseConnect('bad_password')
      this.logger.warn({ deviceId }, 'device refused: wrong password')
      throw authError(BAD_USERNAME_OR_PASSWORD, 'bad user name or password')
    }
    this.logger.info({ deviceId }, 'device connected')
  }

  private limitsFor(deviceId: string, now: number): { bucket: TokenBucket; maxPayloadBytes: number } {
    let limits = this.limits.get(deviceId)
    if (!limits) {
      const l = effectiveLimits(this.security, this.devices.get(deviceId)?.limits)
      limits = { bucket: new TokenBucket(l.messagesPerSecond, l.burst, now), maxPayloadBytes: l.maxPayloadBytes }
      this.limits.set(deviceId, limits)
    }
    return limits
  }

  /**
   * The message pipeline. Aedes calls this before it PUBACKs a QoS 1 message
   * (lib/handlers/publish.js: authorizePublish, then enqueuePublish writes the PUBACK),
   * so calling `done` only after the log commit is what makes the ack mean "on disk".
   *
   * Refusing with an error makes Aedes emit clientError and close the connection: MQTT
   * 3.1.1 has no negative PUBACK, and [MQTT-3.3.5-2] lets a server that refuses a
   * PUBLISH either acknowledge it positively or close the connection. We use both:
   *  - Topic violations (a wildcard, another device's topic, a cmd topic) close the
   *    connection: the client is misconfigured or hostile, and should be loud about it.
   *  - Anything wrong with the message itself (rate limit, size, JSON, schema, NaN or
   *    Infinity, a timestamp far off the gateway clock) is acknowledged and dropped.
   *    Closing would make a device with a persistent session resend the same poison
   *    message after every reconnect, blocking its valid readings behind it forever.
   * Every refusal is counted per device and reason and logged (at most once a second
   * per device and reason). None reaches the log or another client (authorizeForward
   * only delivers cmd).
   */
  private authorizePublish(client: Client | null, packet: PublishPacket, done: (err?: Error | null) => void): void {
    // client is null only for a will left by a client of a previous broker instance.
    if (!client) return done(new GatewayError('BROKER_ERR_ACL', 'publish without a client'))
    const deviceId = client.id
    const topic = packet.topic
    if (this.services.has(deviceId)) {
      this.rejections.record(deviceId, 'acl', { topic })
      return done(new GatewayError('BROKER_ERR_ACL', `service ${deviceId} may not publish`))
    }
    // Aedes already refuses these before this hook; kept so the ACL never depends on it.
    if (topic.includes('+') || topic.includes('#')) {
      this.rejections.record(deviceId, 'wildcard_topic', { topic })
      return done(new GatewayError('BROKER_ERR_ACL', `wildcards are not allowed in a publish topic`))
    }
    const channel = publishChannel(deviceId, topic)
    if (!channel) {
      this.rejections.record(deviceId, 'acl', { topic })
      return done(new GatewayError('BROKER_ERR_ACL', `device ${deviceId} may not publish to ${topic}`))
    }
    // The gateway keeps the last state itself; a retained copy would only be replayed to nobody.
    packet.retain = false
    const now = this.now()
    const limits = this.limitsFor(deviceId, now)
    if (!limits.bucket.take(now)) {
      this.rejections.record(deviceId, 'rate_limited', { topic })
      return done(null)
    }
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload
    const checked = checkMessage(payload, upstreamValidators[channel], {
      maxPayloadBytes: limits.maxPayloadBytes,
      now,
      clockSynced: this.opts.clockSynced?.() ?? true,
      maxAheadMs: this.security.maxAheadMs,
      maxBehindMs: this.security.maxBehindMs,
    })
    if (!checked.ok) {
      this.rejections.record(deviceId, checked.reason, { topic, detail: checked.detail })
      return done(null)
    }
    const body = checked.value as { ts?: number }
    // Already in the log: the PUBACK was lost (the gateway died), so the device resent it.
    if (channel === 'telemetry' && this.redeliveries.isLogged(deviceId, body)) {
      this.logger.debug({ deviceId, topic }, 'reading already logged, acknowledged again')
      return done(null)
    }
    this.opts.log.append([{ kind: channel, deviceId, body, time: body.ts }]).then(
      (events) => {
        if (channel === 'telemetry') this.redeliveries.remember(deviceId, body)
        done(null)
        this.opts.onCommitted(events)
      },
      (err: Error) => {
        // Not on disk, so no PUBACK: closing the connection makes the device resend it.
        this.logger.error({ deviceId, err }, 'could not write message to the log')
        done(err)
      },
    )
  }
}

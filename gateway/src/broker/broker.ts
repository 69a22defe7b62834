import { createServer, type AddressInfo, type Server } from 'node:net'
import { Aedes, type AuthenticateError, type Client, type PublishPacket } from 'aedes'
import type { Logger } from 'pino'
import { deviceTopic, parsePayload, upstreamValidators, type Command, type LogEvent } from '@tendero/protocol'
import type { DeviceConfig } from '../config.js'
import { GatewayError } from '../errors.js'
import type { EventLog } from '../log/event-log.js'
import { maySubscribe, publishChannel } from './acl.js'
import { burnVerification, verifyPassword } from './passwords.js'

export interface DeviceBrokerOptions {
  devices: DeviceConfig[]
  log: EventLog
  logger: Logger
  /** Called with events once they are committed to the log (feeds the rules engine). */
  onCommitted: (events: LogEvent[]) => void
}

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
  private server: Server | undefined
  private readonly devices: Map<string, DeviceConfig>
  private readonly rejected = new Map<string, number>()
  private readonly logger: Logger

  constructor(private readonly opts: DeviceBrokerOptions) {
    this.devices = new Map(opts.devices.map((d) => [d.id, d]))
    this.logger = opts.logger
  }

  /** Starts the broker and its TCP listener; resolves with the bound port (0 picks a free one). */
  async listen(port: number, host: string): Promise<number> {
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
        if (maySubscribe(client.id, sub.topic)) return done(null, sub)
        this.logger.warn({ deviceId: client.id, topic: sub.topic }, 'subscription refused by ACL')
        // A null subscription is SUBACK 0x80 for that topic; the device stays connected.
        done(null, null)
      },
      // Devices only ever receive their own commands, whatever else flows through the broker.
      authorizeForward: (client, packet) => (packet.topic === deviceTopic(client.id, 'cmd') ? packet : null),
    })
    this.aedes = aedes
    aedes.on('clientError', (client, err) => this.logger.warn({ deviceId: client.id, err: err.message }, 'device connection error'))
    const server = createServer(aedes.handle)
    this.server = server
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, host, () => {
        server.off('error', reject)
        resolve()
      })
    })
    return (server.address() as AddressInfo).port
  }

  async close(): Promise<void> {
    const { aedes, server } = this
    this.aedes = undefined
    this.server = undefined
    await new Promise<void>((resolve) => (aedes ? aedes.close(() => resolve()) : resolve()))
    await new Promise<void>((resolve) => (server?.listening ? server.close(() => resolve()) : resolve()))
  }

  clientCount(): number {
    return this.aedes?.connectedClients ?? 0
  }

  /** Messages refused per device since start (bad payloads and ACL violations). */
  rejectedCounts(): Record<string, number> {
    return Object.fromEntries(this.rejected)
  }

  /** Publishes a command QoS 1 on the device's cmd topic. */
  publishCommand(deviceId: string, command: Command): Promise<void> {
    const aedes = this.aedes
    if (!aedes) return Promise.reject(new GatewayError('BROKER_ERR_ACL', 'broker is not running'))
    const packet = {
      cmd: 'publish' as const,
      topic: deviceTopic(deviceId, 'cmd'),
      payload: Buffer.from(JSON.stringify(command)),
      qos: 1 as const,
      retain: false,
      dup: false,
    }
    return new Promise((resolve, reject) => aedes.publish(packet, (err) => (err ? reject(err) : resolve())))
  }

  private async authenticate(client: Client, username: string | undefined, password: Buffer | undefined): Promise<void> {
    const deviceId = client.id
    const secret = password?.toString('utf8') ?? ''
    // No anonymous devices: the client id, the username and a registry entry must all agree.
    if (username !== deviceId) {
      this.logger.warn({ deviceId, username }, 'device refused: username must equal client id')
      throw authError(IDENTIFIER_REJECTED, 'username must equal client id')
    }
    const device = this.devices.get(deviceId)
    if (!device) {
      await burnVerification(secret)
      this.logger.warn({ deviceId }, 'device refused: unknown device')
      throw authError(BAD_USERNAME_OR_PASSWORD, 'bad user name or password')
    }
    if (!(await verifyPassword(secret, device.passwordHash))) {
      this.logger.warn({ deviceId }, 'device refused: wrong password')
      throw authError(BAD_USERNAME_OR_PASSWORD, 'bad user name or password')
    }
    this.logger.info({ deviceId }, 'device connected')
  }

  private reject(deviceId: string, topic: string, reason: string): void {
    this.rejected.set(deviceId, (this.rejected.get(deviceId) ?? 0) + 1)
    this.logger.warn({ deviceId, topic, reason }, 'message rejected')
  }

  /**
   * The message pipeline. Aedes calls this before it PUBACKs a QoS 1 message
   * (lib/handlers/publish.js: authorizePublish, then enqueuePublish writes the PUBACK),
   * so calling `done` only after the log commit is what makes the ack mean "on disk".
   *
   * Refusing with an error makes Aedes emit clientError and close the connection: MQTT
   * 3.1.1 has no negative PUBACK, and [MQTT-3.3.5-2] lets a server that refuses a
   * PUBLISH either acknowledge it positively or close the connection. We use both:
   *  - ACL violations (another device's topic, a cmd topic) close the connection: the
   *    client is misconfigured or hostile, and the device should be loud about it.
   *  - A payload that fails JSON or schema checks is acknowledged and dropped. Closing
   *    would make a device with a persistent session resend the same poison message
   *    after every reconnect, blocking its valid readings behind it forever. Dropped
   *    messages are counted per device and logged with the reason.
   * Neither ever reaches the log or another client (authorizeForward only delivers cmd).
   */
  private authorizePublish(client: Client | null, packet: PublishPacket, done: (err?: Error | null) => void): void {
    // client is null only for a will left by a client of a previous broker instance.
    if (!client) return done(new GatewayError('BROKER_ERR_ACL', 'publish without a client'))
    const deviceId = client.id
    const channel = publishChannel(deviceId, packet.topic)
    if (!channel) {
      this.reject(deviceId, packet.topic, 'topic not allowed for this device')
      return done(new GatewayError('BROKER_ERR_ACL', `device ${deviceId} may not publish to ${packet.topic}`))
    }
    // The gateway keeps the last state itself; a retained copy would only be replayed to nobody.
    packet.retain = false
    const parsed = parsePayload(packet.payload, upstreamValidators[channel])
    if (!parsed.ok) {
      this.reject(deviceId, packet.topic, parsed.reason)
      return done(null)
    }
    const body = parsed.value as { ts?: number }
    this.opts.log.append([{ kind: channel, deviceId, body, time: body.ts }]).then(
      (events) => {
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

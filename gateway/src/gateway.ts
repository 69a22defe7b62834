import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { pino, type Logger } from 'pino'
import { simulatedClock, validators, type Command, type LogEvent } from '@tendero/protocol'
import type { GatewayConfig } from './config.js'
import { GatewayError } from './errors.js'
import { DeviceBroker } from './broker/broker.js'
import { EventLog } from './log/event-log.js'
import { RulesEngine } from './rules/engine.js'
import type { RuleEffects } from './rules/kinds.js'
import { StateStore } from './rules/state-store.js'
import { DEFAULT_TIME_ZONE } from './local-time.js'
import { AlarmService } from './alarms/alarms.js'
import { Uploader, UPLINK_CURSOR, type UploaderOptions } from './uplink/uploader.js'
import { Downlink, type DownlinkOptions } from './downlink/downlink.js'
import { withDesiredConfig } from './downlink/store.js'
import { buildSyncStatus } from './downlink/sync-status.js'
import { InfluxSink, INFLUX_CURSOR, type InfluxSinkOptions } from './sinks/influx.js'
import { AccessController, cloudLinkOnline, type RemoteOpen } from './access/controller.js'
import { buildLocalApi, type Health } from './api/local-api.js'
import { noteIssuedCommand } from './api/commands-service.js'
import { LiveState } from './api/live-state.js'
import { loadRuleSet, type RuleSet } from './api/rules-file.js'
import type { RuleSpec } from './rules/registry.js'
import { DeviceLinks } from './failsafe/device-link.js'
import { GatewayClock, type ClockOptions, type ClockStatus } from './clock/clock.js'
import { Restamper } from './clock/restamp.js'
import { ModbusPoller } from './modbus/poller.js'
import { modbusCommandWriter } from './modbus/commands.js'
import type { FirmataDriver } from './firmata/driver.js'
import type { FirmataIoFactory } from './firmata/io.js'
import { firmataForSite } from './firmata/site.js'
import { GatewayMetrics } from './metrics/gateway-metrics.js'

export interface GatewayOptions {
  logger?: Logger
  /**
   * The system's wall clock (epoch ms). The gateway stamps, schedules and expires with
   * the clock built on it (src/clock/), which adds what the cloud taught it.
   */
  now?: () => number
  /** Monotonic ms since boot, for the log envelope. */
  monoNow?: () => number
  /** Clock trust pacing and sources (e.g. an NTP probe), beyond config.clock. */
  clock?: Partial<Omit<ClockOptions, 'mode' | 'systemNow' | 'monoNow' | 'logger'>>
  fetch?: typeof fetch
  uplink?: Partial<Pick<UploaderOptions, 'idleMs' | 'backoffBaseMs' | 'backoffCapMs' | 'batchSize' | 'requestTimeoutMs'>>
  log?: { flushIntervalMs?: number; maxBatch?: number }
  /** Pacing of the InfluxDB history sink, when config.influx is set. */
  influx?: Partial<Pick<InfluxSinkOptions, 'idleMs' | 'backoffBaseMs' | 'backoffCapMs' | 'batchSize' | 'requestTimeoutMs'>>
  /** Reconnect pacing of the cloud downlink channel (src/downlink/), and how often it reports sync status. */
  downlink?: Partial<Pick<DownlinkOptions, 'backoffBaseMs' | 'backoffCapMs' | 'syncStatusEveryMs'>>
  rulesTickMs?: number
  /** How often unacknowledged alarms are checked for escalation. */
  alarmsTickMs?: number
  /** Debounce of rule and alarm state writes to `state.db`. */
  stateFlushMs?: number
  /** How long a device may still act on a command (ms). */
  commandTtlMs?: number
  /**
   * Send fail-safe states on connect and log online/offline `state` events (src/failsafe/).
   * main.ts turns it on; off by default so in-process suites that assert the exact log
   * contents are not disturbed by presence events (tests of it opt in).
   */
  deviceLinks?: boolean
  /** The IO plugin of each Firmata board; default StandardFirmata over its serial port (tests pass mock-firmata). */
  firmataIo?: FirmataIoFactory
}

export interface Gateway {
  readonly config: GatewayConfig
  /** Random per process start; stamped on every log event. */
  readonly bootId: string
  readonly logger: Logger
  readonly log: EventLog
  readonly broker: DeviceBroker
  readonly rules: RulesEngine
  /** Active alarms: list, acknowledge, clear. */
  readonly alarms: AlarmService
  readonly uplink: Uploader
  /** Desired config and commands from the cloud (sync contract 7). */
  readonly downlink: Downlink
  /** On-site InfluxDB history; present when config.influx is set. */
  readonly influx: InfluxSink | undefined
  /** Doors and cashless cards; present when the site config has `access`. */
  readonly access: AccessController | undefined
  /** Fail-safe states sent on connect; online/offline state events. */
  readonly links: DeviceLinks
  /** Prometheus metrics served at GET /metrics (src/metrics/). */
  readonly metrics: GatewayMetrics
  /** Polls the site's Modbus devices and writes their coils and setpoints (src/modbus/). */
  readonly modbus: ModbusPoller
  /** The site's Firmata boards through johnny-five: readings, inputs, relays (src/firmata/). */
  readonly firmata: FirmataDriver
  /** The wall clock everything is stamped with, and whether it is synced (src/clock/). */
  readonly clock: GatewayClock
  /** Re-stamps events recorded before the clock synced. */
  readonly restamper: Restamper
  readonly api: FastifyInstance
  /** `mqttsPort` and `wsPort` are set when those listeners are configured. */
  start(): Promise<{ mqttPort: number; apiPort: number; mqttsPort?: number; wsPort?: number }>
  /** Stops everything in dependency order; safe to call twice or after a failed start. */
  stop(): Promise<void>
  health(): Health
  rejectedCounts(): Record<string, number>
}

const PORT_ENV = { mqtt: 'GATEWAY_MQTT_PORT', api: 'GATEWAY_API_PORT', mqtts: 'GATEWAY_MQTTS_PORT', ws: 'GATEWAY_MQTT_WS_PORT' } as const

async function listenOn<T>(which: keyof typeof PORT_ENV, port: number, listen: () => Promise<T>): Promise<T> {
  try {
    return await listen()
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err
    const envVar = PORT_ENV[which]
    throw new GatewayError('GATEWAY_ERR_PORT_IN_USE', `Port ${port} is already in use. Set ${envVar} to a free port.`, {
      port,
      envVar,
    })
  }
}

/**
 * Wires the gateway: broker → log → rules → actions, plus the uplink and the local API.
 * Opens the log (creating the data directory) but listens on nothing until `start()`.
 */
export function buildGateway(config: GatewayConfig, opts: GatewayOptions = {}): Gateway {
  const bootId = randomUUID()
  const logger = opts.logger ?? pino({ level: config.logLevel, base: { gatewayId: config.gatewayId } })
  // On simulated time (demos, the scenario-day test) every timer that measures simulated
  // time ticks `speed` times as often, and a command lives as long in real time as it
  // would otherwise: rules see holds of simulated minutes at the resolution they have in
  // real time, and a device's round trip is not a simulated minute.
  const simulated = config.clock?.mode === 'simulated' ? config.clock.simulated : undefined
  const speed = simulated?.speed ?? 1
  const scaledTick = (ms: number | undefined) => (ms ?? (speed > 1 ? Math.max(20, Math.round(1000 / speed)) : undefined))
  const clock = new GatewayClock({
    mode: config.clock?.mode ?? (config.clockSynced ? 'trusted' : 'auto'),
    systemNow: simulated ? simulatedClock(simulated, opts.now ?? Date.now) : (opts.now ?? Date.now),
    ...(opts.monoNow ? { monoNow: opts.monoNow } : {}),
    logger: logger.child({ component: 'clock' }),
    cloud: config.cloud,
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
    ...opts.clock,
  })
  const now = () => clock.now()
  // The cloud's last known good desired config, when there is one, is the site (src/downlink/store.ts).
  config = withDesiredConfig(config, logger)
  const commandTtlMs = opts.commandTtlMs ?? 60_000 * speed
  const ports: { mqtt: number; api: number; mqtts?: number; ws?: number } = { mqtt: 0, api: 0 }

  const log = new EventLog({
    path: join(config.dataDir, 'log.db'),
    bootId,
    // The disk budget's gap events are the gateway's own (log/budget.ts).
    gatewayId: config.gatewayId,
    clockSynced: () => clock.synced(),
    now,
    monoNow: () => clock.monoNow(),
    ...(config.log?.flushIntervalMs !== undefined ? { flushIntervalMs: config.log.flushIntervalMs } : {}),
    ...(config.log?.retention ? { retention: config.log.retention } : {}),
    // Nothing leaves the log before the cloud has it (sync contract 6).
    guardCursors: [UPLINK_CURSOR, ...(config.influx ? [INFLUX_CURSOR] : [])],
    onRetention: (r) =>
      r.error
        ? logger.error({ err: r.error }, 'log prune failed')
        : r.overBudgetUnsynced
        ? logger.warn({ usedBytes: r.usedBytes, deleted: r.deleted }, 'log is over its size budget with events the cloud does not have yet')
        : r.compacted
          ? logger.warn({ gap: r.compacted.gap.body, usedBytes: r.usedBytes }, `log at its size budget: unsynced telemetry ${r.compacted.gap.body.reason}`)
          : logger.info({ deleted: r.deleted, usedBytes: r.usedBytes }, 'log pruned'),
    ...opts.log,
  })

  // Late-bound: the engine needs effects that need the broker that feeds the engine.
  let rules: RulesEngine
  let access: AccessController | undefined
  // The technician's view of devices (last readings, presence) for the local API.
  const live = new LiveState({ deviceIds: config.site.devices.map((d) => d.id), log, now })
  const onCommitted = (events: LogEvent[]) => {
    live.handle(events)
    rules.handle(events)
    access?.handle(events)
  }

  let links: DeviceLinks
  const broker = new DeviceBroker({
    devices: config.site.devices,
    ...(config.site.services ? { services: config.site.services } : {}),
    log,
    logger: logger.child({ component: 'broker' }),
    onCommitted: (events) => {
      metrics.mqttAccepted(events)
      onCommitted(events)
    },
    onDeviceLink: (deviceId, change, connection) => {
      live.onLink(deviceId, change, connection)
      if (opts.deviceLinks) links.onLink(deviceId, change, connection)
    },
    ...(config.security ? { security: config.security } : {}),
    now,
    clockSynced: () => clock.synced(),
  })

  const effects: RuleEffects = {
    async sendCommand(deviceId, intent, source) {
      const issuedAt = now()
      const command = { ...intent, id: `${source.ruleId.slice(0, 24)}.${randomUUID()}`, issuedAt, expiresAt: issuedAt + commandTtlMs }
      if (!validators.command.check(command)) throw new Error(`invalid command: ${validators.command.explain(command).join('; ')}`)
      noteIssuedCommand(command.id)
      // Sent while its log record commits, not after: a relay should not wait for a second
      // fsync behind the reading that triggered it (bench relay-latency). The record is in
      // the same group commit as whatever arrives meanwhile, so only a crash within that
      // commit (about a millisecond) can leave a sent command unlogged; the device's ack,
      // which is logged, still names it.
      const [logged] = await Promise.all([
        log.append([{ kind: 'command', deviceId, body: command }]),
        // A Modbus device gets a write instead; its ack is logged when the write settles.
        modbus.has(deviceId)
          ? modbusWrites.send(deviceId, command as Command)
          : firmata.has(deviceId)
            ? firmata.send(deviceId, command as Command)
            : broker.publishCommand(deviceId, command as Command),
      ])
      onCommitted(logged)
      metrics.commandSent(source.ruleId, modbus.has(deviceId) ? 'modbus' : firmata.has(deviceId) ? 'firmata' : 'mqtt')
      logger.info({ deviceId, commandId: command.id, ruleId: source.ruleId, kind: command.kind }, 'command sent')
    },
    async record(event) {
      onCommitted(await log.append([event]))
    },
    publish: (topic, payload) => broker.publish(topic, payload),
  }

  // Rule timers, counters, relay guards and active alarms survive a restart (rules/state-store.ts).
  const stateStore = new StateStore(join(config.dataDir, 'state.db'), opts.stateFlushMs)
  const alarms = new AlarmService({
    now,
    logger: logger.child({ component: 'alarms' }),
    store: stateStore,
    ...(scaledTick(opts.alarmsTickMs) ? { tickMs: scaledTick(opts.alarmsTickMs) } : {}),
    async record(events) {
      onCommitted(await log.append(events))
    },
  })

  links = new DeviceLinks({
    devices: config.site.devices,
    logger: logger.child({ component: 'failsafe' }),
    // The rules' command path, so fail-safe commands are logged and expire like any other.
    sendCommand: (deviceId, intent) => effects.sendCommand(deviceId, intent, { ruleId: 'failsafe' }),
    async recordState(deviceId, state) {
      onCommitted(await log.append([{ kind: 'state', deviceId, body: { state } }]))
    },
  })

  // Modbus devices are polled, not connected; their readings and presence enter the log
  // and the rules the way an MQTT device's do.
  const modbusSession = {}
  const modbusDevices = config.site.devices.flatMap((d) => (d.modbus ? [{ id: d.id, modbus: d.modbus }] : []))
  const modbus = new ModbusPoller({
    devices: modbusDevices,
    logger: logger.child({ component: 'modbus' }),
    now,
    async onReadings(deviceId, readings) {
      onCommitted(await log.append([{ kind: 'telemetry', deviceId, body: { readings } }]))
    },
    async onState(deviceId, online) {
      // The local API's presence follows sessions; a Modbus device's "session" is answering.
      live.onLink(deviceId, online ? 'connected' : 'disconnected', modbusSession)
      onCommitted(await log.append([{ kind: 'state', deviceId, body: { state: { online } } }]))
    },
  })
  const modbusWrites = modbusCommandWriter({
    poller: modbus,
    logger: logger.child({ component: 'modbus' }),
    now,
    async record(events) {
      onCommitted(await log.append(events))
    },
  })

  // Firmata boards (src/firmata/) enter the log and the rules like Modbus devices do.
  const firmataSession = {}
  const firmata = firmataForSite({
    devices: config.site.devices,
    logger: logger.child({ component: 'firmata' }),
    now,
    ...(opts.firmataIo ? { ioFactory: opts.firmataIo } : {}),
    async record(events) {
      onCommitted(await log.append(events))
    },
    onPresence: (deviceId, online) => live.onLink(deviceId, online ? 'connected' : 'disconnected', firmataSession),
  })

  // Rules saved through the local API (data dir) replace the site config's (api/rules-file.ts).
  const ruleSet = loadRuleSet(config.dataDir, config.site)
  const rulesOptions = {
    effects,
    alarms,
    store: stateStore,
    timeZone: config.site.timezone ?? DEFAULT_TIME_ZONE,
    logger: logger.child({ component: 'rules' }),
    now,
    ...(scaledTick(opts.rulesTickMs) ? { tickMs: scaledTick(opts.rulesTickMs) } : {}),
  }
  rules = new RulesEngine({ ...rulesOptions, rules: ruleSet.rules })
  // A rule change from the API: a new engine takes over in one synchronous step, so every
  // event is seen by exactly one of the two. Unchanged rules keep their timers and relay
  // guards: the new engine restores them from the state store, flushed just before.
  const ruleListeners: ((set: RuleSet) => void)[] = []
  async function replaceRules(next: RuleSpec[]): Promise<void> {
    const previous = rules
    stateStore.flush()
    rules = new RulesEngine({ ...rulesOptions, rules: next })
    rules.start()
    await previous.stop()
  }

  // Built before the sinks it counts for; it reads them only when scraped.
  const metrics: GatewayMetrics = new GatewayMetrics({
    broker,
    log,
    get uplink(): Uploader { return uplink },
    uplinkCursor: UPLINK_CURSOR,
    get influx(): InfluxSink | undefined { return influx },
    influxEnabled: config.influx !== undefined,
    influxCursor: INFLUX_CURSOR,
    alarms,
    modbus,
    firmata: firmata.driver,
    clockSynced: () => clock.synced(),
    now,
  })

  const influx = config.influx
    ? new InfluxSink({ ...config.influx, log, logger: logger.child({ component: 'influx' }), gatewayId: config.gatewayId, now, onWrite: (result, points) => metrics.influxWrite(result, points), ...opts.influx })
    : undefined

  const restamper = new Restamper({ log, clock, bootId, cursor: () => log.getCursor(UPLINK_CURSOR), logger: logger.child({ component: 'clock' }) })
  const uplink = new Uploader({
    log,
    logger: logger.child({ component: 'uplink' }),
    gatewayId: config.gatewayId,
    cloudUrl: config.cloud.url,
    gatewayKey: config.cloud.gatewayKey,
    now,
    fetch: metrics.countingFetch(opts.fetch ?? globalThis.fetch),
    beforeBatch: (events) => restamper.beforeBatch(events),
    onAck: (ack, rttMs) => {
      clock.offerAck(ack.serverTime, rttMs)
      metrics.uplinkAcked(rttMs)
    },
    ...opts.uplink,
  })

  const downlink = new Downlink({
    config,
    logger: logger.child({ component: 'downlink' }),
    now,
    applyRules: async (next) => {
      await replaceRules(next)
      for (const listener of ruleListeners) listener({ rules: next, source: 'cloud', savedAt: now() })
    },
    sendCommand: (deviceId, intent) => effects.sendCommand(deviceId, intent, { ruleId: 'cloud' }),
    // The channel opening means the cloud is back: the uplink stops backing off and drains now.
    onOpen: () => uplink.wake(),
    // `access` is assigned below, long before start() opens the channel.
    ...(config.site.access ? { openDoor: (open: RemoteOpen) => access!.openRemotely(open) } : {}),
    // Acknowledge and clear from the cloud go through the same service as the local API's.
    alarms,
    syncStatus: () =>
      buildSyncStatus({
        at: now(),
        log: log.status(),
        uplinkCursor: UPLINK_CURSOR,
        uplink: uplink.status(),
        influx: influx?.status(),
        clockSynced: clock.synced(),
      }),
    ...opts.downlink,
  })

  if (config.site.access) {
    const offlineAfterMs = (config.site.access.offlineAfterSeconds ?? 60) * 1000
    access = new AccessController({
      access: config.site.access,
      // Same default as the rules' schedules (rules/local-time.ts), so one site keeps one clock.
      timeZone: config.site.timezone ?? DEFAULT_TIME_ZONE,
      gatewayId: config.gatewayId,
      walletPath: join(config.dataDir, 'wallet.db'),
      log,
      now,
      logger: logger.child({ component: 'access' }),
      async append(inputs) {
        const events = await log.append(inputs)
        onCommitted(events)
        return events
      },
      sendCommand: (deviceId, intent, origin) => effects.sendCommand(deviceId, intent, { ruleId: origin }),
      linkOnline: () => cloudLinkOnline(uplink.status(), now(), offlineAfterMs),
    })
  }

  const rejectedCounts = () => broker.rejectedCounts()
  const clockStatus = (): ClockStatus & { restamped: number } => ({ ...clock.status(), restamped: restamper.count() })
  const modbusHealth = () =>
    Object.fromEntries(
      modbus.status().map((d) => [
        d.deviceId,
        {
          state: d.online === true ? ('online' as const) : ('unavailable' as const),
          lastPollAt: d.lastPollAt ?? null,
          lastError: d.lastError ?? null,
          consecutiveFailures: d.consecutiveFailures,
          pollMs: d.pollMs,
        },
      ]),
    )
  const health = (): Health => ({
    status: 'ok',
    gatewayId: config.gatewayId,
    bootId,
    mqtt: { port: ports.mqtt, clients: broker.clientCount() },
    log: { lastSeq: log.lastSeq() },
    uplink: uplink.status(),
    ...(influx ? { influx: influx.status() } : {}),
    ...(modbusDevices.length > 0 ? { modbus: modbusHealth() } : {}),
    ...firmata.health(),
    clock: clockStatus(),
    rejected: rejectedCounts(),
    rejectedByReason: broker.rejectionsByReason(),
    connectRefused: broker.connectRefusals(),
  })
  const api = buildLocalApi({
    logger,
    health,
    config,
    ruleSet,
    replaceRules,
    onRulesReplaced: (listener) => ruleListeners.push(listener),
    namedStates: () => rules.namedStates(),
    live,
    log,
    broker,
    alarms,
    uplink,
    clock: clockStatus,
    commands: { send: (deviceId, intent, source) => effects.sendCommand(deviceId, intent, source), relays: () => rules.relays },
    now,
    metrics,
  })

  let stopping: Promise<void> | undefined
  async function stop(): Promise<void> {
    stopping ??= (async () => {
      // First: a time request in flight would hold up the uplink's stop.
      await clock.stop()
      await modbus.stop()
      await modbusWrites.settled()
      // Relays to their fail-safe positions, ports closed, presence logged: before the log closes.
      await firmata.stop()
      await downlink.stop()
      await uplink.stop()
      await influx?.stop()
      await rules.stop()
      await alarms.stop()
      stateStore.close()
      await api.close()
      // Before the broker closes, so decisions in flight still reach their devices.
      await access?.stop()
      await broker.close()
      // Closing the broker ends every session; their offline events go in before the log closes.
      await links.settled()
      await restamper.stop()
      metrics.close()
      log.close()
      logger.info('gateway stopped')
    })()
    return stopping
  }

  async function start() {
    try {
      // Opening balances are in the wallet before any terminal can connect.
      await access?.start()
      ports.mqtt = await listenOn('mqtt', config.mqtt.port, () => broker.listen(config.mqtt.port, config.mqtt.host))
      await listenOn('api', config.api.port, () => api.listen({ port: config.api.port, host: config.api.host }))
      ports.api = (api.server.address() as { port: number }).port
      const { mqttTls, mqttWs } = config
      if (mqttTls) ports.mqtts = await listenOn('mqtts', mqttTls.port, () => broker.listenTls(mqttTls.port, mqttTls.host, mqttTls))
      if (mqttWs) ports.ws = await listenOn('ws', mqttWs.port, () => broker.listenWebSocket(mqttWs.port, mqttWs.host))
    } catch (err) {
      await stop()
      throw err
    }
    clock.start()
    rules.start()
    alarms.start()
    modbus.start()
    firmata.driver.start()
    uplink.start()
    downlink.start()
    influx?.start()
    log.startRetention()
    logger.info({ bootId, ...ports }, 'gateway started')
    if (simulated)
      logger.warn(
        { speed, simulatedNow: new Date(now()).toISOString() },
        'running on simulated time (GATEWAY_CLOCK=simulated): events are stamped on an accelerated clock, not the real one',
      )
    return { mqttPort: ports.mqtt, apiPort: ports.api, ...(ports.mqtts ? { mqttsPort: ports.mqtts } : {}), ...(ports.ws ? { wsPort: ports.ws } : {}) }
  }

  return { config, bootId, logger, log, broker, get rules() { return rules }, alarms, uplink, downlink, influx, access, links, modbus, firmata: firmata.driver, metrics, clock, restamper, api, start, stop, health, rejectedCounts }
}

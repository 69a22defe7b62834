import { Counter, Gauge, Histogram, Registry } from 'prom-client'
import { SEVERITIES, type LogEvent } from '@tendero/protocol'
import type { DeviceBroker } from '../broker/broker.js'
import type { EventLog } from '../log/event-log.js'
import type { Uploader } from '../uplink/uploader.js'
import type { InfluxSink } from '../sinks/influx.js'
import type { AlarmService } from '../alarms/alarms.js'
import type { ModbusPoller } from '../modbus/poller.js'
import type { FirmataDriver } from '../firmata/driver.js'
import { processMetricsText } from './process-metrics.js'

export const GATEWAY_METRIC_PREFIX = 'tendero_gateway_'

/** What the metrics read on every scrape: the same status objects /health reads. */
export interface GatewayMetricSources {
  broker: Pick<DeviceBroker, 'clientCount' | 'rejectionsByReason' | 'connectRefusals'>
  log: Pick<EventLog, 'status' | 'onCommit' | 'getCursor'>
  /** Read at scrape time only. */
  readonly uplink: Pick<Uploader, 'status'>
  /** The cursor name of the uplink in the log (UPLINK_CURSOR). */
  uplinkCursor: string
  /** Read at scrape time only, so the gateway may build the sinks after the metrics. */
  readonly influx: Pick<InfluxSink, 'status'> | undefined
  /** Whether there is an InfluxDB sink (GATEWAY_INFLUX_URL): its gauges exist only then. */
  influxEnabled: boolean
  influxCursor: string
  alarms: Pick<AlarmService, 'list'>
  modbus: Pick<ModbusPoller, 'status'>
  firmata: Pick<FirmataDriver, 'status'>
  clockSynced: () => boolean
  /** Wall clock (epoch ms), for lag in seconds. */
  now: () => number
}

/** Who asked for a command, folded to a fixed set so rule ids never become label values. */
export type CommandSource = 'rule' | 'failsafe' | 'cloud' | 'access' | 'charge' | 'api'

const FIXED_SOURCES: ReadonlySet<string> = new Set(['failsafe', 'cloud', 'access', 'charge'])

export function commandSource(origin: string): CommandSource {
  // The local API names the technician's token (`api:<name>`): one label value for all of them.
  if (origin.startsWith('api:')) return 'api'
  return FIXED_SOURCES.has(origin) ? (origin as CommandSource) : 'rule'
}

/** HTTP status of an uplink request as a class; `error` when no answer came (network, timeout). */
function statusClass(status: number): string {
  return `${Math.floor(status / 100)}xx`
}

const seconds = (ms: number) => ms / 1000

/**
 * Prometheus metrics of one gateway, in a registry of its own (several gateways share a
 * process in tests). Most values are read from the status objects at scrape time, so
 * /metrics and /health can never disagree; counters are kept only where nothing else
 * counts (messages accepted, commands, alarms raised, uplink and InfluxDB outcomes).
 * Labels are bounded: channels, kinds, reasons and severities are fixed sets, device ids
 * come from the site config; never a card, message or rule id.
 */
export class GatewayMetrics {
  readonly registry = new Registry()
  private readonly accepted: Counter<'channel'>
  private readonly commands: Counter<'source' | 'transport'>
  private readonly uplinkRequests: Counter<'result'>
  private readonly uplinkBatches: Counter
  private readonly uplinkRtt: Histogram
  private readonly influxWrites: Counter<'result'>
  private readonly influxPoints: Counter
  private readonly unsubscribe: () => void

  constructor(private readonly s: GatewayMetricSources) {
    const p = GATEWAY_METRIC_PREFIX
    const registers = [this.registry]
    const influxRegisters = s.influxEnabled ? registers : []
    // One log status per scrape (it costs a few queries), shared by the gauges that read
    // it: a registry collects every metric in the same turn of the event loop, so the
    // memo is dropped on the next one.
    let logStatus: ReturnType<EventLog['status']> | undefined
    const status = () => {
      if (!logStatus) {
        logStatus = s.log.status()
        setImmediate(() => (logStatus = undefined))
      }
      return logStatus
    }
    const lagSeconds = (cursor: string) => {
      const pending = status().cursors[cursor]?.oldestPendingAt
      return pending ? Math.max(0, seconds(s.now() - pending)) : 0
    }

    this.accepted = new Counter({ name: `${p}mqtt_messages_accepted_total`, help: 'Device MQTT messages written to the durable log, by channel', labelNames: ['channel'], registers })
    const logEvents = new Counter({ name: `${p}log_events_total`, help: 'Events appended to the durable log, by kind (devices, Modbus, rules, alarms, the gateway itself)', labelNames: ['kind'], registers })
    const alarmsRaised = new Counter({ name: `${p}alarms_raised_total`, help: 'Alarms raised, by severity', labelNames: ['severity'], registers })
    for (const severity of SEVERITIES) alarmsRaised.inc({ severity }, 0)
    this.commands = new Counter({ name: `${p}commands_sent_total`, help: 'Commands sent to devices, by who asked (rule, failsafe, cloud, access, charge) and transport', labelNames: ['source', 'transport'], registers })
    this.uplinkRequests = new Counter({ name: `${p}uplink_requests_total`, help: 'Uplink batch requests to the cloud, by HTTP status class or `error` when no answer came', labelNames: ['result'], registers })
    this.uplinkBatches = new Counter({ name: `${p}uplink_batches_acked_total`, help: 'Uplink batches the cloud acknowledged', registers })
    this.uplinkRtt = new Histogram({ name: `${p}uplink_rtt_seconds`, help: 'Round trip of acknowledged uplink batches', buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15], registers })
    this.influxWrites = new Counter({ name: `${p}influx_writes_total`, help: 'InfluxDB batch writes, by result (ok, refused: points InfluxDB will never take, error: retried)', labelNames: ['result'], registers: influxRegisters })
    this.influxPoints = new Counter({ name: `${p}influx_points_written_total`, help: 'Points InfluxDB accepted', registers: influxRegisters })

    new Gauge({ name: `${p}log_last_seq`, help: 'Highest seq in the durable log', registers, collect() { this.set(status().lastSeq) } })
    new Gauge({ name: `${p}log_used_bytes`, help: 'Bytes the durable log uses on disk (pages in use)', registers, collect() { this.set(status().usedBytes) } })
    new Gauge({ name: `${p}log_max_bytes`, help: 'Disk budget of the durable log (GATEWAY_LOG_MAX_MB); 0 means none', registers, collect() { this.set(status().maxBytes) } })
    new Gauge({ name: `${p}log_file_bytes`, help: 'Durable log database plus its WAL, as files', registers, collect() { this.set(status().fileBytes) } })
    new Gauge({ name: `${p}log_events`, help: 'Events held in the durable log', registers, collect() { this.set(status().eventCount) } })
    new Gauge({ name: `${p}log_budget_active`, help: '1 while the disk budget is thinning unsynced history', registers, collect() { this.set(status().budget.active ? 1 : 0) } })
    new Gauge({
      name: `${p}log_buffer_days_left`,
      help: 'Days the disk budget lasts at the current event rate if nothing synced; NaN without a budget or before a rate is known',
      registers,
      collect() { this.set(status().bufferDaysLeft ?? Number.NaN) },
    })
    new Gauge({ name: `${p}mqtt_clients`, help: 'Connected MQTT clients (devices and services)', registers, collect() { this.set(s.broker.clientCount()) } })
    new Counter({
      name: `${p}mqtt_messages_rejected_total`,
      help: 'Device messages refused since boot, by device and reason',
      labelNames: ['device', 'reason'],
      registers,
      collect() {
        this.reset()
        for (const [device, reasons] of Object.entries(s.broker.rejectionsByReason()))
          for (const [reason, n] of Object.entries(reasons)) this.inc({ device, reason }, n ?? 0)
      },
    })
    new Counter({
      name: `${p}mqtt_connect_refused_total`,
      help: 'Connections refused at CONNACK since boot, by reason',
      labelNames: ['reason'],
      registers,
      collect() {
        this.reset()
        for (const [reason, n] of Object.entries(s.broker.connectRefusals())) this.inc({ reason }, n ?? 0)
      },
    })

    const uplinkAtStart = s.log.getCursor(s.uplinkCursor)
    new Gauge({ name: `${p}uplink_lag_events`, help: 'Events in the log the cloud has not acknowledged', registers, collect() { this.set(s.uplink.status().lag) } })
    new Gauge({ name: `${p}uplink_lag_seconds`, help: 'Age of the oldest event the cloud has not acknowledged (0 when caught up)', registers, collect() { this.set(lagSeconds(s.uplinkCursor)) } })
    new Gauge({ name: `${p}uplink_acked_seq`, help: 'Uplink cursor: highest seq the cloud acknowledged', registers, collect() { this.set(s.uplink.status().ackedSeq) } })
    new Counter({
      name: `${p}uplink_events_acked_total`,
      help: 'Events the uplink cursor moved past since boot',
      registers,
      collect() { this.reset(); this.inc(Math.max(0, s.uplink.status().ackedSeq - uplinkAtStart)) },
    })
    new Counter({ name: `${p}uplink_quarantined_total`, help: 'Events the cloud quarantined since boot', registers, collect() { this.reset(); this.inc(s.uplink.status().quarantined.total) } })
    new Gauge({
      name: `${p}uplink_last_success_timestamp_seconds`,
      help: 'When the cloud last acknowledged a batch (epoch seconds); 0 never since boot',
      registers,
      collect() { this.set(seconds(s.uplink.status().lastSuccessAt ?? 0)) },
    })

    // InfluxDB history: only with GATEWAY_INFLUX_URL, so a gateway without it shows no false zeros.
    if (s.influxEnabled) {
      const influx = () => s.influx?.status()
      new Gauge({ name: `${p}influx_lag_events`, help: 'Events in the log not yet written to InfluxDB', registers, collect() { this.set(influx()?.lag ?? 0) } })
      new Gauge({ name: `${p}influx_lag_seconds`, help: 'Age of the oldest event not yet written to InfluxDB (0 when caught up)', registers, collect() { this.set(lagSeconds(s.influxCursor)) } })
      new Gauge({ name: `${p}influx_up`, help: '1 when the last InfluxDB write succeeded', registers, collect() { this.set(influx()?.lastError === null ? 1 : 0) } })
    }

    new Gauge({
      name: `${p}alarms_active`,
      help: 'Active (raised or acknowledged) alarms, by severity',
      labelNames: ['severity'],
      registers,
      collect() {
        const counts = new Map<string, number>(SEVERITIES.map((sev) => [sev, 0]))
        for (const a of s.alarms.list()) counts.set(a.severity, (counts.get(a.severity) ?? 0) + 1)
        for (const [severity, n] of counts) this.set({ severity }, n)
      },
    })
    new Gauge({ name: `${p}clock_synced`, help: '1 when something vouches for the wall clock (cloud, NTP or trusted)', registers, collect() { this.set(s.clockSynced() ? 1 : 0) } })
    new Gauge({
      name: `${p}modbus_device_up`,
      help: 'Modbus devices: 1 while the device answers its polls, 0 while unavailable or not yet answered',
      labelNames: ['device'],
      registers,
      collect() {
        this.reset()
        for (const d of s.modbus.status()) this.set({ device: d.deviceId }, d.online === true ? 1 : 0)
      },
    })
    new Gauge({
      name: `${p}firmata_device_up`,
      help: 'Firmata boards: 1 while the board is connected after its handshake, 0 while unavailable or not yet connected',
      labelNames: ['device'],
      registers,
      collect() {
        this.reset()
        for (const d of s.firmata.status()) this.set({ device: d.deviceId }, d.online === true ? 1 : 0)
      },
    })

    this.unsubscribe = s.log.onCommit((events) => {
      for (const e of events) {
        logEvents.inc({ kind: e.kind })
        if (e.kind === 'alarm' && e.body.state === 'raised') alarmsRaised.inc({ severity: e.body.severity })
      }
    })
  }

  /** Device messages the broker wrote to the log (not readings it acknowledged again as resends). */
  mqttAccepted(events: readonly LogEvent[]): void {
    for (const e of events) this.accepted.inc({ channel: e.kind })
  }

  commandSent(origin: string, transport: 'mqtt' | 'modbus' | 'firmata'): void {
    this.commands.inc({ source: commandSource(origin), transport })
  }

  uplinkAcked(rttMs: number): void {
    this.uplinkBatches.inc()
    this.uplinkRtt.observe(seconds(rttMs))
  }

  influxWrite(result: 'ok' | 'refused' | 'error', points: number): void {
    this.influxWrites.inc({ result })
    // A refused batch is a partial write: how many of its points landed is not known.
    if (result === 'ok') this.influxPoints.inc(points)
  }

  /** The uplink's fetch, counting every request by outcome. */
  countingFetch(inner: typeof fetch): typeof fetch {
    return async (input, init) => {
      try {
        const res = await inner(input, init)
        this.uplinkRequests.inc({ result: statusClass(res.status) })
        return res
      } catch (err) {
        this.uplinkRequests.inc({ result: 'error' })
        throw err
      }
    }
  }

  /** The Prometheus text exposition: this gateway's metrics plus the process's. */
  async scrape(): Promise<string> {
    const [own, processText] = await Promise.all([this.registry.metrics(), processMetricsText(GATEWAY_METRIC_PREFIX)])
    return `${own}\n${processText}`
  }

  get contentType(): string {
    return this.registry.contentType
  }

  close(): void {
    this.unsubscribe()
  }
}

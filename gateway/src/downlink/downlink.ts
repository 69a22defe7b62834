import { rmSync, statSync } from 'node:fs'
import type { Logger } from 'pino'
import WebSocket from 'ws'
import {
  downlinkValidators,
  type CommandAckMessage,
  type CommandMessage,
  type ConfigMessage,
  type ConfigReportMessage,
  type ConfigStatusMessage,
  type SyncStatus,
  type SyncStatusMessage,
} from '@tendero/protocol'
import { parseSiteConfig, type GatewayConfig, type SiteConfig } from '../config.js'
import { jitteredBackoff } from '../backoff.js'
import { isGatewayError } from '../errors.js'
import type { RuleSpec } from '../rules/registry.js'
import type { CommandIntent } from '../rules/kinds.js'
import type { RemoteOpen } from '../access/controller.js'
import { loadRuleSet, rulesFilePath } from '../api/rules-file.js'
import { loadDesiredConfig, saveDesiredConfig } from './store.js'
import { CommandJournal, commandJournalPath } from './command-journal.js'
import { alarmCommandRefusal, applyAlarmCommand, isAlarmCommand, type AlarmDesk } from './alarm-commands.js'

export const CHANNEL_PATH = '/api/gateway/channel'
/** The cloud pings every 25 s; silence for this long means a dead link the OS has not noticed. */
const SILENCE_MS = 60_000
const MAX_FRAME_BYTES = 2 * 1024 * 1024
/** The cloud closes the channel on a larger frame (cloud/src/modules/fleet/channel.ts). */
const CLOUD_MAX_FRAME_BYTES = 1024 * 1024
/** How often the gateway reports its sync health while the channel is open. */
const SYNC_STATUS_EVERY_MS = 10_000
/** The answer to a resent command that was begun before a crash or restart and never answered. */
export const INTERRUPTED =
  'interrupted: the gateway restarted while running this command; not run again (it may or may not have reached the device)'

/** Site config parts that only a restart applies (the broker, access and rules clock are built at boot). */
const RESTART_PARTS = ['devices', 'services', 'access', 'timezone', 'api'] as const

export interface DownlinkOptions {
  config: Pick<GatewayConfig, 'gatewayId' | 'dataDir' | 'cloud' | 'site'>
  logger: Logger
  now: () => number
  /** Swaps the running rules (gateway.ts replaceRules). */
  applyRules(rules: RuleSpec[]): Promise<void>
  /** The gateway's command path: logged, published, with its own device-level id and expiry. */
  sendCommand(deviceId: string, intent: CommandIntent): Promise<void>
  /**
   * A cloud `door.open`, through the access controller (audited like a card); absent when
   * the site has no access control. Throws with the reason the ack should carry.
   */
  openDoor?(open: RemoteOpen): Promise<unknown>
  /**
   * The site's AlarmService, for a cloud user's `alarm.ack` / `alarm.clear` (alarm-commands.ts);
   * absent, those are refused with `alarms_unavailable`.
   */
  alarms?: AlarmDesk
  /** The gateway's sync health, sent as `sync.status` when the channel opens and every `syncStatusEveryMs`. */
  syncStatus?: () => SyncStatus
  /** Default 10 s. */
  syncStatusEveryMs?: number
  /** Told each time the channel opens: the cloud is up, so whatever waits for it may try now. */
  onOpen?: () => void
  backoffBaseMs?: number
  backoffCapMs?: number
}

export interface DownlinkStatus {
  connected: boolean
  /** The desired config version running; 0 = the site config file. */
  runningVersion: number
  /** Set when the last version received was refused. */
  lastRefused: { version: number; reason: string } | null
  /** Parts of the running desired config that wait for a restart, e.g. `devices`. */
  pendingRestart: string[]
}

/**
 * The gateway end of the downlink (ARCHITECTURE.md sync contract 7): one WebSocket to the
 * cloud, reconnected with exponential backoff and jitter. A desired config is validated
 * with the same parser as the site file, written atomically as the last known good one,
 * and its rules applied live; a refused one leaves everything as it was and the reasons,
 * with their JSON paths, go back to the cloud. A cloud command past its expiry on the
 * gateway's clock is answered `expired` and never run; one that runs is journaled first
 * (command-journal.ts), so a resend is answered, never run twice. `door.open` goes through
 * the access controller; `alarm.ack` and `alarm.clear` go through the AlarmService, as the
 * local API's do. While the channel is open the gateway reports its sync health
 * (`sync.status`, sync contract 8).
 */
export class Downlink {
  private ws: WebSocket | undefined
  private timer: NodeJS.Timeout | undefined
  private silence: NodeJS.Timeout | undefined
  private statusTimer: NodeJS.Timeout | undefined
  private attempt = 0
  private stopped = true
  private running: number
  private lastRefused: DownlinkStatus['lastRefused'] = null
  private pendingRestart: string[] = []
  /** Messages are handled one at a time, in order: a config must not race the next one. */
  private chain: Promise<void> = Promise.resolve()
  /** Cloud commands taken on, durably, so a resend is answered again instead of run twice. */
  private readonly journal: CommandJournal
  /** The site as it was built at boot: what live-applied configs are compared with. */
  private readonly bootSite: SiteConfig
  /** The site config running now: the boot one, then each desired config applied live. */
  private site: SiteConfig
  /** Set by the cloud's `config.request` on the open channel: report the running config, and every change of it. */
  private reportWanted = false
  /** What the last `config.report` on the open channel described; a change sends a new one. */
  private reportedKey: string | undefined

  constructor(private readonly o: DownlinkOptions) {
    this.running = loadDesiredConfig(o.config.dataDir, o.config.gatewayId)?.version ?? 0
    this.bootSite = o.config.site
    this.site = o.config.site
    this.journal = new CommandJournal(commandJournalPath(o.config.dataDir))
    this.journal.prune(o.now())
  }

  status(): DownlinkStatus {
    return { connected: this.ws?.readyState === WebSocket.OPEN, runningVersion: this.running, lastRefused: this.lastRefused, pendingRestart: [...this.pendingRestart] }
  }

  start(): void {
    if (!this.stopped) return
    this.stopped = false
    this.connect()
  }

  async stop(): Promise<void> {
    this.stopped = true
    clearTimeout(this.timer)
    clearTimeout(this.silence)
    clearInterval(this.statusTimer)
    const ws = this.ws
    this.ws = undefined
    if (ws && ws.readyState !== WebSocket.CLOSED) {
      const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()))
      ws.terminate()
      await closed
    }
    await this.chain
    this.journal.close()
  }

  /** Handles one cloud message and returns the answer; the channel sends it (exposed for tests). */
  handle(message: unknown): Promise<ConfigStatusMessage | CommandAckMessage | ConfigReportMessage | undefined> {
    const run = this.chain.then(() => this.dispatch(message))
    this.chain = run.then(
      () => undefined,
      () => undefined,
    )
    return run
  }

  private async dispatch(message: unknown): Promise<ConfigStatusMessage | CommandAckMessage | ConfigReportMessage | undefined> {
    if (!downlinkValidators.downlink.check(message)) {
      this.o.logger.warn({ reasons: downlinkValidators.downlink.explain(message) }, 'downlink: bad message ignored')
      return undefined
    }
    if (message.type === 'config.request') {
      this.reportWanted = true
      this.reportedKey = undefined
      return this.configReport()
    }
    return message.type === 'config' ? this.applyConfig(message) : this.runCommand(message)
  }

  private async applyConfig(message: ConfigMessage): Promise<ConfigStatusMessage> {
    const { version } = message
    const log = this.o.logger.child({ configVersion: version })
    if (version === this.running) return { type: 'config.status', version, ok: true, running: this.running }
    const refuse = (reasons: string[]): ConfigStatusMessage => {
      const reason = reasons.join('\n').slice(0, 4000)
      this.lastRefused = { version, reason }
      log.warn({ reasons, running: this.running }, 'desired config refused; keeping the last known good one')
      return { type: 'config.status', version, ok: false, reason, running: this.running }
    }
    // Versions only grow in the cloud; an older one is a replay or a restored database.
    if (version < this.running) return refuse([`/version: ${version} is older than the running version ${this.running}`])
    if (message.config.gatewayId !== this.o.config.gatewayId)
      return refuse([`/gatewayId: "${message.config.gatewayId}" is not this gateway ("${this.o.config.gatewayId}")`])
    let site: SiteConfig
    try {
      site = parseSiteConfig(message.config, `desired config v${version}`)
    } catch (err) {
      if (!isGatewayError(err, 'CONFIG_ERR_INVALID')) throw err
      return refuse((err.details.reasons as string[] | undefined) ?? [err.message])
    }
    // Durable first: a crash after this boots into the new version; before it, the old one.
    saveDesiredConfig(this.o.config.dataDir, { version, site, appliedAt: this.o.now() })
    // Rules edited on the local API were the previous override; the cloud's version replaces them.
    rmSync(rulesFilePath(this.o.config.dataDir), { force: true })
    await this.o.applyRules(site.rules)
    this.running = version
    this.site = site
    this.lastRefused = null
    this.pendingRestart = RESTART_PARTS.filter((part) => JSON.stringify(site[part]) !== JSON.stringify(this.bootSite[part]))
    if (this.pendingRestart.length > 0)
      log.warn({ pendingRestart: this.pendingRestart }, 'desired config applied: rules now, the rest on the next restart')
    else log.info('desired config applied')
    return { type: 'config.status', version, ok: true, running: version }
  }

  private async runCommand(message: CommandMessage): Promise<CommandAckMessage> {
    const log = this.o.logger.child({ cloudCommandId: message.id, deviceId: message.deviceId })
    const answer = (ok: boolean, error?: string): CommandAckMessage => {
      const ack: CommandAckMessage = { type: 'command.ack', id: message.id, ok, ...(error ? { error: error.slice(0, 500) } : {}) }
      try {
        this.journal.answer(ack, message.expiresAt, this.o.now())
      } catch (err) {
        // The answer still goes out; a resend would then be acked `interrupted`, never run again.
        log.error({ err }, 'cloud command answer not recorded')
      }
      return ack
    }
    const previous = this.journal.get(message.id)
    if (previous?.ack) {
      log.info({ ok: previous.ack.ok }, 'cloud command resent; answered as before, not run again')
      return previous.ack
    }
    if (previous) {
      log.warn('cloud command resent after it was begun and never answered; not run again')
      return answer(false, INTERRUPTED)
    }
    // The gateway's clock decides: an order that outlived its expiry offline is stale intent.
    if (this.o.now() >= message.expiresAt) {
      log.warn({ expiresAt: message.expiresAt }, 'cloud command expired before it could run; not executed')
      return answer(false, 'expired')
    }
    const intent = message.command
    if (isAlarmCommand(intent)) {
      // The alarm, not the device, is what must exist: it may outlive its device in the config.
      const refusal = alarmCommandRefusal(this.o.alarms, { ...message, command: intent })
      if (refusal) {
        log.info({ kind: intent.kind, alarmId: intent.alarmId, refusal }, 'cloud alarm command refused')
        return answer(false, refusal)
      }
    } else {
      // The broker knows the devices it was built with; a device added by a later version needs the restart first.
      if (!this.bootSite.devices.some((d) => d.id === message.deviceId)) return answer(false, 'unknown_device')
      if (intent.kind === 'door.open' && !this.o.openDoor) return answer(false, 'not_a_door: this gateway has no access control (no doors)')
    }
    const now = this.o.now()
    try {
      // On disk before the device can hear it: after a crash from here on, a resend is not run again.
      this.journal.prune(now)
      this.journal.begin(message.id, message.expiresAt, now)
    } catch (err) {
      log.error({ err }, 'cloud command not run: it could not be recorded')
      return { type: 'command.ack', id: message.id, ok: false, error: `not run: could not record it (${(err as Error).message})`.slice(0, 500) }
    }
    try {
      if (isAlarmCommand(intent)) await applyAlarmCommand(this.o.alarms!, intent)
      else if (intent.kind === 'door.open')
        await this.o.openDoor!({ readerId: message.deviceId, doorId: intent.doorId, seconds: intent.seconds, commandId: message.id })
      else await this.o.sendCommand(message.deviceId, intent)
    } catch (err) {
      log.warn({ err }, 'cloud command failed')
      return answer(false, (err as Error).message)
    }
    if (isAlarmCommand(intent)) log.info({ kind: intent.kind, alarmId: intent.alarmId, by: intent.by, note: intent.note }, 'cloud alarm command applied')
    else log.info({ kind: intent.kind }, 'cloud command sent to the device')
    return answer(true)
  }

  private connect(): void {
    if (this.stopped) return
    const url = new URL(CHANNEL_PATH, this.o.config.cloud.url.replace(/^http/, 'ws'))
    const ws = new WebSocket(url, {
      headers: { authorization: `Bearer ${this.o.config.cloud.gatewayKey}` },
      maxPayload: MAX_FRAME_BYTES,
      handshakeTimeout: 10_000,
    })
    this.ws = ws
    const heard = () => {
      clearTimeout(this.silence)
      this.silence = setTimeout(() => ws.terminate(), SILENCE_MS)
      this.silence.unref()
    }
    ws.on('open', () => {
      this.attempt = 0
      heard()
      this.o.logger.info('downlink channel open')
      this.o.onOpen?.()
      // The cloud asks again on this connection if it wants the running config.
      this.reportWanted = false
      this.sendSyncStatus(ws)
      clearInterval(this.statusTimer)
      // The same tick notices a rule edited on the local API and reports the new config.
      this.statusTimer = setInterval(() => {
        this.sendSyncStatus(ws)
        this.reportConfigChange(ws)
      }, this.o.syncStatusEveryMs ?? SYNC_STATUS_EVERY_MS)
      this.statusTimer.unref()
    })
    ws.on('ping', heard)
    ws.on('message', (data) => {
      heard()
      let message: unknown
      try {
        message = JSON.parse(String(data))
      } catch {
        message = undefined
      }
      this.handle(message).then(
        (reply) => {
          if (reply && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(reply))
          if (reply?.type === 'config.status' && reply.ok && ws.readyState === WebSocket.OPEN) {
            const report = this.reportWanted ? this.configReport() : undefined
            if (report) ws.send(JSON.stringify(report))
          }
        },
        (err: unknown) => this.o.logger.error({ err }, 'downlink: message handling failed'),
      )
    })
    ws.on('unexpected-response', (_req, res) => {
      this.o.logger.warn({ status: res.statusCode }, res.statusCode === 401 ? 'downlink refused: bad gateway key (GATEWAY_KEY)' : 'downlink refused')
      ws.terminate()
    })
    ws.on('error', (err) => this.o.logger.debug({ err }, 'downlink channel error'))
    ws.on('close', () => {
      clearTimeout(this.silence)
      if (this.ws === ws) clearInterval(this.statusTimer)
      if (this.ws === ws) this.ws = undefined
      if (!this.stopped) this.scheduleReconnect()
    })
  }

  /** One `sync.status`; a failure to measure is logged and the next tick tries again. */
  private sendSyncStatus(ws: WebSocket): void {
    if (ws.readyState !== WebSocket.OPEN || !this.o.syncStatus) return
    let message: SyncStatusMessage
    try {
      message = { type: 'sync.status', status: this.o.syncStatus() }
    } catch (err) {
      this.o.logger.warn({ err }, 'sync status not measured')
      return
    }
    // The cloud drops a message that fails its schema without telling us; say so here instead.
    if (!downlinkValidators.upstream.check(message)) {
      this.o.logger.error({ reasons: downlinkValidators.upstream.explain(message) }, 'sync status not sent: it fails the protocol schema')
      return
    }
    ws.send(JSON.stringify(message))
  }

  /**
   * The site config as it runs: the running site with the rules the engine runs (the local
   * API's rules file, when a technician edited rules since the last desired config).
   */
  runningConfig(): { running: number; config: SiteConfig } {
    const rules = loadRuleSet(this.o.config.dataDir, this.site).rules
    return { running: this.running, config: { ...this.site, rules } }
  }

  /**
   * `config.report`: the running site config, so the cloud can edit what the gateway runs
   * before it has stored a desired version. Undefined when nothing changed since the last
   * report (running version and local rules file), or when it cannot be sent.
   */
  private configReport(): ConfigReportMessage | undefined {
    let rulesFileMtime = 0
    try {
      rulesFileMtime = statSync(rulesFilePath(this.o.config.dataDir)).mtimeMs
    } catch {
      // No rules file: the site's own rules run.
    }
    const key = `${this.running}:${rulesFileMtime}`
    if (key === this.reportedKey) return undefined
    this.reportedKey = key
    let message: ConfigReportMessage
    try {
      const { running, config } = this.runningConfig()
      message = { type: 'config.report', running, config: config as unknown as ConfigReportMessage['config'] }
    } catch (err) {
      this.o.logger.warn({ err }, 'running config not reported: it could not be read')
      return undefined
    }
    const bytes = Buffer.byteLength(JSON.stringify(message))
    if (!downlinkValidators.gatewayChannel.check(message) || bytes > CLOUD_MAX_FRAME_BYTES) {
      this.o.logger.error({ reasons: downlinkValidators.gatewayChannel.explain(message), bytes }, 'running config not reported: it does not fit the protocol')
      return undefined
    }
    return message
  }

  /** On the status tick: a rule edited on the local API since the last report is reported. */
  private reportConfigChange(ws: WebSocket): void {
    if (!this.reportWanted || ws.readyState !== WebSocket.OPEN) return
    const report = this.configReport()
    if (report) ws.send(JSON.stringify(report))
  }

  /** Backoff with jitter (backoff.ts), so a cloud restart is not met by every gateway at once. */
  private scheduleReconnect(): void {
    this.attempt = Math.min(this.attempt + 1, 20)
    const delay = jitteredBackoff(this.attempt, this.o.backoffBaseMs ?? 500, this.o.backoffCapMs ?? 30_000)
    clearTimeout(this.timer)
    this.timer = setTimeout(() => this.connect(), delay)
    this.timer.unref()
  }
}

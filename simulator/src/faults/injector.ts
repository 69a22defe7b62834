import type { Logger } from 'pino'
import type { SimClock } from '../modbus/sim-clock.js'
import { ModbusException, type ModbusTcpServer } from '../modbus/tcp-server.js'
import type { LinkProxy, PartitionMode } from './link-proxy.js'
import { isActiveAt, parseFaultPlan, type FaultEntry, type FaultKind, type FaultPlan } from './plan.js'
import { SensorFaults, isSensorKind } from './sensor.js'

/**
 * What a device offers the injector. Every part is optional: a plan entry for a part the
 * device lacks is reported (`unapplied`) rather than thrown, so one plan can serve a run
 * with or without Modbus servers.
 */
export interface FaultTarget {
  /**
   * Power the device off (`true`: stop publishing, close the MQTT connection) and back on.
   * Without it an `offline` fault cuts `link` instead, which closes the connection the
   * same way but lets the node keep queueing readings.
   */
  setOffline?(offline: boolean): void | Promise<void>
  /** The proxy the device reaches the gateway through (`startLinkProxy`), for `partition`. */
  link?: LinkProxy
  /** The device's Modbus server, for `modbus-*` faults. */
  modbus?: ModbusTcpServer
}

export interface FaultInjectorOptions {
  /** Checked with `parseFaultPlan`; an invalid plan throws SIM_CONFIG_INVALID. */
  plan: unknown
  /** Simulated seconds since the scenario started (`wallClock(speed)` or `manualClock()`). */
  clock: SimClock
  /** Seed of the plan's randomness, for entries without their own. Default 1. */
  seed?: number
  targets?: Record<string, FaultTarget>
  logger?: Logger
  /** Called after every change of the active set, with the faults now active. */
  onChange?: (active: readonly ActiveFault[]) => void
}

export interface ActiveFault {
  /** Position in the plan. */
  index: number
  deviceId: string
  kind: FaultKind
  metric?: string
  from: number
  to?: number
  /** Spanish label for the status line, e.g. `camara-1: sensor congelado (temperature_c)`. */
  label: string
  /** Device-level or Modbus fault whose device has no matching target: in force but with no effect. */
  unapplied: boolean
}

const LABELS: Record<FaultKind, (e: FaultEntry) => string> = {
  stuck: () => 'sensor congelado',
  drift: () => 'deriva',
  spikes: () => 'picos',
  noise: () => 'ruido',
  dropout: () => 'lecturas perdidas',
  offline: () => 'apagado',
  partition: () => 'sin enlace (partición)',
  'modbus-timeout': () => 'Modbus no responde',
  'modbus-exception': (e) => `Modbus excepción 0x${modbusCode(e).toString(16).padStart(2, '0')}`,
  'modbus-stuck': (e) => `registro ${(e as FaultEntry<'modbus-stuck'>).params?.register} congelado`,
}

function modbusCode(e: FaultEntry): number {
  return (e as FaultEntry<'modbus-exception'>).params?.code ?? ModbusException.serverDeviceBusy
}

function label(e: FaultEntry): string {
  return `${e.deviceId}: ${LABELS[e.kind](e)}${e.metric ? ` (${e.metric})` : ''}`
}

/**
 * Applies a fault plan over simulated time. Sensor faults are pulled: a device passes its
 * readings through `transform()` before publishing. Device and Modbus faults are pushed:
 * `update()` (on a timer after `start()`) switches targets as entries begin and end.
 */
export class FaultInjector {
  readonly plan: FaultPlan
  private readonly sensors: SensorFaults
  private readonly targets = new Map<string, FaultTarget>()
  /** Plan indices in force at the last update. */
  private inForce = new Set<number>()
  private timer: NodeJS.Timeout | null = null
  /** Device-level state we last pushed, so a transition is applied once. */
  private readonly offlineNow = new Set<string>()
  private readonly partitionNow = new Map<string, PartitionMode>()
  private pending: Promise<unknown> = Promise.resolve()

  constructor(private readonly options: FaultInjectorOptions) {
    this.plan = parseFaultPlan(options.plan)
    this.sensors = new SensorFaults(this.plan, options.seed ?? 1)
    for (const [id, t] of Object.entries(options.targets ?? {})) this.targets.set(id, t)
  }

  /** Register (or replace) a device's target; it catches up on the next `update()`. */
  attach(deviceId: string, target: FaultTarget): void {
    this.targets.set(deviceId, target)
    this.offlineNow.delete(deviceId)
    this.partitionNow.delete(deviceId)
    // Force its entries to be re-applied.
    for (const i of [...this.inForce]) if (this.plan[i]!.deviceId === deviceId) this.inForce.delete(i)
  }

  /**
   * A device's readings as the faulty sensors report them at `tS` (default now). Readings
   * that dropped out are left out; an empty object means nothing to publish.
   */
  transform(deviceId: string, readings: Readonly<Record<string, number>>, tS = this.options.clock()): Record<string, number> {
    return this.sensors.apply(deviceId, tS, readings)
  }

  /** True while an `offline` entry holds the device: a node should not publish then. */
  isOffline(deviceId: string, tS = this.options.clock()): boolean {
    return this.plan.some((e) => e.kind === 'offline' && e.deviceId === deviceId && isActiveAt(e, tS))
  }

  /** Bring targets in line with the plan at `tS` (default now); returns the active faults. */
  update(tS = this.options.clock()): ActiveFault[] {
    const now = new Set<number>()
    this.plan.forEach((e, i) => {
      if (isActiveAt(e, tS)) now.add(i)
    })
    const changed = new Set<string>()
    for (const i of now) if (!this.inForce.has(i)) changed.add(this.plan[i]!.deviceId)
    for (const i of this.inForce) if (!now.has(i)) changed.add(this.plan[i]!.deviceId)
    const previous = this.inForce
    this.inForce = now
    for (const deviceId of changed) this.applyDevice(deviceId, previous)
    if (changed.size) {
      const active = this.active()
      this.options.logger?.info({ tS, active: active.map((a) => a.label) }, 'faults changed')
      this.options.onChange?.(active)
    }
    return this.active()
  }

  /** The faults in force at the last `update()`, in plan order. */
  active(): ActiveFault[] {
    return [...this.inForce]
      .sort((a, b) => a - b)
      .map((index) => {
        const e = this.plan[index]!
        return {
          index,
          deviceId: e.deviceId,
          kind: e.kind,
          ...(e.metric !== undefined ? { metric: e.metric } : {}),
          from: e.from,
          ...(e.to !== undefined ? { to: e.to } : {}),
          label: label(e),
          unapplied: !this.canApply(e),
        }
      })
  }

  /** For the CLI's one-line status: `sin fallas` or `2 fallas: camara-1: picos, frio-1: Modbus no responde`. */
  statusText(): string {
    const active = this.active()
    if (!active.length) return 'sin fallas'
    return `${active.length} ${active.length === 1 ? 'falla' : 'fallas'}: ${active.map((a) => a.label).join(', ')}`
  }

  /** Run `update()` every `intervalMs` of real time (default 200). */
  start(intervalMs = 200): void {
    if (this.timer) return
    this.update()
    this.timer = setInterval(() => this.update(), intervalMs)
    this.timer.unref?.()
  }

  /** Stop the timer and lift every fault from the targets (links healed, Modbus cleared, devices on). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
    const previous = this.inForce
    this.inForce = new Set()
    for (const deviceId of new Set([...previous].map((i) => this.plan[i]!.deviceId))) this.applyDevice(deviceId, previous)
    await this.settled()
  }

  /** Resolves once asynchronous `setOffline` calls made so far have finished. */
  settled(): Promise<void> {
    return this.pending.then(() => undefined)
  }

  private canApply(e: FaultEntry): boolean {
    if (isSensorKind(e.kind)) return true
    const t = this.targets.get(e.deviceId)
    if (!t) return false
    if (e.kind === 'offline') return !!(t.setOffline || t.link)
    if (e.kind === 'partition') return !!t.link
    return !!t.modbus
  }

  private activeOf(deviceId: string, kind: FaultKind): Array<[number, FaultEntry]> {
    return [...this.inForce]
      .sort((a, b) => a - b)
      .map((i) => [i, this.plan[i]!] as [number, FaultEntry])
      .filter(([, e]) => e.deviceId === deviceId && e.kind === kind)
  }

  /** Recompute one device's pushed state from the entries in force; `previous` tells which ended. */
  private applyDevice(deviceId: string, previous: ReadonlySet<number>): void {
    const t = this.targets.get(deviceId)
    if (!t) return

    const offline = this.activeOf(deviceId, 'offline').length > 0
    if (offline !== this.offlineNow.has(deviceId)) {
      if (offline) this.offlineNow.add(deviceId)
      else this.offlineNow.delete(deviceId)
      if (t.setOffline) {
        // Called now, not after earlier calls settle: a node flips its own state at once,
        // so the next tick of the scenario already sees it off.
        const fail = (err: unknown) => this.options.logger?.error({ err, deviceId }, 'fault: setOffline failed')
        let done: Promise<unknown>
        try {
          done = Promise.resolve(t.setOffline(offline)).catch(fail)
        } catch (err) {
          fail(err)
          done = Promise.resolve()
        }
        this.pending = Promise.all([this.pending, done])
      } else if (t.link) {
        if (offline) t.link.cut()
        else t.link.heal()
      }
    }

    const partitions = this.activeOf(deviceId, 'partition')
    const mode = partitions.length ? ((partitions.at(-1)![1] as FaultEntry<'partition'>).params?.mode ?? 'hold') : undefined
    if (t.link && mode !== this.partitionNow.get(deviceId)) {
      if (mode) {
        this.partitionNow.set(deviceId, mode)
        t.link.partition(mode)
      } else {
        this.partitionNow.delete(deviceId)
        // An offline fault still in force via the link keeps it cut.
        if (!(offline && !t.setOffline)) t.link.heal()
      }
    }

    const m = t.modbus
    if (!m) return
    m.faults.timeout = this.activeOf(deviceId, 'modbus-timeout').length > 0
    const exceptions = this.activeOf(deviceId, 'modbus-exception')
    m.faults.exception = exceptions.length ? modbusCode(exceptions.at(-1)![1]) : null
    // Stuck registers: unstick those whose entry ended, stick those that began (a register
    // already stuck keeps the value it latched).
    const stuckNow = new Map(this.activeOf(deviceId, 'modbus-stuck').map(([i, e]) => [i, e as FaultEntry<'modbus-stuck'>]))
    for (const i of previous) {
      const e = this.plan[i]!
      if (e.deviceId !== deviceId || e.kind !== 'modbus-stuck' || stuckNow.has(i)) continue
      const register = (e as FaultEntry<'modbus-stuck'>).params!.register
      if (![...stuckNow.values()].some((s) => s.params!.register === register)) m.unstick(register)
    }
    for (const [i, e] of stuckNow) {
      if (previous.has(i)) continue
      try {
        m.stick(e.params!.register, e.params!.value)
      } catch (err) {
        this.options.logger?.warn({ err, deviceId, register: e.params!.register }, 'fault: no such register')
      }
    }
  }
}

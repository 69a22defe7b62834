import { pino } from 'pino'
import type { LogEvent } from '@tendero/protocol'
import { AlarmService } from '../src/alarms/alarms.js'
import { RulesEngine } from '../src/rules/engine.js'
import type { RuleEffects } from '../src/rules/kinds.js'
import type { RuleSpec } from '../src/rules/registry.js'
import type { StateStore } from '../src/rules/state-store.js'

/** Log events as the engine sees them, for pure rule tests. */
let seq = 0
const envelope = (deviceId: string, time: number) => ({
  seq: ++seq, deviceId, time, receivedAt: time, bootId: 'b', monoMs: 0, clockSynced: true,
})
export const telemetry = (deviceId: string, readings: Record<string, number>, time = 0): LogEvent => ({
  ...envelope(deviceId, time), kind: 'telemetry', body: { readings },
})
export const deviceEvent = (deviceId: string, kind: string, time = 0, data?: Record<string, string | number | boolean>): LogEvent => ({
  ...envelope(deviceId, time), kind: 'event', body: { kind, ...(data ? { data } : {}) },
})
export const stateEvent = (deviceId: string, state: Record<string, string | number | boolean>, time = 0): LogEvent => ({
  ...envelope(deviceId, time), kind: 'state', body: { state },
})

export const minutes = (n: number) => n * 60_000

/**
 * A rules engine with a real AlarmService and effects that record instead of touching
 * a broker; recorded log events are fed back to the engine like the gateway does.
 */
export function engineHarness(rules: RuleSpec[], opts: { store?: StateStore; timeZone?: string; start?: number } = {}) {
  const clock = { now: opts.start ?? Date.UTC(2026, 0, 5, 12, 0, 0) } // a Monday, 09:00 in Buenos Aires
  const commands: { deviceId: string; relay: string; on: boolean; at: number; ruleId: string }[] = []
  const published: { topic: string; message: Record<string, unknown> }[] = []
  const logged: { kind: string; deviceId: string; body: Record<string, unknown> }[] = []
  const logger = pino({ level: 'silent' })
  let engine: RulesEngine
  const feed = (events: { kind: string; deviceId: string; body: unknown }[]) => {
    logged.push(...(events as typeof logged))
    engine.handle(events.map((e) => ({ ...envelope(e.deviceId, clock.now), ...e }) as LogEvent))
  }
  const effects: RuleEffects = {
    async sendCommand(deviceId, intent, source) {
      if (intent.kind === 'relay.set') commands.push({ deviceId, relay: intent.relay, on: intent.on, at: clock.now, ruleId: source.ruleId })
    },
    async record(event) {
      feed([event])
    },
    async publish(topic, payload) {
      published.push({ topic, message: JSON.parse(payload) })
    },
  }
  const alarms = new AlarmService({ now: () => clock.now, logger, store: opts.store, async record(events) { feed(events) } })
  engine = new RulesEngine({
    rules,
    effects,
    alarms,
    logger,
    now: () => clock.now,
    store: opts.store,
    timeZone: opts.timeZone ?? 'America/Argentina/Buenos_Aires',
  })
  return {
    engine,
    alarms,
    clock,
    commands,
    published,
    logged,
    /** Moves the clock, ticking every second like the live engine, and lets actions finish. */
    async advance(ms: number) {
      const end = clock.now + ms
      while (clock.now < end) {
        clock.now = Math.min(end, clock.now + 1000)
        engine.tick()
        await engine.settled()
      }
      await alarms.settled()
    },
    async send(event: LogEvent) {
      engine.handle([{ ...event, time: clock.now, receivedAt: clock.now }])
      await engine.settled()
      await alarms.settled()
    },
  }
}

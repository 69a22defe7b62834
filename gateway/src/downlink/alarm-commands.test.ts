import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import type { AlarmChange, CommandMessage, LogEventKind } from '@tendero/protocol'
import { AlarmService } from '../alarms/alarms.js'
import { parseSiteConfig } from '../config.js'
import { ISSUE_SKEW_MS } from './alarm-commands.js'
import { Downlink, INTERRUPTED } from './downlink.js'
import { CommandJournal, commandJournalPath } from './command-journal.js'

const GATEWAY = 'gw-alarms'
const ALARM = 'camara-alta:camara-1'
const logger = pino({ level: 'silent' })

/**
 * The gateway end of cloud alarm commands: a real Downlink over a real AlarmService (no
 * socket: `handle` is what the channel calls). The log is the list of recorded events.
 */
function setup(dataDir: string, opts: { withAlarms?: boolean } = {}) {
  let now = 1_000_000
  const recorded: { kind: LogEventKind; deviceId: string; body: unknown }[] = []
  const alarms = new AlarmService({ now: () => now, logger, record: async (events) => void recorded.push(...events) })
  const downlink = new Downlink({
    config: {
      gatewayId: GATEWAY,
      dataDir,
      cloud: { url: 'http://127.0.0.1:9', gatewayKey: 'unused' },
      site: parseSiteConfig({ gatewayId: GATEWAY, devices: [], rules: [] }),
    },
    logger,
    now: () => now,
    applyRules: async () => {},
    sendCommand: async () => {
      throw new Error('no device command expected')
    },
    ...(opts.withAlarms === false ? {} : { alarms }),
  })
  const raise = () =>
    alarms.raise({ ruleId: 'camara-alta', deviceId: 'camara-1', value: 6.2, policy: { severity: 'critical', message: 'Cámara sobre 5 °C' } })
  const command = (id: string, kind: 'alarm.ack' | 'alarm.clear', extra: Partial<CommandMessage> = {}): CommandMessage => ({
    type: 'command',
    id,
    deviceId: 'camara-1',
    issuedAt: now,
    expiresAt: now + 60_000,
    command: { kind, alarmId: ALARM, by: 'cloud:duenio@example.com', note: 'Ya voy' },
    ...extra,
  })
  const changes = () => recorded.filter((e) => e.kind === 'alarm').map((e) => e.body as AlarmChange)
  return { alarms, downlink, raise, command, changes, advance: (ms: number) => (now += ms), now: () => now }
}

describe('downlink: cloud alarm commands', () => {
  const dirs: string[] = []
  const stops: (() => Promise<void>)[] = []
  const dataDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'tendero-downlink-alarms-'))
    dirs.push(dir)
    return dir
  }
  const open = (dir: string, opts?: { withAlarms?: boolean }) => {
    const s = setup(dir, opts)
    stops.push(() => s.downlink.stop())
    return s
  }
  afterEach(async () => {
    for (const stop of stops.splice(0)) await stop()
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
  })

  it('acknowledges through the AlarmService with the cloud user as `by`, and clears the same way', async () => {
    const s = open(dataDir())
    await s.raise()
    s.advance(5_000)
    expect(await s.downlink.handle(s.command('c-ack', 'alarm.ack'))).toEqual({ type: 'command.ack', id: 'c-ack', ok: true })
    expect(s.alarms.get(ALARM)).toMatchObject({ state: 'acknowledged', acknowledgedBy: 'cloud:duenio@example.com' })
    expect(await s.downlink.handle(s.command('c-clear', 'alarm.clear'))).toEqual({ type: 'command.ack', id: 'c-clear', ok: true })
    expect(s.alarms.get(ALARM)).toBeUndefined()
    // Logged like a local acknowledgement: the uplink takes it to the cloud's mirror.
    expect(s.changes().map((c) => [c.state, c.by])).toEqual([
      ['raised', undefined],
      ['acknowledged', 'cloud:duenio@example.com'],
      ['cleared', 'cloud:duenio@example.com'],
    ])
  })

  it('runs a resent command at most once: the first answer comes back, the log gets no second change', async () => {
    const dir = dataDir()
    const s = open(dir)
    await s.raise()
    s.advance(1_000)
    const first = await s.downlink.handle(s.command('c-1', 'alarm.clear'))
    expect(first).toEqual({ type: 'command.ack', id: 'c-1', ok: true })
    await s.raise()
    // The cloud resends the same command (its ack was lost): answered, not run on the new alarm.
    expect(await s.downlink.handle(s.command('c-1', 'alarm.clear'))).toEqual(first)
    expect(s.alarms.get(ALARM)?.state).toBe('raised')
    expect(s.changes().map((c) => c.state)).toEqual(['raised', 'cleared', 'raised'])
  })

  it('answers `interrupted` to a command begun before a crash and never answered, without running it', async () => {
    const dir = dataDir()
    const journal = new CommandJournal(commandJournalPath(dir))
    journal.begin('c-crash', 2_000_000, 1_000_000)
    journal.close()
    const s = open(dir)
    await s.raise()
    expect(await s.downlink.handle(s.command('c-crash', 'alarm.ack'))).toEqual({ type: 'command.ack', id: 'c-crash', ok: false, error: INTERRUPTED })
    expect(s.alarms.get(ALARM)?.state).toBe('raised')
  })

  it('refuses, with a coded reason and no log change: unknown or cleared alarm, expired, already acknowledged', async () => {
    const s = open(dataDir())
    const unknown = await s.downlink.handle(s.command('c-unknown', 'alarm.ack'))
    expect(unknown).toMatchObject({ ok: false, error: expect.stringMatching(/^alarm_not_active: /) })
    await s.raise()
    const expired = await s.downlink.handle(s.command('c-expired', 'alarm.ack', { expiresAt: s.now() - 1 }))
    expect(expired).toEqual({ type: 'command.ack', id: 'c-expired', ok: false, error: 'expired' })
    await s.alarms.acknowledge(ALARM, 'tecnico')
    const twice = await s.downlink.handle(s.command('c-twice', 'alarm.ack'))
    expect(twice).toMatchObject({ ok: false, error: 'alarm_already_acknowledged: "camara-alta:camara-1" was already acknowledged by tecnico' })
    expect(s.alarms.get(ALARM)).toMatchObject({ state: 'acknowledged', acknowledgedBy: 'tecnico' })
    expect(s.changes().map((c) => c.state)).toEqual(['raised', 'acknowledged'])
  })

  it('does not act on a later episode of the alarm than the one the user saw', async () => {
    const s = open(dataDir())
    const issuedAt = s.now()
    // Offline for a while: the alarm the user saw cleared by itself and came back.
    s.advance(ISSUE_SKEW_MS + 60_000)
    await s.raise()
    const late = await s.downlink.handle(s.command('c-late', 'alarm.clear', { issuedAt, expiresAt: s.now() + 60_000 }))
    expect(late).toMatchObject({ ok: false, error: expect.stringMatching(/^alarm_reraised: /) })
    expect(s.alarms.get(ALARM)?.state).toBe('raised')
  })

  it('refuses alarm commands when it was built without the AlarmService', async () => {
    const s = open(dataDir(), { withAlarms: false })
    await s.raise()
    const answer = await s.downlink.handle(s.command('c-none', 'alarm.ack'))
    expect(answer).toMatchObject({ ok: false, error: expect.stringMatching(/^alarms_unavailable: /) })
  })

  it('ignores an alarm command that fails the protocol schema (no answer, nothing done)', async () => {
    const s = open(dataDir())
    await s.raise()
    const bad = { ...s.command('c-bad', 'alarm.ack'), command: { kind: 'alarm.ack', alarmId: ALARM } }
    expect(await s.downlink.handle(bad)).toBeUndefined()
    expect(s.alarms.get(ALARM)?.state).toBe('raised')
  })
})

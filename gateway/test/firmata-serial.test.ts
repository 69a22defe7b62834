import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { mkdtempSync, rmSync, symlinkSync, unlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { LogEvent } from '@tendero/protocol'
import { startTestGateway, testSite, waitFor, type TestGateway } from './harness.js'

/**
 * The production IO path, no mock: serialport 13 opens a real (pseudo-)terminal, firmata-io
 * does the Firmata handshake over it, johnny-five drives the pins. The board on the other
 * end is test/firmata-fake-board.py, which speaks the StandardFirmata wire protocol on a
 * pty. The gateway's port is a symlink, so a "replugged" board (a new pty) is found again.
 */
// Skipped on a machine without python3, but not under CI, where it must run.
const hasPython = spawnSync('python3', ['--version']).status === 0

interface FakeBoard {
  path: string
  lines: string[]
  analog(channel: number, raw: number): void
  kill(): Promise<void>
}

async function fakeBoard(): Promise<FakeBoard> {
  const child: ChildProcessWithoutNullStreams = spawn('python3', [join(import.meta.dirname, 'firmata-fake-board.py')])
  const lines: string[] = []
  let pending = ''
  child.stdout.on('data', (chunk: Buffer) => {
    pending += chunk.toString()
    const parts = pending.split('\n')
    pending = parts.pop()!
    lines.push(...parts)
  })
  const path = await waitFor(() => lines[0])
  return {
    path,
    lines,
    analog: (channel, raw) => void child.stdin.write(`A${channel} ${raw}\n`),
    kill: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = new Promise((r) => child.once('exit', r))
      child.kill('SIGKILL')
      await exited
    },
  }
}

const cleanups: (() => Promise<unknown> | void)[] = []
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!()
})

describe.skipIf(!hasPython && process.env.CI !== 'true')('firmata over a real serial port (serialport 13 + firmata-io)', () => {
  it('reads, switches a relay, loses the board and finds it again on its port', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tendero-firmata-'))
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
    const port = join(dir, 'ttyACM0')
    let board = await fakeBoard()
    cleanups.push(() => board.kill())
    board.analog(0, 300)
    symlinkSync(board.path, port)

    const site = await testSite((s) => {
      s.devices.push({
        id: 'horno-1',
        kind: 'oven',
        relays: ['horno'],
        firmata: {
          port, timeoutMs: 4000, retryMs: 100, backoffCapMs: 300, silenceMs: 1000,
          sensors: [{ pin: 'A0', metric: 'temperature_c', scale: 0.5, everyMs: 50 }],
          relays: [{ name: 'horno', pin: 7, activeLow: true }],
        },
      })
    })
    const sigintBefore = process.listenerCount('SIGINT')
    const t: TestGateway = await startTestGateway({ site })
    cleanups.push(() => t.close())
    const ofDevice = (kind: LogEvent['kind']) => t.gw.log.read(0, 100_000).filter((e) => e.deviceId === 'horno-1' && e.kind === kind).map((e) => e.body as Record<string, any>)

    await waitFor(() => ofDevice('telemetry').length > 0, 8000)
    expect(ofDevice('telemetry')[0]).toEqual({ readings: { temperature_c: 150 } })
    // A "Firmata" board left to johnny-five's defaults would have installed a SIGINT handler that exits.
    expect(process.listenerCount('SIGINT')).toBe(sigintBefore)
    // Fail-safe off for an active-low relay on pin 7: port 0 with bit 7 HIGH, after OUTPUT mode.
    await waitFor(() => board.lines.includes('port 0 128'))
    expect(board.lines.indexOf('mode 7 1')).toBeLessThan(board.lines.indexOf('port 0 128'))

    const ack = await t.gw.downlink.handle({
      type: 'command', id: 'c-1', deviceId: 'horno-1', issuedAt: Date.now(), expiresAt: Date.now() + 60_000,
      command: { kind: 'relay.set', relay: 'horno', on: true },
    })
    expect(ack).toMatchObject({ ok: true })
    await waitFor(() => board.lines.includes('port 0 0'))
    await waitFor(() => ofDevice('ack').length > 0)
    expect(ofDevice('ack')[0]).toMatchObject({ ok: true })

    // Unplugged: the pty goes away under the open port. The port usually reports it at once;
    // when it does not, the board's silence (no analog reports) gives it away.
    await board.kill()
    await waitFor(() => t.gw.health().firmata!['horno-1']!.state === 'unavailable', 5000)

    board = await fakeBoard()
    board.analog(0, 310)
    unlinkSync(port)
    symlinkSync(board.path, port)
    await waitFor(() => ofDevice('telemetry').some((b) => b.readings.temperature_c === 155), 8000)
    expect(t.gw.health().firmata!['horno-1']).toMatchObject({ state: 'online', connects: 2 })
    expect(ofDevice('state').filter((b) => 'online' in b.state).map((b) => b.state.online)).toEqual([true, false, true])
  })
})

import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { GatewayClock, type ClockOptions } from '../src/clock/clock.js'
import { OffsetFilter, estimateOffset, nextOffset } from '../src/clock/offset.js'
import { systemNtpStatus, type NtpStatus } from '../src/clock/sources.js'
import { loadConfig } from '../src/config.js'

const HOUR = 3600_000
const TRUE_T0 = Date.UTC(2026, 2, 14, 15)

/** A system clock `skewMs` off true time and a monotonic clock, both moved by hand. */
function fakeTime(skewMs: number) {
  const t = { mono: 1000, skew: skewMs }
  return {
    t,
    trueNow: () => TRUE_T0 + t.mono,
    systemNow: () => TRUE_T0 + t.mono + t.skew,
    monoNow: () => t.mono,
    advance: (ms: number) => void (t.mono += ms),
  }
}

function clockWith(mode: ClockOptions['mode'], time: ReturnType<typeof fakeTime>, over: Partial<ClockOptions> = {}) {
  return new GatewayClock({ mode, systemNow: time.systemNow, monoNow: time.monoNow, ntpStatus: async () => 'unavailable', ...over })
}

describe('offset estimation', () => {
  it('assumes the answer was stamped halfway through the round trip', () => {
    // Sent at system 1000, answered at system 1200: the server's 5100 is system 1100.
    expect(estimateOffset({ serverTime: 5100, rttMs: 200, systemAtReceive: 1200 }, 2000)).toEqual({ offsetMs: 4000, rttMs: 200, errorMs: 100 })
  })

  it('refuses samples whose round trip is too long to be trusted, and nonsense', () => {
    expect(estimateOffset({ serverTime: 5100, rttMs: 2500, systemAtReceive: 1200 }, 2000)).toEqual({ refused: 'round trip 2500 ms is over 2000 ms' })
    expect(estimateOffset({ serverTime: Number.NaN, rttMs: 10, systemAtReceive: 1200 }, 2000)).toHaveProperty('refused')
    expect(estimateOffset({ serverTime: 5100, rttMs: -1, systemAtReceive: 1200 }, 2000)).toHaveProperty('refused')
  })

  it('prefers the sample with the shortest round trip among the last few', () => {
    const filter = new OffsetFilter(3)
    filter.add({ offsetMs: 900, rttMs: 400, errorMs: 200 })
    expect(filter.add({ offsetMs: 1010, rttMs: 20, errorMs: 10 }).offsetMs).toBe(1010)
    expect(filter.add({ offsetMs: 700, rttMs: 900, errorMs: 450 }).offsetMs).toBe(1010)
    filter.add({ offsetMs: 800, rttMs: 500, errorMs: 250 })
    // The 20 ms sample has aged out.
    expect(filter.add({ offsetMs: 850, rttMs: 450, errorMs: 225 }).offsetMs).toBe(850)
    filter.shift(800)
    expect(filter.best()?.offsetMs).toBe(50)
  })

  it('leaves a system clock within the threshold alone and does not wobble an applied offset', () => {
    expect(nextOffset(0, 800, 1000)).toBe(0)
    expect(nextOffset(0, -3 * HOUR, 1000)).toBe(-3 * HOUR)
    expect(nextOffset(-3 * HOUR, -3 * HOUR + 600, 1000)).toBe(-3 * HOUR)
    expect(nextOffset(-3 * HOUR, -3 * HOUR + 5000, 1000)).toBe(-3 * HOUR + 5000)
    expect(nextOffset(-3 * HOUR, 300, 1000)).toBe(0)
  })
})

describe('gateway clock', () => {
  it('in trusted mode is synced from the start and is the system clock', () => {
    const time = fakeTime(-3 * HOUR)
    const clock = clockWith('trusted', time)
    expect(clock.synced()).toBe(true)
    expect(clock.now()).toBe(time.systemNow())
    expect(clock.offerAck(time.trueNow(), 10)).toBe(false)
    expect(clock.status()).toMatchObject({ mode: 'trusted', synced: true, source: 'trusted', offsetMs: 0 })
  })

  it('learns a large offset from one ack, tells its listeners once, and keeps true time', () => {
    const time = fakeTime(-3 * HOUR)
    const clock = clockWith('auto', time)
    const anchors: unknown[] = []
    clock.onSynced((a) => anchors.push(a))
    expect(clock.synced()).toBe(false)
    expect(clock.now()).toBe(time.systemNow())
    // Answered 40 ms into an 80 ms round trip.
    const serverTime = time.trueNow() + 40
    time.advance(80)
    expect(clock.offerAck(serverTime, 80)).toBe(true)
    expect(clock.synced()).toBe(true)
    expect(clock.now()).toBe(time.trueNow())
    expect(anchors).toEqual([{ wallMs: time.trueNow(), monoMs: time.t.mono }])
    expect(clock.syncAnchor()).toEqual(anchors[0])
    time.advance(500)
    expect(clock.offerAck(time.trueNow(), 0)).toBe(true)
    expect(anchors).toHaveLength(1)
    expect(clock.status()).toMatchObject({ synced: true, source: 'cloud', offsetMs: 3 * HOUR, lastSampleAt: time.trueNow(), rttMs: 0 })
  })

  it('is synced but applies no offset when the system clock is within the threshold', () => {
    const time = fakeTime(400)
    const clock = clockWith('auto', time)
    expect(clock.offerAck(time.trueNow(), 10)).toBe(true)
    expect(clock.status()).toMatchObject({ synced: true, source: 'cloud', offsetMs: 0 })
    expect(clock.now()).toBe(time.systemNow())
  })

  it('refuses a sample with a huge round trip and stays unsynced', () => {
    const time = fakeTime(-3 * HOUR)
    const clock = clockWith('auto', time, { maxRttMs: 2000 })
    expect(clock.offerAck(time.trueNow(), 9000)).toBe(false)
    expect(clock.offerAck(undefined, 10)).toBe(false)
    expect(clock.synced()).toBe(false)
  })

  it('takes a later step of the system clock out of the offset', () => {
    const time = fakeTime(-3 * HOUR)
    const clock = clockWith('auto', time)
    clock.offerAck(time.trueNow(), 0)
    expect(clock.now()).toBe(time.trueNow())
    // NTP (or `date -s`) finally fixes the system clock: the offset must not count twice.
    time.t.skew = 0
    time.advance(1000)
    expect(clock.now()).toBe(time.trueNow())
    expect(clock.status().offsetMs).toBe(0)
    // And a step the wrong way is compensated as well.
    time.t.skew = 2 * HOUR
    expect(clock.now()).toBe(time.trueNow())
  })

  it('in auto mode lets NTP vouch for the system clock, dropping an offset learned before', async () => {
    const time = fakeTime(-3 * HOUR)
    let ntp: NtpStatus = 'unsynced'
    const clock = clockWith('auto', time, { ntpStatus: async () => ntp, ntpPollMs: 5 })
    clock.offerAck(time.trueNow(), 0)
    expect(clock.status()).toMatchObject({ source: 'cloud', offsetMs: 3 * HOUR })
    ntp = 'synced'
    clock.start()
    try {
      await waitFor(() => clock.status().source === 'ntp')
      expect(clock.status().offsetMs).toBe(0)
      // With NTP vouching, cloud samples are not applied.
      expect(clock.offerAck(time.trueNow(), 0)).toBe(false)
    } finally {
      await clock.stop()
    }
  })

  it('syncs from NTP alone in ntp mode and ignores the cloud', async () => {
    const time = fakeTime(0)
    let ntp: NtpStatus = 'unsynced'
    const clock = clockWith('ntp', time, { ntpStatus: async () => ntp, ntpPollMs: 5 })
    const anchors: unknown[] = []
    clock.onSynced((a) => anchors.push(a))
    expect(clock.offerAck(time.trueNow(), 0)).toBe(false)
    clock.start()
    try {
      await new Promise((r) => setTimeout(r, 30))
      expect(clock.synced()).toBe(false)
      ntp = 'synced'
      await waitFor(() => clock.synced())
      expect(clock.status()).toMatchObject({ source: 'ntp', offsetMs: 0 })
      expect(anchors).toHaveLength(1)
    } finally {
      await clock.stop()
    }
  })

  it('ignores NTP in cloud mode', async () => {
    const time = fakeTime(0)
    const clock = clockWith('cloud', time, { ntpStatus: async () => 'synced', ntpPollMs: 5 })
    clock.start()
    await new Promise((r) => setTimeout(r, 30))
    await clock.stop()
    expect(clock.synced()).toBe(false)
  })
})

describe('cloud time source', () => {
  let server: Server | undefined
  afterEach(async () => {
    await new Promise((r) => server?.close(r) ?? r(undefined))
    server = undefined
  })

  /** A real HTTP server standing in for the cloud's GET /api/time. */
  async function timeServer(answer: (url: string, auth: string | undefined) => { status: number; body: string; delayMs?: number }) {
    const requests: string[] = []
    server = createServer((req, res) => {
      requests.push(`${req.method} ${req.url}`)
      const a = answer(req.url ?? '', req.headers.authorization)
      setTimeout(() => res.writeHead(a.status, { 'content-type': 'application/json' }).end(a.body), a.delayMs ?? 0)
    })
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r))
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests }
  }

  it('asks GET /api/time with the gateway key and syncs to within the round trip', async () => {
    const skew = -5 * HOUR
    const { url, requests } = await timeServer((path, auth) =>
      auth === 'Bearer k' ? { status: 200, body: JSON.stringify({ serverTime: Date.now() }) } : { status: 401, body: '{}' },
    )
    const clock = new GatewayClock({ mode: 'cloud', systemNow: () => Date.now() + skew, cloud: { url, gatewayKey: 'k' } })
    expect(await clock.sampleCloud()).toBe(true)
    expect(requests).toEqual(['GET /api/time'])
    const { rttMs } = clock.status()
    expect(Math.abs(clock.now() - Date.now())).toBeLessThanOrEqual(rttMs! / 2 + 5)
    expect(clock.status()).toMatchObject({ synced: true, source: 'cloud', lastError: null })
  })

  it('reports a cloud without the route, and samples on demand at most every minSampleGapMs', async () => {
    const { url, requests } = await timeServer(() => ({ status: 404, body: '{"error":"no"}' }))
    const clock = new GatewayClock({ mode: 'auto', cloud: { url, gatewayKey: 'k' }, ntpStatus: async () => 'unavailable', minSampleGapMs: 60_000 })
    expect(await clock.trySync()).toBe(false)
    expect(await clock.trySync()).toBe(false)
    expect(requests).toHaveLength(1)
    expect(clock.status().lastError).toMatch(/cloud answered 404 to GET \/api\/time/)
  })

  it('asks again on demand when the cloud was unreachable: the uplink retry paces it', async () => {
    const { url, requests } = await timeServer(() => ({ status: 0, body: '' }))
    server!.removeAllListeners('request')
    server!.on('request', (req) => {
      requests.push(`${req.method} ${req.url}`)
      req.socket.destroy()
    })
    const clock = new GatewayClock({ mode: 'auto', cloud: { url, gatewayKey: 'k' }, ntpStatus: async () => 'unavailable', minSampleGapMs: 60_000 })
    expect(await clock.trySync()).toBe(false)
    expect(await clock.trySync()).toBe(false)
    expect(requests).toHaveLength(2)
    expect(clock.status().lastError).toBeTruthy()
  })

  it('refuses an answer that took too long', async () => {
    const { url } = await timeServer(() => ({ status: 200, body: JSON.stringify({ serverTime: Date.now() }), delayMs: 150 }))
    const clock = new GatewayClock({ mode: 'cloud', cloud: { url, gatewayKey: 'k' }, maxRttMs: 100 })
    expect(await clock.sampleCloud()).toBe(false)
    expect(clock.synced()).toBe(false)
  })

  it('keeps sampling in the background until the cloud answers', async () => {
    let up = false
    const { url, requests } = await timeServer(() => (up ? { status: 200, body: JSON.stringify({ serverTime: Date.now() + HOUR }) } : { status: 503, body: '{}' }))
    const clock = new GatewayClock({ mode: 'cloud', cloud: { url, gatewayKey: 'k' }, cloudRetryBaseMs: 10, cloudRetryCapMs: 20 })
    clock.start()
    try {
      await waitFor(() => requests.length >= 2)
      expect(clock.synced()).toBe(false)
      up = true
      await waitFor(() => clock.synced())
      expect(Math.abs(clock.now() - (Date.now() + HOUR))).toBeLessThan(1000)
    } finally {
      await clock.stop()
    }
  })
})

describe('system NTP status', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tendero-ntp-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  /** A real executable standing in for timedatectl, printing `answer`. */
  const fakeTimedatectl = (name: string, script: string) => {
    const path = join(dir, name)
    writeFileSync(path, `#!/bin/sh\n${script}\n`)
    chmodSync(path, 0o755)
    return path
  }

  it("reads timedatectl's NTPSynchronized", async () => {
    const yes = fakeTimedatectl('yes', '[ "$*" = "show -p NTPSynchronized --value" ] && echo yes')
    const no = fakeTimedatectl('no', 'echo no')
    const none = join(dir, 'absent', 'synchronized')
    expect(await systemNtpStatus({ timedatectl: yes, syncFile: none })).toBe('synced')
    expect(await systemNtpStatus({ timedatectl: no, syncFile: none })).toBe('unsynced')
  })

  it("falls back to systemd-timesyncd's flag file, and says when there is no status at all", async () => {
    const broken = fakeTimedatectl('broken', 'echo "System has not been booted with systemd" >&2; exit 1')
    const timesync = join(dir, 'timesync')
    mkdirSync(timesync)
    const flag = join(timesync, 'synchronized')
    expect(await systemNtpStatus({ timedatectl: broken, syncFile: flag })).toBe('unsynced')
    writeFileSync(flag, '')
    expect(await systemNtpStatus({ timedatectl: broken, syncFile: flag })).toBe('synced')
    expect(await systemNtpStatus({ timedatectl: join(dir, 'missing'), syncFile: join(dir, 'nowhere', 'synchronized') })).toBe('unavailable')
  })
})

describe('GATEWAY_CLOCK', () => {
  it('defaults to auto and takes each mode', () => {
    expect(loadConfig({})).toMatchObject({ clock: { mode: 'auto' }, clockSynced: false })
    for (const mode of ['auto', 'trusted', 'cloud', 'ntp'])
      expect(loadConfig({ GATEWAY_CLOCK: mode })).toMatchObject({ clock: { mode }, clockSynced: mode === 'trusted' })
  })

  it('keeps GATEWAY_CLOCK_SYNCED as the old name of trusted', () => {
    expect(loadConfig({ GATEWAY_CLOCK_SYNCED: 'true' })).toMatchObject({ clock: { mode: 'trusted' }, clockSynced: true })
    expect(loadConfig({ GATEWAY_CLOCK_SYNCED: 'false' })).toMatchObject({ clock: { mode: 'auto' }, clockSynced: false })
    expect(loadConfig({ GATEWAY_CLOCK_SYNCED: 'false', GATEWAY_CLOCK: 'cloud' })).toMatchObject({ clock: { mode: 'cloud' } })
    expect(loadConfig({ GATEWAY_CLOCK_SYNCED: '1', GATEWAY_CLOCK: 'trusted' })).toMatchObject({ clock: { mode: 'trusted' } })
  })

  it('names the variable for a bad value or a contradiction', () => {
    expect(() => loadConfig({ GATEWAY_CLOCK: 'gps' })).toThrow('GATEWAY_CLOCK: one of auto, trusted, cloud, ntp, simulated, got "gps"')
    expect(() => loadConfig({ GATEWAY_CLOCK_SYNCED: 'yes' })).toThrow('GATEWAY_CLOCK_SYNCED: must be true or false, got "yes"')
    expect(() => loadConfig({ GATEWAY_CLOCK_SYNCED: 'true', GATEWAY_CLOCK: 'cloud' })).toThrow(
      expect.objectContaining({ code: 'CONFIG_ERR_INVALID', message: expect.stringContaining('GATEWAY_CLOCK_SYNCED=true contradicts GATEWAY_CLOCK=cloud') }),
    )
  })
})

async function waitFor(probe: () => unknown, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error('waitFor: timed out')
    await new Promise((r) => setTimeout(r, 5))
  }
}

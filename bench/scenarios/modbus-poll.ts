/**
 * Modbus polling of 50 devices (issue 5): 50 simulated cold-room controllers, each a
 * Modbus TCP server on its own port in a separate process (bench/procs/modbus-servers.ts).
 * Their register map (simulator coldRoomControllerMap) is 4 block reads per poll: input
 * 0–15, holding 0–5, coils 0–2, discrete inputs 0–2.
 *
 * Tendero: the gateway's ModbusPoller (gateway/src/modbus/poller.ts) in this process,
 * every device at pollMs 1000 on its own timer and connection, first polls spread over
 * the second (staggerStarts, the default; also measured with aligned starts), its readings decoded and
 * scaled (handed to a no-op instead of the log, so only polling is measured). Timing comes
 * from the poller's onPoll hook: cycle time is one device's poll (the 4 block reads,
 * decoding included); jitter is |interval between the starts of consecutive polls of one
 * device − 1000 ms|.
 * Peer: the plain way with modbus-serial: one client per device, a loop that reads the 4
 * blocks of the 50 devices one after another every second (sleeping out the rest of the
 * second), raw words, no decoding. Its cycle time is one device's 4 reads inside the sweep;
 * its jitter is the same |interval − 1000 ms| per device. A round is all 50 devices'
 * 4 reads: the peer's sweep, and for Tendero the k-th poll of every device from the first
 * start to the last end (the timers start together, so the 50 polls run concurrently and
 * a single device's poll includes waiting behind the others' requests at the servers).
 * Both run in the same process against the same servers, one after the other.
 * Caveat: the 50 simulated devices share one server process (one event loop), so the
 * poller's concurrent requests queue there; real devices answer in parallel. Tendero's
 * per-poll and round times here are an upper bound, and the sequential loop's per-device
 * time a best case (it never has more than one request in flight).
 */
import ModbusRTU from 'modbus-serial'
import { pino } from 'pino'
import type { BenchResult } from '../run.js'
import { forkWorker, sleep } from '../lib/processes.js'
import type { ModbusServersReady } from '../procs/modbus-servers.js'
import { ModbusPoller } from '../../gateway/src/modbus/poller.js'
import type { RegisterSpec } from '../../gateway/src/modbus/codec.js'
import { planBlocks } from '../../gateway/src/modbus/blocks.js'
import { coldRoomControllerMap, toDriverRegisters } from '../../simulator/src/modbus/index.js'

const DEVICES = 50
const POLL_MS = 1000
const WARMUP_MS = 3000
const MEASURE_MS = 30_000

interface Timing {
  cycles: number[]
  jitter: number[]
  sweeps: number[]
  failed: number
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN
}
const round = (n: number) => Number(n.toFixed(2))

function jitterOf(startsByDevice: Map<string, number[]>): number[] {
  const out: number[] = []
  for (const starts of startsByDevice.values())
    for (let i = 1; i < starts.length; i++) out.push(Math.abs(starts[i]! - starts[i - 1]! - POLL_MS))
  return out
}

const registers = toDriverRegisters(coldRoomControllerMap) as RegisterSpec[]

/**
 * `stagger`: the poller as shipped, first polls spread over the interval; false: every
 * device's timer starts together (the poller before staggerStarts), for comparison.
 */
async function measureTendero(ports: number[], stagger = false): Promise<Timing> {
  const starts = new Map<string, number[]>()
  const ends = new Map<string, number[]>()
  const cycles: number[] = []
  let failed = 0
  let measuring = false
  const devices = ports.map((port, i) => ({ id: `mb-${i}`, modbus: { host: '127.0.0.1', port, pollMs: POLL_MS, timeoutMs: 1000, registers } }))
  const pollers = [devices].map((group) => new ModbusPoller({
    devices: group,
    staggerStarts: stagger,
    logger: pino({ level: 'silent' }),
    onReadings: async () => {},
    onState: async () => {},
    onPoll(deviceId, poll) {
      if (!measuring) return
      if (!poll.ok) failed++
      cycles.push(poll.durationMs)
      let list = starts.get(deviceId)
      if (!list) starts.set(deviceId, (list = []))
      list.push(poll.startedAt)
      let endList = ends.get(deviceId)
      if (!endList) ends.set(deviceId, (endList = []))
      endList.push(poll.startedAt + poll.durationMs)
    },
  }))
  for (const poller of pollers) poller.start()
  await sleep(WARMUP_MS)
  measuring = true
  await sleep(MEASURE_MS)
  measuring = false
  await Promise.all(pollers.map((p) => p.stop()))
  // A round: the k-th poll of every device, from the first start to the last end (the
  // timers all began together, so rounds stay aligned while every poll is on time).
  const rounds: number[] = []
  if (stagger) return { cycles, jitter: jitterOf(starts), sweeps: [], failed }
  const n = Math.min(...[...starts.values()].map((l) => l.length))
  for (let k = 0; k < n; k++) {
    const first = Math.min(...[...starts.values()].map((l) => l[k]!))
    const last = Math.max(...[...ends.values()].map((l) => l[k]!))
    rounds.push(last - first)
  }
  return { cycles, jitter: jitterOf(starts), sweeps: rounds, failed }
}

async function measurePeer(ports: number[]): Promise<Timing> {
  const blocks = planBlocks(registers)
  const clients: ModbusRTU[] = []
  for (const port of ports) {
    const client = new ModbusRTU()
    client.on('error', () => {})
    await client.connectTCP('127.0.0.1', { port })
    client.setID(1)
    client.setTimeout(1000)
    clients.push(client)
  }
  const starts = new Map<string, number[]>()
  const cycles: number[] = []
  const sweeps: number[] = []
  let failed = 0
  const began = performance.now()
  let next = began
  while (performance.now() - began < WARMUP_MS + MEASURE_MS) {
    const measuring = performance.now() - began >= WARMUP_MS
    const sweepStart = performance.now()
    for (let i = 0; i < clients.length; i++) {
      const client = clients[i]!
      const t0 = performance.now()
      try {
        for (const b of blocks) {
          if (b.fn === 'input') await client.readInputRegisters(b.start, b.length)
          else if (b.fn === 'holding') await client.readHoldingRegisters(b.start, b.length)
          else if (b.fn === 'coil') await client.readCoils(b.start, b.length)
          else await client.readDiscreteInputs(b.start, b.length)
        }
      } catch {
        if (measuring) failed++
      }
      if (!measuring) continue
      cycles.push(performance.now() - t0)
      let list = starts.get(`mb-${i}`)
      if (!list) starts.set(`mb-${i}`, (list = []))
      list.push(t0)
    }
    if (measuring) sweeps.push(performance.now() - sweepStart)
    // Fixed rate, like the poller: the next sweep starts a second after this one started.
    next += POLL_MS
    await sleep(Math.max(0, next - performance.now()))
  }
  await Promise.all(clients.map((c) => new Promise<void>((resolve) => c.close(() => resolve()))))
  return { cycles, jitter: jitterOf(starts), sweeps, failed }
}

export async function modbusPoll(): Promise<BenchResult[]> {
  const servers = forkWorker<ModbusServersReady>('modbus-servers.ts', { count: DEVICES })
  try {
    const { ports } = await servers.next<ModbusServersReady>('ready')
    console.log(`${ports.length} Modbus TCP servers up; ${planBlocks(registers).length} block reads per poll`)
    const staggered = await measureTendero(ports, true)
    const tendero = await measureTendero(ports, false)
    const peer = await measurePeer(ports)
    const summary = (t: Timing) => ({
      polls: t.cycles.length,
      failed: t.failed,
      cycleP50: round(percentile(t.cycles, 50)),
      cycleP99: round(percentile(t.cycles, 99)),
      jitterP50: round(percentile(t.jitter, 50)),
      jitterP99: round(percentile(t.jitter, 99)),
      jitterMax: round(Math.max(...t.jitter)),
      ...(t.sweeps.length ? { sweepP50: round(percentile(t.sweeps, 50)), sweepP99: round(percentile(t.sweeps, 99)) } : {}),
    })
    const t = summary(tendero)
    const p = summary(peer)
    const st = summary(staggered)
    console.log(`tendero ${JSON.stringify(t)}`)
    console.log(`tendero, starts staggered ${JSON.stringify(st)}`)
    console.log(`peer ${JSON.stringify(p)}`)
    const P = 'modbus-serial, one client per device, 50 devices read one after another each second'
    const ratio = (a: number, b: number) => Number((a / b).toFixed(3))
    const row = (metric: string, a: number, b: number, unit = 'ms'): BenchResult => ({ metric, value: a, unit, peer: P, peerValue: b, ...(b > 0 ? { ratio: ratio(a, b) } : {}) })
    const A = ' (aligned starts, staggerStarts: false)'
    return [
      row('one device poll (4 block reads) p50, 50 devices at 1 s', st.cycleP50, p.cycleP50),
      row('one device poll (4 block reads) p99, 50 devices at 1 s', st.cycleP99, p.cycleP99),
      row('poll interval jitter p50 (|interval - 1000 ms|)', st.jitterP50, p.jitterP50),
      row('poll interval jitter p99 (|interval - 1000 ms|)', st.jitterP99, p.jitterP99),
      row('poll interval jitter max', st.jitterMax, p.jitterMax),
      { metric: 'peer: one sweep of all 50 devices p50', value: p.sweepP50!, unit: 'ms' },
      { metric: 'peer: one sweep of all 50 devices p99', value: p.sweepP99!, unit: 'ms' },
      row(`polls measured in ${MEASURE_MS / 1000} s`, st.polls, p.polls, 'polls'),
      row('failed polls', st.failed + t.failed, p.failed, 'polls'),
      row(`one device poll p50${A}`, t.cycleP50, p.cycleP50),
      row(`one device poll p99${A}`, t.cycleP99, p.cycleP99),
      row(`poll interval jitter p99${A}`, t.jitterP99, p.jitterP99),
      row(`one round of all 50 devices p50${A}`, t.sweepP50!, p.sweepP50!),
      row(`one round of all 50 devices p99${A}`, t.sweepP99!, p.sweepP99!),
    ]
  } finally {
    servers.send({ type: 'stop' })
    await sleep(200)
    await servers.stop()
  }
}

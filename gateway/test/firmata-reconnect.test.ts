import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { afterEach, describe, expect, it } from 'vitest'
import { pino } from 'pino'
import { FirmataDriver } from '../src/firmata/driver.js'
import { johnnyFive } from '../src/firmata/io.js'
import { MockBoard } from './firmata-harness.js'
import { waitFor } from './harness.js'

/**
 * johnny-five keeps every Board in a global registry and every component in module-level
 * maps, for good. A board that keeps reconnecting must not pile up boards, plugins and
 * ports there: this drives one through many reconnects and checks, with a real garbage
 * collection, that the old ones are gone.
 */
setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

const cleanups: (() => Promise<unknown> | void)[] = []
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!()
})

describe('firmata reconnects', () => {
  it('leave no boards or plugins behind in johnny-five, and reuse the components', async () => {
    let current: MockBoard | undefined
    const feeder = setInterval(() => current?.isReady && !current.closed && current.sample(0, 500), 10)
    cleanups.push(() => clearInterval(feeder))
    const readings: number[] = []
    const driver = new FirmataDriver({
      devices: [
        {
          id: 'x',
          relays: ['r'],
          firmata: {
            port: '/dev/ttyACM0', retryMs: 50, backoffCapMs: 50,
            sensors: [{ pin: 'A0', metric: 't', everyMs: 20, heartbeatMs: 1000 }],
            relays: [{ name: 'r', pin: 7 }],
            inputs: [{ pin: 2, state: 's' }],
          },
        },
      ],
      logger: pino({ level: 'silent' }),
      onReadings: async (_id, r) => void readings.push(r.t!),
      onState: async () => {},
      onPresence: async () => {},
      random: () => 0,
      ioFactory: () => {
        const io = new MockBoard()
        current = io
        setTimeout(() => (io.emit('connect'), io.emit('ready')), 2)
        return { io, close: async () => void (io.closed = true) }
      },
    })
    driver.start()
    cleanups.push(() => driver.stop())
    const cacheBefore = johnnyFive().Board.cache.length
    const plugins: WeakRef<MockBoard>[] = []
    const boards: WeakRef<object>[] = []
    for (let i = 1; i <= 30; i++) {
      await waitFor(() => driver.status()[0]!.connects === i && current!.analogListeners.size > 0)
      plugins.push(new WeakRef(current!))
      boards.push(new WeakRef(johnnyFive().Board.cache.at(-1)!))
      current!.emit('close')
    }
    await waitFor(() => driver.status()[0]!.connects === 31)
    // The components were built once and re-subscribed: our liveness read and j5's sensor, no more.
    expect(current!.analogListeners.get(0)).toHaveLength(2)
    expect(current!.digitalListeners.get(2)).toHaveLength(2)
    expect(current!.modes.get(0)).toBe(2) // ANALOG, replayed
    expect(current!.modes.get(7)).toBe(1) // OUTPUT, replayed
    // …and they still work on the 31st board.
    const before = readings.length
    await waitFor(() => readings.length > before, 3000)
    driver.write('x', 'r', true)
    expect(current!.levels.get(7)).toBe(1)

    expect(johnnyFive().Board.cache.length).toBe(cacheBefore)
    await new Promise((r) => setTimeout(r, 50))
    gc()
    expect(plugins.filter((p) => p.deref()).length).toBe(0)
    expect(boards.filter((b) => b.deref()).length).toBe(0)
  })
})

import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { pino } from 'pino'
import { AckLog, ColdRoomFleet, SimulatorError, fleetDeviceIds, readAckLog } from '../src/index.js'
import { startTestBroker, type TestBroker } from './broker.js'

const silent = pino({ level: 'silent' })
const IDS = fleetDeviceIds('camara', 3)
const passwords = Object.fromEntries(IDS.map((id) => [id, `${id}-demo`]))

let broker: TestBroker | undefined
let fleet: ColdRoomFleet | undefined
let dir: string | undefined
afterEach(async () => {
  await fleet?.stop()
  await broker?.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
  broker = fleet = dir = undefined
})

describe('cold room fleet', () => {
  it('names devices so they sort as numbers', () => {
    expect(fleetDeviceIds('camara', 3)).toEqual(['camara-01', 'camara-02', 'camara-03'])
    expect(fleetDeviceIds('c', 120).at(-1)).toBe('c-120')
    expect(fleetDeviceIds('c', 120)[0]).toBe('c-001')
  })

  it('runs every room on its own connection and credentials, and logs what was acknowledged', async () => {
    broker = await startTestBroker(passwords)
    dir = mkdtempSync(join(tmpdir(), 'tendero-fleet-'))
    const ackLog = new AckLog(join(dir, 'acks.jsonl'))
    fleet = new ColdRoomFleet({
      mqttUrl: broker.url,
      count: 3,
      idPrefix: 'camara',
      password: '{id}-demo',
      intervalMs: 30,
      speed: 1,
      logger: silent,
      onAcknowledged: (deviceId, channel, payload) => ackLog.record(deviceId, channel, payload),
    })
    await fleet.start()
    for (const id of IDS) await broker.waitFor((p) => p.clientId === id && p.topic.endsWith('/telemetry') && (p.body as { seq: number }).seq >= 4)
    await fleet.stop()
    await ackLog.close()

    const snap = fleet.snapshot()
    expect(snap).toMatchObject({ devices: 3, online: 0 })
    expect(snap.sent.telemetry).toBe(snap.nodes.reduce((sum, n) => sum + n.sent.telemetry, 0))
    const acked = readAckLog(readFileSync(join(dir, 'acks.jsonl'), 'utf8'))
    expect([...acked.keys()].sort()).toEqual(IDS)
    for (const node of snap.nodes) {
      // Every acknowledged reading is in the log once, numbered 0, 1, 2… by its node.
      const seqs = [...acked.get(node.deviceId)!].sort((a, b) => a - b)
      expect(seqs).toEqual(seqs.map((_, i) => i))
      expect(seqs.length).toBe(node.sent.telemetry)
      const received = broker.published.filter((p) => p.clientId === node.deviceId && p.topic.endsWith('/telemetry'))
      expect(received.length).toBeGreaterThanOrEqual(seqs.length)
    }
  })

  it('fails to start, and stops every room, when one password is refused', async () => {
    broker = await startTestBroker({ ...passwords, 'camara-02': 'other' })
    fleet = new ColdRoomFleet({ mqttUrl: broker.url, count: 3, idPrefix: 'camara', password: '{id}-demo', intervalMs: 30, speed: 1, logger: silent })
    const started = fleet.start()
    await expect(started).rejects.toBeInstanceOf(SimulatorError)
    await expect(started).rejects.toMatchObject({ code: 'SIM_MQTT_REFUSED', message: expect.stringContaining('camara-02') })
    expect(fleet.snapshot().online).toBe(0)
  })

  it('reads an ack log whose last line was cut short by a kill, and refuses a corrupt one', () => {
    expect(readAckLog('{"deviceId":"a","seq":1}\n{"deviceId":"a","seq":2}\n{"devi')).toEqual(new Map([['a', new Set([1, 2])]]))
    expect(() => readAckLog('{"deviceId":"a"}\n')).toThrow(/line 1 lacks deviceId or seq/)
    expect(() => readAckLog('nope\n')).toThrow(/line 1 is not JSON/)
  })
})

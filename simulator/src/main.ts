import { pino } from 'pino'
import { loadConfig, usage, type SimulatorConfig } from './config.js'
import { ColdRoomNode } from './devices/cold-room-node.js'
import { ColdRoomFleet, devicePassword } from './devices/cold-room-fleet.js'
import { AckLog } from './ack-log.js'
import { ColdRoomModel } from './models/cold-room.js'
import { SimulatorError } from './errors.js'
import { createStatusReporter } from './status-line.js'

// Wiring only: read config, build the node (or the fleet), show its status, stop cleanly.

function fail(message: string): never {
  process.stderr.write(`${message}\n`)
  process.exit(1)
}

let config: SimulatorConfig
try {
  config = loadConfig()
} catch (err) {
  fail(err instanceof SimulatorError ? err.message : String(err))
}
if (config.help) {
  process.stdout.write(`${usage}\n`)
  process.exit(0)
}

// A scenario runs every device of a shop on one clock; it owns the process from here on.
if (config.list || config.printSimTime || config.scenario !== undefined) await (await import('./scenarios/cli.js')).runScenarioCli(config)

const tty = process.stdout.isTTY === true
// Logs go to stderr so stdout carries only the status line.
const logger = pino({ name: 'simulator', level: config.logLevel ?? (tty ? 'warn' : 'info') }, pino.destination(2))
const params = {
  ambientC: config.ambientC,
  doorOpeningsPerHour: config.doorOpeningsPerHour,
  doorOpenMeanS: config.doorOpenMeanS,
}
const ackLog = config.ackLog ? new AckLog(config.ackLog) : undefined
// One node, or a fleet of them sharing the process (`--devices`), behind the same start/stop/snapshot.
const devices: Pick<ColdRoomFleet, 'start' | 'stop' | 'snapshot'> | ColdRoomNode =
  config.devices > 1
    ? new ColdRoomFleet({
        mqttUrl: config.mqttUrl,
        count: config.devices,
        idPrefix: config.idPrefix,
        password: config.password,
        intervalMs: config.intervalMs,
        speed: config.speed,
        keepaliveS: config.keepaliveS,
        reconnectPeriodMs: config.reconnectMs,
        params,
        seed: config.seed,
        startTempC: config.startTempC,
        compressorOn: config.compressorOn,
        logger,
        ...(ackLog ? { onAcknowledged: (deviceId, channel, payload) => ackLog.record(deviceId, channel, payload) } : {}),
      })
    : new ColdRoomNode({
        mqttUrl: config.mqttUrl,
        deviceId: config.deviceId,
        password: devicePassword(config.password, config.deviceId),
        intervalMs: config.intervalMs,
        speed: config.speed,
        keepaliveS: config.keepaliveS,
        reconnectPeriodMs: config.reconnectMs,
        model: new ColdRoomModel({ ...params, seed: config.seed }, { startTempC: config.startTempC, compressorOn: config.compressorOn }),
        logger,
        ...(ackLog ? { onAcknowledged: (channel, payload) => ackLog.record(config.deviceId, channel, payload) } : {}),
      })
const status = createStatusReporter(process.stdout, config.speed)
const render = setInterval(() => status.update(devices.snapshot()), tty ? 250 : 1000)

let stopping = false
async function shutdown(code: number, message?: string): Promise<void> {
  if (stopping) return
  stopping = true
  clearInterval(render)
  status.done(code === 0 ? devices.snapshot() : undefined)
  await devices.stop()
  // After stop, so the acks of the in-flight messages flushed on the way out are in the file.
  await ackLog?.close().catch((err: Error) => process.stderr.write(`could not write the ack log: ${err.message}\n`))
  if (message) process.stderr.write(`${message}\n`)
  process.exit(code)
}

process.once('SIGINT', () => void shutdown(0))
process.once('SIGTERM', () => void shutdown(0))

devices.start().then(
  () => status.update(devices.snapshot()),
  (err: unknown) => {
    if (err instanceof SimulatorError && err.code === 'SIM_STOPPED') return
    const hint = err instanceof SimulatorError && err.code === 'SIM_MQTT_REFUSED' ? ' (check --device and --password)' : ''
    void shutdown(1, `Error: ${err instanceof Error ? err.message : String(err)}${hint}`)
  },
)

import { pino } from 'pino'
import { loadConfig, usage, type SimulatorConfig } from './config.js'
import { ColdRoomNode } from './devices/cold-room-node.js'
import { ColdRoomModel } from './models/cold-room.js'
import { SimulatorError } from './errors.js'
import { createStatusReporter } from './status-line.js'

// Wiring only: read config, build the node, show its status, stop cleanly.

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

const tty = process.stdout.isTTY === true
// Logs go to stderr so stdout carries only the status line.
const logger = pino({ name: 'simulator', level: config.logLevel ?? (tty ? 'warn' : 'info') }, pino.destination(2))
const model = new ColdRoomModel(
  {
    ambientC: config.ambientC,
    doorOpeningsPerHour: config.doorOpeningsPerHour,
    doorOpenMeanS: config.doorOpenMeanS,
    seed: config.seed,
  },
  { startTempC: config.startTempC, compressorOn: config.compressorOn },
)
const node = new ColdRoomNode({
  mqttUrl: config.mqttUrl,
  deviceId: config.deviceId,
  password: config.password,
  intervalMs: config.intervalMs,
  speed: config.speed,
  keepaliveS: config.keepaliveS,
  model,
  logger,
})
const status = createStatusReporter(process.stdout, config.speed)
const render = setInterval(() => status.update(node.snapshot()), tty ? 250 : 1000)

let stopping = false
async function shutdown(code: number, message?: string): Promise<void> {
  if (stopping) return
  stopping = true
  clearInterval(render)
  status.done(code === 0 ? node.snapshot() : undefined)
  await node.stop()
  if (message) process.stderr.write(`${message}\n`)
  process.exit(code)
}

process.once('SIGINT', () => void shutdown(0))
process.once('SIGTERM', () => void shutdown(0))

node.start().then(
  () => status.update(node.snapshot()),
  (err: unknown) => {
    if (err instanceof SimulatorError && err.code === 'SIM_STOPPED') return
    const hint = err instanceof SimulatorError && err.code === 'SIM_MQTT_REFUSED' ? ' (check --device and --password)' : ''
    void shutdown(1, `Error: ${err instanceof Error ? err.message : String(err)}${hint}`)
  },
)

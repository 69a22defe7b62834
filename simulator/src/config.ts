import { parseArgs } from 'node:util'
import { MAX_SIM_SPEED, SIM_TIME_ENV, isDeviceId, parseSimTime, type SimulatedTime } from '@tendero/protocol'
import { SimulatorError } from './errors.js'

/** Everything the CLI needs; flags win over environment variables, which win over defaults. */
export interface SimulatorConfig {
  mqttUrl: string
  deviceId: string
  /** MQTT password; `{id}` stands for the device id, so one template serves a whole fleet. */
  password: string
  /** Nodes in this process: 1 runs `deviceId`; more run `<idPrefix>-01` … each on its own connection. */
  devices: number
  idPrefix: string
  /** Real ms between reconnection attempts. */
  reconnectMs: number
  /** JSON-lines file of acknowledged telemetry (src/ack-log.ts); unset = none. */
  ackLog: string | undefined
  /** Simulated seconds per real second. */
  speed: number
  /** Real ms between telemetry messages. */
  intervalMs: number
  startTempC: number
  compressorOn: boolean
  seed: number
  ambientC: number
  doorOpeningsPerHour: number
  doorOpenMeanS: number
  /** MQTT keepalive, s: a silent link is noticed after 1.5 × this and the node goes into fail-safe. */
  keepaliveS: number
  /** pino level; unset = `warn` on a terminal (logs would tear the status line), `info` otherwise. */
  logLevel: string | undefined
  /** Run a scenario of src/scenarios/files (all its devices) instead of cold rooms. */
  scenario: string | undefined
  /** With `scenario`: path of a JSON fault plan applied over simulated time. */
  faults: string | undefined
  /** With `scenario`: the clock shared with a gateway on GATEWAY_CLOCK=simulated (TENDERO_SIM_TIME). */
  simTime: SimulatedTime | undefined
  /** With `scenario`: scenario clock at start, `HH:MM` or `now` (the shop's local time now). */
  startAt: string | undefined
  /** With `scenario`: print a TENDERO_SIM_TIME for it (starting now, at `speed`) and exit. */
  printSimTime: boolean
  /** Print the scenarios and exit. */
  list: boolean
  help: boolean
}

interface Setting {
  flag: string
  env: string
  fallback: string | undefined
  help: string
}

/** One entry per setting: the flag, its environment variable and its default, as data. */
const SETTINGS = {
  mqttUrl: { flag: 'mqtt-url', env: 'SIM_MQTT_URL', fallback: 'mqtt://127.0.0.1:1883', help: 'gateway MQTT broker URL' },
  deviceId: { flag: 'device', env: 'SIM_DEVICE_ID', fallback: 'camara-1', help: 'device id (= MQTT client id and username)' },
  password: { flag: 'password', env: 'SIM_DEVICE_PASSWORD', fallback: '{id}-demo', help: 'device MQTT password; {id} = the device id' },
  devices: { flag: 'devices', env: 'SIM_DEVICES', fallback: '1', help: 'cold rooms in this process, each its own MQTT client' },
  idPrefix: { flag: 'id-prefix', env: 'SIM_ID_PREFIX', fallback: 'camara', help: 'with --devices > 1: ids <prefix>-01, <prefix>-02, …' },
  reconnect: { flag: 'reconnect', env: 'SIM_RECONNECT_MS', fallback: '2000', help: 'real ms between reconnection attempts' },
  ackLog: { flag: 'ack-log', env: 'SIM_ACK_LOG', fallback: undefined, help: 'append every acknowledged telemetry {deviceId, seq} to this JSON-lines file' },
  speed: { flag: 'speed', env: 'SIM_SPEED', fallback: '1', help: 'time acceleration: simulated s per real s' },
  intervalMs: { flag: 'interval', env: 'SIM_INTERVAL_MS', fallback: '2000', help: 'real ms between telemetry messages' },
  startTempC: { flag: 'start-temp', env: 'SIM_START_TEMP_C', fallback: '4', help: 'initial room temperature, °C' },
  compressor: { flag: 'compressor', env: 'SIM_COMPRESSOR', fallback: 'off', help: 'initial relay state: on | off' },
  seed: { flag: 'seed', env: 'SIM_SEED', fallback: '1', help: 'seed of the door-opening schedule' },
  ambientC: { flag: 'ambient', env: 'SIM_AMBIENT_C', fallback: '24', help: 'ambient temperature, °C' },
  doorRate: { flag: 'door-rate', env: 'SIM_DOOR_RATE_PER_HOUR', fallback: '4', help: 'mean door openings per hour (0 = never)' },
  doorDuration: { flag: 'door-duration', env: 'SIM_DOOR_DURATION_S', fallback: '40', help: 'mean seconds the door stays open' },
  keepalive: { flag: 'keepalive', env: 'SIM_KEEPALIVE_S', fallback: '10', help: 'MQTT keepalive, s (link loss → fail-safe)' },
  scenario: { flag: 'scenario', env: 'SIM_SCENARIO', fallback: undefined, help: 'run a whole shop scenario (see --list) instead of cold rooms' },
  faults: { flag: 'faults', env: 'SIM_FAULTS', fallback: undefined, help: 'with --scenario: a JSON fault plan file (README, "Fallas / Faults")' },
  simTime: { flag: 'sim-time', env: SIM_TIME_ENV, fallback: undefined, help: 'with --scenario: shared simulated time origin=<ISO>,anchor=<epoch ms>,speed=<x> (see --print-sim-time)' },
  startAt: { flag: 'start-at', env: 'SIM_START_AT', fallback: undefined, help: "with --scenario: scenario clock at start, HH:MM or 'now' (default: the scenario's startAt)" },
  logLevel: { flag: 'log-level', env: 'SIM_LOG_LEVEL', fallback: undefined, help: 'pino level (default warn on a TTY, else info)' },
} satisfies Record<string, Setting>

type SettingName = keyof typeof SETTINGS

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']

export const usage = [
  'Usage: npx tsx simulator/src/main.ts [options]',
  '',
  'Simulates an ESP32 cold-room node (thermal model) talking MQTT to the Tendero gateway.',
  '',
  ...Object.values(SETTINGS).map(
    (s: Setting) => `  --${s.flag.padEnd(15)} ${s.help}${s.fallback === undefined ? '' : ` (default ${s.fallback})`}  [${s.env}]`,
  ),
  `  --${'list'.padEnd(15)} list the scenarios and exit`,
  `  --${'print-sim-time'.padEnd(15)} with --scenario: print a ${SIM_TIME_ENV} for a gateway (GATEWAY_CLOCK=simulated) and this simulator, and exit`,
  `  --${'help'.padEnd(15)} show this help`,
].join('\n')

function invalid(name: SettingName, message: string): SimulatorError {
  const s = SETTINGS[name]
  return new SimulatorError('SIM_CONFIG_INVALID', `Invalid --${s.flag} / ${s.env}: ${message}`)
}

function number(name: SettingName, raw: string, min: number, max: number, integer = false): number {
  const value = Number(raw)
  if (raw.trim() === '' || !Number.isFinite(value)) throw invalid(name, `"${raw}" is not a number`)
  if (integer && !Number.isInteger(value)) throw invalid(name, `"${raw}" is not an integer`)
  if (value < min || value > max) throw invalid(name, `${value} is outside ${min}…${max}`)
  return value
}

/** Reads flags and environment once at boot and validates them; throws SIM_CONFIG_INVALID. */
export function loadConfig(argv: string[] = process.argv.slice(2), env: NodeJS.ProcessEnv = process.env): SimulatorConfig {
  let flags: Record<string, string | boolean | undefined>
  try {
    const options = Object.fromEntries(Object.values(SETTINGS).map((s) => [s.flag, { type: 'string' as const }]))
    flags = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean' }, list: { type: 'boolean' }, 'print-sim-time': { type: 'boolean' } }, strict: true }).values
  } catch (err) {
    throw new SimulatorError('SIM_CONFIG_INVALID', `${(err as Error).message}. Try --help.`)
  }
  const raw = (name: SettingName): string | undefined => {
    const { flag, env: envName, fallback } = SETTINGS[name]
    const fromFlag = flags[flag]
    if (typeof fromFlag === 'string') return fromFlag
    const fromEnv = env[envName]
    return fromEnv === undefined || fromEnv === '' ? fallback : fromEnv
  }
  const value = (name: SettingName): string => raw(name) as string

  const mqttUrl = value('mqttUrl')
  let protocol: string
  try {
    protocol = new URL(mqttUrl).protocol
  } catch {
    throw invalid('mqttUrl', `"${mqttUrl}" is not a URL`)
  }
  if (!['mqtt:', 'mqtts:', 'ws:', 'wss:', 'tcp:'].includes(protocol)) throw invalid('mqttUrl', `unsupported scheme ${protocol}`)

  const deviceId = value('deviceId')
  if (!isDeviceId(deviceId)) throw invalid('deviceId', `"${deviceId}" must match ^[a-z0-9][a-z0-9_-]{0,63}$`)
  const devices = number('devices', value('devices'), 1, 1000, true)
  const idPrefix = value('idPrefix')
  // The longest id the prefix will get must still be a valid device id.
  if (!isDeviceId(`${idPrefix}-${'0'.repeat(Math.max(2, String(devices).length))}`))
    throw invalid('idPrefix', `"${idPrefix}" plus "-NN" must match ^[a-z0-9][a-z0-9_-]{0,63}$`)
  const ackLog = raw('ackLog')
  if (ackLog === '') throw invalid('ackLog', 'must be a file path')

  const compressor = value('compressor').toLowerCase()
  if (!['on', 'off'].includes(compressor)) throw invalid('compressor', `"${compressor}" must be on or off`)

  const logLevel = raw('logLevel')
  if (logLevel !== undefined && !LOG_LEVELS.includes(logLevel)) throw invalid('logLevel', `must be one of ${LOG_LEVELS.join(', ')}`)

  const simTimeText = raw('simTime')
  let simTime: SimulatedTime | undefined
  if (simTimeText !== undefined) {
    try {
      simTime = parseSimTime(simTimeText)
    } catch (err) {
      throw invalid('simTime', (err as Error).message)
    }
    // One speed: the shared clock's. A different --speed would be a second clock.
    const speedText = raw('speed')
    if (speedText !== SETTINGS.speed.fallback && Number(speedText) !== simTime.speed)
      throw invalid('speed', `${speedText} contradicts the speed ${simTime.speed} of ${SIM_TIME_ENV}; set one of them`)
  }
  const startAt = raw('startAt')
  if (startAt !== undefined && startAt !== 'now' && !/^([01][0-9]|2[0-3]):[0-5][0-9]$/.test(startAt))
    throw invalid('startAt', `"${startAt}" must be HH:MM or now`)

  return {
    simTime,
    startAt,
    printSimTime: flags['print-sim-time'] === true,
    mqttUrl,
    deviceId,
    password: value('password'),
    devices,
    idPrefix,
    reconnectMs: number('reconnect', value('reconnect'), 10, 3_600_000, true),
    ackLog,
    speed: simTime?.speed ?? number('speed', value('speed'), 0.001, MAX_SIM_SPEED),
    intervalMs: number('intervalMs', value('intervalMs'), 10, 3_600_000, true),
    startTempC: number('startTempC', value('startTempC'), -40, 60),
    compressorOn: compressor === 'on',
    seed: number('seed', value('seed'), 0, 4_294_967_295, true),
    ambientC: number('ambientC', value('ambientC'), -20, 60),
    doorOpeningsPerHour: number('doorRate', value('doorRate'), 0, 3_600),
    doorOpenMeanS: number('doorDuration', value('doorDuration'), 1, 3_600),
    keepaliveS: number('keepalive', value('keepalive'), 1, 65_535, true),
    logLevel,
    scenario: raw('scenario'),
    faults: raw('faults'),
    list: flags.list === true,
    help: flags.help === true,
  }
}

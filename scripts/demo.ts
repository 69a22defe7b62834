/**
 * Starts the whole demo on embedded defaults: the cloud (PGlite in .data/cloud), the
 * gateway (SQLite in .data/gateway) running the carniceria-panaderia rule pack
 * (gateway/config/demo-carniceria.json) and the simulator running the scenario of the
 * same name, a whole butcher shop and bakery of five devices. Then it prints the dashboard
 * URL and the demo login. Ctrl+C stops all three.
 *
 * The shop runs on its real local time (`--start-at now`), so the dashboard matches the
 * clock. DEMO_SPEED=<x> above 1 runs the gateway and the simulator on one shared
 * accelerated clock (TENDERO_SIM_TIME, GATEWAY_CLOCK=simulated): a shop day in minutes,
 * with every timestamp ahead of the real clock.
 *
 * Ports follow ARCHITECTURE.md (8080, 1883, 8090) and each can be set by environment.
 * A default port that is taken (a Mosquitto on 1883 is common on dev machines) is
 * swapped for a free one with a note; a port the user set explicitly is used as is,
 * so a conflict there gets the component's own one-line error.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createInterface } from 'node:readline'
import { promisify } from 'node:util'
import { formatSimTime, MAX_SIM_SPEED, parseSimTime, SIM_TIME_ENV } from '@tendero/protocol'
import { loadConfig as loadCloudConfig } from '../cloud/src/config.js'
import { migrateToLatest, openDatabase } from '../cloud/src/plugins/db/database.js'
import { demoDevicesFromSite, seedDemo } from '../cloud/src/seed.js'
import { seedCommercialDemo } from './demo-commercial.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const tsx = join(root, 'node_modules', '.bin', 'tsx')
// The shared clock is set below or not at all: a stray one would contradict DEMO_SPEED.
const { [SIM_TIME_ENV]: _strayClock, ...env } = process.env

const SCENARIO = 'carniceria-panaderia'
/** Each simulated device logs in with `<id>-demo`, the password hashed in the site config. */
const DEVICE_PASSWORD = '{id}-demo'
/** Real time left for the gateway and the simulator to start before an accelerated clock runs. */
const CLOCK_START_MARGIN_MS = 15_000

const gatewayKey = env.DEMO_GATEWAY_KEY ?? 'demo-gateway-key'
// The technicians' local API token for the demo; a real site sets its own.
const apiToken = env.GATEWAY_API_TOKEN ?? 'demo-tecnico-token-0001'
const children: ChildProcess[] = []
let stopping = false

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen(port, '0.0.0.0', () => server.close(() => resolve(true)))
  })
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '0.0.0.0', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

async function choosePort(variable: string, fallback: number, label: string): Promise<number> {
  const set = env[variable]
  if (set) return Number(set)
  if (await portFree(fallback)) return fallback
  const port = await freePort()
  console.log(`· ${label}: el puerto ${fallback} está ocupado, uso ${port} (port ${fallback} is busy; set ${variable} to choose)`)
  return port
}

/** `script` is TypeScript run with tsx, or a built `.mjs` run with plain node. */
function start(name: string, script: string, args: string[], extraEnv: Record<string, string>, quiet = true): ChildProcess {
  const [command, argv] = script.endsWith('.mjs') ? [process.execPath, [join(root, script), ...args]] : [tsx, [join(root, script), ...args]]
  const child = spawn(command, argv, {
    cwd: root,
    env: { ...env, LOG_LEVEL: env.LOG_LEVEL ?? 'warn', GATEWAY_LOG_LEVEL: env.GATEWAY_LOG_LEVEL ?? 'warn', ...extraEnv },
    stdio: quiet ? ['ignore', 'pipe', 'pipe'] : 'inherit',
  })
  children.push(child)
  if (quiet) {
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue
      createInterface({ input: stream }).on('line', (line) => console.log(`[${name}] ${line}`))
    }
  }
  child.on('exit', (code, signal) => {
    if (stopping) return
    console.error(`[${name}] stopped (${signal ?? `exit code ${code}`}); stopping the demo`)
    void stopAll(1)
  })
  return child
}

async function waitForHealth(url: string, name: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (stopping) return
    try {
      const res = await fetch(url)
      if (res.ok) return
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 300))
  }
  throw new Error(`${name} did not become healthy at ${url} within ${timeoutMs / 1000} s`)
}

async function stopAll(code: number): Promise<void> {
  if (stopping) return
  stopping = true
  for (const child of [...children].reverse()) {
    if (child.exitCode !== null) continue
    child.kill('SIGTERM')
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL')
        resolve()
      }, 5000)
      child.once('exit', () => {
        clearTimeout(timer)
        resolve()
      })
    })
  }
  process.exit(code)
}

interface DemoSite {
  gatewayId: string
  timezone?: string
  devices: { id: string; name?: string; kind: string }[]
  rules?: unknown[]
}

function readDemoSite(path: string): DemoSite {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as DemoSite
  } catch (error) {
    throw new Error(`cannot read the site config ${path}: ${error instanceof Error ? error.message : String(error)}`)
  }
}

/**
 * The cloud's demo seed registers the devices of the site the gateway runs, so the
 * dashboard lists the shop the simulator plays. Done here, before the cloud starts (which
 * then skips its own seed, SEED_DEMO=false), on the cloud's own configuration and schema.
 */
async function seedCloud(cloudEnv: Record<string, string | undefined>, site: DemoSite): Promise<void> {
  const config = loadCloudConfig(cloudEnv)
  if (!config.seedDemo) return
  const db = await openDatabase(config.database)
  try {
    await migrateToLatest(db)
    await seedDemo(db, { gatewayKey: config.demoGatewayKey, devices: demoDevicesFromSite(site) })
  } finally {
    await db.destroy()
  }
}

function demoSpeed(): number {
  const text = env.DEMO_SPEED ?? '1'
  const speed = Number(text)
  if (!(speed >= 1 && speed <= MAX_SIM_SPEED)) throw new Error(`DEMO_SPEED must be a number from 1 to ${MAX_SIM_SPEED}, got "${text}"`)
  return speed
}

/** The shop's wall clock now, `HH:MM` in its time zone. */
function shopClock(timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(new Date())
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '00'
  return `${part('hour')}:${part('minute')}`
}

/**
 * One TENDERO_SIM_TIME for the gateway and the simulator: the simulator computes the
 * origin (the scenario at `startAt` today, in the shop's zone); the clock stands there
 * until both have had time to start.
 */
async function sharedClock(speed: number, startAt: string): Promise<string> {
  const { stdout } = await promisify(execFile)(
    tsx,
    [join(root, 'simulator/src/main.ts'), '--scenario', SCENARIO, '--speed', String(speed), '--start-at', startAt, '--print-sim-time'],
    { cwd: root, env },
  )
  const clock = parseSimTime(stdout.trim())
  return formatSimTime({ ...clock, anchorMs: Date.now() + CLOCK_START_MARGIN_MS })
}

process.on('SIGINT', () => void stopAll(0))
process.on('SIGTERM', () => void stopAll(0))

async function main(): Promise<void> {
  const speed = demoSpeed()
  const cloudPort = await choosePort('CLOUD_PORT', 8080, 'cloud')
  const mqttPort = await choosePort('GATEWAY_MQTT_PORT', 1883, 'gateway MQTT')
  const apiPort = await choosePort('GATEWAY_API_PORT', 8090, 'gateway API')
  const wsPort = await choosePort('GATEWAY_MQTT_WS_PORT', 8883, 'gateway MQTT over WebSocket')
  // Node-RED with Tendero's nodes and ready flows, for technicians; DEMO_NODE_RED=off leaves it out.
  const nodeRedPort = env.DEMO_NODE_RED === 'off' ? undefined : await choosePort('NODE_RED_PORT', 1880, 'Node-RED')
  const dataDir = env.DEMO_DATA_DIR ?? join(root, '.data')
  const cloudUrl = `http://127.0.0.1:${cloudPort}`
  const sitePath = env.GATEWAY_CONFIG ?? join(root, 'gateway', 'config', 'demo-carniceria.json')
  const site = readDemoSite(sitePath)
  const timeZone = site.timezone ?? 'America/Argentina/Buenos_Aires'
  const startAt = shopClock(timeZone)
  const simTime = speed > 1 ? await sharedClock(speed, startAt) : undefined

  console.log('Tendero demo: iniciando nube, gateway y simulador… (starting cloud, gateway and simulator)')
  const cloudEnv = {
    ...env,
    CLOUD_PORT: String(cloudPort),
    CLOUD_DATA_DIR: join(dataDir, 'cloud'),
    DEMO_GATEWAY_KEY: gatewayKey,
  }
  await seedCloud(cloudEnv, site)
  start('cloud', 'cloud/src/server.ts', [], { ...cloudEnv, SEED_DEMO: 'false' })
  await waitForHealth(`${cloudUrl}/api/health`, 'cloud')
  // CRM, the gallery next door, invoices and appointments, through the API (once per data dir).
  // A failure is reported and the demo goes on: the shop's sensors do not depend on it.
  if (!stopping) {
    try {
      await seedCommercialDemo(cloudUrl, { log: (line) => console.log(line) })
    } catch (error) {
      console.error(`⚠ datos comerciales de demo incompletos (commercial demo data incomplete): ${error instanceof Error ? error.message : String(error)}`)
      console.error(`  Para reintentar, borrá ${join(dataDir, 'cloud')} (to retry, delete that directory).`)
    }
  }

  // As shipped (npm start -w @tendero/gateway): the bundle, with glibc returning scrypt's
  // 16 MiB buffers to the system instead of keeping them in its arenas.
  start('gateway', 'gateway/dist/main.mjs', [], {
    MALLOC_MMAP_THRESHOLD_: env.MALLOC_MMAP_THRESHOLD_ ?? '131072',
    GATEWAY_MQTT_PORT: String(mqttPort),
    GATEWAY_API_PORT: String(apiPort),
    GATEWAY_MQTT_WS_PORT: String(wsPort),
    GATEWAY_DATA_DIR: join(dataDir, 'gateway'),
    GATEWAY_CONFIG: sitePath,
    CLOUD_URL: cloudUrl,
    GATEWAY_KEY: gatewayKey,
    GATEWAY_API_TOKEN: apiToken,
    ...(simTime ? { GATEWAY_CLOCK: 'simulated', [SIM_TIME_ENV]: simTime } : {}),
  })
  await waitForHealth(`http://127.0.0.1:${apiPort}/health`, 'gateway')

  if (nodeRedPort !== undefined) {
    start('node-red', 'scripts/node-red.ts', [], {
      NODE_RED_PORT: String(nodeRedPort),
      NODE_RED_USER_DIR: join(dataDir, 'node-red'),
      NODE_RED_LOG_LEVEL: env.NODE_RED_LOG_LEVEL ?? 'warn',
      // A fixed key for the demo's flow credentials (the gateway's demo token and service
      // password), so Node-RED does not generate one and warn about it; a shop sets its own.
      NODE_RED_CREDENTIAL_SECRET: env.NODE_RED_CREDENTIAL_SECRET ?? 'tendero-demo-credenciales',
      TENDERO_GATEWAY_MQTT_PORT: String(mqttPort),
      TENDERO_GATEWAY_API_PORT: String(apiPort),
      TENDERO_GATEWAY_TOKEN: apiToken,
    })
  }

  console.log(banner({ dashboardUrl: `http://localhost:${cloudPort}`, mqttPort, wsPort, apiPort, nodeRedPort, startAt, timeZone, speed, rules: site.rules?.length ?? 0 }))
  if (simTime) console.log(clockWarning(speed, simTime))

  start(
    'sim',
    'simulator/src/main.ts',
    [
      '--scenario', SCENARIO,
      '--mqtt-url', `mqtt://127.0.0.1:${mqttPort}`,
      '--password', DEVICE_PASSWORD,
      '--start-at', startAt,
      ...(simTime ? ['--sim-time', simTime] : ['--speed', '1']),
    ],
    {},
    false,
  )
}

interface BannerInfo {
  dashboardUrl: string
  mqttPort: number
  wsPort: number
  apiPort: number
  nodeRedPort: number | undefined
  startAt: string
  timeZone: string
  speed: number
  rules: number
}

function banner(b: BannerInfo): string {
  const pace = b.speed > 1 ? `×${b.speed}` : 'tiempo real / real time'
  return [
    '',
    '  Tendero está corriendo / Tendero is running',
    `  Panel (dashboard):   ${b.dashboardUrl}`,
    '  Usuario (login):     demo@tendero.app',
    '  Contraseña (pass):   tendero-demo',
    `  API docs:            ${b.dashboardUrl}/docs`,
    `  Gateway MQTT:        mqtt://127.0.0.1:${b.mqttPort}   ws://127.0.0.1:${b.wsPort}   health: http://127.0.0.1:${b.apiPort}/health`,
    `  API técnica (local): http://127.0.0.1:${b.apiPort}/api/rules   (Authorization: Bearer ${apiToken})`,
    ...(b.nodeRedPort !== undefined ? [`  Node-RED (técnicos): http://127.0.0.1:${b.nodeRedPort}   flujos listos: panadería (horno), riego con corte por lluvia`] : []),
    '',
    '  Comercial: clientes y oportunidades en /clientes, la Galería Don Julio (locales, contratos, alquileres)',
    '  en /locales, facturas, cobros y deudas en /facturacion, la agenda de Julio en /turnos, y la página',
    `  pública de reservas en ${b.dashboardUrl}/reservar/don-julio.`,
    '  Commercial: customers and deals at /clientes, the Don Julio gallery (spaces, leases, rent) at /locales,',
    '  invoices, payments and debts at /facturacion, Julio\'s diary at /turnos, and the public booking page at',
    `  ${b.dashboardUrl}/reservar/don-julio.`,
    '',
    `  Escenario ${SCENARIO}: Carnicería y Panadería Don Julio, desde las ${b.startAt} (${b.timeZone}), ${pace}.`,
    '  Cámara de carnes, heladera exhibidora, horno de pisos, medidor de energía y puerta del local;',
    `  el gateway corre las ${b.rules} reglas del paquete carniceria-panaderia.`,
    '  Qué mirar:',
    '  · La cámara arranca a 6 °C con el compresor apagado. Al minuto y medio (1 minuto sobre 4 °C)',
    '    se dispara la regla carn-camara-enfriar; el compresor enciende a los 5 minutos del arranque,',
    '    porque la regla lo deja 5 minutos apagado como mínimo. La cámara baja hacia 0–4 °C; bajo 1 °C',
    '    carn-camara-apagar lo apaga.',
    '  · 02, 08, 14 y 20 h: descongelamiento de la cámara (compresor apagado, resistencia encendida).',
    '  · 10:00: la puerta del local queda abierta 5 minutos.',
    '  · 10:30: corte de luz de 20 minutos: los equipos se apagan y se desconectan; a los 10 minutos',
    '    sin datos de la cámara salta la alarma carn-camara-sin-datos. Vuelve la luz a las 10:50.',
    '',
    `  Scenario ${SCENARIO}: a butcher shop and bakery, from ${b.startAt} (${b.timeZone}), ${pace}:`,
    '  meat cold room, display fridge, deck oven, energy meter and front door; the gateway runs the',
    `  ${b.rules} rules of the carniceria-panaderia pack. What to watch:`,
    '  · The cold room starts at 6 °C with its compressor off. After a minute and a half (1 minute',
    '    above 4 °C) rule carn-camara-enfriar fires; the compressor starts 5 minutes after start-up, as',
    '    the rule keeps it off for at least 5 minutes. The room cools towards 0–4 °C; below 1 °C',
    '    carn-camara-apagar switches it off.',
    '  · 02:00, 08:00, 14:00 and 20:00: cold room defrost (compressor off, heater on).',
    '  · 10:00: the shop door is propped open for 5 minutes.',
    '  · 10:30: 20-minute power cut: devices go dark and drop off; after 10 minutes without cold room',
    '    data alarm carn-camara-sin-datos is raised. Power returns at 10:50.',
    '',
    '  Ctrl+C para detener / to stop.',
    '',
  ].join('\n')
}

function clockWarning(speed: number, simTime: string): string {
  return [
    `  ⚠ DEMO_SPEED=${speed}: el gateway y el simulador corren en un reloj simulado ${speed} veces más rápido`,
    '    (GATEWAY_CLOCK=simulated). Todas las horas (lecturas, alarmas, panel) van por delante del reloj real,',
    '    y la nube no grafica lecturas que vienen más de 5 minutos adelantadas. Para ver el panel como en',
    '    una tienda real, corré la demo sin DEMO_SPEED.',
    `  ⚠ DEMO_SPEED=${speed}: the gateway and the simulator run on a simulated clock ${speed} times faster`,
    '    (GATEWAY_CLOCK=simulated). Every timestamp (readings, alarms, dashboard) runs ahead of the real clock,',
    '    and the cloud does not chart readings more than 5 minutes ahead. For a dashboard that matches a real',
    '    shop, run the demo without DEMO_SPEED.',
    `    ${SIM_TIME_ENV}=${simTime}`,
    '',
  ].join('\n')
}

main().catch((error: unknown) => {
  console.error(`demo failed: ${error instanceof Error ? error.message : String(error)}`)
  void stopAll(1)
})

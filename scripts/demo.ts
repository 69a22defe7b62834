/**
 * Starts the whole demo on embedded defaults: the cloud (PGlite in .data/cloud),
 * the gateway (SQLite in .data/gateway) and a simulated cold room, then prints the
 * dashboard URL and the demo login. Ctrl+C stops all three.
 *
 * Ports follow ARCHITECTURE.md (8080, 1883, 8090) and each can be set by environment.
 * A default port that is taken (a Mosquitto on 1883 is common on dev machines) is
 * swapped for a free one with a note; a port the user set explicitly is used as is,
 * so a conflict there gets the component's own one-line error.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createInterface } from 'node:readline'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const tsx = join(root, 'node_modules', '.bin', 'tsx')
const env = process.env

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

process.on('SIGINT', () => void stopAll(0))
process.on('SIGTERM', () => void stopAll(0))

async function main(): Promise<void> {
  const cloudPort = await choosePort('CLOUD_PORT', 8080, 'cloud')
  const mqttPort = await choosePort('GATEWAY_MQTT_PORT', 1883, 'gateway MQTT')
  const apiPort = await choosePort('GATEWAY_API_PORT', 8090, 'gateway API')
  const wsPort = await choosePort('GATEWAY_MQTT_WS_PORT', 8883, 'gateway MQTT over WebSocket')
  const dataDir = env.DEMO_DATA_DIR ?? join(root, '.data')
  const cloudUrl = `http://127.0.0.1:${cloudPort}`

  console.log('Tendero demo: iniciando nube, gateway y simulador… (starting cloud, gateway and simulator)')
  start('cloud', 'cloud/src/server.ts', [], {
    CLOUD_PORT: String(cloudPort),
    CLOUD_DATA_DIR: join(dataDir, 'cloud'),
    DEMO_GATEWAY_KEY: gatewayKey,
  })
  await waitForHealth(`${cloudUrl}/api/health`, 'cloud')

  // As shipped (npm start -w @tendero/gateway): the bundle, with glibc returning scrypt's
  // 16 MiB buffers to the system instead of keeping them in its arenas.
  start('gateway', 'gateway/dist/main.mjs', [], {
    MALLOC_MMAP_THRESHOLD_: env.MALLOC_MMAP_THRESHOLD_ ?? '131072',
    GATEWAY_MQTT_PORT: String(mqttPort),
    GATEWAY_API_PORT: String(apiPort),
    GATEWAY_MQTT_WS_PORT: String(wsPort),
    GATEWAY_DATA_DIR: join(dataDir, 'gateway'),
    GATEWAY_CONFIG: env.GATEWAY_CONFIG ?? join(root, 'gateway', 'config', 'demo.json'),
    CLOUD_URL: cloudUrl,
    GATEWAY_KEY: gatewayKey,
    GATEWAY_API_TOKEN: apiToken,
  })
  await waitForHealth(`http://127.0.0.1:${apiPort}/health`, 'gateway')

  const dashboardUrl = `http://localhost:${cloudPort}`
  console.log(
    [
      '',
      '  Tendero está corriendo / Tendero is running',
      `  Panel (dashboard):   ${dashboardUrl}`,
      '  Usuario (login):     demo@tendero.app',
      '  Contraseña (pass):   tendero-demo',
      `  API docs:            ${dashboardUrl}/docs`,
      `  Gateway MQTT:        mqtt://127.0.0.1:${mqttPort}   ws://127.0.0.1:${wsPort}   health: http://127.0.0.1:${apiPort}/health`,
      `  API técnica (local): http://127.0.0.1:${apiPort}/api/rules   (Authorization: Bearer ${apiToken})`,
      '',
      '  La cámara arranca a 6 °C con el compresor apagado: a los 2 minutos sobre 5 °C la regla',
      '  enciende el compresor y levanta una alarma. (The cold room starts warm with the compressor',
      '  off; after 2 minutes above 5 °C the rule switches it on and raises an alarm.)',
      '  Ctrl+C para detener / to stop.',
      '',
    ].join('\n'),
  )

  start(
    'sim',
    'simulator/src/main.ts',
    [
      '--mqtt-url', `mqtt://127.0.0.1:${mqttPort}`,
      '--device', 'camara-1',
      '--password', 'camara-1-demo',
      '--speed', env.DEMO_SPEED ?? '10',
      '--start-temp', '6',
      '--compressor', 'off',
    ],
    {},
    false,
  )
}

main().catch((error: unknown) => {
  console.error(`demo failed: ${error instanceof Error ? error.message : String(error)}`)
  void stopAll(1)
})

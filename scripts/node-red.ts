/**
 * Starts Node-RED for technicians with Tendero's nodes (node-red-flows/nodes) and ready
 * flows (node-red-flows/flows), pointed at the local gateway:
 *
 *   npm run node-red            # editor on http://127.0.0.1:1880
 *
 * The shipped flows are merged into one flows file on the first run only; after that the
 * flows file in the user directory is the technician's, and a restart never overwrites it.
 * `startNodeRed(opts)` does the same from another script (scripts/demo.ts) or a test.
 *
 * Environment (read only in `nodeRedOptionsFromEnv`):
 *   NODE_RED_PORT (1880, 0 = any free port), NODE_RED_HOST (127.0.0.1: the editor has no
 *   login, so it is not on the network unless asked), NODE_RED_USER_DIR (.data/node-red),
 *   NODE_RED_LOG_LEVEL (info), NODE_RED_CREDENTIAL_SECRET (key of flows_cred.json; unset:
 *   Node-RED makes one and keeps it in the user directory), and what the flows' gateway config node reads:
 *   TENDERO_GATEWAY_HOST (127.0.0.1), TENDERO_GATEWAY_MQTT_PORT (GATEWAY_MQTT_PORT or 1883),
 *   TENDERO_GATEWAY_API_PORT (GATEWAY_API_PORT or 8090), TENDERO_NODERED_SERVICE (nodered),
 *   TENDERO_NODERED_PASSWORD (nodered-demo), TENDERO_GATEWAY_TOKEN (GATEWAY_API_TOKEN or the demo's token).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
export const FLOWS_DIR = join(root, 'node-red-flows', 'flows')
const require = createRequire(import.meta.url)

/** The flows' gateway config node reads these (node-red-flows/flows/*.json). */
export interface TenderoFlowEnv {
  TENDERO_GATEWAY_HOST: string
  TENDERO_GATEWAY_MQTT_PORT: string
  TENDERO_GATEWAY_API_PORT: string
  TENDERO_NODERED_SERVICE: string
  TENDERO_NODERED_PASSWORD: string
  TENDERO_GATEWAY_TOKEN: string
}

export interface NodeRedOptions {
  /** 0 = any free port. */
  port: number
  host: string
  userDir: string
  /** Node-RED's console log level: fatal, error, warn, info, debug, trace. */
  logLevel: string
  /** Put into process.env before the flows start, where Node-RED's `${...}` substitution looks. */
  flowEnv: TenderoFlowEnv
  /** Key for flows_cred.json; unset: Node-RED generates one and keeps it in the user directory. */
  credentialSecret?: string
  /** Shipped flow files merged into the flows file on the first run. */
  flowsDir?: string
  /** Every Node-RED log entry (level: 10 fatal, 20 error, 30 warn, 40 info). */
  onLog?: (entry: { level: number; msg: unknown; type?: string; id?: string }) => void
}

export interface RunningNodeRed {
  port: number
  url: string
  /** Whether this start deployed the shipped flows (first run) or kept the user's. */
  deployedShippedFlows: boolean
  /** The last status each node reported, by node id. */
  statuses(): ReadonlyMap<string, { fill?: string; shape?: string; text?: string }>
  stop(): Promise<void>
}

/** A taken port: the CLI prints `message` as its one line and exits 1. */
export class NodeRedPortInUse extends Error {
  constructor(readonly port: number) {
    super(`Port ${port} is already in use. Set NODE_RED_PORT to a free port.`)
    this.name = 'NodeRedPortInUse'
  }
}

export function nodeRedOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): NodeRedOptions {
  const port = Number(env.NODE_RED_PORT ?? 1880)
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`NODE_RED_PORT must be a port number (0-65535), not "${env.NODE_RED_PORT}"`)
  return {
    port,
    host: env.NODE_RED_HOST ?? '127.0.0.1',
    userDir: resolve(env.NODE_RED_USER_DIR ?? join(root, '.data', 'node-red')),
    logLevel: env.NODE_RED_LOG_LEVEL ?? 'info',
    ...(env.NODE_RED_CREDENTIAL_SECRET ? { credentialSecret: env.NODE_RED_CREDENTIAL_SECRET } : {}),
    flowEnv: {
      TENDERO_GATEWAY_HOST: env.TENDERO_GATEWAY_HOST ?? '127.0.0.1',
      TENDERO_GATEWAY_MQTT_PORT: env.TENDERO_GATEWAY_MQTT_PORT ?? env.GATEWAY_MQTT_PORT ?? '1883',
      TENDERO_GATEWAY_API_PORT: env.TENDERO_GATEWAY_API_PORT ?? env.GATEWAY_API_PORT ?? '8090',
      TENDERO_NODERED_SERVICE: env.TENDERO_NODERED_SERVICE ?? 'nodered',
      // The demo site's service client password (gateway/config/demo-carniceria.json); a real site sets its own.
      TENDERO_NODERED_PASSWORD: env.TENDERO_NODERED_PASSWORD ?? 'nodered-demo',
      TENDERO_GATEWAY_TOKEN: env.TENDERO_GATEWAY_TOKEN ?? env.GATEWAY_API_TOKEN ?? 'demo-tecnico-token-0001',
    },
  }
}

type FlowNode = { id: string; type: string; [key: string]: unknown }

/**
 * Every shipped flow file in one list. Each file stands alone (it can be imported into any
 * Node-RED), so each carries the gateway config node: nodes with the same id are kept once.
 */
export function mergeShippedFlows(dir: string = FLOWS_DIR): FlowNode[] {
  const merged = new Map<string, FlowNode>()
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const nodes = JSON.parse(readFileSync(join(dir, file), 'utf8')) as FlowNode[]
    if (!Array.isArray(nodes)) throw new Error(`${file}: a flow file is a JSON array of nodes`)
    for (const node of nodes) if (!merged.has(node.id)) merged.set(node.id, node)
  }
  return [...merged.values()]
}

// Node-RED's runtime is one per process (its registry, flows and settings are module state).
let started = false

export async function startNodeRed(opts: NodeRedOptions): Promise<RunningNodeRed> {
  if (started) throw new Error('Node-RED is already running in this process')
  started = true
  try {
    return await boot(opts)
  } catch (err) {
    started = false
    throw err
  }
}

async function boot(opts: NodeRedOptions): Promise<RunningNodeRed> {
  const RED = require('node-red')
  // Node-RED brings its own express; use that one rather than a second copy.
  const express = createRequire(require.resolve('node-red'))('express')
  Object.assign(process.env, opts.flowEnv)
  mkdirSync(opts.userDir, { recursive: true })
  const flowFile = 'flows.json'
  const firstRun = !existsSync(join(opts.userDir, flowFile))

  const app = express()
  const server: Server = createServer(app)
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(err.code === 'EADDRINUSE' ? new NodeRedPortInUse(opts.port) : err))
    server.listen(opts.port, opts.host, () => resolveListen())
  })
  const port = (server.address() as AddressInfo).port

  const statuses = new Map<string, { fill?: string; shape?: string; text?: string }>()
  const onStatus = (e: { id: string; status: { fill?: string; shape?: string; text?: string } }) => statuses.set(e.id, e.status)
  const logging: Record<string, unknown> = { console: { level: opts.logLevel, metrics: false, audit: false } }
  if (opts.onLog) logging.tendero = { level: 'trace', metrics: false, audit: false, handler: () => opts.onLog }
  RED.init(server, {
    userDir: opts.userDir,
    flowFile,
    uiPort: port,
    uiHost: opts.host,
    httpAdminRoot: '/',
    httpNodeRoot: '/',
    logging,
    editorTheme: { tours: false },
    functionExternalModules: false,
    ...(opts.credentialSecret ? { credentialSecret: opts.credentialSecret } : {}),
  })
  app.use('/', RED.httpAdmin)
  app.use('/', RED.httpNode)
  RED.events.on('node-status', onStatus)

  // RED.start() resolves before the stored flows and credentials finish loading; a deploy
  // before then would have its credentials overwritten by that load.
  const flowsStarted = new Promise<void>((resolveStarted) => RED.events.once('flows:started', () => resolveStarted()))
  try {
    await RED.start()
    // Only a first run deploys; a technician's flows may wait on a missing node type forever.
    if (firstRun) await flowsStarted
    if (!RED.nodes.getType('tendero-gateway'))
      throw new Error('the node-red-contrib-tendero nodes did not load: is node-red-flows linked into node_modules (npm install at the repo root)?')
    if (firstRun) {
      // Credentials go beside the flows, as the editor sends them; the runtime encrypts them
      // into flows_cred.json. Shipped ones are only `${NAME}` references to the environment.
      const credentials: Record<string, unknown> = {}
      const flows = mergeShippedFlows(opts.flowsDir ?? FLOWS_DIR).map(({ credentials: c, ...node }) => {
        if (c) credentials[node.id] = c
        return node
      })
      await RED.runtime.flows.setFlows({ flows: { flows, credentials }, deploymentType: 'full' })
    }
  } catch (err) {
    RED.events.removeListener('node-status', onStatus)
    await RED.stop().catch(() => undefined)
    server.closeAllConnections()
    await new Promise((r) => server.close(r))
    throw err
  }

  return {
    port,
    url: `http://${opts.host === '0.0.0.0' ? '127.0.0.1' : opts.host}:${port}/`,
    deployedShippedFlows: firstRun,
    statuses: () => statuses,
    async stop() {
      RED.events.removeListener('node-status', onStatus)
      await RED.stop()
      server.closeAllConnections()
      await new Promise((r) => server.close(r))
      started = false
    },
  }
}

async function main(): Promise<void> {
  let running: RunningNodeRed
  try {
    running = await startNodeRed(nodeRedOptionsFromEnv())
  } catch (err) {
    // A taken port or a bad variable is one line, not a stack trace.
    console.error(err instanceof NodeRedPortInUse || (err instanceof Error && /^NODE_RED_/.test(err.message)) ? err.message : err)
    process.exit(1)
  }
  console.log(`Node-RED: ${running.url} (${running.deployedShippedFlows ? 'flujos de Tendero instalados / Tendero flows installed' : 'flujos del usuario / your flows'})`)
  const stop = () => {
    running.stop().then(() => process.exit(0), () => process.exit(1))
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) void main()

import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { verifyPassword } from '../../gateway/src/broker/passwords.js'
import { readSiteConfig } from '../../gateway/src/config.js'
import { nodeRedOptionsFromEnv } from '../../scripts/node-red.js'

/** `npm run node-red` as a technician runs it: tsx scripts/node-red.ts in its own process. */
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const tsx = join(root, 'node_modules', '.bin', 'tsx')
const cleanups: (() => void)[] = []
afterEach(() => {
  for (const c of cleanups.splice(0)) c()
})

function tempDir() {
  const dir = mkdtempSync(join(tmpdir(), 'tendero-node-red-cli-'))
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** Runs the script until `stopWhen` matches its output (then SIGTERM) or it exits by itself. */
function runScript(env: Record<string, string>, stopWhen?: RegExp): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(tsx, [join(root, 'scripts', 'node-red.ts')], {
      cwd: root,
      // Port 9 (discard) is closed here: the flows' gateway must not be the Mosquitto on 1883.
      env: { ...process.env, NODE_RED_LOG_LEVEL: 'warn', TENDERO_GATEWAY_MQTT_PORT: '9', TENDERO_GATEWAY_API_PORT: '9', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
    child.stdout.on('data', (d) => {
      stdout += d
      if (stopWhen?.test(stdout)) child.kill('SIGTERM')
    })
    child.stderr.on('data', (d) => (stderr += d))
    child.on('error', reject)
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

describe('scripts/node-red.ts', () => {
  it('names NODE_RED_PORT in one line and exits 1 when the port is taken', async () => {
    const server: Server = createServer()
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
    cleanups.push(() => server.close())
    const port = (server.address() as { port: number }).port
    const run = await runScript({ NODE_RED_PORT: String(port), NODE_RED_USER_DIR: tempDir() })
    expect(run.code).toBe(1)
    const lines = run.stderr.split('\n').filter((l) => l.trim() !== '' && !/npm warn/i.test(l))
    expect(lines).toEqual([`Port ${port} is already in use. Set NODE_RED_PORT to a free port.`])
  })

  it('installs the shipped flows on the first run and keeps the technician\'s flows on the next', async () => {
    const userDir = tempDir()
    const env = { NODE_RED_PORT: '0', NODE_RED_USER_DIR: userDir }
    const first = await runScript(env, /Node-RED: .*\n/)
    expect(first.stdout).toMatch(/Node-RED: http:\/\/127\.0\.0\.1:\d+\/ \(flujos de Tendero instalados/)
    const flowsPath = join(userDir, 'flows.json')
    const installed = JSON.parse(readFileSync(flowsPath, 'utf8')) as { id: string }[]
    expect(installed.some((n) => n.id === 'riego-lluvia.valvula')).toBe(true)
    // The shipped credentials are only environment references, and they are not in flows.json.
    expect(readFileSync(flowsPath, 'utf8')).not.toContain('TENDERO_GATEWAY_TOKEN')

    const edited = installed.filter((n) => n.id !== 'riego-lluvia.nota')
    writeFileSync(flowsPath, JSON.stringify(edited))
    const second = await runScript(env, /Node-RED: .*\n/)
    expect(second.stdout).toMatch(/flujos del usuario/)
    expect(JSON.parse(readFileSync(flowsPath, 'utf8'))).toEqual(edited)
  })

  it('defaults to the service client password of the demo site', async () => {
    const site = readSiteConfig(join(root, 'gateway', 'config', 'demo-carniceria.json'))
    const { flowEnv } = nodeRedOptionsFromEnv({})
    const service = site.services?.find((s) => s.id === flowEnv.TENDERO_NODERED_SERVICE)
    expect(service).toBeDefined()
    expect(await verifyPassword(flowEnv.TENDERO_NODERED_PASSWORD, service!.passwordHash)).toBe(true)
  })
})

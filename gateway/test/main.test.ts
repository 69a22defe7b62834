import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type AddressInfo, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('../..', import.meta.url))
let blocker: Server | undefined
let dir: string | undefined
afterEach(async () => {
  if (blocker) await new Promise((r) => blocker!.close(r))
  if (dir) rmSync(dir, { recursive: true, force: true })
  blocker = dir = undefined
})

async function occupyPort(): Promise<number> {
  blocker = createServer()
  await new Promise<void>((r) => blocker!.listen(0, '127.0.0.1', r))
  return (blocker.address() as AddressInfo).port
}

/** Runs main.ts as the real process would; `node --import tsx` so npm adds nothing to stderr. */
function runMain(env: Record<string, string>): Promise<{ code: number | null; stderr: string; stdout: string }> {
  dir = mkdtempSync(join(tmpdir(), 'tendero-main-'))
  const child = spawn(process.execPath, ['--import', 'tsx', 'gateway/src/main.ts'], {
    cwd: root,
    env: { PATH: process.env.PATH, GATEWAY_DATA_DIR: dir, GATEWAY_MQTT_HOST: '127.0.0.1', GATEWAY_API_HOST: '127.0.0.1', GATEWAY_MQTT_WS_PORT: 'off', ...env },
  })
  let stderr = ''
  let stdout = ''
  child.stderr.on('data', (d) => (stderr += d))
  child.stdout.on('data', (d) => (stdout += d))
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
  return new Promise((resolve) =>
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, stderr, stdout })
    }),
  )
}

describe('main', () => {
  it('port in use: one stderr line naming GATEWAY_MQTT_PORT, exit 1', async () => {
    const port = await occupyPort()
    const { code, stderr } = await runMain({ GATEWAY_MQTT_PORT: String(port), GATEWAY_API_PORT: '0' })
    expect(stderr.trim().split('\n')).toEqual([`Port ${port} is already in use. Set GATEWAY_MQTT_PORT to a free port.`])
    expect(code).toBe(1)
  })

  it('port in use: names GATEWAY_API_PORT for the local API', async () => {
    const port = await occupyPort()
    const { code, stderr } = await runMain({ GATEWAY_MQTT_PORT: '0', GATEWAY_API_PORT: String(port) })
    expect(stderr.trim().split('\n')).toEqual([`Port ${port} is already in use. Set GATEWAY_API_PORT to a free port.`])
    expect(code).toBe(1)
  })

  it('invalid config: clear message, exit 1', async () => {
    const { code, stderr } = await runMain({ GATEWAY_MQTT_PORT: 'nope' })
    expect(stderr).toContain('GATEWAY_MQTT_PORT: must be a port number')
    expect(stderr).not.toMatch(/\n\s+at /)
    expect(code).toBe(1)
  })
})

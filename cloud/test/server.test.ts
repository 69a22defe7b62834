import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const repoRoot = fileURLToPath(new URL('../../', import.meta.url))

describe('server.ts', () => {
  let blocker: Server
  let port: number
  let dataDir: string

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'tendero-cloud-'))
    blocker = createServer()
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
    port = (blocker.address() as { port: number }).port
  })
  afterAll(async () => {
    await new Promise((resolve) => blocker.close(resolve))
    rmSync(dataDir, { recursive: true, force: true })
  })

  it('prints one line naming CLOUD_PORT and exits 1 when the port is taken', async () => {
    const child = spawn(path.join(repoRoot, 'node_modules/.bin/tsx'), ['cloud/src/server.ts'], {
      cwd: repoRoot,
      env: { ...process.env, CLOUD_PORT: String(port), CLOUD_HOST: '127.0.0.1', CLOUD_DATA_DIR: dataDir,
        LOG_LEVEL: 'silent', DATABASE_URL: '' },
    })
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
    expect(code).toBe(1)
    expect(stderr.trim().split('\n')).toEqual([`Port ${port} is already in use. Set CLOUD_PORT to a free port.`])
  }, 60_000)
})

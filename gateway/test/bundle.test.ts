import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mqtt from 'mqtt'
import { afterAll, describe, expect, it } from 'vitest'
import { freePort } from './crash-harness.js'

const gatewayDir = join(import.meta.dirname, '..')

describe('the production bundle (npm run build, npm start)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tendero-bundle-'))
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

  it('builds, boots on the demo site config and takes a device reading', async () => {
    execFileSync(process.execPath, [join(gatewayDir, 'scripts/build.mjs')], { stdio: 'ignore' })
    const [mqttPort, apiPort, wsPort] = [await freePort(), await freePort(), await freePort()]
    const child = spawn(process.execPath, [join(gatewayDir, 'dist/main.mjs')], {
      env: {
        ...process.env,
        MALLOC_MMAP_THRESHOLD_: '131072',
        GATEWAY_MQTT_PORT: String(mqttPort),
        GATEWAY_API_PORT: String(apiPort),
        GATEWAY_MQTT_WS_PORT: String(wsPort),
        GATEWAY_DATA_DIR: dataDir,
        CLOUD_URL: 'http://127.0.0.1:9',
        GATEWAY_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (chunk) => (stderr += chunk))
    try {
      let health: { status?: string } = {}
      for (let i = 0; i < 100 && health.status !== 'ok'; i++) {
        await new Promise((r) => setTimeout(r, 100))
        health = (await fetch(`http://127.0.0.1:${apiPort}/health`).then((r) => r.json(), () => ({}))) as { status?: string }
      }
      expect(health.status, stderr).toBe('ok')
      const device = await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, {
        clientId: 'camara-1', username: 'camara-1', password: 'camara-1-demo', reconnectPeriod: 0,
      })
      await device.publishAsync('tendero/v1/camara-1/telemetry', JSON.stringify({ readings: { temperature_c: 3.2 } }), { qos: 1 })
      await device.endAsync()
      const after = (await fetch(`http://127.0.0.1:${apiPort}/health`).then((r) => r.json())) as { log: { lastSeq: number } }
      expect(after.log.lastSeq).toBeGreaterThan(0)
    } finally {
      child.kill('SIGTERM')
      await new Promise((r) => child.once('exit', r))
    }
  })
})

import { createServer, type Server } from 'node:http'
import { io as connectSocket, type Socket } from 'socket.io-client'
import { afterEach, describe, expect, it } from 'vitest'
import { DEMO, getJson, login, startStack, waitFor, type Stack } from './stack.js'

const siteId = DEMO.site.id
let stack: Stack | undefined
let socket: Socket | undefined

afterEach(async () => {
  socket?.close()
  socket = undefined
  await stack?.stop()
  stack = undefined
})

interface TelemetryPush { siteId: string; gatewayId: string; deviceId: string; time: number; readings: Record<string, number> }
interface Row { time: number; deviceId: string; metric: string; value: number }

describe('sensor → gateway → cloud → live dashboard', () => {
  it('a reading from the simulator reaches the cloud database and a Socket.IO client', async () => {
    stack = await startStack({ startTempC: 3.5 })
    const token = await login(stack.cloudUrl)
    socket = connectSocket(stack.cloudUrl, { auth: { token }, transports: ['websocket'], reconnection: false })
    const pushes: TelemetryPush[] = []
    socket.on('telemetry', (push: TelemetryPush) => pushes.push(push))
    const joined = await socket.timeout(5000).emitWithAck('site:join', siteId)
    expect(joined).toEqual({ ok: true })

    const push = await waitFor(() => pushes.find((p) => p.deviceId === 'camara-1'), 20_000, 'a live telemetry push')
    expect(push).toMatchObject({ siteId, gatewayId: 'gw-demo-01' })
    expect(push.readings.temperature_c).toBeCloseTo(3.5, 0)

    // The same reading is in PostgreSQL (PGlite here), queryable through the API…
    const rows = await waitFor(async () => {
      const { items } = await getJson<{ items: Row[] }>(
        `${stack!.cloudUrl}/api/sites/${siteId}/telemetry?deviceId=camara-1&metric=temperature_c`, token)
      return items.find((r) => r.time === push.time) ? items : undefined
    }, 10_000, 'the pushed reading in the telemetry API')
    expect(rows.find((r) => r.time === push.time)?.value).toBe(push.readings.temperature_c)

    // …and the gateway's log and the cloud agree on what was acknowledged.
    const stored = await stack.cloud.db
      .selectFrom('events').select(({ fn }) => fn.countAll<string>().as('n')).where('gateway_id', '=', 'gw-demo-01')
      .executeTakeFirstOrThrow()
    expect(Number(stored.n)).toBeGreaterThan(0)
    expect(stack.gateway.log.read(0, 10_000).length).toBeGreaterThanOrEqual(Number(stored.n))
  })

  it('the rule fires: the simulated relay switches on and the temperature falls', async () => {
    stack = await startStack({
      startTempC: 6,
      speed: 300,
      intervalMs: 200,
      site: (site) => {
        // The demo rule, held for 1 s instead of 2 min; the "compressor off" rule is left out
        // so the fall is not cut short.
        site.rules = site.rules.filter((r) => r.id === 'camara-alta').map((r) => ({ ...r, when: { ...r.when, forSeconds: 1 } }))
      },
    })
    const node = stack.node!
    expect(node.snapshot().compressor).toBe(false)
    await waitFor(() => node.snapshot().compressor, 15_000, 'the compressor relay to switch on')
    const atSwitch = node.snapshot().temperatureC
    expect(atSwitch).toBeGreaterThan(5)
    await waitFor(() => node.snapshot().temperatureC < atSwitch - 0.5, 15_000, 'the temperature to fall')

    // The cloud saw the alarm and the relay state through the uplink.
    const token = await login(stack.cloudUrl)
    const alarms = await waitFor(async () => {
      const { items } = await getJson<{ items: { alarmId: string; severity: string }[] }>(
        `${stack!.cloudUrl}/api/sites/${siteId}/alarms?state=all`, token)
      return items.length ? items : undefined
    }, 10_000, 'the alarm in the cloud')
    expect(alarms[0]).toMatchObject({ alarmId: 'camara-alta:camara-1', severity: 'critical' })
    const state = await waitFor(async () => {
      const { items } = await getJson<{ items: { deviceId: string; key: string; value: unknown }[] }>(
        `${stack!.cloudUrl}/api/sites/${siteId}/state`, token)
      return items.find((s) => s.key === 'compressor' && s.value === true)
    }, 10_000, 'the compressor state in the cloud')
    expect(state.deviceId).toBe('camara-1')
  })

  it('the same uplink batch sent twice is stored once', async () => {
    // A proxy between gateway and cloud forwards the first batch but loses the cloud's
    // answer, as a dropped connection would: the gateway must resend the same events.
    const bodies: string[] = []
    const answers: { stored: number; duplicates: number; ackSeq: number }[] = []
    let proxy: Server | undefined
    stack = await startStack({
      startTempC: 4,
      uplinkUrl: (cloudUrl) => new Promise((resolve) => {
        proxy = createServer(async (req, res) => {
          const chunks: Buffer[] = []
          for await (const chunk of req) chunks.push(chunk as Buffer)
          const body = Buffer.concat(chunks).toString('utf8')
          // Only the uplink's POSTs matter here; anything else (the downlink's channel) is refused.
          if (req.method !== 'POST') {
            res.writeHead(404).end()
            return
          }
          const upstream = await fetch(`${cloudUrl}${req.url}`, {
            method: req.method, headers: { 'content-type': 'application/json', authorization: String(req.headers.authorization) }, body,
          })
          const text = await upstream.text()
          if (upstream.ok) {
            bodies.push(body)
            answers.push(JSON.parse(text))
          }
          if (bodies.length === 1) {
            res.writeHead(502).end()
            return
          }
          res.writeHead(upstream.status, { 'content-type': 'application/json' }).end(text)
        })
        proxy.listen(0, '127.0.0.1', () => {
          const address = proxy!.address()
          resolve(`http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`)
        })
      }),
    })
    try {
      await waitFor(() => answers.length >= 2, 20_000, 'the gateway to resend its first batch')
      const first = JSON.parse(bodies[0]!) as { events: { seq: number }[] }
      const second = JSON.parse(bodies[1]!) as { events: { seq: number }[] }
      // The resend starts with exactly the events of the lost batch.
      expect(second.events.slice(0, first.events.length).map((e) => e.seq)).toEqual(first.events.map((e) => e.seq))
      expect(answers[0]).toMatchObject({ stored: first.events.length, duplicates: 0 })
      expect(answers[1]!.duplicates).toBe(first.events.length)

      // Stored once: one row per seq, one telemetry row per reading.
      const db = stack.cloud.db
      const events = await db.selectFrom('events').select(['seq', 'kind', 'body']).where('gateway_id', '=', 'gw-demo-01').execute()
      const seqs = events.map((e) => Number(e.seq))
      expect(new Set(seqs).size).toBe(seqs.length)
      const readings = events
        .filter((e) => e.kind === 'telemetry')
        .reduce((n, e) => n + Object.keys((e.body as { readings: object }).readings).length, 0)
      const telemetry = await db.selectFrom('telemetry').select(({ fn }) => fn.countAll<string>().as('n'))
        .where('gateway_id', '=', 'gw-demo-01').executeTakeFirstOrThrow()
      expect(Number(telemetry.n)).toBe(readings)
    } finally {
      await new Promise((r) => proxy?.close(r))
    }
  })
})

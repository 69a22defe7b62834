import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import type { LogEvent } from '@tendero/protocol'
import { hashPassword } from '../src/modules/auth/password.js'
import { DEMO } from '../src/seed.js'
import { addDemoGateway, addOrganization, buildTestApp, ingest, loginDemo, type TestApp } from './support/app.js'
import { testDrivers } from './support/drivers.js'

const BOOT_ID = '0b7c9d1e-3f7a-4c55-9a49-1f0c2f6c8a11'

/** One alarm transition as a gateway logs it; each test uses its own rule id so alarms do not collide on the demo site. */
function alarmChange(seq: number, ruleId: string, state: 'raised' | 'acknowledged' | 'cleared', opts: { time?: number; severity?: string; by?: string } = {}): LogEvent {
  const time = opts.time ?? Date.now()
  return { seq, kind: 'alarm', deviceId: 'camara-1', time, receivedAt: time, bootId: BOOT_ID, monoMs: seq, clockSynced: true,
    body: { alarmId: `${ruleId}:camara-1`, ruleId, deviceId: 'camara-1', severity: (opts.severity ?? 'critical') as 'critical', state,
      message: 'Cámara de frío sobre 5 °C', value: 6.1, ...(opts.by ? { by: opts.by } : {}) } }
}

/** A gateway's end of the real downlink channel: what the cloud sends it, and a way to answer. */
interface ChannelPeer {
  frames: { type: string; id?: string; deviceId?: string; issuedAt?: number; command?: Record<string, unknown> }[]
  send(message: object): void
  close(): Promise<void>
}

async function connectGateway(url: string, gatewayKey: string): Promise<ChannelPeer> {
  const ws = new WebSocket(`${url.replace('http', 'ws')}/api/gateway/channel`, { headers: { authorization: `Bearer ${gatewayKey}` } })
  const frames: ChannelPeer['frames'] = []
  ws.on('message', (data) => frames.push(JSON.parse(String(data))))
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
  })
  return {
    frames,
    send: (message) => ws.send(JSON.stringify(message)),
    close: () => new Promise<void>((resolve) => {
      ws.once('close', () => resolve())
      ws.close()
    }),
  }
}

async function eventually<T>(probe: () => Promise<T | undefined | false> | T | undefined | false, what: string, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe.each(testDrivers())('alarms: acknowledge and clear from the cloud, org alarm list, on %s', (driver) => {
  let t: TestApp
  let url: string
  let token: string
  const siteId = DEMO.site.id
  const call = (method: 'GET' | 'POST', path: string, payload?: object, headers: Record<string, string> = {}) =>
    t.app.inject({ method, url: path, headers: { authorization: `Bearer ${token}`, ...headers }, ...(payload ? { payload } : {}) })
  const commandsFor = (gatewayId: string) =>
    t.app.db.withTables<{ cloud_commands: { id: string; gateway_id: string; status: string; command: unknown } }>()
      .selectFrom('cloud_commands').selectAll().where('gateway_id', '=', gatewayId).execute()
  const auditFor = (targetId: string) =>
    t.app.db.selectFrom('audit_log').selectAll().where('target_type', '=', 'alarm').where('target_id', '=', targetId).execute()

  /** A fresh gateway on the demo site with one alarm of its own raised through ingest. */
  async function raisedAlarm(extra: LogEvent[] = []) {
    const gateway = await addDemoGateway(t.app)
    const ruleId = `r-${randomBytes(3).toString('hex')}`
    const res = await ingest(t.app, gateway.gatewayKey, gateway.gatewayId, [alarmChange(1, ruleId, 'raised'), ...extra])
    expect(res.statusCode).toBe(200)
    return { ...gateway, ruleId, alarmId: `${ruleId}:camara-1` }
  }

  beforeAll(async () => {
    t = await buildTestApp(driver)
    await t.app.listen({ port: 0, host: '127.0.0.1' })
    const address = t.app.server.address()
    if (!address || typeof address === 'string') throw new Error('no TCP port')
    url = `http://127.0.0.1:${address.port}`
    token = await loginDemo(t.app)
  })
  afterAll(async () => {
    await t?.close()
  })

  it('sends an acknowledgement to the connected gateway at once (202 sent), audited, with the user as `by`', async () => {
    const { gatewayId, gatewayKey, alarmId } = await raisedAlarm()
    const peer = await connectGateway(url, gatewayKey)
    try {
      await eventually(() => t.app.gatewayChannel.connected(gatewayId), 'the channel to open')
      const res = await call('POST', `/api/sites/${siteId}/alarms/${alarmId}/ack`, { note: 'Ya voy para el local' })
      expect(res.statusCode).toBe(202)
      const view = res.json()
      expect(view).toMatchObject({ siteId, alarmId, action: 'ack', gatewayId, status: 'sent', gatewayOnline: true,
        by: `cloud:${DEMO.user.email}`, result: null })
      const frame = await eventually(() => peer.frames.find((f) => f.id === view.commandId), 'the command on the channel')
      expect(frame).toEqual({ type: 'command', id: view.commandId, deviceId: 'camara-1', issuedAt: view.createdAt, expiresAt: view.expiresAt,
        command: { kind: 'alarm.ack', alarmId, by: `cloud:${DEMO.user.email}`, note: 'Ya voy para el local' } })

      // The cloud does not write the alarm itself: the mirror moves when the gateway's change comes up.
      const before = (await call('GET', `/api/sites/${siteId}/alarms`)).json().items.find((a: { alarmId: string }) => a.alarmId === alarmId)
      expect(before.state).toBe('raised')
      const audit = await auditFor(`${siteId}/${alarmId}`)
      expect(audit).toHaveLength(1)
      expect(audit[0]).toMatchObject({ action: 'alarm.ack', actor_type: 'user', org_id: DEMO.organization.id })

      peer.send({ type: 'command.ack', id: view.commandId, ok: true })
      await eventually(async () => (await call('GET', `/api/gateways/${gatewayId}/commands/${view.commandId}`)).json().status === 'acked', 'the ack recorded')
      await ingest(t.app, gatewayKey, gatewayId, [alarmChange(2, alarmId.split(':')[0]!, 'acknowledged', { by: `cloud:${DEMO.user.email}` })])
      const after = (await call('GET', `/api/sites/${siteId}/alarms`)).json().items.find((a: { alarmId: string }) => a.alarmId === alarmId)
      expect(after.state).toBe('acknowledged')
      // Acknowledged already: a clear, coded answer, and nothing sent.
      const again = await call('POST', `/api/sites/${siteId}/alarms/${alarmId}/ack`)
      expect(again.statusCode).toBe(409)
      expect(again.json().error.code).toBe('ALARM_ALREADY_ACKNOWLEDGED')
      expect(await commandsFor(gatewayId)).toHaveLength(1)
    } finally {
      await peer.close()
    }
  })

  it('keeps the command for an offline gateway (202 pending) and delivers it when the gateway connects', async () => {
    const { gatewayId, gatewayKey, alarmId } = await raisedAlarm()
    const res = await call('POST', `/api/sites/${siteId}/alarms/${alarmId}/clear`)
    expect(res.statusCode).toBe(202)
    const view = res.json()
    expect(view).toMatchObject({ action: 'clear', status: 'pending', gatewayOnline: false })
    // Six hours from when it was stored (the database's clock stamps createdAt).
    expect(Math.abs(view.expiresAt - view.createdAt - 6 * 60 * 60_000)).toBeLessThan(1_000)
    // A second tap while it waits is the same command, not another one.
    const tapAgain = await call('POST', `/api/sites/${siteId}/alarms/${alarmId}/clear`, {})
    expect(tapAgain.statusCode).toBe(202)
    expect(tapAgain.json().commandId).toBe(view.commandId)
    expect(await commandsFor(gatewayId)).toHaveLength(1)

    const peer = await connectGateway(url, gatewayKey)
    try {
      const frame = await eventually(() => peer.frames.find((f) => f.id === view.commandId), 'the waiting command on connect')
      expect(frame.command).toEqual({ kind: 'alarm.clear', alarmId, by: `cloud:${DEMO.user.email}` })
      const status = (await call('GET', `/api/gateways/${gatewayId}/commands/${view.commandId}`)).json()
      expect(status.status).toBe('sent')
    } finally {
      await peer.close()
    }
  })

  it('answers an unknown alarm 404 and a cleared one 409, with no command', async () => {
    const { gatewayId, gatewayKey, ruleId, alarmId } = await raisedAlarm()
    const unknown = await call('POST', `/api/sites/${siteId}/alarms/no-such-rule:camara-1/ack`)
    expect(unknown.statusCode).toBe(404)
    expect(unknown.json().error.code).toBe('ALARM_NOT_FOUND')
    // The gateway reports the alarm cleared.
    keys.set(gatewayId, gatewayKey)
    await ingestAs(gatewayId, [alarmChange(2, ruleId, 'cleared')])
    for (const action of ['ack', 'clear']) {
      const res = await call('POST', `/api/sites/${siteId}/alarms/${alarmId}/${action}`)
      expect(res.statusCode).toBe(409)
      expect(res.json().error.code).toBe('ALARM_ALREADY_CLEARED')
    }
    expect(await commandsFor(gatewayId)).toEqual([])
  })

  const keys = new Map<string, string>()
  async function ingestAs(gatewayId: string, events: LogEvent[]) {
    const res = await ingest(t.app, keys.get(gatewayId)!, gatewayId, events)
    expect(res.statusCode).toBe(200)
  }

  it("answers 404 for another organization's alarm, with no command and no audit entry", async () => {
    const other = await addOrganization(t.app)
    const res = await ingest(t.app, other.gatewayKey, other.gatewayId, [alarmChange(1, 'ajena', 'raised')])
    expect(res.statusCode).toBe(200)
    for (const action of ['ack', 'clear']) {
      const attempt = await call('POST', `/api/sites/${other.siteId}/alarms/ajena:camara-1/${action}`, { note: 'x' })
      expect(attempt.statusCode).toBe(404)
      expect(attempt.json().error.code).toBe('SITE_NOT_FOUND')
    }
    expect(await commandsFor(other.gatewayId)).toEqual([])
    expect(await auditFor(`${other.siteId}/ajena:camara-1`)).toEqual([])
    // Nor does the org list show it, even when asked by site id.
    const listed = await call('GET', `/api/alarms?state=all&siteId=${other.siteId}`)
    expect(listed.statusCode).toBe(404)
    const all = (await call('GET', '/api/alarms?state=all&limit=500')).json()
    expect(all.items.some((a: { siteId: string }) => a.siteId === other.siteId)).toBe(false)
  })

  it('replays the first answer for a retried tap with the same Idempotency-Key', async () => {
    const { gatewayId, alarmId } = await raisedAlarm()
    const headers = { 'idempotency-key': `tap-${randomBytes(6).toString('hex')}` }
    const first = await call('POST', `/api/sites/${siteId}/alarms/${alarmId}/ack`, {}, headers)
    const retry = await call('POST', `/api/sites/${siteId}/alarms/${alarmId}/ack`, {}, headers)
    expect(first.statusCode).toBe(202)
    expect(retry.statusCode).toBe(202)
    expect(retry.headers['idempotent-replayed']).toBe('true')
    expect(retry.json()).toEqual(first.json())
    expect(await commandsFor(gatewayId)).toHaveLength(1)
  })

  it('names the cloud user who acknowledged and cleared, through the gateway\'s events, until a new episode', async () => {
    const { gatewayId, gatewayKey, ruleId, alarmId } = await raisedAlarm()
    keys.set(gatewayId, gatewayKey)
    const demoUser = await t.app.db.selectFrom('users').select(['id', 'name']).where('email', '=', DEMO.user.email).executeTakeFirstOrThrow()
    const alarmNow = async () =>
      (await call('GET', `/api/sites/${siteId}/alarms?state=all&limit=500`)).json().items.find((a: { alarmId: string }) => a.alarmId === alarmId)
    expect(await alarmNow()).toMatchObject({ state: 'raised', acknowledgedBy: null, acknowledgedAt: null, clearedBy: null })

    const before = Date.now()
    expect((await call('POST', `/api/sites/${siteId}/alarms/${alarmId}/ack`)).statusCode).toBe(202)
    // Asked for, not done yet: the state is still the gateway's.
    const asked = await alarmNow()
    expect(asked).toMatchObject({ state: 'raised', acknowledgedBy: { id: demoUser.id, name: demoUser.name }, clearedBy: null })
    expect(asked.acknowledgedAt).toBeGreaterThanOrEqual(before - 1000)
    expect(asked.acknowledgedAt).toBeLessThanOrEqual(Date.now() + 1000)

    // The gateway escalates before it gets the command (same episode), then applies it: the actor stays.
    await ingestAs(gatewayId, [alarmChange(2, ruleId, 'raised', { severity: 'emergency' })])
    expect(await alarmNow()).toMatchObject({ state: 'raised', severity: 'emergency', acknowledgedBy: { id: demoUser.id } })
    await ingestAs(gatewayId, [alarmChange(3, ruleId, 'acknowledged', { by: `cloud:${DEMO.user.email}` })])
    const acknowledged = await alarmNow()
    expect(acknowledged).toMatchObject({ state: 'acknowledged', acknowledgedBy: { id: demoUser.id, name: demoUser.name }, acknowledgedAt: asked.acknowledgedAt })
    const org = (await call('GET', `/api/alarms?siteId=${siteId}&limit=500`)).json().items.find((a: { alarmId: string }) => a.alarmId === alarmId)
    expect(org).toMatchObject({ acknowledgedBy: { id: demoUser.id, name: demoUser.name }, clearedBy: null })

    // Another user clears it; the user's later deletion leaves the alarm, unnamed.
    const email = `limpia.${randomBytes(3).toString('hex')}@tendero.test`
    const [clearer] = await t.app.db
      .insertInto('users')
      .values({ org_id: DEMO.organization.id, email, name: 'Marta Limpia', password_hash: await hashPassword('una-clave-larga-1'), role: 'owner', locale: 'es-AR' })
      .returning('id')
      .execute()
    const login = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email, password: 'una-clave-larga-1' } })
    expect(login.statusCode, login.body).toBe(200)
    const clear = await t.app.inject({ method: 'POST', url: `/api/sites/${siteId}/alarms/${alarmId}/clear`, headers: { authorization: `Bearer ${login.json().token}` } })
    expect(clear.statusCode).toBe(202)
    await ingestAs(gatewayId, [alarmChange(4, ruleId, 'cleared', { by: `cloud:${email}` })])
    expect(await alarmNow()).toMatchObject({ state: 'cleared', acknowledgedBy: { id: demoUser.id }, clearedBy: { id: clearer!.id, name: 'Marta Limpia' } })
    await t.app.db.deleteFrom('refresh_tokens').where('user_id', '=', clearer!.id).execute()
    await t.app.db.deleteFrom('users').where('id', '=', clearer!.id).execute()
    expect(await alarmNow()).toMatchObject({ state: 'cleared', acknowledgedBy: { id: demoUser.id }, clearedBy: null })

    // Raised again: a new episode nobody has acted on.
    await ingestAs(gatewayId, [alarmChange(5, ruleId, 'raised')])
    expect(await alarmNow()).toMatchObject({ state: 'raised', acknowledgedBy: null, acknowledgedAt: null, clearedBy: null })

    // Acknowledged on site: no cloud user to name.
    await ingestAs(gatewayId, [alarmChange(6, ruleId, 'acknowledged', { by: 'tecnico-local' })])
    expect(await alarmNow()).toMatchObject({ state: 'acknowledged', acknowledgedBy: null, clearedBy: null })
  })

  it('lists the org alarms newest change first, page by page, filtered by state, severity, site and time', async () => {
    const gateway = await addDemoGateway(t.app)
    keys.set(gateway.gatewayId, gateway.gatewayKey)
    // In the past, so the window below holds only these (other tests' alarms are newer).
    const base = Date.now() - 3_600_000
    const tag = randomBytes(3).toString('hex')
    const events: LogEvent[] = []
    for (let i = 0; i < 5; i++) events.push(alarmChange(i + 1, `lista-${tag}-${i}`, 'raised', { time: base + i * 1000, severity: i % 2 ? 'warning' : 'critical' }))
    events.push(alarmChange(6, `lista-${tag}-0`, 'cleared', { time: base + 10_000 }))
    await ingestAs(gateway.gatewayId, events)
    const mine = (items: { alarmId: string }[]) => items.map((a) => a.alarmId.split(':')[0]!).filter((id) => id.startsWith(`lista-${tag}`))

    const pages: string[] = []
    let cursor: string | null = null
    let fetched = 0
    do {
      const res = await call('GET', `/api/alarms?state=all&from=${base}&to=${base + 10_000}&limit=2${cursor ? `&cursor=${cursor}` : ''}`)
      expect(res.statusCode).toBe(200)
      const page = res.json()
      expect(page.items.length).toBeLessThanOrEqual(2)
      pages.push(...mine(page.items))
      fetched += page.items.length
      cursor = page.nextCursor
    } while (cursor)
    expect(pages).toEqual([0, 4, 3, 2, 1].map((i) => `lista-${tag}-${i}`))
    expect(fetched).toBe(5)

    const active = (await call('GET', `/api/alarms?from=${base}&to=${base + 10_000}`)).json()
    expect(mine(active.items)).toEqual([4, 3, 2, 1].map((i) => `lista-${tag}-${i}`))
    expect(active.items[0]).toMatchObject({ siteId, siteName: expect.any(String), state: 'raised', gatewayId: gateway.gatewayId })
    const warnings = (await call('GET', `/api/alarms?severity=warning&siteId=${siteId}&from=${base}&to=${base + 10_000}`)).json()
    expect(mine(warnings.items)).toEqual([3, 1].map((i) => `lista-${tag}-${i}`))
    const cleared = (await call('GET', `/api/alarms?state=cleared&from=${base}&to=${base + 10_000}`)).json()
    expect(mine(cleared.items)).toEqual([`lista-${tag}-0`])
    const window = (await call('GET', `/api/alarms?state=all&from=${base + 1000}&to=${base + 2000}`)).json()
    expect(mine(window.items)).toEqual([2, 1].map((i) => `lista-${tag}-${i}`))

    const backwards = await call('GET', `/api/alarms?from=${base + 1}&to=${base}`)
    expect(backwards.statusCode).toBe(400)
    expect(backwards.json().error.message).toMatch(/^from:/)
    const badCursor = await call('GET', '/api/alarms?cursor=bm90LWEtY3Vyc29y')
    expect(badCursor.statusCode).toBe(400)
    expect(badCursor.json().error.code).toBe('PAGINATION_BAD_CURSOR')
    const badSeverity = await call('GET', '/api/alarms?severity=loud')
    expect(badSeverity.statusCode).toBe(400)
  })
})

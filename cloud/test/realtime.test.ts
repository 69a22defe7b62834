import { randomUUID } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { decodeJwt, SignJWT } from 'jose'
import { io as connect, type Socket } from 'socket.io-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hashPassword } from '../src/modules/auth/password.js'
import { DEMO } from '../src/seed.js'
import {
  addDemoGateway,
  addOrganization,
  alarmEvent,
  buildTestApp,
  DEMO_KEY,
  gapEvent,
  ingest,
  loginDemo,
  rollupEvent,
  telemetryEvent,
  testConfig,
  type TestApp,
} from './support/app.js'

describe('realtime (Socket.IO)', () => {
  let t: TestApp
  let url: string
  let token: string
  const sockets: Socket[] = []

  const open = (auth: object) => {
    const socket = connect(url, { auth, transports: ['websocket'], reconnection: false, forceNew: true })
    sockets.push(socket)
    return socket
  }
  const connected = (socket: Socket) =>
    new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve)
      socket.once('connect_error', reject)
    })
  const join = (socket: Socket, siteId: string) =>
    socket.timeout(5000).emitWithAck('site:join', siteId) as Promise<{ ok: boolean; error?: string }>

  beforeAll(async () => {
    t = await buildTestApp('pglite')
    await t.app.listen({ port: 0, host: '127.0.0.1' })
    url = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`
    token = await loginDemo(t.app)
    // PGlite's start and the demo password hash take seconds on a busy machine.
  }, 60_000)
  afterAll(async () => {
    for (const socket of sockets) socket.disconnect()
    await t?.close()
  })

  it('refuses a connection with a bad token', async () => {
    await expect(connected(open({ token: 'garbage' }))).rejects.toThrow('unauthorized')
    await expect(connected(open({}))).rejects.toThrow('unauthorized')
  })

  it("joins a shop's site shared with a mall operator only when the grant covers all the room carries", async () => {
    const operatorId = randomUUID()
    await t.app.db.insertInto('organizations').values({ id: operatorId, name: 'Shopping Norte', kind: 'operator', require_admin_totp: false }).execute()
    const email = `operador.${randomUUID().slice(0, 8)}@tendero.test`
    await t.app.db
      .insertInto('users')
      .values({ org_id: operatorId, email, name: 'Operadora', password_hash: await hashPassword('una-clave-larga-1'), role: 'operator', locale: 'es-AR' })
      .execute()
    const login = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email, password: 'una-clave-larga-1' }, remoteAddress: '10.9.9.9' })
    const operator = open({ token: login.json().token })
    await connected(operator)
    expect(await join(operator, DEMO.site.id)).toEqual({ ok: false, error: 'SITE_NOT_FOUND' })

    const grant = (scopes: string[]) =>
      t.app.inject({ method: 'POST', url: '/api/grants', headers: { authorization: `Bearer ${token}` }, payload: { granteeOrgId: operatorId, siteId: DEMO.site.id, scopes } })
    const revoke = (id: string) => t.app.inject({ method: 'DELETE', url: `/api/grants/${id}`, headers: { authorization: `Bearer ${token}` } })
    // Readings only: the room would also push alarms the shop did not share.
    const partial = await grant(['sites.read', 'telemetry.read'])
    expect(partial.statusCode, partial.body).toBe(201)
    expect(await join(operator, DEMO.site.id)).toEqual({ ok: false, error: 'SITE_NOT_FOUND' })
    await revoke(partial.json().id)

    const whole = await grant(['sites.read', 'telemetry.read', 'alarms.read'])
    expect(whole.statusCode, whole.body).toBe(201)
    expect(await join(operator, DEMO.site.id)).toEqual({ ok: true })
    const pushed = new Promise((resolve) => operator.once('telemetry', resolve))
    const [gateway] = await t.app.db.selectFrom('gateways').select('id').where('site_id', '=', DEMO.site.id).execute()
    await ingest(t.app, DEMO_KEY, gateway!.id, [telemetryEvent(9_000_001, { temperature_c: 3.3 })])
    await expect(pushed).resolves.toMatchObject({ siteId: DEMO.site.id })
    await revoke(whole.json().id)
  })

  it('refuses an expired token', async () => {
    const { sub, org, role } = decodeJwt(token)
    const key = new TextEncoder().encode(testConfig({ driver: 'pglite', dataDir: 'memory://' }).jwtSecret)
    const expired = await new SignJWT({ org, role }).setProtectedHeader({ alg: 'HS256' }).setSubject(sub!)
      .setIssuer('tendero-cloud').setIssuedAt(Math.floor(Date.now() / 1000) - 7200)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60).sign(key)
    await expect(connected(open({ token: expired }))).rejects.toThrow('unauthorized')
  })

  it('refuses a valid token of a disabled or deleted user', async () => {
    const userId = randomUUID()
    await t.app.db.insertInto('users').values({ id: userId, org_id: DEMO.organization.id, email: `${userId}@tendero.test`,
      name: 'Cajera', password_hash: 'unused', locale: 'es-AR', role: 'viewer' }).execute()
    const userToken = await t.app.userTokens.sign({ id: userId, orgId: DEMO.organization.id, role: 'viewer' })
    const ok = open({ token: userToken })
    await connected(ok)

    await t.app.db.updateTable('users').set({ disabled_at: new Date() }).where('id', '=', userId).execute()
    await expect(connected(open({ token: userToken }))).rejects.toThrow('unauthorized')
    await t.app.db.deleteFrom('users').where('id', '=', userId).execute()
    await expect(connected(open({ token: userToken }))).rejects.toThrow('unauthorized')
    // A user of the token's org id only: the same user id under another org is refused too.
    const forged = await t.app.userTokens.sign({ id: decodeJwt(token).sub!, orgId: randomUUID(), role: 'org_admin' })
    await expect(connected(open({ token: forged }))).rejects.toThrow('unauthorized')
  })

  it('puts every socket in its organization\'s room, and only there', async () => {
    const other = await addOrganization(t.app)
    const otherUser = randomUUID()
    await t.app.db.insertInto('users').values({ id: otherUser, org_id: other.orgId, email: `${otherUser}@tendero.test`,
      name: 'Otro dueño', password_hash: 'unused', locale: 'es-AR', role: 'owner' }).execute()
    const mine = open({ token })
    const theirs = open({ token: await t.app.userTokens.sign({ id: otherUser, orgId: other.orgId, role: 'owner' }) })
    await Promise.all([connected(mine), connected(theirs)])
    const got: { mine: unknown[]; theirs: unknown[] } = { mine: [], theirs: [] }
    mine.on('notification', (payload) => got.mine.push(payload))
    const theirsGot = new Promise((resolve) => theirs.on('notification', (payload) => {
      got.theirs.push(payload)
      resolve(payload)
    }))
    t.app.realtime.emitToOrg(other.orgId, 'notification', { title: 'Puerta abierta' })
    await theirsGot
    t.app.realtime.emitToOrg(DEMO.organization.id, 'notification', { title: 'Cámara alta' })
    await new Promise<void>((resolve) => mine.once('notification', () => resolve()))
    expect(got).toEqual({ mine: [{ title: 'Cámara alta' }], theirs: [{ title: 'Puerta abierta' }] })
  })

  it('stops pushing a site to a socket that left its room', async () => {
    const [left, stayed] = [open({ token }), open({ token })]
    await Promise.all([connected(left), connected(stayed)])
    await join(left, DEMO.site.id)
    await join(stayed, DEMO.site.id)
    expect(await left.timeout(5000).emitWithAck('site:leave', DEMO.site.id)).toEqual({ ok: true })
    let leftGot = 0
    left.on('telemetry', () => leftGot++)
    const { gatewayId, gatewayKey } = await addDemoGateway(t.app)
    const marker = new Promise((resolve) => stayed.once('telemetry', resolve))
    await ingest(t.app, gatewayKey, gatewayId, [telemetryEvent(1, { temperature_c: 3.9 })])
    await marker
    // The same push, written to both websockets at once; one more round trip on `left` proves it is not in flight.
    await left.timeout(5000).emitWithAck('site:leave', DEMO.site.id)
    expect(leftGot).toBe(0)
  })

  it('disconnects every socket of a user on demand', async () => {
    const socket = open({ token })
    await connected(socket)
    const gone = new Promise((resolve) => socket.once('disconnect', resolve))
    t.app.realtime.disconnectUser(decodeJwt(token).sub!)
    expect(await gone).toBe('io server disconnect')
  })

  it('joins the site and receives telemetry and alarms pushed by ingest', async () => {
    const socket = open({ token })
    await connected(socket)
    expect(await join(socket, DEMO.site.id)).toEqual({ ok: true })

    const telemetry = new Promise((resolve) => socket.once('telemetry', resolve))
    const alarm = new Promise((resolve) => socket.once('alarm', resolve))
    const time = Date.now()
    const res = await ingest(t.app, DEMO_KEY, DEMO.gateway.id, [
      telemetryEvent(1, { temperature_c: 4.6 }, time),
      alarmEvent(2, 'raised', time),
    ])
    expect(res.statusCode).toBe(200)
    expect(await telemetry).toEqual({
      siteId: DEMO.site.id, gatewayId: DEMO.gateway.id, deviceId: 'camara-1', time, readings: { temperature_c: 4.6 },
    })
    expect(await alarm).toMatchObject({ siteId: DEMO.site.id, alarmId: 'camara-alta:camara-1', state: 'raised',
      raisedAt: time, updatedAt: time, clearedAt: null })
  })

  it('does not push duplicates again', async () => {
    const socket = open({ token })
    await connected(socket)
    await join(socket, DEMO.site.id)
    let pushes = 0
    socket.on('telemetry', () => pushes++)
    await ingest(t.app, DEMO_KEY, DEMO.gateway.id, [telemetryEvent(1, { temperature_c: 4.6 })])
    const fresh = new Promise((resolve) => socket.once('telemetry', resolve))
    await ingest(t.app, DEMO_KEY, DEMO.gateway.id, [telemetryEvent(3, { temperature_c: 5 })])
    await fresh
    expect(pushes).toBe(1)
  })

  it('pushes a new gap once, and no live telemetry for a rollup', async () => {
    const socket = open({ token })
    await connected(socket)
    await join(socket, DEMO.site.id)
    const { gatewayId, gatewayKey } = await addDemoGateway(t.app)
    const gaps: unknown[] = []
    let telemetry = 0
    socket.on('gap', (payload) => gaps.push(payload))
    socket.on('telemetry', () => telemetry++)
    const gap = gapEvent(2, { reason: 'downsampled', fromSeq: 1, toSeq: 1, removed: 60, written: 1 })
    const rollup = rollupEvent(1, 'camara-1', Date.now() - 600_000, { t: 1 }, { t: 2 }, { t: 3 })
    await ingest(t.app, gatewayKey, gatewayId, [rollup, gap])
    await ingest(t.app, gatewayKey, gatewayId, [gap])
    // A later push on the same socket proves the earlier ones had their chance to arrive.
    const marker = new Promise((resolve) => socket.once('telemetry', resolve))
    await ingest(t.app, gatewayKey, gatewayId, [telemetryEvent(3, { t: 4 })])
    await marker
    expect(gaps).toEqual([{ siteId: DEMO.site.id, gatewayId, seq: 2, reason: 'downsampled', fromSeq: 1, toSeq: 1,
      fromTime: gap.kind === 'gap' ? gap.body.fromTime : 0, toTime: gap.kind === 'gap' ? gap.body.toTime : 0,
      removed: 60, written: 1, devices: ['camara-1'], recordedAt: gap.time }])
    expect(telemetry).toBe(1)
  })

  it('pushes the newest live reading of each device once per batch, and none of the history', async () => {
    const socket = open({ token })
    await connected(socket)
    await join(socket, DEMO.site.id)
    const { gatewayId, gatewayKey } = await addDemoGateway(t.app)
    const pushes: { time: number }[] = []
    const now = Date.now()
    // A later push proves the earlier ones had their chance to arrive.
    const marker = new Promise<void>((resolve) => socket.on('telemetry', (payload: { time: number }) => {
      pushes.push(payload)
      if (payload.time === now) resolve()
    }))
    await ingest(t.app, gatewayKey, gatewayId, [
      { ...telemetryEvent(1, { temperature_c: 9 }, now - 3_600_000), deviceId: 'camara-2' },
      telemetryEvent(2, { temperature_c: 4.1 }, now - 2000),
      telemetryEvent(3, { temperature_c: 4.2 }, now - 1000),
    ])
    await ingest(t.app, gatewayKey, gatewayId, [telemetryEvent(4, { temperature_c: 4.3 }, now)])
    await marker
    expect(pushes).toEqual([
      { siteId: DEMO.site.id, gatewayId, deviceId: 'camara-1', time: now - 1000, readings: { temperature_c: 4.2 } },
      { siteId: DEMO.site.id, gatewayId, deviceId: 'camara-1', time: now, readings: { temperature_c: 4.3 } },
    ])
  })

  it('refuses to join another organization\'s site or an unknown one', async () => {
    const other = await addOrganization(t.app)
    const socket = open({ token })
    await connected(socket)
    expect(await join(socket, other.siteId)).toEqual({ ok: false, error: 'SITE_NOT_FOUND' })
    expect(await join(socket, 'nope')).toEqual({ ok: false, error: 'SITE_NOT_FOUND' })
  })
})

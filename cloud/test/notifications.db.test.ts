import { randomUUID } from 'node:crypto'
import type { LogEvent } from '@tendero/protocol'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { verifyWebhookSignature } from '../src/modules/notifications/signature.js'
import { withNotificationTables } from '../src/modules/notifications/tables.js'
import { DEMO } from '../src/seed.js'
import { addDemoGateway, addOrganization, alarmEvent, buildTestApp, ingest, loginDemo, type TestApp } from './support/app.js'
import { testDrivers } from './support/drivers.js'
import { startHttpReceiver, startSmtpSink, waitFor, type HttpReceiver, type SmtpSink } from './notifications-helpers.js'

const FAST = { pollMs: 20, retryBaseMs: 40, retryMaxMs: 200 }

function notifyEvent(seq: number, audience: string, message: string, time = Date.now()): LogEvent {
  return { seq, kind: 'notify', deviceId: 'camara-1', time, receivedAt: time, bootId: '0b7c9d1e-3f7a-4c55-9a49-1f0c2f6c8a11',
    monoMs: seq, clockSynced: true, body: { channel: 'email', audience, message, ruleId: 'aviso-cierre' } }
}

function escalated(seq: number, level: number): LogEvent {
  const e = alarmEvent(seq, 'raised') as Extract<LogEvent, { kind: 'alarm' }>
  return { ...e, body: { ...e.body, level } }
}

describe.each(testDrivers())('Notifications (%s)', (driver) => {
  let t: TestApp
  let sink: SmtpSink
  let token: string
  const auth = () => ({ authorization: `Bearer ${token}` })

  beforeAll(async () => {
    sink = await startSmtpSink()
    // The receivers listen on 127.0.0.1, which webhooks may reach only with WEBHOOK_ALLOW_PRIVATE.
    t = await buildTestApp(driver, { smtp: { url: sink.url, from: 'Tendero <alertas@tendero.app>' }, webhookAllowPrivate: true })
    t.app.notifications.worker.configure(FAST)
    token = await loginDemo(t.app)
  })
  afterAll(async () => {
    await t?.close()
    await sink?.close()
  })

  const deliveries = () => withNotificationTables(t.app.db).selectFrom('notification_deliveries').selectAll().orderBy('id').execute()

  it('emails the org\'s users when ingest stores a raised alarm, Spanish first', async () => {
    const { gatewayId, gatewayKey } = await addDemoGateway(t.app)
    const before = sink.mails.length
    const res = await ingest(t.app, gatewayKey, gatewayId, [alarmEvent(1, 'raised')])
    expect(res.statusCode).toBe(200)
    const mail = await waitFor('the alarm email', () => sink.mails.slice(before).find((m) => m.to.includes(DEMO.user.email)))
    expect(mail.from).toBe('alertas@tendero.app')
    expect(mail.headers.from).toBe('Tendero <alertas@tendero.app>')
    expect(mail.subject).toBe('[CRÍTICA / CRITICAL] Sucursal Palermo: Cámara de frío sobre 5 °C por 2 minutos')
    const es = mail.text.indexOf('Alarma crítica en Sucursal Palermo')
    const en = mail.text.indexOf('Critical alarm at Sucursal Palermo')
    expect(es).toBe(0)
    expect(en).toBeGreaterThan(es)
    // Acknowledging and clearing tell nobody; a duplicate of the raise is not a second email.
    await ingest(t.app, gatewayKey, gatewayId, [alarmEvent(1, 'raised'), alarmEvent(2, 'acknowledged'), alarmEvent(3, 'cleared')])
    await t.app.notifications.worker.tick()
    const rows = await waitFor('the delivery recorded', async () => {
      const mine = (await deliveries()).filter((d) => d.channel === 'email' && d.recipient === DEMO.user.email)
      return mine.every((d) => d.status === 'delivered') ? mine : undefined
    })
    expect(rows).toHaveLength(1)
    expect(rows[0]).toMatchObject({ status: 'delivered', attempts: 1, last_status_code: 250, event_type: 'alarm.raised' })
    expect(sink.mails.slice(before).filter((m) => m.to.includes(DEMO.user.email))).toHaveLength(1)
  })

  it('delivers signed webhooks, retries a failing receiver with backoff, and logs 3 attempts', async () => {
    const receiver: HttpReceiver = await startHttpReceiver([500, 503])
    try {
      const created = await t.app.inject({ method: 'POST', url: '/api/webhooks', headers: auth(),
        payload: { url: `${receiver.url}/tendero`, description: 'ERP', events: ['alarm.raised', 'alarm.escalated'] } })
      expect(created.statusCode).toBe(201)
      const hook = created.json()
      expect(hook.secret).toMatch(/^whsec_/)

      const { gatewayId, gatewayKey } = await addDemoGateway(t.app)
      const started = Date.now()
      expect((await ingest(t.app, gatewayKey, gatewayId, [alarmEvent(1, 'raised')])).statusCode).toBe(200)
      await waitFor('the third webhook attempt', () => receiver.requests.length >= 3 || undefined)
      const log = await waitFor('a delivered log entry', async () => {
        const page = (await t.app.inject({ url: `/api/webhooks/${hook.id}/deliveries`, headers: auth() })).json()
        return page.items[0]?.status === 'delivered' ? page : undefined
      })
      expect(log.items).toHaveLength(1)
      expect(log.items[0]).toMatchObject({ channel: 'webhook', webhookId: hook.id, eventType: 'alarm.raised', status: 'delivered',
        attempts: 3, responseCode: 200, error: null, nextAttemptAt: null })
      expect(log.nextCursor).toBeNull()

      // Each attempt is signed afresh and verifies with the secret shown at creation.
      const ids = new Set<string>()
      for (const req of receiver.requests) {
        expect(req.headers['tendero-event']).toBe('alarm.raised')
        expect(verifyWebhookSignature(hook.secret, req.headers['tendero-signature'], req.body, Date.now())).toMatchObject({ ok: true })
        expect(verifyWebhookSignature('whsec_wrong', req.headers['tendero-signature'], req.body, Date.now()).ok).toBe(false)
        ids.add(JSON.parse(req.body).id)
      }
      expect(ids.size).toBe(1) // one event id across retries
      const payload = JSON.parse(receiver.requests[2]!.body)
      expect(payload).toMatchObject({ type: 'alarm.raised', organizationId: DEMO.organization.id, siteId: DEMO.site.id,
        siteName: 'Sucursal Palermo', data: { alarmId: 'camara-alta:camara-1', severity: 'critical', level: 0 } })
      // Two backoffs of at least half of 40 and 80 ms.
      expect(Date.now() - started).toBeGreaterThanOrEqual(60)

      // An escalation is its own event type.
      await ingest(t.app, gatewayKey, gatewayId, [escalated(2, 1)])
      await waitFor('the escalation', () => receiver.requests.find((r) => r.headers['tendero-event'] === 'alarm.escalated'))
      expect((await t.app.inject({ method: 'DELETE', url: `/api/webhooks/${hook.id}`, headers: auth() })).statusCode).toBe(204)
    } finally {
      await receiver.close()
    }
  })

  it('keeps a notification whose endpoint is down: pending, with the error and the next attempt', async () => {
    const dead = await startHttpReceiver()
    await dead.close()
    const hook = (await t.app.inject({ method: 'POST', url: '/api/webhooks', headers: auth(), payload: { url: dead.url } })).json()
    t.app.notifications.worker.configure({ retryBaseMs: 60_000, retryMaxMs: 60_000 })
    try {
      const { gatewayId, gatewayKey } = await addDemoGateway(t.app)
      const started = performance.now()
      const res = await ingest(t.app, gatewayKey, gatewayId, [alarmEvent(1, 'raised')])
      const ingestMs = performance.now() - started
      expect(res.statusCode).toBe(200)
      expect(ingestMs).toBeLessThan(2000)
      const entry = await waitFor('a failed attempt in the log', async () => {
        const page = (await t.app.inject({ url: `/api/webhooks/${hook.id}/deliveries`, headers: auth() })).json()
        return page.items[0]?.attempts >= 1 && page.items[0]?.error ? page.items[0] : undefined
      })
      expect(entry.status).toBe('pending')
      expect(entry.error).toMatch(/ECONNREFUSED/)
      expect(entry.nextAttemptAt).toBeGreaterThan(Date.now() + 20_000)
      // The org-wide log lists it too, filtered by channel and status.
      const all = (await t.app.inject({ url: '/api/notifications/deliveries?channel=webhook&status=pending', headers: auth() })).json()
      expect(all.items.map((d: { id: number }) => d.id)).toContain(entry.id)
    } finally {
      t.app.notifications.worker.configure(FAST)
      await t.app.inject({ method: 'DELETE', url: `/api/webhooks/${hook.id}`, headers: auth() })
    }
  })

  it('honours preferences: severities per channel and quiet hours in the user\'s zone', async () => {
    const get = await t.app.inject({ url: '/api/me/notification-preferences', headers: auth() })
    expect(get.statusCode).toBe(200)
    expect(get.json().channels.email.severities).toEqual(['warning', 'critical', 'emergency'])

    // Quiet all day but one minute, in UTC: a critical alarm waits unless allowed through.
    const nowUtc = new Date()
    const hhmm = (d: Date) => d.toISOString().slice(11, 16)
    const prefs = { ...get.json(), timeZone: 'UTC',
      quietHours: { start: hhmm(new Date(nowUtc.getTime() - 60 * 60_000)), end: hhmm(new Date(nowUtc.getTime() + 60 * 60_000)), allowCritical: false } }
    const put = await t.app.inject({ method: 'PUT', url: '/api/me/notification-preferences', headers: auth(), payload: prefs })
    expect(put.statusCode).toBe(200)
    const audit = await t.app.db.selectFrom('audit_log').selectAll().where('action', '=', 'notification_preferences.put').execute()
    expect(audit).toHaveLength(1)

    const { gatewayId, gatewayKey } = await addDemoGateway(t.app)
    await ingest(t.app, gatewayKey, gatewayId, [alarmEvent(1, 'raised')])
    await t.app.notifications.worker.tick()
    const held = (await deliveries()).at(-1)!
    expect(held).toMatchObject({ channel: 'email', status: 'pending', attempts: 0 })
    expect(held.next_attempt_at!.getTime()).toBeGreaterThan(Date.now() + 55 * 60_000)

    // The user lets critical alarms through quiet hours.
    await t.app.inject({ method: 'PUT', url: '/api/me/notification-preferences', headers: auth(),
      payload: { ...prefs, quietHours: { ...prefs.quietHours, allowCritical: true } } })
    const before = sink.mails.length
    await ingest(t.app, gatewayKey, gatewayId, [escalated(2, 1)])
    // Earlier tests' emails may still be arriving: pick this one by its subject.
    const mail = await waitFor('the escalation email', () => sink.mails.slice(before)
      .find((m) => m.to.includes(DEMO.user.email) && m.subject.includes('Sin reconocer, nivel 1 / Unacknowledged, level 1')))
    expect(mail.text).toContain('(sin reconocer, nivel 1)')

    const bad = await t.app.inject({ method: 'PUT', url: '/api/me/notification-preferences', headers: auth(),
      payload: { ...prefs, timeZone: 'Marte/Olympus' } })
    expect(bad.statusCode).toBe(400)
    expect(bad.json().error.code).toBe('NOTIFICATIONS_BAD_TIME_ZONE')
    const badPhone = await t.app.inject({ method: 'PUT', url: '/api/me/notification-preferences', headers: auth(),
      payload: { ...prefs, phone: '11 5555-0000' } })
    expect(badPhone.statusCode).toBe(400)
    // Back to defaults for the other tests.
    await t.app.inject({ method: 'PUT', url: '/api/me/notification-preferences', headers: auth(), payload: get.json() })
  })

  it('delivers the gateway\'s notify events to the audience role', async () => {
    const { gatewayId, gatewayKey } = await addDemoGateway(t.app)
    const role = (await t.app.db.selectFrom('users').select('role').where('email', '=', DEMO.user.email).executeTakeFirstOrThrow()).role
    const before = sink.mails.length
    await ingest(t.app, gatewayKey, gatewayId, [notifyEvent(1, role, 'Se cerró el local sin activar la alarma / Shop closed unarmed')])
    const mail = await waitFor('the notice email', () => sink.mails.slice(before).find((m) => m.to.includes(DEMO.user.email) && m.subject.startsWith('[Tendero]')))
    expect(mail.subject).toBe('[Tendero] Sucursal Palermo: Se cerró el local sin activar la alarma / Shop closed unarmed')
    expect(mail.text).toContain('Aviso de Sucursal Palermo / Notice from Sucursal Palermo')
    // An audience nobody matches sends nothing.
    const count = (await deliveries()).length
    await ingest(t.app, gatewayKey, gatewayId, [notifyEvent(2, 'nadie', 'x')])
    await t.app.notifications.worker.tick()
    expect((await deliveries()).length).toBe(count)
  })

  it('webhooks CRUD: secret shown once, audited, tenant-isolated, paginated', async () => {
    const created = await Promise.all([1, 2, 3].map((n) => t.app.inject({ method: 'POST', url: '/api/webhooks', headers: auth(),
      payload: { url: `https://erp.example.com/hook/${n}`, events: ['notify'] } })))
    const ids = created.map((r) => r.json().id as string)
    const one = await t.app.inject({ url: `/api/webhooks/${ids[0]}`, headers: auth() })
    expect(one.statusCode).toBe(200)
    expect(one.json()).not.toHaveProperty('secret')

    const seen: string[] = []
    let cursor: string | null = null
    do {
      const page: { items: { id: string; secret?: string }[]; nextCursor: string | null } =
        (await t.app.inject({ url: `/api/webhooks?limit=2${cursor ? `&cursor=${cursor}` : ''}`, headers: auth() })).json()
      for (const item of page.items) {
        expect(item).not.toHaveProperty('secret')
        seen.push(item.id)
      }
      cursor = page.nextCursor
    } while (cursor)
    expect(new Set(seen).size).toBe(seen.length)
    for (const id of ids) expect(seen).toContain(id)

    const patched = await t.app.inject({ method: 'PATCH', url: `/api/webhooks/${ids[0]}`, headers: auth(), payload: { enabled: false } })
    expect(patched.json()).toMatchObject({ enabled: false })
    const rotated = await t.app.inject({ method: 'POST', url: `/api/webhooks/${ids[0]}/rotate-secret`, headers: auth() })
    expect(rotated.json().secret).not.toBe(created[0]!.json().secret)
    expect((await t.app.inject({ method: 'POST', url: '/api/webhooks', headers: auth(), payload: { url: 'ftp://x.example.com/' } })).statusCode).toBe(400)

    const other = await addOrganization(t.app)
    const otherToken = await t.app.userTokens.sign({ id: randomUUID(), orgId: other.orgId, role: 'org_admin' })
    const theirs = { authorization: `Bearer ${otherToken}` }
    expect((await t.app.inject({ url: `/api/webhooks/${ids[1]}`, headers: theirs })).statusCode).toBe(404)
    expect((await t.app.inject({ method: 'DELETE', url: `/api/webhooks/${ids[1]}`, headers: theirs })).statusCode).toBe(404)
    expect((await t.app.inject({ url: `/api/webhooks/${ids[1]}/deliveries`, headers: theirs })).statusCode).toBe(404)
    expect((await t.app.inject({ url: '/api/webhooks', headers: theirs })).json().items).toEqual([])

    for (const id of ids) expect((await t.app.inject({ method: 'DELETE', url: `/api/webhooks/${id}`, headers: auth() })).statusCode).toBe(204)
    expect((await t.app.inject({ url: `/api/webhooks/${ids[0]}`, headers: auth() })).statusCode).toBe(404)

    const actions = await t.app.db.selectFrom('audit_log').select(['action', 'after']).where('target_id', '=', ids[0]!).orderBy('id').execute()
    expect(actions.map((a) => a.action)).toEqual(['webhook.create', 'webhook.update', 'webhook.secret.rotate', 'webhook.delete'])
    expect(JSON.stringify(actions)).not.toContain('whsec_')
  })

  it('prunes settled notifications past the retention window, never pending ones', async () => {
    const ndb = withNotificationTables(t.app.db)
    const old = new Date(Date.now() - 31 * 24 * 60 * 60_000)
    const outbox = async (status: 'delivered' | 'pending') => {
      const row = await ndb.insertInto('notification_outbox').values({ org_id: DEMO.organization.id, site_id: DEMO.site.id,
        kind: 'notify', payload: '{}', fanned_out_at: old }).returning('id').executeTakeFirstOrThrow()
      await ndb.insertInto('notification_deliveries').values({ outbox_id: row.id, org_id: DEMO.organization.id, channel: 'email',
        recipient: 'x@example.com', event_type: 'notify', subject: 's', body: 'b', status, max_attempts: 3,
        next_attempt_at: status === 'pending' ? new Date(Date.now() + 3600_000) : null }).execute()
      return row.id
    }
    const settled = await outbox('delivered')
    const waiting = await outbox('pending')
    // The worker prunes on its own hourly too; either way only the settled one goes.
    await t.app.notifications.worker.prune()
    const left = await ndb.selectFrom('notification_outbox').select('id').where('id', 'in', [settled, waiting]).execute()
    expect(left.map((r) => r.id)).toEqual([waiting])
    expect(await ndb.selectFrom('notification_deliveries').select('id').where('outbox_id', '=', settled).execute()).toEqual([])
    await ndb.deleteFrom('notification_outbox').where('id', '=', waiting).execute()
  })

  it('never fails ingest when the outbox cannot be written', async () => {
    // Break the outbox on purpose; the batch must still be stored and acknowledged.
    await sql`alter table notification_outbox rename to notification_outbox_away`.execute(t.app.db)
    try {
      const { gatewayId, gatewayKey } = await addDemoGateway(t.app)
      const res = await ingest(t.app, gatewayKey, gatewayId, [alarmEvent(1, 'raised')])
      expect(res.statusCode).toBe(200)
      expect(res.json()).toMatchObject({ ackSeq: 1, stored: 1 })
      const alarm = await t.app.db.selectFrom('alarms').selectAll().where('gateway_id', '=', gatewayId).executeTakeFirst()
      expect(alarm?.state).toBe('raised')
    } finally {
      await sql`alter table notification_outbox_away rename to notification_outbox`.execute(t.app.db)
    }
  })
})

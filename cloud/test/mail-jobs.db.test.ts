import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../src/app.js'
import { cancelMail, listMail, queueMail } from '../src/modules/mail/queue.js'
import { mailDb } from '../src/modules/mail/tables.js'
import { MAX_MAIL_ATTEMPTS } from '../src/modules/mail/worker.js'
import { DEMO } from '../src/seed.js'
import { startSmtpSink, type SmtpSink } from './notifications-helpers.js'
import { buildTestApp, testConfig, type TestApp } from './support/app.js'
import { testDrivers } from './support/drivers.js'

// The ground of issue 8's modules: mail to people who are not users (tenants, patients),
// queued in the change's transaction and sent by the `mail.send` job over real SMTP; and
// the jobs scheduler, which never runs one job twice at once, across cloud instances too.

describe.each(testDrivers())('mail queue and jobs (%s)', (driver) => {
  let t: TestApp
  let sink: SmtpSink
  const org = DEMO.organization.id

  beforeAll(async () => {
    sink = await startSmtpSink()
    t = await buildTestApp(driver, { smtp: { url: sink.url, from: 'Tendero <avisos@tendero.test>' } })
  }, 60_000)
  afterAll(async () => {
    await t?.close()
    await sink?.close()
  })

  it('sends due mail once, holds mail queued ahead, and keeps one mail per dedup key', async () => {
    expect(await queueMail(t.app.db, { orgId: org, to: 'lucia@tienda.test', subject: 'Recordatorio de pago / Payment reminder', text: 'Su factura vence mañana.', kind: 'dunning', dedupKey: 'test:inv-1:-1d' })).toBe(true)
    expect(await queueMail(t.app.db, { orgId: org, to: 'lucia@tienda.test', subject: 'otra vez', text: 'x', kind: 'dunning', dedupKey: 'test:inv-1:-1d' })).toBe(false)
    // After queueing: a mail queued without sendAfter is due from the moment it was queued.
    const now = new Date()
    const later = new Date(now.getTime() + 24 * 3600_000)
    await queueMail(t.app.db, { orgId: org, to: 'paciente@correo.test', subject: 'Su turno es mañana', text: 'Lo esperamos a las 10:00.', kind: 'appointment.reminder', dedupKey: 'test:appt-1:24h', sendAfter: later })

    expect(await t.app.jobs.run('mail.send', now)).toBe(1)
    expect(sink.mails).toHaveLength(1)
    expect(sink.mails[0]).toMatchObject({ to: ['lucia@tienda.test'], subject: 'Recordatorio de pago / Payment reminder', text: 'Su factura vence mañana.' })
    expect(await t.app.jobs.run('mail.send', now)).toBe(0)

    expect(await t.app.jobs.run('mail.send', new Date(later.getTime() + 1000))).toBe(1)
    expect(sink.mails.map((m) => m.subject)).toEqual(['Recordatorio de pago / Payment reminder', 'Su turno es mañana'])
    const sent = await listMail(t.app.db, org, { dedupPrefix: 'test:' })
    expect(sent.map((m) => [m.dedupKey, m.status, m.attempts])).toEqual([
      ['test:inv-1:-1d', 'sent', 1],
      ['test:appt-1:24h', 'sent', 1],
    ])
  })

  it('cancels the reminders of a cancelled booking by prefix, and only those', async () => {
    const at = new Date(Date.now() + 3600_000)
    for (const key of ['test:appt-9:24h', 'test:appt-9:2h', 'test:appt-90:2h', 'test:appt_9%:2h'])
      await queueMail(t.app.db, { orgId: org, to: 'a@b.test', subject: 's', text: 't', kind: 'appointment.reminder', dedupKey: key, sendAfter: at })
    // Prefixes are literal: neither `_` nor `%` is a wildcard.
    expect(await cancelMail(t.app.db, org, 'test:appt_9%:')).toBe(1)
    expect(await cancelMail(t.app.db, org, 'test:appt-9:')).toBe(2)
    const rows = await listMail(t.app.db, org, { dedupPrefix: 'test:appt-9' })
    expect(Object.fromEntries(rows.map((m) => [m.dedupKey, m.status]))).toEqual({ 'test:appt-9:24h': 'cancelled', 'test:appt-9:2h': 'cancelled', 'test:appt-90:2h': 'pending' })
    expect(await t.app.jobs.run('mail.send', new Date(at.getTime() + 1000))).toBe(1)
  })

  it('retries with backoff while the SMTP server is down, and gives up after the last attempt', async () => {
    const down = await startSmtpSink()
    const app = await buildApp(testConfig({ driver: 'pglite', dataDir: 'memory://' }, { smtp: { url: down.url, from: 'x@tendero.test' } }))
    await app.ready()
    await down.close()
    try {
      await queueMail(app.db, { orgId: org, to: 'x@y.test', subject: 's', text: 't', kind: 'dunning', dedupKey: 'down:1' })
      let now = new Date()
      expect(await app.jobs.run('mail.send', now)).toBe(0)
      let [row] = await mailDb(app.db).selectFrom('mail_outbox').selectAll().where('dedup_key', '=', 'down:1').execute()
      expect(row).toMatchObject({ status: 'pending', attempts: 1 })
      expect(row!.last_error).toMatch(/SMTP/)
      expect(row!.next_attempt_at!.getTime() - now.getTime()).toBe(60_000)
      // Not before its backoff ends.
      expect(await app.jobs.run('mail.send', new Date(now.getTime() + 30_000))).toBe(0)
      expect((await mailDb(app.db).selectFrom('mail_outbox').select('attempts').where('dedup_key', '=', 'down:1').executeTakeFirstOrThrow()).attempts).toBe(1)
      for (let i = 1; i < MAX_MAIL_ATTEMPTS; i++) {
        now = new Date(now.getTime() + 2 * 3600_000)
        await app.jobs.run('mail.send', now)
      }
      ;[row] = await mailDb(app.db).selectFrom('mail_outbox').selectAll().where('dedup_key', '=', 'down:1').execute()
      expect(row).toMatchObject({ status: 'failed', attempts: MAX_MAIL_ATTEMPTS })
    } finally {
      await app.close()
    }
  }, 60_000)

  it('never runs one job twice at once in a process', async () => {
    let running = 0
    let most = 0
    t.app.jobs.register('test.slow', 3_600_000, async () => {
      running++
      most = Math.max(most, running)
      await sleep(100)
      running--
      return 'done'
    })
    expect(await Promise.all([t.app.jobs.run('test.slow'), t.app.jobs.run('test.slow'), t.app.jobs.run('test.slow')])).toEqual(['done', 'done', 'done'])
    expect(most).toBe(1)
    expect(t.app.jobs.list().find((j) => j.name === 'test.slow')).toMatchObject({ lastError: null })
    await expect(t.app.jobs.run('no.such.job')).rejects.toThrow(/no job named/)
  })

  it.skipIf(driver !== 'postgres')('runs a job on one cloud instance at a time (advisory lock)', async () => {
    // A second instance on the same PostgreSQL database, as two cloud processes would be.
    const other = await buildApp(testConfig(t.database))
    await other.ready()
    try {
      let runs = 0
      const job = async () => {
        runs++
        await sleep(300)
        return 'ran'
      }
      t.app.jobs.register('test.shared', 3_600_000, job)
      other.jobs.register('test.shared', 3_600_000, job)
      const results = await Promise.all([t.app.jobs.run('test.shared'), other.jobs.run('test.shared')])
      expect(results.filter((r) => r === 'ran')).toHaveLength(1)
      expect(results.filter((r) => r === undefined)).toHaveLength(1)
      expect(runs).toBe(1)
      // The lock is released after the run: the next run goes through.
      expect(await other.jobs.run('test.shared')).toBe('ran')
    } finally {
      await other.close()
    }
  })
})

import { afterEach, describe, expect, it } from 'vitest'
import { DeliveryError, EmailChannel, sendWebhook, smsChannel, whatsAppChannel } from '../src/modules/notifications/channels.js'
import { alarmMessage } from '../src/modules/notifications/messages.js'
import { channelsFor, defaultPrefs, quietUntil, type NotificationPrefs } from '../src/modules/notifications/preferences.js'
import { computeSignature, signWebhook, verifyWebhookSignature } from '../src/modules/notifications/signature.js'
import { retryDelay } from '../src/modules/notifications/worker.js'
import { startHttpReceiver, startSmtpSink, type HttpReceiver, type SmtpSink } from './notifications-helpers.js'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

describe('Webhooks. Signature vectors', () => {
  const secret = 'whsec_test-secret'
  const body = '{"id":"evt_1","type":"alarm.raised"}'
  const now = Date.UTC(2026, 10, 21, 15, 0, 0)
  const header = signWebhook(secret, body, now)

  it('has the documented shape: t=<unix s>,v1=<hex HMAC-SHA256 of "t.body">', () => {
    const t = now / 1000
    expect(header).toBe(`t=${t},v1=${computeSignature(secret, t, body)}`)
    // Computed outside our code: printf '%s' '1795273200.<body>' | openssl dgst -sha256 -hmac whsec_test-secret
    expect(header).toBe('t=1795273200,v1=f390aa3108cb48d465a253f01ce9b8850a7cc6f1e16b4a890ba7483fc8fd3fde')
  })

  it('valid', () => {
    expect(verifyWebhookSignature(secret, header, body, now)).toEqual({ ok: true, timestamp: now / 1000 })
    // Within tolerance either way, and from a Buffer body.
    expect(verifyWebhookSignature(secret, header, Buffer.from(body), now + 299_000).ok).toBe(true)
    expect(verifyWebhookSignature(secret, header, body, now - 299_000).ok).toBe(true)
  })

  it('tampered body', () => {
    expect(verifyWebhookSignature(secret, header, body.replace('raised', 'cleared'), now)).toEqual({ ok: false, reason: 'bad_signature' })
    expect(verifyWebhookSignature(secret, header, body + ' ', now)).toEqual({ ok: false, reason: 'bad_signature' })
  })

  it('wrong secret', () => {
    expect(verifyWebhookSignature('whsec_other', header, body, now)).toEqual({ ok: false, reason: 'bad_signature' })
  })

  it('stale timestamp (> 5 min)', () => {
    expect(verifyWebhookSignature(secret, header, body, now + 301_000)).toEqual({ ok: false, reason: 'stale_timestamp' })
    expect(verifyWebhookSignature(secret, header, body, now - 301_000)).toEqual({ ok: false, reason: 'stale_timestamp' })
    // A replay with a fresh t but the old signature is a bad signature, not a pass.
    const replay = header.replace(/t=\d+/, `t=${(now + 600_000) / 1000}`)
    expect(verifyWebhookSignature(secret, replay, body, now + 600_000)).toEqual({ ok: false, reason: 'bad_signature' })
  })

  it('missing header', () => {
    expect(verifyWebhookSignature(secret, undefined, body, now)).toEqual({ ok: false, reason: 'missing_header' })
    expect(verifyWebhookSignature(secret, '', body, now)).toEqual({ ok: false, reason: 'missing_header' })
    expect(verifyWebhookSignature(secret, 'v1=abc', body, now)).toEqual({ ok: false, reason: 'malformed_header' })
  })

  it('accepts any of several v1 signatures (secret rotation)', () => {
    const both = `${header},v1=${computeSignature('whsec_new', now / 1000, body)}`
    expect(verifyWebhookSignature('whsec_new', both, body, now).ok).toBe(true)
    expect(verifyWebhookSignature(secret, both, body, now).ok).toBe(true)
  })
})

describe('Notification preferences', () => {
  const prefs = (over: Partial<NotificationPrefs> = {}): NotificationPrefs => ({ ...defaultPrefs(), ...over })

  it('routes severities to the channels the user chose, and WhatsApp/SMS only with a phone', () => {
    const p = prefs({ channels: { email: { enabled: true, severities: ['info', 'warning'] },
      whatsapp: { enabled: true, severities: ['critical', 'emergency'] }, sms: { enabled: false, severities: ['emergency'] } } })
    expect(channelsFor(p, 'info')).toEqual(['email'])
    expect(channelsFor(p, 'critical')).toEqual([])
    expect(channelsFor({ ...p, phone: '+5491155550000' }, 'critical')).toEqual(['whatsapp'])
    expect(channelsFor(defaultPrefs(), 'info')).toEqual([])
    expect(channelsFor(defaultPrefs(), 'warning')).toEqual(['email'])
  })

  it('holds a message in quiet hours until they end, in the local zone, wrapping midnight', () => {
    const zone = 'America/Argentina/Buenos_Aires' // UTC-3, no DST
    const quiet = prefs({ quietHours: { start: '22:00', end: '07:00', allowCritical: false } })
    // 23:30 local = 02:30 UTC next day; quiet until 07:00 local = 10:00 UTC.
    const at = Date.UTC(2026, 10, 22, 2, 30)
    expect(quietUntil(quiet, 'warning', zone, at)?.toISOString()).toBe('2026-11-22T10:00:00.000Z')
    // 12:00 local: not quiet.
    expect(quietUntil(quiet, 'warning', zone, Date.UTC(2026, 10, 22, 15, 0))).toBeUndefined()
    // 06:59 local: still quiet, one minute left.
    expect(quietUntil(quiet, 'info', zone, Date.UTC(2026, 10, 22, 9, 59))?.toISOString()).toBe('2026-11-22T10:00:00.000Z')
    // Critical waits too unless the user lets it through.
    expect(quietUntil(quiet, 'critical', zone, at)).toBeDefined()
    const through = prefs({ quietHours: { start: '22:00', end: '07:00', allowCritical: true } })
    expect(quietUntil(through, 'critical', zone, at)).toBeUndefined()
    expect(quietUntil(through, 'emergency', zone, at)).toBeUndefined()
    expect(quietUntil(through, 'warning', zone, at)).toBeDefined()
    // A gateway notice has no severity: quiet hours hold it.
    expect(quietUntil(through, null, zone, at)).toBeDefined()
    // Same-day window, and the same instant in another zone.
    const lunch = prefs({ quietHours: { start: '13:00', end: '14:00', allowCritical: false } })
    expect(quietUntil(lunch, 'info', 'UTC', Date.UTC(2026, 10, 22, 13, 15))?.toISOString()).toBe('2026-11-22T14:00:00.000Z')
    expect(quietUntil(lunch, 'info', zone, Date.UTC(2026, 10, 22, 13, 15))).toBeUndefined()
  })
})

describe('retryDelay', () => {
  it('doubles from the base up to the cap, with 50-100 % jitter', () => {
    const opts = { retryBaseMs: 1000, retryMaxMs: 10_000 }
    expect([1, 2, 3, 4, 5].map((n) => retryDelay(n, { ...opts, random: () => 1 }))).toEqual([1000, 2000, 4000, 8000, 10_000])
    expect([1, 2, 3].map((n) => retryDelay(n, { ...opts, random: () => 0 }))).toEqual([500, 1000, 2000])
    const spread = new Set(Array.from({ length: 20 }, () => retryDelay(3, { ...opts, random: Math.random })))
    expect(spread.size).toBeGreaterThan(1)
  })
})

const site = { name: 'Sucursal Palermo', timezone: 'America/Argentina/Buenos_Aires' }
const alarm = {
  alarmId: 'camara-alta:camara-1', ruleId: 'camara-alta', deviceId: 'camara-1', severity: 'critical', state: 'raised',
  message: 'Cámara de frío sobre 5 °C por 2 minutos', value: 5.4, raisedAt: Date.UTC(2026, 10, 21, 15, 30),
  updatedAt: Date.UTC(2026, 10, 21, 15, 30), clearedAt: null,
}
const notice = { orgId: 'o', siteId: 's', gatewayId: 'g', seq: 1, alarm, level: 0 }

describe('Messages', () => {
  it('are Spanish first, English second, with the site\'s local time', () => {
    const m = alarmMessage(notice, site)
    expect(m.subject).toBe('[CRÍTICA / CRITICAL] Sucursal Palermo: Cámara de frío sobre 5 °C por 2 minutos')
    expect(m.text.indexOf('Alarma crítica en Sucursal Palermo')).toBe(0)
    expect(m.text.indexOf('Critical alarm at Sucursal Palermo')).toBeGreaterThan(m.text.indexOf('Dispositivo: camara-1'))
    expect(m.text).toContain('12:30') // 15:30 UTC in Buenos Aires
    const escalated = alarmMessage({ ...notice, level: 2 }, site)
    expect(escalated.subject).toContain('Sin reconocer, nivel 2 / Unacknowledged, level 2')
  })
})

describe('Channels', () => {
  it('email goes over SMTP to a real server, Spanish first', async () => {
    const sink: SmtpSink = await startSmtpSink()
    cleanups.push(() => sink.close())
    const email = new EmailChannel({ url: sink.url, from: 'Tendero <alertas@tendero.app>' })
    cleanups.push(() => email.close())
    const result = await email.send('duena@example.com', alarmMessage(notice, site))
    expect(result.statusCode).toBe(250)
    expect(sink.mails).toHaveLength(1)
    const mail = sink.mails[0]!
    expect(mail.from).toBe('alertas@tendero.app')
    expect(mail.to).toEqual(['duena@example.com'])
    expect(mail.headers.from).toBe('Tendero <alertas@tendero.app>')
    expect(mail.subject).toBe('[CRÍTICA / CRITICAL] Sucursal Palermo: Cámara de frío sobre 5 °C por 2 minutos')
    expect(mail.text.startsWith('Alarma crítica en Sucursal Palermo\nCámara de frío sobre 5 °C por 2 minutos')).toBe(true)
    expect(mail.text).toContain('Critical alarm at Sucursal Palermo')
  })

  it('email to a dead SMTP server fails as retryable', async () => {
    const sink = await startSmtpSink()
    await sink.close() // the port is now closed
    const email = new EmailChannel({ url: sink.url, from: 'alertas@tendero.app' })
    cleanups.push(() => email.close())
    const err = await email.send('x@example.com', { subject: 's', text: 't' }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(DeliveryError)
    expect((err as DeliveryError).retryable).toBe(true)
  })

  it('WhatsApp and SMS post JSON with the bearer token to the provider', async () => {
    const provider: HttpReceiver = await startHttpReceiver([201, 200])
    cleanups.push(() => provider.close())
    const m = alarmMessage(notice, site)
    await whatsAppChannel({ baseUrl: `${provider.url}/v20.0/123/`, token: 'wa-token' }).send('+5491155550000', m)
    await smsChannel({ baseUrl: provider.url, token: 'sms-token' }).send('+5491155550000', m)
    const [wa, sms] = provider.requests
    expect(wa!.url).toBe('/v20.0/123/messages')
    expect(wa!.headers.authorization).toBe('Bearer wa-token')
    expect(JSON.parse(wa!.body)).toMatchObject({ messaging_product: 'whatsapp', to: '5491155550000', type: 'text' })
    expect(JSON.parse(wa!.body).text.body.startsWith(m.subject)).toBe(true)
    expect(sms!.url).toBe('/sms')
    expect(sms!.headers.authorization).toBe('Bearer sms-token')
    expect(JSON.parse(sms!.body)).toEqual({ to: '+5491155550000', text: m.subject })
  })

  it('a provider error is a DeliveryError with its status; 410 stops retries', async () => {
    const provider = await startHttpReceiver([503, 410])
    cleanups.push(() => provider.close())
    const wa = whatsAppChannel({ baseUrl: provider.url, token: 't' })
    const e503 = (await wa.send('+5491155550000', { subject: 's', text: 't' }).catch((e: unknown) => e)) as DeliveryError
    expect([e503.statusCode, e503.retryable]).toEqual([503, true])
    const e410 = (await sendWebhook(`${provider.url}/hook`, 'k', '{}', {}).catch((e: unknown) => e)) as DeliveryError
    expect([e410.statusCode, e410.retryable]).toEqual([410, false])
  })
})

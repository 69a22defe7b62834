import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DeliveryError } from '../src/modules/notifications/channels.js'
import { SIGNATURE_HEADER } from '../src/modules/notifications/signature.js'
import { forbiddenReason, pinnedLookup, vetWebhookUrl } from '../src/modules/notifications/url-guard.js'
import { withNotificationTables } from '../src/modules/notifications/tables.js'
import { deliverWebhook } from '../src/modules/notifications/webhooks.js'
import { DEMO } from '../src/seed.js'
import { alarmEvent, buildTestApp, DEMO_KEY, ingest, loginDemo, type TestApp } from './support/app.js'

/** A real receiver on 127.0.0.1 that records what reached it. */
async function startReceiver() {
  const received: { url: string; headers: IncomingHttpHeaders; body: string }[] = []
  const server: Server = createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => (body += c.toString()))
    req.on('end', () => {
      received.push({ url: req.url ?? '', headers: req.headers, body })
      res.writeHead(200).end('ok')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { received, port: (server.address() as AddressInfo).port, close: () => new Promise<void>((r) => server.close(() => r())) }
}

describe('webhook targets: internal addresses', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.5.4', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local, cloud metadata'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['100.127.255.254', 'carrier-grade NAT'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.251', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fc00::1', 'unique local'],
    ['fd12:3456::1', 'unique local'],
    ['fe80::1', 'link-local'],
    ['ff02::1', 'multicast'],
    // IPv6 spellings of IPv4 addresses: the packet goes to the IPv4 one.
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:169.254.169.254', 'link-local, cloud metadata'],
    ['64:ff9b::10.0.0.1', 'private'],
  ])('refuses %s (%s)', (address, reason) => {
    expect(forbiddenReason(address)).toBe(reason)
  })

  it.each(['8.8.8.8', '93.184.215.14', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8'])('accepts the public %s', (address) => {
    expect(forbiddenReason(address)).toBeUndefined()
  })

  it.each([
    ['http://2130706433/', '127.0.0.1 is an internal address (loopback)'],
    ['http://0x7f.1/', '127.0.0.1 is an internal address (loopback)'],
    ['http://0x7f000001/', '127.0.0.1 is an internal address (loopback)'],
    ['http://017700000001/', '127.0.0.1 is an internal address (loopback)'],
    ['http://127.1/', '127.0.0.1 is an internal address (loopback)'],
    ['http://0/', '0.0.0.0 is an internal address (unspecified)'],
    ['http://example.com@127.0.0.1/', '127.0.0.1 is an internal address (loopback)'],
    ['http://[::ffff:127.0.0.1]:8080/', '::ffff:7f00:1 is an internal address (loopback)'],
    ['http://[::1]/', '::1 is an internal address (loopback)'],
    ['https://169.254.169.254/latest/meta-data/', '169.254.169.254 is an internal address (link-local, cloud metadata)'],
    ['http://localhost:9/', 'localhost resolves to 127.0.0.1, an internal address (loopback)'],
    ['ftp://8.8.8.8/', 'scheme ftp: is not http or https'],
    ['file:///etc/passwd', 'scheme file: is not http or https'],
    ['gopher://8.8.8.8/', 'scheme gopher: is not http or https'],
  ])('vets %s as the address it really means', async (url, message) => {
    await expect(vetWebhookUrl(url, { allowPrivate: false })).rejects.toThrow(message)
  })

  it('lets internal targets through with WEBHOOK_ALLOW_PRIVATE, never other schemes', async () => {
    expect((await vetWebhookUrl('http://127.0.0.1:8080/hook', { allowPrivate: true })).url.port).toBe('8080')
    await expect(vetWebhookUrl('ftp://127.0.0.1/', { allowPrivate: true })).rejects.toThrow('not http or https')
    expect((await vetWebhookUrl('https://8.8.8.8/hook', { allowPrivate: false })).address).toEqual({ address: '8.8.8.8', family: 4 })
  })
})

describe('webhook delivery: checked again, connected to the vetted address', () => {
  let receiver: Awaited<ReturnType<typeof startReceiver>>
  beforeAll(async () => {
    receiver = await startReceiver()
  })
  afterAll(async () => {
    await receiver?.close()
  })

  it('refuses a host that resolves to 127.0.0.1: a failed delivery that retrying cannot fix, and nothing sent', async () => {
    const before = receiver.received.length
    const err = (await deliverWebhook(`http://localhost:${receiver.port}/hook`, 'whsec_x', '{"id":"evt_1"}', {}, { allowPrivate: false })
      .catch((e: unknown) => e)) as DeliveryError
    expect(err).toBeInstanceOf(DeliveryError)
    expect(err.message).toBe('WEBHOOK_URL_FORBIDDEN: localhost resolves to 127.0.0.1, an internal address (loopback)')
    expect(err.retryable).toBe(false)
    expect(receiver.received.length).toBe(before)
  })

  it('delivers, signed, when internal targets are allowed', async () => {
    const res = await deliverWebhook(`http://localhost:${receiver.port}/hook`, 'whsec_x', '{"id":"evt_2"}', { 'Tendero-Event': 'notify' }, { allowPrivate: true })
    expect(res.statusCode).toBe(200)
    const got = receiver.received.at(-1)!
    expect(got).toMatchObject({ url: '/hook', body: '{"id":"evt_2"}' })
    expect(got.headers[SIGNATURE_HEADER.toLowerCase()]).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/)
    expect(got.headers['tendero-event']).toBe('notify')
  })

  it('pins the socket to the vetted address whatever the name would resolve to now (DNS rebinding)', async () => {
    // `rebind.invalid` has no address at all; the pinned lookup still reaches the vetted
    // one, and the request keeps the URL's name as its Host.
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`http://rebind.invalid:${receiver.port}/pinned`, { method: 'POST', agent: false,
        lookup: pinnedLookup({ address: '127.0.0.1', family: 4 }) }, (res) => {
        res.resume()
        res.on('end', () => resolve(res.statusCode ?? 0))
      })
      req.on('error', reject)
      req.end('{}')
    })
    expect(status).toBe(200)
    expect(receiver.received.at(-1)).toMatchObject({ url: '/pinned', headers: { host: `rebind.invalid:${receiver.port}` } })
  })
})

describe('webhook API: internal targets refused at creation', () => {
  let t: TestApp
  let token: string
  const auth = () => ({ authorization: `Bearer ${token}` })

  beforeAll(async () => {
    t = await buildTestApp('pglite')
    token = await loginDemo(t.app)
  }, 60_000)
  afterAll(async () => {
    await t?.close()
  })

  it.each([
    'http://127.0.0.1:8080/hook',
    'http://2130706433/',
    'http://0x7f.1/',
    'http://example.com@127.0.0.1/',
    'http://[::ffff:127.0.0.1]/',
    'http://[::1]/',
    'http://[fd00::1]/',
    'http://169.254.169.254/latest/meta-data/',
    'http://10.1.2.3/',
    'http://100.64.0.1/',
    'http://0.0.0.0:8080/',
    'http://localhost:8080/',
  ])('POST /api/webhooks with %s: 400 WEBHOOK_URL_FORBIDDEN', async (url) => {
    const res = await t.app.inject({ method: 'POST', url: '/api/webhooks', headers: auth(), payload: { url } })
    expect(res.statusCode, res.body).toBe(400)
    expect(res.json().error.code).toBe('WEBHOOK_URL_FORBIDDEN')
  })

  it('accepts a public address, and refuses to move it to an internal one', async () => {
    const created = await t.app.inject({ method: 'POST', url: '/api/webhooks', headers: auth(), payload: { url: 'https://93.184.215.14/hook' } })
    expect(created.statusCode, created.body).toBe(201)
    const moved = await t.app.inject({ method: 'PATCH', url: `/api/webhooks/${created.json().id}`, headers: auth(), payload: { url: 'http://192.168.0.10/hook' } })
    expect(moved.statusCode).toBe(400)
    expect(moved.json().error.code).toBe('WEBHOOK_URL_FORBIDDEN')
    expect((await t.app.inject({ url: `/api/webhooks/${created.json().id}`, headers: auth() })).json().url).toBe('https://93.184.215.14/hook')
  })

  it('still refuses credentials in a public URL and non-http schemes', async () => {
    const creds = await t.app.inject({ method: 'POST', url: '/api/webhooks', headers: auth(), payload: { url: 'https://user:pw@93.184.215.14/' } })
    expect(creds.json().error.code).toBe('WEBHOOK_BAD_URL')
    expect((await t.app.inject({ method: 'POST', url: '/api/webhooks', headers: auth(), payload: { url: 'ftp://93.184.215.14/' } })).statusCode).toBe(400)
  })
})

describe('webhook delivery through the worker, internal targets not allowed', () => {
  let t: TestApp
  let token: string
  let receiver: Awaited<ReturnType<typeof startReceiver>>

  beforeAll(async () => {
    receiver = await startReceiver()
    t = await buildTestApp('pglite')
    t.app.notifications.worker.configure({ pollMs: 20, retryBaseMs: 40, retryMaxMs: 200 })
    token = await loginDemo(t.app)
  }, 60_000)
  afterAll(async () => {
    await t?.close()
    await receiver?.close()
  })

  it('records a refused target as a failed delivery with the reason, sends nothing, and keeps serving', async () => {
    // As if the name had resolved to a public address when the webhook was created, and
    // to 127.0.0.1 now (DNS rebinding), or the row predates the check.
    const hook = await withNotificationTables(t.app.db).insertInto('webhooks')
      .values({ org_id: DEMO.organization.id, url: `http://localhost:${receiver.port}/hook`, description: '', secret: 'whsec_x',
        events: JSON.stringify(['alarm.raised']), enabled: true })
      .returning('id').executeTakeFirstOrThrow()
    expect((await ingest(t.app, DEMO_KEY, DEMO.gateway.id, [alarmEvent(1, 'raised')])).statusCode).toBe(200)
    let entry: { status: string; error: string | null; attempts: number } | undefined
    for (let i = 0; i < 200 && entry?.status !== 'failed'; i++) {
      await new Promise((r) => setTimeout(r, 25))
      entry = (await t.app.inject({ url: `/api/webhooks/${hook.id}/deliveries`, headers: { authorization: `Bearer ${token}` } })).json().items[0]
    }
    expect(entry).toMatchObject({ status: 'failed', attempts: 1,
      error: `WEBHOOK_URL_FORBIDDEN: localhost resolves to 127.0.0.1, an internal address (loopback)` })
    expect(receiver.received).toEqual([])
    expect((await t.app.inject({ url: '/api/health' })).statusCode).toBe(200)
  })
})


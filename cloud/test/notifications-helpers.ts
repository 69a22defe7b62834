import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { SMTPServer } from 'smtp-server'

/**
 * Real local endpoints for the notification tests: an SMTP sink (smtp-server) and an HTTP
 * receiver, both on ephemeral ports, recording what they were sent.
 */

export interface ReceivedMail {
  from: string
  to: string[]
  subject: string
  text: string
  headers: Record<string, string>
}

export interface SmtpSink {
  url: string
  port: number
  mails: ReceivedMail[]
  close(): Promise<void>
}

export async function startSmtpSink(): Promise<SmtpSink> {
  const mails: ReceivedMail[] = []
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => {
        const parsed = parseMessage(Buffer.concat(chunks).toString('latin1'))
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          ...parsed,
        })
        callback()
      })
    },
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.server.address() as AddressInfo).port
  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    mails,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

/** Just enough MIME for a single text/plain message as nodemailer writes it. */
function parseMessage(raw: string): { subject: string; text: string; headers: Record<string, string> } {
  const split = raw.indexOf('\r\n\r\n')
  const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ')
  const headers: Record<string, string> = {}
  for (const line of head.split('\r\n')) {
    const colon = line.indexOf(':')
    if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim()
  }
  const body = raw.slice(split + 4)
  const encoding = (headers['content-transfer-encoding'] ?? '7bit').toLowerCase()
  const bytes =
    encoding === 'quoted-printable' ? decodeQuotedPrintable(body)
      : encoding === 'base64' ? Buffer.from(body.replace(/\s+/g, ''), 'base64')
        : Buffer.from(body, 'latin1')
  return {
    subject: decodeWords(headers.subject ?? ''),
    text: bytes.toString('utf8').replace(/\r\n/g, '\n').replace(/\n$/, ''),
    headers: { ...headers, from: decodeWords(headers.from ?? '') },
  }
}

function decodeQuotedPrintable(s: string): Buffer {
  const unfolded = s.replace(/=\r\n/g, '')
  const out: number[] = []
  for (let i = 0; i < unfolded.length; i++) {
    if (unfolded[i] === '=' && /^[0-9A-F]{2}$/i.test(unfolded.slice(i + 1, i + 3))) {
      out.push(parseInt(unfolded.slice(i + 1, i + 3), 16))
      i += 2
    } else out.push(unfolded.charCodeAt(i))
  }
  return Buffer.from(out)
}

/** RFC 2047 encoded words; adjacent ones are joined as bytes, so a split character survives. */
function decodeWords(value: string): string {
  return value.replace(/(=\?[^?]+\?[BQbq]\?[^?]*\?=\s*)+/g, (run) => {
    const bytes: Buffer[] = []
    for (const [, , enc, text] of run.matchAll(/=\?([^?]+)\?([BQbq])\?([^?]*)\?=/g)) {
      if (enc!.toUpperCase() === 'B') bytes.push(Buffer.from(text!, 'base64'))
      else bytes.push(decodeQuotedPrintable(text!.replace(/_/g, ' ')))
    }
    return Buffer.concat(bytes).toString('utf8') + (/\s$/.test(run) ? ' ' : '')
  })
}

export interface ReceivedRequest {
  method: string
  url: string
  headers: IncomingHttpHeaders
  body: string
}

export interface HttpReceiver {
  url: string
  requests: ReceivedRequest[]
  /** Status for each next request, in order; 200 once they run out. */
  statuses: number[]
  close(): Promise<void>
}

export async function startHttpReceiver(statuses: number[] = []): Promise<HttpReceiver> {
  const requests: ReceivedRequest[] = []
  const receiver: Partial<HttpReceiver> = { requests, statuses }
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') })
      const status = receiver.statuses!.shift() ?? 200
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: status < 300 }))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  receiver.close = () => new Promise<void>((resolve) => {
    server.closeAllConnections()
    server.close(() => resolve())
  })
  return receiver as HttpReceiver
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

import nodemailer, { type Transporter } from 'nodemailer'
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js'
import type { Message } from './messages.js'
import { SIGNATURE_HEADER, signWebhook } from './signature.js'

/**
 * Where a message goes out. Each channel either resolves (the provider took it) or throws
 * a DeliveryError; the worker records it and retries with backoff. Channels do not retry
 * themselves.
 */
export interface NotificationChannel {
  send(to: string, message: Message): Promise<DeliveryResult>
}

export interface DeliveryResult {
  /** The provider's HTTP status or SMTP reply code, when there is one. */
  statusCode?: number
}

export class DeliveryError extends Error {
  override name = 'DeliveryError'
  constructor(
    message: string,
    readonly statusCode?: number,
    /** False when retrying cannot help (e.g. the provider refused the address). */
    readonly retryable = true,
  ) {
    super(message)
  }
}

const HTTP_TIMEOUT_MS = 10_000

/** Email over SMTP (SMTP_URL, SMTP_FROM). */
export class EmailChannel implements NotificationChannel {
  private readonly transport: Transporter<SMTPTransport.SentMessageInfo>

  constructor(
    smtp: { url: string; from: string },
    private readonly from = smtp.from,
  ) {
    this.transport = nodemailer.createTransport({
      url: smtp.url,
      connectionTimeout: HTTP_TIMEOUT_MS,
      greetingTimeout: HTTP_TIMEOUT_MS,
      socketTimeout: HTTP_TIMEOUT_MS,
    })
  }

  async send(to: string, message: Message): Promise<DeliveryResult> {
    try {
      const info = await this.transport.sendMail({ from: this.from, to, subject: message.subject, text: message.text })
      return { statusCode: Number(/^(\d{3})/.exec(info.response ?? '')?.[1] ?? 250) }
    } catch (err) {
      const e = err as { responseCode?: number; message?: string }
      // 5xx from the server is a permanent refusal (bad mailbox); anything else may pass later.
      const permanent = typeof e.responseCode === 'number' && e.responseCode >= 500
      throw new DeliveryError(`SMTP: ${e.message ?? String(err)}`, e.responseCode, !permanent)
    }
  }

  close(): void {
    this.transport.close()
  }
}

export interface HttpProvider {
  /** e.g. https://graph.facebook.com/v20.0/<phone-number-id> for WhatsApp Cloud API. */
  baseUrl: string
  token: string
}

/**
 * A messaging provider spoken to as JSON over HTTP with a bearer token: `POST
 * {baseUrl}/{path}` with the body `format` builds. Any 2xx is accepted.
 */
export class HttpMessageChannel implements NotificationChannel {
  constructor(
    private readonly provider: HttpProvider,
    private readonly path: string,
    private readonly format: (to: string, message: Message) => unknown,
  ) {}

  async send(to: string, message: Message): Promise<DeliveryResult> {
    const url = `${this.provider.baseUrl.replace(/\/+$/, '')}/${this.path}`
    const res = await postJson(url, JSON.stringify(this.format(to, message)), { authorization: `Bearer ${this.provider.token}` })
    return { statusCode: res }
  }
}

/** Shaped like the WhatsApp Cloud API's text message. */
export function whatsAppChannel(provider: HttpProvider): HttpMessageChannel {
  return new HttpMessageChannel(provider, 'messages', (to, m) => ({
    messaging_product: 'whatsapp',
    to: to.replace(/^\+/, ''),
    type: 'text',
    text: { preview_url: false, body: `${m.subject}\n\n${m.text}`.slice(0, 4096) },
  }))
}

/** A generic SMS gateway: short text, subject only (an SMS costs per 160 characters). */
export function smsChannel(provider: HttpProvider): HttpMessageChannel {
  return new HttpMessageChannel(provider, 'sms', (to, m) => ({ to, text: m.subject.slice(0, 320) }))
}

/** One webhook request: signed at send time, so every retry has a fresh timestamp. */
export async function sendWebhook(
  url: string,
  secret: string,
  body: string,
  headers: Record<string, string>,
  now = Date.now(),
): Promise<DeliveryResult> {
  const statusCode = await postJson(url, body, { ...headers, [SIGNATURE_HEADER]: signWebhook(secret, body, now) })
  return { statusCode }
}

/** POSTs JSON; resolves with the status on 2xx, throws DeliveryError otherwise. */
async function postJson(url: string, body: string, headers: Record<string, string>): Promise<number> {
  let res: Response
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'Tendero-Notifications/1', ...headers },
      body,
      // A redirect is not a delivery: the receiver must give its final URL.
      redirect: 'manual',
      signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
    })
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause
    throw new DeliveryError(`HTTP: ${cause?.code ?? cause?.message ?? (err as Error).message}`)
  }
  // Drain the body so the connection is released; a receiver's text is not ours to keep.
  await res.arrayBuffer().catch(() => undefined)
  if (res.status >= 200 && res.status < 300) return res.status
  // Receivers answer 4xx while they deploy too, so every status is retried but 410 Gone.
  throw new DeliveryError(`HTTP ${res.status}`, res.status, res.status !== 410)
}

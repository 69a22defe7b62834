import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import type { FastifyRequest } from 'fastify'

/**
 * The client's link to a booking (view, confirm, cancel): `<bookingId>.<expiresMs>.<sig>`,
 * sig = HMAC-SHA256 over the id and expiry with the booking's own random key (link_key).
 * A per-booking key means no server-wide secret to configure or leak, and moving or
 * cancelling a booking can replace the key, which voids every link sent before. The link
 * works until a day after the appointment ends.
 */

export const newLinkKey = (): string => randomBytes(32).toString('base64url')

const sign = (key: string, payload: string): string => createHmac('sha256', key).update(payload).digest('base64url')

export function signBookingLink(bookingId: string, key: string, expiresMs: number): string {
  const payload = `${bookingId}.${expiresMs}`
  return `${payload}.${sign(key, payload)}`
}

/** The booking id a token names, before its signature is checked against the booking's key. */
export function parseBookingLink(token: string): { bookingId: string; expiresMs: number; sig: string } | undefined {
  const parts = token.split('.')
  if (parts.length !== 3) return undefined
  const [bookingId, exp, sig] = parts as [string, string, string]
  if (!/^\d{1,16}$/.test(exp)) return undefined
  return { bookingId, expiresMs: Number(exp), sig }
}

export function verifyBookingLink(token: string, key: string, now: number): boolean {
  const parsed = parseBookingLink(token)
  if (!parsed || parsed.expiresMs < now) return false
  const expected = Buffer.from(sign(key, `${parsed.bookingId}.${parsed.expiresMs}`))
  const given = Buffer.from(parsed.sig)
  return expected.length === given.length && timingSafeEqual(expected, given)
}

/** A link lives until a day after the appointment ends. */
export const linkExpiry = (endsAt: Date): number => endsAt.getTime() + 86_400_000

/** Opaque tokens (waiting-list offers, feeds) are stored as their SHA-256. */
export const tokenHash = (token: string): string => createHash('sha256').update(token).digest('hex')
export const newToken = (): string => randomBytes(32).toString('base64url')

/**
 * Where links in mail point: PUBLIC_URL when set, else the origin the request came in on
 * (the dashboard and the public booking page are served by the cloud itself). The pages
 * that show a booking from its token (`/reserva/<token>`) and a waiting-list offer
 * (`/reserva/oferta/<token>`) belong to the dashboard.
 */
export function originOf(request: FastifyRequest | undefined): string {
  if (!request) return ''
  if (request.server.publicUrl) return request.server.publicUrl
  const host = request.host || 'localhost'
  return `${request.protocol}://${host}`
}

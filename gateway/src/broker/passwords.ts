import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto'
import { GatewayError } from '../errors.js'

/**
 * Device password hashes as stored in the site config:
 *   scrypt$<N>$<r>$<p>$<saltB64>$<hashB64>
 * The parameters travel with the hash so they can be raised later without breaking
 * devices already provisioned.
 */
const DEFAULTS = { N: 16384, r: 8, p: 1, saltBytes: 16, keyBytes: 32 }
// A hash from a tampered config must not make us allocate gigabytes.
const MAX_N = 1 << 20

function derive(password: string, salt: Buffer, keyLen: number, opts: ScryptOptions): Promise<Buffer> {
  // maxmem must cover 128 * N * r bytes or scrypt refuses larger N.
  const maxmem = 256 * (opts.N ?? DEFAULTS.N) * (opts.r ?? DEFAULTS.r)
  return new Promise((resolve, reject) => {
    scrypt(password, salt, keyLen, { ...opts, maxmem }, (err, key) => (err ? reject(err) : resolve(key)))
  })
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(DEFAULTS.saltBytes)
  const { N, r, p } = DEFAULTS
  const key = await derive(password, salt, DEFAULTS.keyBytes, { N, r, p })
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64')}$${key.toString('base64')}`
}

interface ParsedHash {
  N: number
  r: number
  p: number
  salt: Buffer
  key: Buffer
}

export function parsePasswordHash(encoded: string): ParsedHash {
  const parts = encoded.split('$')
  const [scheme, n, r, p, salt, key] = parts
  const N = Number(n)
  const bad = (why: string) => new GatewayError('PASSWORD_ERR_FORMAT', `invalid password hash: ${why}`)
  if (parts.length !== 6 || scheme !== 'scrypt') throw bad('expected scrypt$N$r$p$salt$hash')
  if (!Number.isInteger(N) || N < 2 || N > MAX_N || (N & (N - 1)) !== 0) throw bad('N must be a power of two')
  const parsed = { N, r: Number(r), p: Number(p), salt: Buffer.from(salt!, 'base64'), key: Buffer.from(key!, 'base64') }
  if (!Number.isInteger(parsed.r) || parsed.r < 1 || !Number.isInteger(parsed.p) || parsed.p < 1) throw bad('bad r or p')
  if (parsed.salt.length < 8 || parsed.key.length < 16) throw bad('salt or hash too short')
  return parsed
}

export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const { N, r, p, salt, key } = parsePasswordHash(encoded)
  const candidate = await derive(password, salt, key.length, { N, r, p })
  return timingSafeEqual(candidate, key)
}

/** Spends about as long as a real verification, so unknown device ids are not revealed by timing. */
let dummyHash: Promise<string> | undefined
export async function burnVerification(password: string): Promise<void> {
  dummyHash ??= hashPassword('tendero-dummy')
  await verifyPassword(password, await dummyHash)
}

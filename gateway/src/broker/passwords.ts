import { createHash, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto'
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

/**
 * At most this many scrypt runs at once. Each takes 128·N·r bytes (16 MiB with the
 * defaults) outside the JS heap, and glibc keeps what the thread pool's arenas grew to:
 * 200 devices reconnecting after a gateway restart through 4 pool threads left the
 * process ~60 MB larger for good (bench gateway-rss). Two at a time still admits a few
 * dozen devices a second.
 */
const MAX_CONCURRENT = 2
let running = 0
let peak = 0
let runs = 0
const waiting: (() => void)[] = []

async function limited<T>(fn: () => Promise<T>): Promise<T> {
  if (running >= MAX_CONCURRENT) await new Promise<void>((resolve) => waiting.push(resolve))
  running += 1
  runs += 1
  peak = Math.max(peak, running)
  try {
    return await fn()
  } finally {
    running -= 1
    waiting.shift()?.()
  }
}

/** For tests: scrypt verifications run so far, and the most that ran at once. */
export const verificationStats = () => ({ runs, peak })

/**
 * Secrets already proven against a given hash, kept as SHA-256 digests (never the
 * secret): a device reconnecting after a Wi-Fi blip costs a hash lookup, not scrypt. A
 * changed hash in the config misses the cache, so rotating a password still works.
 */
const proven = new Map<string, Buffer>()
const MAX_PROVEN = 10_000
const digest = (password: string, encoded: string) => createHash('sha256').update(encoded).update('\0').update(password).digest()

/**
 * True when `password` matches `encoded`. No hash (a Modbus device that is only polled)
 * matches no password, after spending as long as a real check.
 */
export async function verifyPassword(password: string, encoded: string | undefined): Promise<boolean> {
  if (encoded === undefined) {
    await burnVerification(password)
    return false
  }
  const { N, r, p, salt, key } = parsePasswordHash(encoded)
  const known = proven.get(encoded)
  const candidateDigest = digest(password, encoded)
  if (known && timingSafeEqual(known, candidateDigest)) return true
  const candidate = await limited(() => derive(password, salt, key.length, { N, r, p }))
  const ok = timingSafeEqual(candidate, key)
  if (ok) {
    if (proven.size >= MAX_PROVEN) proven.delete(proven.keys().next().value!)
    proven.set(encoded, candidateDigest)
  }
  return ok
}

/** Spends about as long as a real verification, so unknown device ids are not revealed by timing. */
let dummyHash: Promise<string> | undefined
export async function burnVerification(password: string): Promise<void> {
  dummyHash ??= hashPassword('tendero-dummy')
  await verifyPassword(password, await dummyHash)
}

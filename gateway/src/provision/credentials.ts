import { closeSync, fchmodSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Type, { type Static } from 'typebox'
import { compile } from '@tendero/protocol'
import { GatewayError } from '../errors.js'

/**
 * What a claim gave this gateway (its id and key), kept in the data directory so later
 * boots need no claim code. The key is a credential: the file is the owner's alone
 * (0600) and replaced atomically, so a crash leaves the old file or the new one.
 */
export const CREDENTIALS_FILE = 'cloud-credentials.json'
/** The nonce of a claim in flight: a retry after a lost reply or a crash presents it again. */
export const PENDING_CLAIM_FILE = 'claim-pending.json'

const CredentialsSchema = Type.Object({
  gatewayId: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.-]+$' }),
  gatewayKey: Type.String({ minLength: 16, maxLength: 512 }),
  siteId: Type.String(),
  /** The name the cloud shows for this gateway. */
  name: Type.Optional(Type.String()),
  /** The cloud that issued them, for whoever reads the file. */
  cloudUrl: Type.String(),
  claimedAt: Type.Integer(),
})
export type CloudCredentials = Static<typeof CredentialsSchema>
const credentialsValidator = compile(CredentialsSchema)

const PendingSchema = Type.Object({ nonce: Type.String({ minLength: 16, maxLength: 128 }) })
const pendingValidator = compile(PendingSchema)

/** Undefined when the gateway was never provisioned by a claim; a damaged file is a config error. */
export function readCredentials(dataDir: string): CloudCredentials | undefined {
  const path = join(dataDir, CREDENTIALS_FILE)
  const json = readJson(path)
  if (json === undefined) return undefined
  if (!credentialsValidator.check(json))
    throw new GatewayError('CONFIG_ERR_INVALID', `Invalid ${path}:\n${credentialsValidator.explain(json).map((r) => `  ${r}`).join('\n')}`)
  return json
}

export function writeCredentials(dataDir: string, credentials: CloudCredentials): void {
  writePrivateJson(join(dataDir, CREDENTIALS_FILE), credentials)
}

export function readPendingNonce(dataDir: string): string | undefined {
  const json = readJson(join(dataDir, PENDING_CLAIM_FILE))
  return pendingValidator.check(json) ? json.nonce : undefined
}

export function writePendingNonce(dataDir: string, nonce: string): void {
  writePrivateJson(join(dataDir, PENDING_CLAIM_FILE), { nonce })
}

export function clearPendingNonce(dataDir: string): void {
  rmSync(join(dataDir, PENDING_CLAIM_FILE), { force: true })
}

function readJson(path: string): unknown {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new GatewayError('CONFIG_ERR_READ', `Cannot read ${path}: ${(err as Error).message}`)
  }
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new GatewayError('CONFIG_ERR_INVALID', `Invalid ${path}: not valid JSON: ${(err as Error).message}`)
  }
}

/** Temp file made 0600 before any byte is written, fsynced, renamed over, directory fsynced. */
function writePrivateJson(path: string, content: unknown): void {
  const dir = join(path, '..')
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const tmp = `${path}.tmp`
  const fd = openSync(tmp, 'w', 0o600)
  try {
    // A temp file left by a crash keeps its old mode through open(): set it again.
    fchmodSync(fd, 0o600)
    writeFileSync(fd, `${JSON.stringify(content, null, 2)}\n`)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  renameSync(tmp, path)
  const dirFd = openSync(dir, 'r')
  try {
    fsyncSync(dirFd)
  } finally {
    closeSync(dirFd)
  }
}

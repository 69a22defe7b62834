import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { Logger } from 'pino'
import { jitteredBackoff } from '../backoff.js'
import { withCredentials, type GatewayConfig } from '../config.js'
import { GatewayError } from '../errors.js'
import { clearPendingNonce, readPendingNonce, writeCredentials, writePendingNonce, type CloudCredentials } from './credentials.js'

export { CREDENTIALS_FILE, readCredentials } from './credentials.js'

/** The durable log's file in the data directory (gateway.ts opens it there). */
const LOG_FILE = 'log.db'

/**
 * First boot of a gateway started with GATEWAY_CLAIM_CODE: it presents the code to the
 * cloud (POST /api/gateways/claim), stores the id and key it gets back in its data
 * directory and runs with them; later boots read them there (config.ts) and never claim
 * again. Until the claim succeeds the gateway does not start: it has no identity to log,
 * upload or take commands under. A cloud that cannot be reached is retried with backoff;
 * a refused code (unknown, expired, already used) stops the process with the cloud's reason.
 */
export interface ProvisionOptions {
  logger: Logger
  fetch?: typeof fetch
  signal?: AbortSignal
  backoffBaseMs?: number
  backoffCapMs?: number
  /** Per request. */
  timeoutMs?: number
}

type ClaimOutcome =
  | { kind: 'claimed'; reply: { gatewayId: string; gatewayKey: string; siteId: string; name: string } }
  | { kind: 'refused'; code: string; message: string }
  | { kind: 'retry'; reason: string; retryAfterMs?: number }

export async function provisionGateway(config: GatewayConfig, opts: ProvisionOptions): Promise<GatewayConfig> {
  const claim = config.cloud.claim
  if (!claim) return config
  const log = opts.logger
  refuseUsedDataDir(config.dataDir)
  // Kept before the first attempt: a claim whose reply is lost, or a crash before the
  // credentials are saved, is retried with the same nonce and gets the same gateway back.
  let nonce = readPendingNonce(config.dataDir)
  if (!nonce) {
    nonce = randomBytes(24).toString('base64url')
    writePendingNonce(config.dataDir, nonce)
  }
  const base = opts.backoffBaseMs ?? 1000
  const cap = opts.backoffCapMs ?? 60_000
  for (let failures = 1; ; failures++) {
    opts.signal?.throwIfAborted()
    const outcome = await claimOnce(config.cloud.url, { code: claim.code, nonce, ...(claim.name ? { name: claim.name } : {}), ...(claim.hardwareId ? { hardwareId: claim.hardwareId } : {}) }, opts)
    if (outcome.kind === 'claimed') {
      const credentials: CloudCredentials = { ...outcome.reply, cloudUrl: config.cloud.url, claimedAt: Date.now() }
      writeCredentials(config.dataDir, credentials)
      clearPendingNonce(config.dataDir)
      const next = withCredentials(config, credentials)
      log.info({ gatewayId: credentials.gatewayId, siteId: credentials.siteId, siteConfigGatewayId: config.site.gatewayId }, 'claimed: this gateway now runs as the id the cloud gave it')
      return next
    }
    if (outcome.kind === 'refused') {
      throw new GatewayError('CONFIG_ERR_INVALID', `GATEWAY_CLAIM_CODE: the cloud refused the claim (${outcome.code}): ${outcome.message}`, { code: outcome.code })
    }
    const waitMs = Math.max(outcome.retryAfterMs ?? 0, jitteredBackoff(failures, base, cap))
    log.warn({ reason: outcome.reason, retryInMs: Math.round(waitMs) }, 'claim not answered; retrying')
    await sleep(waitMs, opts.signal)
  }
}

/**
 * A data directory that already holds a durable log ran under another identity (the demo
 * key, an earlier claim). Its events would go on from their seq under the new id, and the
 * cloud, holding none of the earlier ones for it, could never acknowledge them: the uplink
 * would stall. A claimed gateway starts with an empty data directory instead.
 */
function refuseUsedDataDir(dataDir: string): void {
  const logPath = join(dataDir, LOG_FILE)
  if (existsSync(logPath))
    throw new GatewayError(
      'CONFIG_ERR_INVALID',
      `GATEWAY_CLAIM_CODE: ${logPath} holds the log of this gateway's earlier identity; claim with an empty GATEWAY_DATA_DIR (move the old one aside), or keep running under its GATEWAY_KEY`,
    )
}

async function claimOnce(cloudUrl: string, body: Record<string, string>, opts: ProvisionOptions): Promise<ClaimOutcome> {
  const doFetch = opts.fetch ?? fetch
  let res: Response
  try {
    res = await doFetch(`${cloudUrl}/api/gateways/claim`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(opts.timeoutMs ?? 15_000),
    })
  } catch (err) {
    return { kind: 'retry', reason: (err as Error).message }
  }
  const json = (await res.json().catch(() => undefined)) as { error?: { code?: string; message?: string } } & Record<string, unknown> | undefined
  if (res.status === 201 && json && isClaimReply(json)) return { kind: 'claimed', reply: json }
  // 429 and server trouble pass; 4xx is the cloud's final word on this code.
  if (res.status === 429 || res.status >= 500 || res.status === 201) {
    const retryAfterS = Number(res.headers.get('retry-after'))
    return { kind: 'retry', reason: `HTTP ${res.status}${json?.error?.code ? ` ${json.error.code}` : ''}`, ...(retryAfterS > 0 ? { retryAfterMs: retryAfterS * 1000 } : {}) }
  }
  return { kind: 'refused', code: json?.error?.code ?? `HTTP_${res.status}`, message: json?.error?.message ?? res.statusText }
}

function isClaimReply(v: Record<string, unknown>): v is { gatewayId: string; gatewayKey: string; siteId: string; name: string } {
  return typeof v.gatewayId === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(v.gatewayId) && typeof v.gatewayKey === 'string' && v.gatewayKey.length >= 16 &&
    typeof v.siteId === 'string' && typeof v.name === 'string'
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(done, ms)
    function done() {
      signal?.removeEventListener('abort', aborted)
      resolve()
    }
    function aborted() {
      clearTimeout(timer)
      reject(signal!.reason)
    }
    signal?.addEventListener('abort', aborted, { once: true })
  })
}

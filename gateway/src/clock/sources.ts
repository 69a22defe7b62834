import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { GatewayError } from '../errors.js'

/** What the operating system says about its own NTP synchronisation. */
export type NtpStatus = 'synced' | 'unsynced' | 'unavailable'

export interface NtpProbeOptions {
  /** `timedatectl` binary; its NTPSynchronized is the kernel's flag, so it covers chrony and ntpd too. */
  timedatectl?: string
  /** systemd-timesyncd touches this file on every successful sync (it lives in /run, so a reboot clears it). */
  syncFile?: string
  timeoutMs?: number
}

/**
 * Asks `timedatectl show -p NTPSynchronized --value` first, then systemd-timesyncd's
 * flag file. Neither answering (a container, a system without systemd) is `unavailable`,
 * which is not the same as a clock known to be unsynced.
 */
export async function systemNtpStatus(opts: NtpProbeOptions = {}): Promise<NtpStatus> {
  const syncFile = opts.syncFile ?? '/run/systemd/timesync/synchronized'
  const answer = await new Promise<string | undefined>((resolve) => {
    execFile(
      opts.timedatectl ?? 'timedatectl',
      ['show', '-p', 'NTPSynchronized', '--value'],
      { timeout: opts.timeoutMs ?? 2000, env: { ...process.env, LC_ALL: 'C' } },
      (err, stdout) => resolve(err ? undefined : stdout.trim()),
    )
  })
  if (answer === 'yes') return 'synced'
  if (existsSync(syncFile)) return 'synced'
  if (answer === 'no') return 'unsynced'
  // timesyncd is installed but has not synced since boot.
  if (existsSync(syncFile.replace(/\/[^/]*$/, ''))) return 'unsynced'
  return 'unavailable'
}

/**
 * `GET <cloudUrl>/api/time` → `{ serverTime }`. The gateway key is sent along so a cloud
 * that puts the route behind gateway auth answers too.
 */
export async function fetchCloudTime(opts: {
  cloudUrl: string
  gatewayKey: string
  fetch: typeof fetch
  signal: AbortSignal
}): Promise<number> {
  const res = await opts.fetch(`${opts.cloudUrl}/api/time`, {
    headers: { authorization: `Bearer ${opts.gatewayKey}` },
    signal: opts.signal,
  })
  const text = await res.text()
  if (!res.ok) throw new GatewayError('CLOCK_ERR_HTTP', `cloud answered ${res.status} to GET /api/time: ${text.slice(0, 200)}`, { status: res.status })
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    body = undefined
  }
  const serverTime = (body as { serverTime?: unknown } | undefined)?.serverTime
  if (typeof serverTime !== 'number' || !Number.isFinite(serverTime) || serverTime <= 0)
    throw new GatewayError('CLOCK_ERR_BAD_ANSWER', `GET /api/time answered without a numeric serverTime: ${text.slice(0, 200)}`)
  return serverTime
}

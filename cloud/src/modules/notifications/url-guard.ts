import { lookup as dnsLookup } from 'node:dns'
import { BlockList, isIP } from 'node:net'

/**
 * Server-side request forgery guard for outgoing webhooks (issue 6). A webhook URL is
 * typed by a customer, and the cloud POSTs to it from inside our network: pointed at
 * 127.0.0.1, a private range or the cloud metadata address (169.254.169.254) it would make
 * us attack ourselves. So the target is vetted twice, at creation (a clear 400) and at
 * every delivery, and the delivery connects to the very address that was vetted (see
 * `pinnedLookup`): a name that resolves to a public address for the check and to 127.0.0.1
 * a moment later (DNS rebinding) never gets the second answer used.
 *
 * The URL is parsed by WHATWG URL, as fetch would parse it, so the odd spellings of an
 * address (http://2130706433/, http://0x7f.1/, http://[::ffff:127.0.0.1]/) arrive here
 * already as the address they mean; userinfo (http://example.com@127.0.0.1/) is not the
 * host, the part after `@` is.
 */

/** Why a target is refused: a sentence for the delivery log and the 400. */
export class ForbiddenTarget extends Error {
  override name = 'ForbiddenTarget'
}

export interface VettedAddress {
  address: string
  family: 4 | 6
}

export interface VetOptions {
  /** WEBHOOK_ALLOW_PRIVATE: skip the address check (the scheme is still checked). */
  allowPrivate: boolean
  /** Longest wait for DNS (ms). */
  dnsTimeoutMs?: number
}

const DNS_TIMEOUT_MS = 5000

// RFC 6890 special-purpose ranges that no customer endpoint lives on.
const V4_RANGES: [string, number, string][] = [
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'carrier-grade NAT'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local, cloud metadata'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'IETF protocol assignments'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
]
const V6_RANGES: [string, number, string][] = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['100::', 64, 'discard'],
  ['2001:db8::', 32, 'documentation'],
  ['fc00::', 7, 'unique local'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'site-local'],
  ['ff00::', 8, 'multicast'],
]

const blocked = new Map<string, BlockList>()
for (const [net, prefix, reason] of [...V4_RANGES, ...V6_RANGES]) {
  const list = blocked.get(reason) ?? new BlockList()
  list.addSubnet(net, prefix, net.includes(':') ? 'ipv6' : 'ipv4')
  blocked.set(reason, list)
}

/**
 * IPv6 forms that carry an IPv4 address the packet really goes to: mapped (::ffff:a.b.c.d),
 * the old compatible form (::a.b.c.d) and NAT64 (64:ff9b::a.b.c.d).
 */
function embeddedV4(address: string): string | undefined {
  const words = expandV6(address)
  if (!words) return undefined
  const isMapped = words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff
  const isCompat = words.slice(0, 6).every((w) => w === 0) && (words[6] !== 0 || words[7]! > 1)
  const isNat64 = words[0] === 0x64 && words[1] === 0xff9b && words.slice(2, 6).every((w) => w === 0)
  if (!isMapped && !isCompat && !isNat64) return undefined
  return [words[6]! >> 8, words[6]! & 0xff, words[7]! >> 8, words[7]! & 0xff].join('.')
}

/** Eight 16-bit words of an IPv6 address (with or without a dotted IPv4 tail). */
function expandV6(address: string): number[] | undefined {
  let text = address.toLowerCase().split('%')[0]!
  const dotted = text.match(/^(.*:)(\d+\.\d+\.\d+\.\d+)$/)
  if (dotted) {
    const bytes = dotted[2]!.split('.').map(Number)
    text = `${dotted[1]}${((bytes[0]! << 8) | bytes[1]!).toString(16)}:${((bytes[2]! << 8) | bytes[3]!).toString(16)}`
  }
  const [head, tail] = text.split('::') as [string, string | undefined]
  const left = head ? head.split(':') : []
  const right = tail ? tail.split(':') : []
  const fill = tail === undefined ? 0 : 8 - left.length - right.length
  const words = [...left, ...Array<string>(fill).fill('0'), ...right].map((w) => parseInt(w, 16))
  return words.length === 8 && words.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffff) ? words : undefined
}

/** Why `address` (an IP literal) may not be a webhook target, or undefined when it may. */
export function forbiddenReason(address: string): string | undefined {
  const bare = address.replace(/^\[|\]$/g, '')
  const family = isIP(bare)
  if (family === 0) return 'not an IP address'
  if (family === 6) {
    const v4 = embeddedV4(bare)
    if (v4) return forbiddenReason(v4)
  }
  const type = family === 4 ? 'ipv4' : 'ipv6'
  for (const [reason, list] of blocked) if (list.check(bare, type)) return reason
  return undefined
}

/**
 * The URL a webhook may have: http(s), no credentials, and (unless allowPrivate) a host
 * whose every address is public. Returns the parsed URL and the address to connect to.
 * Throws ForbiddenTarget when the target is internal, TypeError for a URL that is not one.
 */
export async function vetWebhookUrl(raw: string, opts: VetOptions): Promise<{ url: URL; address?: VettedAddress }> {
  const url = new URL(raw)
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ForbiddenTarget(`scheme ${url.protocol} is not http or https`)
  const host = url.hostname.replace(/^\[|\]$/g, '')
  if (host === '') throw new ForbiddenTarget('no host')
  if (opts.allowPrivate) return { url }
  const addresses: VettedAddress[] = isIP(host)
    ? [{ address: host, family: isIP(host) as 4 | 6 }]
    : await resolveAll(host, opts.dnsTimeoutMs ?? DNS_TIMEOUT_MS)
  // Every answer is checked, not the first: a name with one public and one internal
  // address is refused, whichever the connection would have picked.
  for (const { address } of addresses) {
    const reason = forbiddenReason(address)
    if (!reason) continue
    throw new ForbiddenTarget(address === host ? `${address} is an internal address (${reason})` : `${host} resolves to ${address}, an internal address (${reason})`)
  }
  return { url, address: addresses[0]! }
}

function resolveAll(host: string, timeoutMs: number): Promise<VettedAddress[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`DNS: no answer for ${host} within ${timeoutMs} ms`)), timeoutMs)
    dnsLookup(host, { all: true, verbatim: true }, (err, found) => {
      clearTimeout(timer)
      if (err) return reject(new Error(`DNS: ${err.code ?? err.message} for ${host}`))
      if (found.length === 0) return reject(new Error(`DNS: no address for ${host}`))
      resolve(found.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 })))
    })
  })
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | { address: string; family: number }[], family?: number) => void

/**
 * A `lookup` for http(s).request that answers every question with the vetted address, so
 * the socket goes where the check said, while the Host header and the TLS name (SNI and
 * certificate check) stay the URL's host name. Node asks with `all: true` when it races
 * address families (autoSelectFamily); both shapes are answered.
 */
export function pinnedLookup(pinned: VettedAddress) {
  return (_host: string, options: { all?: boolean } | number | undefined, callback: LookupCallback): void => {
    if (typeof options === 'object' && options?.all) callback(null, [{ address: pinned.address, family: pinned.family }])
    else callback(null, pinned.address, pinned.family)
  }
}

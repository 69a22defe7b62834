import type { GatewayConfig, SiteConfig } from '../src/config.js'
import type { GatewayOptions } from '../src/gateway.js'
import { hashPassword } from '../src/broker/passwords.js'
import { startTestGateway, testSite, type TestGateway } from './harness.js'

/** A technician token in the site config (scrypt-hashed) and one from GATEWAY_API_TOKEN. */
export const SITE_TOKEN = { name: 'ana', token: 'ana-token-0123456789abcdef' }
export const ENV_TOKEN = 'env-token-0123456789abcdef'
const siteTokenHash = hashPassword(SITE_TOKEN.token)

export interface ApiTestGateway extends TestGateway {
  /** A request to the real listener with the site token (or `token`), JSON in and out. */
  api(method: string, path: string, body?: unknown, token?: string | null): Promise<{ status: number; body: any }>
}

/** A gateway with both kinds of API token configured; `edit` changes the site before it is validated. */
export async function startApiGateway(
  opts: { edit?: (site: SiteConfig) => void; config?: Partial<GatewayConfig>; gateway?: GatewayOptions; envToken?: boolean } = {},
): Promise<ApiTestGateway> {
  const tokenHash = await siteTokenHash
  const site = await testSite((s) => {
    s.api = { tokens: [{ name: SITE_TOKEN.name, tokenHash }] }
    opts.edit?.(s)
  })
  const t = await startTestGateway({
    site,
    config: {
      api: { host: '127.0.0.1', port: 0, ...(opts.envToken === false ? {} : { token: ENV_TOKEN }) },
      ...opts.config,
    },
    ...(opts.gateway ? { gateway: opts.gateway } : {}),
  })
  return {
    ...t,
    async api(method, path, body, token = SITE_TOKEN.token) {
      const headers: Record<string, string> = {}
      if (token !== null) headers.authorization = `Bearer ${token}`
      if (body !== undefined) headers['content-type'] = 'application/json'
      const res = await fetch(`http://127.0.0.1:${t.apiPort}${path}`, {
        method,
        headers,
        ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
      })
      const text = await res.text()
      return { status: res.status, body: text ? JSON.parse(text) : undefined }
    },
  }
}

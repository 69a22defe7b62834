import { hashPassword } from '../../gateway/src/broker/passwords.js'
import { startApiGateway, ENV_TOKEN, type ApiTestGateway } from '../../gateway/test/api-harness.js'
import type { SiteConfig } from '../../gateway/src/config.js'

/** The read-only MQTT service client Node-RED logs in as, and the API token it acts with. */
export const SERVICE = { id: 'nodered', password: 'nodered-test-password' }
export const API_TOKEN = ENV_TOKEN

/**
 * A real gateway in this process (gateway/test/harness.ts: ephemeral ports, temp data dir)
 * with a `nodered` service client; `edit` adds the devices and rules a test needs.
 */
export async function startGatewayForNodeRed(edit: (site: SiteConfig) => void = () => {}): Promise<ApiTestGateway> {
  const passwordHash = await hashPassword(SERVICE.password)
  return startApiGateway({
    edit: (site) => {
      site.services = [{ id: SERVICE.id, name: 'Node-RED', passwordHash }]
      edit(site)
    },
  })
}

/** The config node of a test flow, pointing at the gateway. */
export function gatewayConfigNode(t: ApiTestGateway, id = 'gw') {
  return {
    node: { id, type: 'tendero-gateway', name: 'gateway de prueba', host: '127.0.0.1', mqttPort: String(t.mqttPort), apiPort: String(t.apiPort) },
    credentials: { [id]: { serviceId: SERVICE.id, password: SERVICE.password, apiToken: API_TOKEN } },
  }
}

export async function until<T>(probe: () => T | undefined | null | false, timeoutMs = 5000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = probe()
    if (value) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

import { onBeforeUnmount, ref, shallowRef } from 'vue'
import { ApiError } from '../../api/client.js'
import {
  createClaimCode,
  fetchClaimCodes,
  fetchGateway,
  revokeClaimCode,
  type ClaimCodeItem,
  type CreatedClaimCode,
  type FleetGateway,
} from '../../api/fleet.js'

/** While the dialog is open the site's codes are read this often, so a claim shows up on its own. */
export const PROVISION_POLL_MS = 3000

/**
 * The provisioning dialog's state: the code just created (shown once), the site's codes,
 * and the gateway that claimed the new code, followed until it is online.
 */
export function useProvisioning() {
  const created = shallowRef<CreatedClaimCode | null>(null)
  const codes = shallowRef<readonly ClaimCodeItem[]>([])
  const claimed = shallowRef<FleetGateway | null>(null)
  const busy = ref(false)
  const errorCode = ref<string | null>(null)
  let siteId: string | null = null
  let timer: ReturnType<typeof setTimeout> | undefined
  let generation = 0

  async function refresh(): Promise<void> {
    const gen = generation
    if (!siteId) return
    try {
      const next = await fetchClaimCodes(siteId)
      if (gen !== generation) return
      codes.value = next
      const mine = created.value && next.find((c) => c.id === created.value!.id)
      if (mine && mine.status === 'used' && mine.gatewayId && !claimed.value?.online) {
        const gateway = await fetchGateway(mine.gatewayId)
        if (gen === generation) claimed.value = gateway
      }
    } catch {
      // Polling: the next round tries again; the list keeps what it showed.
    }
  }

  function poll(): void {
    clearTimeout(timer)
    const gen = generation
    timer = setTimeout(async () => {
      await refresh()
      if (gen === generation) poll()
    }, PROVISION_POLL_MS)
  }

  /** Starts (or switches to) a site: its codes now, then every few seconds. */
  function watchSite(next: string): void {
    generation++
    siteId = next
    created.value = null
    claimed.value = null
    codes.value = []
    errorCode.value = null
    void refresh()
    poll()
  }

  function stop(): void {
    generation++
    clearTimeout(timer)
    siteId = null
  }

  async function create(body: { name?: string; expiresInHours?: number }): Promise<boolean> {
    if (!siteId) return false
    busy.value = true
    errorCode.value = null
    try {
      created.value = await createClaimCode(siteId, body)
      claimed.value = null
      await refresh()
      return true
    } catch (err) {
      errorCode.value = err instanceof ApiError ? err.code : 'UNKNOWN'
      return false
    } finally {
      busy.value = false
    }
  }

  async function revoke(codeId: string): Promise<void> {
    if (!siteId) return
    errorCode.value = null
    try {
      const item = await revokeClaimCode(siteId, codeId)
      codes.value = codes.value.map((c) => (c.id === item.id ? item : c))
    } catch (err) {
      errorCode.value = err instanceof ApiError ? err.code : 'UNKNOWN'
    }
  }

  onBeforeUnmount(stop)

  return { created, codes, claimed, busy, errorCode, watchSite, stop, refresh, create, revoke }
}

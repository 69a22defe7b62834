import { computed, onBeforeUnmount, ref, shallowRef } from 'vue'
import { ApiError } from '../../api/client.js'
import {
  createDevice,
  deleteDevice,
  fetchCommandTargets,
  fetchDevices,
  fetchGateway,
  updateDevice,
  type ColdBand,
  type CommandTarget,
  type CommandTargets,
  type FleetDevice,
  type FleetGateway,
} from '../../api/fleet.js'
import { openSitesChannel, type SitesChannel } from '../../api/realtime.js'
import { fetchSite } from '../../api/sites.js'
import { useSessionStore } from '../../stores/session.js'

export const GATEWAY_REFRESH_MS = 30_000

/** A row of the device table: the registry's device and/or the config's, by id. */
export interface DeviceRow {
  id: string
  registered: FleetDevice | null
  target: CommandTarget | undefined
}

/**
 * One gateway's page: its status (live through `gateway.sync` pushes of its site and a
 * periodic re-read), its device registry with edits, and its config's command targets.
 */
export function useGatewayDetail(gatewayId: () => string) {
  const session = useSessionStore()
  const gateway = shallowRef<FleetGateway | null>(null)
  const devices = shallowRef<readonly FleetDevice[]>([])
  const targets = shallowRef<CommandTargets | null>(null)
  const timeZone = ref('UTC')
  const status = ref<'loading' | 'ready' | 'error'>('loading')
  const errorCode = ref<string | null>(null)
  const saving = ref(false)
  const saveError = ref<string | null>(null)
  let channel: SitesChannel | null = null
  let refreshTimer: ReturnType<typeof setInterval> | undefined
  let stopped = false

  const rows = computed<DeviceRow[]>(() => {
    const byId = new Map<string, DeviceRow>()
    for (const d of devices.value) byId.set(d.id, { id: d.id, registered: d, target: undefined })
    for (const target of targets.value?.devices ?? []) {
      const row = byId.get(target.id)
      if (row) row.target = target
      else byId.set(target.id, { id: target.id, registered: null, target })
    }
    return [...byId.values()].sort((a, b) => a.id.localeCompare(b.id))
  })

  async function refreshStatus(): Promise<void> {
    try {
      const next = await fetchGateway(gatewayId())
      if (!stopped) gateway.value = next
    } catch {
      // Keep what is shown; the next push or tick tries again.
    }
  }

  async function load(): Promise<void> {
    const id = gatewayId()
    try {
      const [g, d, tg] = await Promise.all([fetchGateway(id), fetchDevices(id), fetchCommandTargets(id)])
      if (stopped) return
      gateway.value = g
      devices.value = d
      targets.value = tg
      status.value = 'ready'
      errorCode.value = null
      const site = await fetchSite(g.siteId).catch(() => null)
      if (site && !stopped) timeZone.value = site.timezone
    } catch (err) {
      if (stopped) return
      errorCode.value = err instanceof ApiError ? err.code : 'UNKNOWN'
      if (status.value !== 'ready') status.value = 'error'
    }
  }

  async function start(): Promise<void> {
    await load()
    if (stopped || !gateway.value) return
    channel = openSitesChannel({
      siteIds: [gateway.value.siteId],
      getToken: () => session.token,
      handlers: {
        gatewaySync: (event) => {
          if (event.gatewayId === gatewayId()) void refreshStatus()
        },
        status: () => {},
        joined: (rejoin) => rejoin && void load(),
        unauthorized: () => session.logout(),
      },
    })
    // Commands may appear once the gateway reports its config; a re-read picks that up too.
    refreshTimer = setInterval(() => void load(), GATEWAY_REFRESH_MS)
  }

  async function saveDevice(existing: FleetDevice | null, body: { id: string; name: string; kind: string; coldBand: ColdBand | null }): Promise<boolean> {
    saving.value = true
    saveError.value = null
    try {
      const saved = existing
        ? await updateDevice(gatewayId(), existing.id, { name: body.name, kind: body.kind, coldBand: body.coldBand })
        : await createDevice(gatewayId(), body)
      devices.value = [...devices.value.filter((d) => d.id !== saved.id), saved]
      return true
    } catch (err) {
      saveError.value = err instanceof ApiError ? err.code : 'UNKNOWN'
      return false
    } finally {
      saving.value = false
    }
  }

  async function removeDevice(deviceId: string): Promise<void> {
    saveError.value = null
    try {
      await deleteDevice(gatewayId(), deviceId)
      devices.value = devices.value.filter((d) => d.id !== deviceId)
    } catch (err) {
      saveError.value = err instanceof ApiError ? err.code : 'UNKNOWN'
    }
  }

  function stop(): void {
    stopped = true
    channel?.close()
    channel = null
    clearInterval(refreshTimer)
  }

  onBeforeUnmount(stop)

  return { gateway, devices, targets, rows, timeZone, status, errorCode, saving, saveError, start, load, saveDevice, removeDevice, clearSaveError: () => (saveError.value = null) }
}

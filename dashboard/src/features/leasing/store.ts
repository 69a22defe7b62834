// The leasing view's shared state: the catalog (malls, zones, spaces) every panel names
// things from, and the leases list. `leasesChanged` counts changes to leases so the
// occupancy, expirations and reports panels refetch after one.
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import {
  createMall,
  createSpace,
  createZone,
  fetchLeases,
  fetchMalls,
  fetchSpaces,
  fetchZones,
  type Lease,
  type LeaseStatus,
  type Mall,
  type NewSpace,
  type Space,
  type Zone,
} from '../../api/leasing.js'
import { appendPage, leasingErrorKey, upsertById } from './leasing.js'

export const useLeasingStore = defineStore('leasing', () => {
  const malls = ref<Mall[]>([])
  const zones = ref<Zone[]>([])
  const spaces = ref<Space[]>([])
  const catalogStatus = ref<'idle' | 'loading' | 'ready' | 'error'>('idle')
  const catalogError = ref<string | null>(null)

  const leases = ref<Lease[]>([])
  const leasesCursor = ref<string | null>(null)
  const leasesStatus = ref<'idle' | 'loading' | 'ready' | 'error'>('idle')
  const leasesError = ref<string | null>(null)
  const leaseFilter = ref<LeaseStatus | ''>('')
  const leasesChanged = ref(0)

  const mallName = computed(() => new Map(malls.value.map((m) => [m.id, m.name])))
  const zoneName = computed(() => new Map(zones.value.map((z) => [z.id, z.name])))

  async function loadCatalog(): Promise<void> {
    catalogStatus.value = 'loading'
    catalogError.value = null
    try {
      const [m, z, s] = await Promise.all([fetchMalls(), fetchZones(), fetchSpaces()])
      malls.value = m
      zones.value = z
      spaces.value = s
      catalogStatus.value = 'ready'
    } catch (err) {
      catalogError.value = leasingErrorKey(err)
      catalogStatus.value = 'error'
    }
  }

  async function addMall(body: { name: string; address?: string | null }): Promise<Mall> {
    const mall = await createMall(body)
    malls.value = [...malls.value.filter((m) => m.id !== mall.id), mall]
    return mall
  }

  async function addZone(body: { mallId: string; name: string }): Promise<Zone> {
    const zone = await createZone(body)
    zones.value = [...zones.value.filter((z) => z.id !== zone.id), zone]
    return zone
  }

  async function addSpace(body: NewSpace): Promise<Space> {
    const space = await createSpace(body)
    spaces.value = [...spaces.value.filter((s) => s.id !== space.id), space]
    leasesChanged.value++
    return space
  }

  async function loadLeases(status: LeaseStatus | '' = leaseFilter.value): Promise<void> {
    leaseFilter.value = status
    leasesStatus.value = 'loading'
    leasesError.value = null
    try {
      const page = await fetchLeases(status ? { status } : {})
      leases.value = page.items
      leasesCursor.value = page.nextCursor
      leasesStatus.value = 'ready'
    } catch (err) {
      leasesError.value = leasingErrorKey(err)
      leasesStatus.value = 'error'
    }
  }

  async function loadMoreLeases(): Promise<void> {
    if (!leasesCursor.value) return
    const page = await fetchLeases({ ...(leaseFilter.value ? { status: leaseFilter.value } : {}), cursor: leasesCursor.value })
    leases.value = appendPage(leases.value, page.items)
    leasesCursor.value = page.nextCursor
  }

  /** A lease created, terminated or renewed: shown at once, and the figures refetch. */
  function putLease(lease: Lease): void {
    leases.value = upsertById(leases.value, lease)
    leasesChanged.value++
  }

  const spacesOf = (mallId: string) => spaces.value.filter((s) => s.mallId === mallId)
  const zonesOf = (mallId: string) => zones.value.filter((z) => z.mallId === mallId)

  return {
    malls,
    zones,
    spaces,
    catalogStatus,
    catalogError,
    leases,
    leasesCursor,
    leasesStatus,
    leasesError,
    leaseFilter,
    leasesChanged,
    mallName,
    zoneName,
    loadCatalog,
    addMall,
    addZone,
    addSpace,
    loadLeases,
    loadMoreLeases,
    putLease,
    spacesOf,
    zonesOf,
  }
})

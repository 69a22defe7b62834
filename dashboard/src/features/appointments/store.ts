// What the appointments tabs share: the organization's services and professionals, and the
// clients the agenda shows (name and no-show count, fetched once per contact).
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { fetchContact, fetchNoShows, fetchProfessionals, fetchServices, type Professional, type Service } from '../../api/appointments.js'
import type { Page } from '../../api/sites.js'

export interface ClientInfo {
  name: string
  email: string | null
  phone: string | null
  noShows: number
}

async function all<T>(fetchPage: (cursor?: string | null) => Promise<Page<T>>): Promise<T[]> {
  const items: T[] = []
  let cursor: string | null | undefined
  do {
    const page = await fetchPage(cursor)
    items.push(...page.items)
    cursor = page.nextCursor
  } while (cursor)
  return items
}

/** Replaces the item with the same id, or appends it. */
export function upsert<T extends { id: string }>(list: readonly T[], item: T): T[] {
  const at = list.findIndex((x) => x.id === item.id)
  return at === -1 ? [...list, item] : list.map((x, i) => (i === at ? item : x))
}

export const useAppointmentsStore = defineStore('appointments', () => {
  const services = ref<Service[]>([])
  const professionals = ref<Professional[]>([])
  const status = ref<'idle' | 'loading' | 'ready' | 'error'>('idle')
  const clients = ref<Record<string, ClientInfo>>({})
  const pending = new Set<string>()

  const activeServices = computed(() => services.value.filter((s) => !s.archived))
  const activeProfessionals = computed(() => professionals.value.filter((p) => !p.archived))
  const serviceById = (id: string) => services.value.find((s) => s.id === id)
  const professionalById = (id: string | null) => professionals.value.find((p) => p.id === id)

  async function loadCatalog(): Promise<void> {
    status.value = 'loading'
    try {
      const [s, p] = await Promise.all([all(fetchServices), all(fetchProfessionals)])
      services.value = s
      professionals.value = p
      status.value = 'ready'
    } catch {
      status.value = 'error'
    }
  }

  function saveService(service: Service): void {
    services.value = service.archived ? services.value.filter((s) => s.id !== service.id) : upsert(services.value, service)
  }

  function saveProfessional(professional: Professional): void {
    professionals.value = professional.archived ? professionals.value.filter((p) => p.id !== professional.id) : upsert(professionals.value, professional)
  }

  /** Names and no-show counts of these contacts, fetched once each (a failure leaves the id shown). */
  async function ensureClients(ids: readonly string[], refresh = false): Promise<void> {
    const wanted = [...new Set(ids)].filter((id) => (refresh || !clients.value[id]) && !pending.has(id))
    await Promise.all(
      wanted.map(async (id) => {
        pending.add(id)
        try {
          const [contact, noShows] = await Promise.all([fetchContact(id), fetchNoShows(id)])
          clients.value = { ...clients.value, [id]: { name: contact.name, email: contact.email, phone: contact.phone, noShows: noShows.noShows } }
        } catch {
          // Shown as unknown; the agenda still works.
        } finally {
          pending.delete(id)
        }
      }),
    )
  }

  return { services, professionals, status, clients, activeServices, activeProfessionals, serviceById, professionalById, loadCatalog, saveService, saveProfessional, ensureClients }
})

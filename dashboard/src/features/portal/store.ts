// The tenant portal's state: the shop's leases at malls on Tendero, its incidents, and its
// invoices (billing's portal routes; 'unavailable' when the cloud has none to offer).
import { defineStore } from 'pinia'
import { ref } from 'vue'
import { ApiError } from '../../api/client.js'
import type { Incident } from '../../api/leasing.js'
import {
  fetchPortalIncidents, fetchPortalInvoices, fetchPortalLeases, fetchPortalLinks, redeemPortalCode, reportIncident, unlinkPortal,
  type NewIncident, type PortalInvoice, type PortalLease, type PortalLink,
} from '../../api/portal.js'
import { newestFirst, portalErrorKey } from './portal.js'

type Status = 'idle' | 'loading' | 'ready' | 'error' | 'unavailable'

export const usePortalStore = defineStore('portal', () => {
  const leases = ref<PortalLease[]>([])
  const leasesCursor = ref<string | null>(null)
  const leasesStatus = ref<Status>('idle')
  const incidents = ref<Incident[]>([])
  const incidentsCursor = ref<string | null>(null)
  const incidentsStatus = ref<Status>('idle')
  const invoices = ref<PortalInvoice[]>([])
  const invoicesCursor = ref<string | null>(null)
  const invoicesStatus = ref<Status>('idle')
  const error = ref<string | null>(null)
  const links = ref<PortalLink[]>([])
  const linksCursor = ref<string | null>(null)
  const linksStatus = ref<Status>('idle')

  async function loadLinks(): Promise<void> {
    linksStatus.value = 'loading'
    try {
      const page = await fetchPortalLinks()
      links.value = page.items
      linksCursor.value = page.nextCursor
      linksStatus.value = 'ready'
    } catch (err) {
      error.value = portalErrorKey(err)
      linksStatus.value = 'error'
    }
  }

  async function loadMoreLinks(): Promise<void> {
    if (!linksCursor.value) return
    const page = await fetchPortalLinks(linksCursor.value)
    links.value = [...links.value, ...page.items.filter((l) => !links.value.some((x) => x.contactId === l.contactId))]
    linksCursor.value = page.nextCursor
  }

  /** What a link changes: the leases, incidents and invoices the shop sees. */
  async function reloadAll(): Promise<void> {
    await Promise.all([loadLeases(), loadIncidents(), loadInvoices()])
  }

  /** Redeems a code; the new landlord's leases, incidents and invoices are loaded at once. */
  async function redeem(code: string): Promise<PortalLink> {
    const link = await redeemPortalCode(code)
    links.value = [link, ...links.value.filter((l) => l.contactId !== link.contactId)]
    await reloadAll()
    return link
  }

  async function unlink(contactId: string): Promise<PortalLink> {
    const link = await unlinkPortal(contactId)
    links.value = links.value.filter((l) => l.contactId !== contactId)
    await reloadAll()
    return link
  }

  async function loadLeases(): Promise<void> {
    leasesStatus.value = 'loading'
    try {
      const page = await fetchPortalLeases()
      leases.value = page.items
      leasesCursor.value = page.nextCursor
      leasesStatus.value = 'ready'
    } catch (err) {
      error.value = portalErrorKey(err)
      leasesStatus.value = 'error'
    }
  }

  async function loadMoreLeases(): Promise<void> {
    if (!leasesCursor.value) return
    const page = await fetchPortalLeases(leasesCursor.value)
    leases.value = [...leases.value, ...page.items.filter((l) => !leases.value.some((x) => x.id === l.id))]
    leasesCursor.value = page.nextCursor
  }

  async function loadIncidents(): Promise<void> {
    incidentsStatus.value = 'loading'
    try {
      const page = await fetchPortalIncidents()
      incidents.value = newestFirst(page.items)
      incidentsCursor.value = page.nextCursor
      incidentsStatus.value = 'ready'
    } catch (err) {
      error.value = portalErrorKey(err)
      incidentsStatus.value = 'error'
    }
  }

  async function loadMoreIncidents(): Promise<void> {
    if (!incidentsCursor.value) return
    const page = await fetchPortalIncidents(incidentsCursor.value)
    incidents.value = [...incidents.value, ...page.items.filter((i) => !incidents.value.some((x) => x.id === i.id))]
    incidentsCursor.value = page.nextCursor
  }

  async function loadInvoices(): Promise<void> {
    invoicesStatus.value = 'loading'
    try {
      const page = await fetchPortalInvoices()
      invoices.value = page.items
      invoicesCursor.value = page.nextCursor
      invoicesStatus.value = 'ready'
    } catch (err) {
      // A cloud without billing's portal routes answers 404: say so rather than fail.
      invoicesStatus.value = err instanceof ApiError && err.status === 404 ? 'unavailable' : 'error'
      if (invoicesStatus.value === 'error') error.value = portalErrorKey(err)
    }
  }

  async function loadMoreInvoices(): Promise<void> {
    if (!invoicesCursor.value) return
    const page = await fetchPortalInvoices(invoicesCursor.value)
    invoices.value = [...invoices.value, ...page.items.filter((i) => !invoices.value.some((x) => x.id === i.id))]
    invoicesCursor.value = page.nextCursor
  }

  /** Reports an incident; it is listed first at once. */
  async function report(body: NewIncident): Promise<Incident> {
    const incident = await reportIncident(body)
    incidents.value = [incident, ...incidents.value.filter((i) => i.id !== incident.id)]
    return incident
  }

  return {
    leases,
    leasesCursor,
    leasesStatus,
    incidents,
    incidentsCursor,
    incidentsStatus,
    invoices,
    invoicesCursor,
    invoicesStatus,
    error,
    links,
    linksCursor,
    linksStatus,
    loadLinks,
    loadMoreLinks,
    redeem,
    unlink,
    loadLeases,
    loadMoreLeases,
    loadIncidents,
    loadMoreIncidents,
    loadInvoices,
    loadMoreInvoices,
    report,
  }
})

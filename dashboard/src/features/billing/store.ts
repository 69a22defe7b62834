// The billing view's shared state: the invoices list (filters, keyset pages) every panel
// picks invoices from, and `changed`, a counter bumped by anything that moves money (an
// invoice posted, a payment, a credit note) so balances and the aging chart refetch.
import { defineStore } from 'pinia'
import { ref } from 'vue'
import { fetchInvoices, type Invoice, type InvoiceStatus } from '../../api/billing.js'
import { appendPage, billingErrorKey, upsertById } from './billing.js'

export interface InvoiceFilter {
  status: InvoiceStatus | ''
  contactId: string
}

export const useBillingStore = defineStore('billing', () => {
  const invoices = ref<Invoice[]>([])
  const cursor = ref<string | null>(null)
  const status = ref<'idle' | 'loading' | 'ready' | 'error'>('idle')
  const error = ref<string | null>(null)
  const loadingMore = ref(false)
  const filter = ref<InvoiceFilter>({ status: '', contactId: '' })
  const changed = ref(0)
  let generation = 0

  const query = () => ({ ...(filter.value.status ? { status: filter.value.status } : {}), ...(filter.value.contactId ? { contactId: filter.value.contactId } : {}) })

  async function load(next: Partial<InvoiceFilter> = {}): Promise<void> {
    filter.value = { ...filter.value, ...next }
    const mine = ++generation
    status.value = 'loading'
    error.value = null
    try {
      const page = await fetchInvoices(query())
      // A slower answer to an older filter never replaces a newer one.
      if (mine !== generation) return
      invoices.value = page.items
      cursor.value = page.nextCursor
      status.value = 'ready'
    } catch (err) {
      if (mine !== generation) return
      error.value = billingErrorKey(err)
      status.value = 'error'
    }
  }

  async function loadMore(): Promise<void> {
    if (!cursor.value || loadingMore.value) return
    const mine = generation
    loadingMore.value = true
    try {
      const page = await fetchInvoices({ ...query(), cursor: cursor.value })
      if (mine !== generation) return
      invoices.value = appendPage(invoices.value, page.items)
      cursor.value = page.nextCursor
    } catch (err) {
      error.value = billingErrorKey(err)
    } finally {
      loadingMore.value = false
    }
  }

  /** An invoice created or changed: shown at once (first when new), and the figures refetch. */
  function put(invoice: Invoice): void {
    invoices.value = upsertById(invoices.value, invoice)
    changed.value++
  }

  function remove(id: string): void {
    invoices.value = invoices.value.filter((i) => i.id !== id)
    changed.value++
  }

  /** Money moved elsewhere (a payment, a credit note): the list's open balances are stale. */
  async function refresh(): Promise<void> {
    changed.value++
    await load()
  }

  return { invoices, cursor, status, error, loadingMore, filter, changed, load, loadMore, put, remove, refresh }
})

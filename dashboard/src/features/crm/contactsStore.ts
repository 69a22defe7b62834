// The contact list of the CRM view: its filters, the pages loaded so far ("load more"),
// and contacts created or changed meanwhile merged in place.
import { defineStore } from 'pinia'
import { ref } from 'vue'
import { fetchContacts, type Contact, type ContactFilters } from '../../api/crm.js'
import { appendPage, crmErrorKey, upsertById } from './crm.js'

export const CONTACTS_PAGE = 25

export const useCrmContactsStore = defineStore('crm-contacts', () => {
  const filters = ref<ContactFilters>({})
  const items = ref<Contact[]>([])
  const nextCursor = ref<string | null>(null)
  const status = ref<'idle' | 'loading' | 'ready' | 'error'>('idle')
  /** i18n key of the last failure. */
  const error = ref<string | null>(null)
  const loadingMore = ref(false)
  // A newer search wins over a slower older one.
  let generation = 0

  async function load(next: ContactFilters = filters.value): Promise<void> {
    filters.value = { ...next }
    const mine = ++generation
    status.value = 'loading'
    error.value = null
    try {
      const page = await fetchContacts(filters.value, null, CONTACTS_PAGE)
      if (mine !== generation) return
      items.value = page.items
      nextCursor.value = page.nextCursor
      status.value = 'ready'
    } catch (err) {
      if (mine !== generation) return
      error.value = crmErrorKey(err)
      status.value = 'error'
    }
  }

  async function loadMore(): Promise<void> {
    if (!nextCursor.value || loadingMore.value) return
    const mine = generation
    loadingMore.value = true
    error.value = null
    try {
      const page = await fetchContacts(filters.value, nextCursor.value, CONTACTS_PAGE)
      if (mine !== generation) return
      items.value = appendPage(items.value, page.items)
      nextCursor.value = page.nextCursor
    } catch (err) {
      error.value = crmErrorKey(err)
    } finally {
      loadingMore.value = false
    }
  }

  /** A contact created or saved here: shown at once, where it was or first. */
  function upsert(contact: Contact): void {
    items.value = upsertById(items.value, contact)
  }

  const byId = (id: string): Contact | undefined => items.value.find((c) => c.id === id)

  return { filters, items, nextCursor, status, error, loadingMore, load, loadMore, upsert, byId }
})

import { ref } from 'vue'
import { ApiError } from '../api/client.js'

export type ListStatus = 'idle' | 'loading' | 'ready' | 'error'

export interface CursorPage<T> {
  items: T[]
  nextCursor: string | null
}

export interface PagedListOptions<T> {
  fetchPage: (cursor: string | null) => Promise<CursorPage<T>>
  /** Puts a page's rows into the list shown (merging with pushes already there). */
  take: (rows: readonly T[]) => void
  /** Empties the list when it starts over. */
  clear: () => void
}

/**
 * Cursor paging for a list that also changes live: pushes are merged into it, and the
 * first page is read again after a reconnect. A read that lands after the filters changed
 * or the view stopped is dropped: every restart moves the generation on. Reading the first
 * page again keeps the pages loaded after it; its cursor is taken only while it is the
 * only page loaded.
 */
export function usePagedList<T>(opts: PagedListOptions<T>) {
  const status = ref<ListStatus>('idle')
  const nextCursor = ref<string | null>(null)
  const loadingMore = ref(false)
  const errorCode = ref<string | null>(null)
  let generation = 0
  let pagesLoaded = 0

  const codeOf = (err: unknown) => (err instanceof ApiError ? err.code : 'UNKNOWN')

  /** `fresh`: the list starts over (new filters); otherwise the page is merged into what is shown. */
  async function loadFirstPage(fresh: boolean): Promise<void> {
    const gen = generation
    if (fresh) {
      status.value = 'loading'
      opts.clear()
      nextCursor.value = null
      pagesLoaded = 0
    }
    try {
      const page = await opts.fetchPage(null)
      if (gen !== generation) return
      opts.take(page.items)
      if (pagesLoaded <= 1) nextCursor.value = page.nextCursor
      pagesLoaded = Math.max(pagesLoaded, 1)
      status.value = 'ready'
      errorCode.value = null
    } catch (err) {
      if (gen !== generation) return
      errorCode.value = codeOf(err)
      // A failed refresh keeps the list shown; only a list with nothing to show is an error.
      if (fresh || status.value !== 'ready') status.value = 'error'
    }
  }

  async function loadMore(): Promise<void> {
    if (!nextCursor.value || loadingMore.value) return
    const gen = generation
    loadingMore.value = true
    try {
      const page = await opts.fetchPage(nextCursor.value)
      if (gen !== generation) return
      opts.take(page.items)
      nextCursor.value = page.nextCursor
      pagesLoaded++
    } catch (err) {
      if (gen === generation) errorCode.value = codeOf(err)
    } finally {
      if (gen === generation) loadingMore.value = false
    }
  }

  /** Drops every read in flight. */
  function invalidate(): void {
    generation++
  }

  /** A check for longer work (a start that reads other things first): still current? */
  function ticket(): () => boolean {
    const gen = generation
    return () => gen === generation
  }

  return { status, nextCursor, loadingMore, errorCode, loadFirstPage, loadMore, invalidate, ticket }
}

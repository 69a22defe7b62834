// Whether the data on screen came from the service worker's API cache, and since when.
// The API client reports every response here (noteApiResponse); TheOfflineBanner reads it.
// A plain module store rather than Pinia: the client has no app or Pinia of its own.
import { computed, readonly, ref } from 'vue'
import { savedAtOf } from './sw-policy.js'

// The oldest save among the responses served from the cache since the last fresh one:
// the banner must not claim the screen is newer than its oldest part.
const savedAt = ref<number | null>(null)

/**
 * Called by the API client with each response's headers. A saved copy (header
 * `x-tendero-cache`) turns the offline state on; any response from the network means the
 * cloud answers again, and the views refetch on reconnect, so it turns it off.
 */
export function noteApiResponse(headers: Pick<Headers, 'get'>): void {
  const saved = savedAtOf(headers)
  if (saved === null) savedAt.value = null
  else savedAt.value = savedAt.value === null ? saved : Math.min(savedAt.value, saved)
}

/** Forget the offline state (logout: the saved data is gone). */
export function resetOfflineStatus(): void {
  savedAt.value = null
}

/** Whether what the views show came (partly) from the saved copies: catch up once online. */
export function isShowingSavedData(): boolean {
  return savedAt.value !== null
}

export function useOfflineStatus() {
  return {
    /** When the oldest data on screen was saved (epoch ms), or null when it is live. */
    savedAt: readonly(savedAt),
    showingSavedData: computed(() => savedAt.value !== null),
  }
}

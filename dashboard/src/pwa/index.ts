// The dashboard's PWA surface for the rest of the app: register the service worker
// (production builds only) and clear the saved API responses at logout.
import { resetOfflineStatus } from './offline.js'
import { API_CACHE, CLEAR_API_CACHE_MESSAGE } from './sw-policy.js'

export { isShowingSavedData, noteApiResponse, useOfflineStatus } from './offline.js'

// The worker's file name, defined by dashboard/scripts/service-worker-plugin.ts in builds
// only: `vite dev` and the component tests have no worker.
declare const __TENDERO_SERVICE_WORKER__: string | undefined
const SERVICE_WORKER_FILE = typeof __TENDERO_SERVICE_WORKER__ === 'undefined' ? null : __TENDERO_SERVICE_WORKER__

/**
 * Registers the service worker once the page has loaded (so it never competes with the
 * first paint). Production builds only: in development Vite serves unbundled modules that
 * a precache cannot list.
 */
export function registerServiceWorker(): void {
  if (!SERVICE_WORKER_FILE || typeof navigator === 'undefined' || !('serviceWorker' in navigator)) return
  const register = () => {
    navigator.serviceWorker.register(`${import.meta.env.BASE_URL}${SERVICE_WORKER_FILE}`, { scope: import.meta.env.BASE_URL }).catch(() => {
      // No worker (private mode, blocked by policy): the app works, only not offline.
    })
  }
  if (document.readyState === 'complete') register()
  else window.addEventListener('load', register, { once: true })
}

/**
 * Drops every saved API response: called at logout so the next person using this phone
 * cannot read the last one's data offline. The worker also discards saves in flight.
 */
export async function clearApiCache(): Promise<void> {
  resetOfflineStatus()
  if (typeof navigator !== 'undefined' && 'serviceWorker' in navigator) {
    navigator.serviceWorker.controller?.postMessage(CLEAR_API_CACHE_MESSAGE)
  }
  if (typeof caches !== 'undefined') await caches.delete(API_CACHE)
}

// The dashboard's service worker, built by dashboard/scripts/service-worker-plugin.ts into
// dist/sw.js with the build's file list. What it does:
// - precaches the app shell (index.html, hashed assets, icons, manifest) per build;
// - pages (navigations): network first, the precached index.html when offline;
// - GET /api/*: network first; a JSON 200 is saved by URL (apiCacheKey) so the last loaded
//   views stay readable offline, served back with `x-tendero-cache: <saved at>`;
// - nothing else: POST/PUT/DELETE, /api/auth, /socket.io go straight to the network.
import {
  API_CACHE,
  CLEAR_API_CACHE_MESSAGE,
  MAX_API_ENTRIES,
  SHELL_CACHE_PREFIX,
  apiCacheKey,
  isCacheableApiResponse,
  isCachedApiRequest,
  isUpstreamUnavailable,
  stampedHeaders,
} from './sw-policy.js'

declare const __PRECACHE_MANIFEST__: string[]
declare const __PRECACHE_VERSION__: string

// The dashboard's TypeScript program has the DOM library, not WebWorker (they conflict):
// the few worker types used here, declared by hand.
interface ExtendableEvent extends Event {
  waitUntil(promise: Promise<unknown>): void
}
interface FetchEvent extends ExtendableEvent {
  readonly request: Request
  respondWith(response: Promise<Response>): void
}
interface ExtendableMessageEvent extends ExtendableEvent {
  readonly data: unknown
}
interface ServiceWorkerScope {
  readonly location: Location
  readonly registration: { readonly scope: string }
  readonly clients: { claim(): Promise<void> }
  skipWaiting(): Promise<void>
  addEventListener(type: 'install' | 'activate', listener: (event: ExtendableEvent) => void): void
  addEventListener(type: 'fetch', listener: (event: FetchEvent) => void): void
  addEventListener(type: 'message', listener: (event: ExtendableMessageEvent) => void): void
}

const worker = self as unknown as ServiceWorkerScope
const SHELL_CACHE = `${SHELL_CACHE_PREFIX}${__PRECACHE_VERSION__}`
const PRECACHED = new Set(__PRECACHE_MANIFEST__.map((path) => new URL(path, worker.location.href).href))
const INDEX_HTML = new URL('index.html', worker.registration.scope).href

// Bumped at logout: a response fetched before it is not saved after it (privacy on a
// shared phone). A restarted worker starts at 0, but then no save is in flight.
let apiGeneration = 0

worker.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(SHELL_CACHE)
      // `reload`: straight from the cloud, not from the HTTP cache of an older build.
      await cache.addAll([...PRECACHED].map((url) => new Request(url, { cache: 'reload' })))
      await worker.skipWaiting()
    })(),
  )
})

worker.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      // Keep the release before this one: a tab still running it (we claim it below) may
      // yet load one of its lazy views, whose chunk the cloud no longer serves.
      const shells = (await caches.keys()).filter((name) => name.startsWith(SHELL_CACHE_PREFIX) && name !== SHELL_CACHE)
      for (const name of shells.slice(0, -1)) await caches.delete(name)
      // Control the page that registered us now, so its first views are saved too.
      await worker.clients.claim()
    })(),
  )
})

worker.addEventListener('message', (event) => {
  if (event.data === CLEAR_API_CACHE_MESSAGE) {
    apiGeneration++
    event.waitUntil(caches.delete(API_CACHE))
  }
})

worker.addEventListener('fetch', (event) => {
  const { request } = event
  if (request.method !== 'GET') return
  const url = new URL(request.url)
  if (isCachedApiRequest(request.method, url, worker.location.origin)) {
    event.respondWith(networkFirstApi(event, url))
  } else if (url.origin !== worker.location.origin || /^\/(api|socket\.io|docs)(\/|$)/.test(url.pathname)) {
    return
  } else if (request.mode === 'navigate') {
    event.respondWith(networkFirstPage(request))
  } else if (PRECACHED.has(url.href)) {
    event.respondWith(shellFirst(request))
  } else if (url.pathname.startsWith('/assets/')) {
    event.respondWith(previousShellFirst(request))
  }
})

async function networkFirstApi(event: FetchEvent, url: URL): Promise<Response> {
  const key = apiCacheKey(url)
  const generation = apiGeneration
  let response: Response
  try {
    response = await fetch(event.request)
  } catch (error) {
    const saved = await savedResponse(key)
    if (saved) return saved
    throw error
  }
  if (isCacheableApiResponse(response)) {
    event.waitUntil(save(key, response.clone(), generation))
  } else if (isUpstreamUnavailable(response.status)) {
    return (await savedResponse(key)) ?? response
  }
  return response
}

async function savedResponse(key: string): Promise<Response | undefined> {
  const cache = await caches.open(API_CACHE)
  return cache.match(key, { ignoreVary: true })
}

async function save(key: string, response: Response, generation: number): Promise<void> {
  const body = await response.arrayBuffer()
  if (generation !== apiGeneration) return
  const cache = await caches.open(API_CACHE)
  if (generation !== apiGeneration) return
  const { status, statusText } = response
  // Deleting first moves the key to the end: keys() lists the oldest first for pruning.
  await cache.delete(key, { ignoreVary: true })
  await cache.put(key, new Response(body, { status, statusText, headers: stampedHeaders(response.headers, Date.now()) }))
  const keys = await cache.keys()
  for (const stale of keys.slice(0, Math.max(0, keys.length - MAX_API_ENTRIES))) await cache.delete(stale)
}

async function networkFirstPage(request: Request): Promise<Response> {
  try {
    return await fetch(request)
  } catch (error) {
    // Every client route is the same index.html (the router reads the URL).
    const shell = await caches.match(INDEX_HTML, { cacheName: SHELL_CACHE })
    if (shell) return shell
    throw error
  }
}

async function shellFirst(request: Request): Promise<Response> {
  return (await caches.match(request, { cacheName: SHELL_CACHE })) ?? fetch(request)
}

/** An asset of the previous release (an old tab's lazy view), else the network. */
async function previousShellFirst(request: Request): Promise<Response> {
  for (const name of await caches.keys()) {
    if (!name.startsWith(SHELL_CACHE_PREFIX)) continue
    const saved = await caches.match(request, { cacheName: name })
    if (saved) return saved
  }
  return fetch(request)
}

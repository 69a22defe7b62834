import { createRouter, createWebHistory, type RouteRecordRaw, type RouterHistory } from 'vue-router'
import { useSessionStore } from '../stores/session.js'

declare module 'vue-router' {
  interface RouteMeta {
    /** Reachable without a session. */
    public?: boolean
  }
}

export const routes: RouteRecordRaw[] = [
  { path: '/login', name: 'login', component: () => import('../views/LoginView.vue'), meta: { public: true } },
  { path: '/verificacion', name: 'totp-setup', component: () => import('../views/TotpSetupView.vue') },
  { path: '/', name: 'sites', component: () => import('../views/SitesView.vue') },
  { path: '/sites/:siteId', name: 'site', component: () => import('../views/SiteView.vue'), props: true },
  { path: '/:pathMatch(.*)*', redirect: '/' },
]

/** Call after Pinia is installed: the guard reads the session store. */
export function createAppRouter(history: RouterHistory = createWebHistory(import.meta.env.BASE_URL)) {
  const router = createRouter({ history, routes })

  router.beforeEach((to) => {
    const session = useSessionStore()
    if (!to.meta.public && !session.isAuthenticated) {
      return to.fullPath === '/' ? { name: 'login' } : { name: 'login', query: { redirect: to.fullPath } }
    }
    // An admin who must set up two-factor login can do nothing else until they have.
    if (session.isAuthenticated && session.totpEnrollmentRequired) return to.name === 'totp-setup' ? true : { name: 'totp-setup' }
    if (to.name === 'totp-setup') return { name: 'sites' }
    if (to.name === 'login' && session.isAuthenticated) return { name: 'sites' }
    return true
  })

  return router
}

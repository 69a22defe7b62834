import { createRouter, createWebHistory, type RouteRecordRaw, type RouterHistory } from 'vue-router'
import { useSessionStore } from '../stores/session.js'

/** Where a route shows in the navigation (components/TheNav.vue builds itself from this). */
export interface NavEntry {
  /** i18n key of the label. */
  label: string
  /** `main`: the phone's bottom bar and the first group; `more`: behind "Más" on a phone. */
  section: 'main' | 'more'
  /** One glyph drawn by TheNav (no icon font, nothing to download). */
  icon: 'home' | 'bell' | 'pulse' | 'chip' | 'rule' | 'report' | 'people' | 'log' | 'contacts' | 'store' | 'invoice' | 'calendar' | 'portal' | 'platform'
  /** Shown only to users holding this permission (the cloud enforces it anyway). */
  permission?: string
}

declare module 'vue-router' {
  interface RouteMeta {
    /** Reachable without a session. */
    public?: boolean
    nav?: NavEntry
  }
}

export const routes: RouteRecordRaw[] = [
  { path: '/login', name: 'login', component: () => import('../views/LoginView.vue'), meta: { public: true } },
  { path: '/verificacion', name: 'totp-setup', component: () => import('../views/TotpSetupView.vue') },
  { path: '/', name: 'sites', component: () => import('../views/SitesView.vue'), meta: { nav: { label: 'nav.overview', section: 'main', icon: 'home' } } },
  { path: '/sites/:siteId', name: 'site', component: () => import('../views/SiteView.vue'), props: true },
  { path: '/sites/:siteId/historial', name: 'site-history', component: () => import('../views/HistoryView.vue'), props: true },
  {
    path: '/alarmas',
    name: 'alarms',
    component: () => import('../views/AlarmsView.vue'),
    meta: { nav: { label: 'nav.alarms', section: 'main', icon: 'bell', permission: 'alarms.read' } },
  },
  {
    path: '/actividad',
    name: 'activity',
    component: () => import('../views/ActivityView.vue'),
    meta: { nav: { label: 'nav.activity', section: 'main', icon: 'pulse', permission: 'sites.read' } },
  },
  {
    path: '/equipos',
    name: 'fleet',
    component: () => import('../views/FleetView.vue'),
    meta: { nav: { label: 'nav.fleet', section: 'main', icon: 'chip', permission: 'fleet.read' } },
  },
  { path: '/equipos/:gatewayId', name: 'gateway', component: () => import('../views/GatewayView.vue'), props: true },
  {
    path: '/reglas/:gatewayId?',
    name: 'rules',
    component: () => import('../views/RulesView.vue'),
    props: true,
    meta: { nav: { label: 'nav.rules', section: 'more', icon: 'rule', permission: 'fleet.read' } },
  },
  {
    path: '/reportes',
    name: 'reports',
    component: () => import('../views/ReportsView.vue'),
    meta: { nav: { label: 'nav.reports', section: 'more', icon: 'report', permission: 'telemetry.export' } },
  },
  {
    path: '/usuarios',
    name: 'users',
    component: () => import('../views/UsersView.vue'),
    meta: { nav: { label: 'nav.users', section: 'more', icon: 'people', permission: 'users.read' } },
  },
  {
    path: '/auditoria',
    name: 'audit',
    component: () => import('../views/AuditView.vue'),
    meta: { nav: { label: 'nav.audit', section: 'more', icon: 'log', permission: 'audit.read' } },
  },
  // Commercial modules (issue 8).
  {
    path: '/clientes',
    name: 'crm',
    component: () => import('../views/CrmView.vue'),
    meta: { nav: { label: 'nav.crm', section: 'more', icon: 'contacts', permission: 'crm.read' } },
  },
  {
    path: '/locales',
    name: 'leasing',
    component: () => import('../views/LeasingView.vue'),
    meta: { nav: { label: 'nav.leasing', section: 'more', icon: 'store', permission: 'leasing.read' } },
  },
  {
    path: '/facturacion',
    name: 'billing',
    component: () => import('../views/BillingView.vue'),
    meta: { nav: { label: 'nav.billing', section: 'more', icon: 'invoice', permission: 'billing.read' } },
  },
  {
    path: '/turnos',
    name: 'appointments',
    component: () => import('../views/AppointmentsView.vue'),
    meta: { nav: { label: 'nav.appointments', section: 'more', icon: 'calendar', permission: 'appointments.read' } },
  },
  {
    path: '/mi-local',
    name: 'portal',
    component: () => import('../views/PortalView.vue'),
    meta: { nav: { label: 'nav.portal', section: 'more', icon: 'portal', permission: 'portal.read' } },
  },
  {
    path: '/plataforma',
    name: 'saas',
    component: () => import('../views/SaasView.vue'),
    meta: { nav: { label: 'nav.saas', section: 'more', icon: 'platform', permission: 'saas.manage' } },
  },
  // The public booking page of a medical centre or a salon, and a client's link to their booking.
  { path: '/reservar/:slug', name: 'booking-page', component: () => import('../views/PublicBookingView.vue'), props: true, meta: { public: true } },
  // A client's booking from the link in their mail (confirm, cancel), and a waiting-list offer.
  { path: '/reserva/oferta/:token', name: 'booking-offer', component: () => import('../views/PublicOfferView.vue'), props: true, meta: { public: true } },
  { path: '/reserva/:token', name: 'booking-link', component: () => import('../views/PublicBookingLinkView.vue'), props: true, meta: { public: true } },
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

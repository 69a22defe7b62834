import { createPinia } from 'pinia'
import { createApp } from 'vue'
import App from './App.vue'
import { configureApiClient } from './api/client.js'
import { currentLocale, i18n } from './i18n/index.js'
import { registerServiceWorker } from './pwa/index.js'
import { createAppRouter } from './router/index.js'
import { useSessionStore } from './stores/session.js'
import './styles/main.css'
import './styles/panels.css'

const app = createApp(App)
const pinia = createPinia()
app.use(pinia)

const session = useSessionStore(pinia)
configureApiClient({
  getToken: () => session.token,
  // App.vue sends the user to /login when the session ends.
  onUnauthorized: () => session.logout(),
  refresh: () => session.refresh(),
})

document.documentElement.lang = currentLocale()
app.use(i18n)
app.use(createAppRouter())
app.mount('#app')
// Production builds only: the app shell and the last loaded views stay readable offline.
registerServiceWorker()
// Permissions may have changed since this device last asked (a new role, a new grant).
void session.loadMe()

import { defineConfig } from 'vitest/config'
import vue from '@vitejs/plugin-vue'
import { serviceWorkerPlugin } from './scripts/service-worker-plugin.js'

// The cloud (default port 8080) serves the API and Socket.IO; in development Vite proxies
// both so the dashboard always talks to its own origin, exactly like in production where
// the cloud serves dashboard/dist.
const CLOUD_DEV_URL = 'http://127.0.0.1:8080'

export default defineConfig({
  // The PWA's service worker (src/pwa/sw.ts), built after the app with its file list.
  plugins: [vue(), serviceWorkerPlugin({ entry: 'src/pwa/sw.ts' })],
  // vue-i18n's esm-bundler build reads these compile-time flags; we use only the
  // Composition API, so the legacy API is tree-shaken away.
  define: {
    __VUE_I18N_FULL_INSTALL__: true,
    __VUE_I18N_LEGACY_API__: false,
    __INTLIFY_PROD_DEVTOOLS__: false,
  },
  server: {
    proxy: {
      '/api': { target: CLOUD_DEV_URL, changeOrigin: true },
      '/socket.io': { target: CLOUD_DEV_URL, changeOrigin: true, ws: true },
    },
  },
  build: { outDir: 'dist', emptyOutDir: true },
  test: { name: 'dashboard', environment: 'happy-dom', include: ['src/**/*.test.ts'] },
})

/// <reference types="node" />
// Builds src/pwa/sw.ts into dist/sw.js after the app bundle, with the list of files to
// precache (every emitted file plus public/) and a version that changes whenever one of
// them does, so browsers install the new worker. Our own ~60 lines instead of
// vite-plugin-pwa: workbox-build would add Babel, Rollup and terser to the install for a
// worker whose interesting part (the API cache and its offline stamp) is custom anyway.
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { build, type Plugin, type ResolvedConfig } from 'vite'

const SW_FILE = 'sw.js'

function filesUnder(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => join(entry.parentPath, entry.name))
  } catch {
    return []
  }
}

export function serviceWorkerPlugin(options: { entry: string }): Plugin {
  let config: ResolvedConfig
  return {
    name: 'tendero-service-worker',
    apply: 'build',
    // After Vite's own HTML plugin, so index.html is in the bundle with its final tags.
    enforce: 'post',
    // Tells the app (pwa/index.ts) that this build comes with a worker to register. Not
    // `import.meta.env.PROD`: that follows NODE_ENV, which a test runner sets to `test`
    // even for a real build; and `vite dev` (no plugin, no worker) registers nothing.
    config: () => ({ define: { __TENDERO_SERVICE_WORKER__: JSON.stringify(SW_FILE) } }),
    configResolved(resolved) {
      config = resolved
    },
    async generateBundle(_output, bundle) {
      const hash = createHash('sha256')
      const files: string[] = []
      for (const file of Object.values(bundle)) {
        if (file.fileName.endsWith('.map') || file.fileName === SW_FILE) continue
        files.push(file.fileName)
        hash.update(file.fileName)
        hash.update(file.type === 'asset' ? file.source : file.code)
      }
      if (config.publicDir) {
        for (const path of filesUnder(config.publicDir)) {
          const name = relative(config.publicDir, path).split('\\').join('/')
          if (name === SW_FILE) continue
          files.push(name)
          hash.update(name)
          hash.update(readFileSync(path))
        }
      }
      // Offline, every page is index.html (the router reads the URL): the shell needs it.
      if (!files.includes('index.html')) throw new Error('service worker: index.html is not in the bundle to precache')
      const urls = files.sort().map((name) => `${config.base}${name}`)
      const version = hash.digest('hex').slice(0, 12)

      // A worker cannot rely on module workers everywhere yet: one classic script, no imports.
      const result = await build({
        configFile: false,
        root: config.root,
        publicDir: false,
        logLevel: 'warn',
        define: {
          __PRECACHE_MANIFEST__: JSON.stringify(urls),
          __PRECACHE_VERSION__: JSON.stringify(version),
        },
        build: {
          write: false,
          minify: config.build.minify !== false,
          sourcemap: false,
          lib: { entry: options.entry, formats: ['iife'], name: 'tenderoServiceWorker', fileName: () => SW_FILE },
        },
      })
      const outputs = Array.isArray(result) ? result : [result]
      const chunk = outputs
        .flatMap((out) => ('output' in out ? out.output : []))
        .find((item) => item.type === 'chunk')
      if (!chunk || chunk.type !== 'chunk') throw new Error('service worker build produced no script')
      this.emitFile({ type: 'asset', fileName: SW_FILE, source: chunk.code })
    },
  }
}

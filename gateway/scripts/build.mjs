// Bundles the gateway into one ES module for production: `node gateway/dist/main.mjs`.
// npm packages stay external (better-sqlite3 is native; the rest load from node_modules),
// the workspace's own TypeScript (@tendero/protocol, src/) is compiled in. Running without
// tsx saves its loader and on-the-fly compiling, about 30 MB of RSS (bench gateway-rss).
import { readFileSync } from 'node:fs'
import { build } from 'esbuild'

const root = new URL('../', import.meta.url)
const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'))
const external = Object.keys(pkg.dependencies).filter((name) => !name.startsWith('@tendero/'))

await build({
  entryPoints: [new URL('src/main.ts', root).pathname],
  outfile: new URL('dist/main.mjs', root).pathname,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  external,
  // A few CommonJS dependencies of bundled code call require(); give ESM one.
  banner: { js: "import { createRequire as __tenderoRequire } from 'node:module'; const require = __tenderoRequire(import.meta.url);" },
  logLevel: 'warning',
})
console.log('gateway/dist/main.mjs built')

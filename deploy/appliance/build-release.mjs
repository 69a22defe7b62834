#!/usr/bin/env node
// Makes a self-contained gateway release from this repo, without the network:
//
//   node deploy/appliance/build-release.mjs [--version 0.1.0-abc1234] [--out .data/releases] [--no-tar]
//
// The result, `<out>/tendero-gateway-<version>/` and `<out>/tendero-gateway-<version>-<platform>-<arch>.tar.gz`,
// holds the esbuild bundle (dist/main.mjs + map), the example site configs, a package.json,
// the gateway's production node_modules copied from the repo's installed tree, the appliance
// files (install.sh, systemd unit, logrotate) and a RELEASE manifest. `node dist/main.mjs`
// runs from that directory alone.
//
// better-sqlite3 and @serialport/bindings-cpp are native: the copy carries the binaries
// built for THIS machine's arch and Node ABI (recorded in RELEASE; install.sh refuses a
// mismatch). Build the release on the same arch and Node major as the appliance, or on it.
import { execFileSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { basename, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

// Top-level folders of a package that never load at run time.
const NOT_RUNTIME_DIRS = new Set(['.github', 'test', 'tests', '__tests__', 'example', 'examples', 'bench', 'benchmark', 'benchmarks', 'docs', 'coverage'])

const repo = fileURLToPath(new URL('../../', import.meta.url))
const appliance = fileURLToPath(new URL('./', import.meta.url))
const gatewayDir = join(repo, 'gateway')

const { values: args } = parseArgs({
  options: {
    version: { type: 'string' },
    out: { type: 'string', default: join(repo, '.data/releases') },
    'no-tar': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
})
if (args.help) {
  console.log('usage: node deploy/appliance/build-release.mjs [--version V] [--out DIR] [--no-tar]')
  process.exit(0)
}

function fail(message) {
  process.stderr.write(`build-release: ${message}\n`)
  process.exit(1)
}

const gatewayPkg = JSON.parse(readFileSync(join(gatewayDir, 'package.json'), 'utf8'))
const bundle = join(gatewayDir, 'dist/main.mjs')
if (!existsSync(bundle)) fail('gateway/dist/main.mjs is missing: run `npm run build -w @tendero/gateway` first')
const newestSource = newestMtime(join(gatewayDir, 'src'), join(repo, 'protocol/src'))
if (statSync(bundle).mtimeMs < newestSource)
  fail('gateway/dist/main.mjs is older than the sources: run `npm run build -w @tendero/gateway` again')

const version = args.version ?? defaultVersion(gatewayPkg.version)
if (!/^[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}$/.test(version)) fail(`--version: letters, digits and . + _ - only, got "${version}"`)

const name = `tendero-gateway-${version}`
const outDir = args.out
const finalDir = join(outDir, name)
// Built beside its final place and renamed at the end, so a failed build never leaves a
// half-filled release that looks complete.
const stage = join(outDir, `.${name}.tmp-${process.pid}`)
rmSync(stage, { recursive: true, force: true })
mkdirSync(stage, { recursive: true })
process.on('exit', () => rmSync(stage, { recursive: true, force: true }))

cpSync(bundle, join(stage, 'dist/main.mjs'))
if (existsSync(`${bundle}.map`)) cpSync(`${bundle}.map`, join(stage, 'dist/main.mjs.map'))
// The bundle resolves its default site config as ../config/demo.json from dist/.
cpSync(join(gatewayDir, 'config'), join(stage, 'config'), { recursive: true })

for (const file of ['install.sh', 'tendero-gateway.service', 'gateway.env.example', 'site.example.json'])
  cpSync(join(appliance, file), join(stage, 'appliance', file))
cpSync(join(appliance, 'logrotate'), join(stage, 'appliance/logrotate'), { recursive: true })

const packages = productionPackages()
for (const pkgDir of packages) copyPackage(pkgDir, join(stage, relative(repo, pkgDir)))

const dependencies = Object.fromEntries(Object.entries(gatewayPkg.dependencies).filter(([dep]) => !dep.startsWith('@tendero/')))
writeFileSync(
  join(stage, 'package.json'),
  `${JSON.stringify(
    {
      name: 'tendero-gateway-release',
      version,
      private: true,
      type: 'module',
      description: 'Tendero gateway release: node dist/main.mjs',
      engines: { node: '>=20.19' },
      scripts: { start: 'MALLOC_MMAP_THRESHOLD_=131072 node dist/main.mjs' },
      dependencies,
    },
    null,
    2,
  )}\n`,
)
// Read by install.sh (key=value, no spaces): the ABI and arch are what the native modules were built for.
const manifest = {
  version,
  commit: git(['rev-parse', 'HEAD']) ?? 'unknown',
  built_at: new Date().toISOString(),
  node: process.versions.node,
  node_abi: process.versions.modules,
  platform: process.platform,
  arch: process.arch,
  packages: String(packages.length),
}
writeFileSync(join(stage, 'RELEASE'), Object.entries(manifest).map(([k, v]) => `${k}=${v}`).join('\n') + '\n')

rmSync(finalDir, { recursive: true, force: true })
renameSync(stage, finalDir)
console.log(`release ${version}: ${finalDir} (${packages.length} packages, node ABI ${process.versions.modules}, ${process.platform}-${process.arch})`)

if (!args['no-tar']) {
  const tarball = join(outDir, `${name}-${process.platform}-${process.arch}.tar.gz`)
  execFileSync('tar', ['-C', outDir, '-czf', tarball, name], { stdio: 'inherit' })
  console.log(`tarball: ${tarball}`)
}

/**
 * The installed directories of the gateway's production dependencies, transitively, as
 * npm resolved them in this repo (hoisted or nested). The workspace's own packages are
 * left out: esbuild compiled them into the bundle.
 */
function productionPackages() {
  let out
  try {
    out = execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable', '-w', '@tendero/gateway'], {
      cwd: repo,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 16 * 1024 * 1024,
    })
  } catch (err) {
    // npm ls exits 1 on an extraneous or invalid tree but still prints it; a missing dependency is fatal.
    out = err.stdout ?? ''
    if (/missing/i.test(String(err.stderr))) fail(`npm ls reports missing packages:\n${err.stderr}`)
  }
  const dirs = out
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.includes(`${'/'}node_modules${'/'}`) && !relative(repo, line).startsWith('node_modules/@tendero/'))
  if (!dirs.some((d) => d.endsWith('/node_modules/better-sqlite3'))) fail('npm ls did not list better-sqlite3: is node_modules installed?')
  return [...new Set(dirs)].sort()
}

/**
 * Copies one package without its nested node_modules (those are listed on their own and
 * may hold dev-only packages), without native build leftovers (object files, static
 * libraries, better-sqlite3's SQLite sources: a third of the size) and without files that
 * never load (type declarations, docs, tests, dependencies' source maps): fewer files
 * make the install and each upgrade's copy faster on an SD card.
 */
function copyPackage(from, to) {
  const isSqlite = basename(from) === 'better-sqlite3'
  cpSync(from, to, {
    recursive: true,
    dereference: false,
    filter: (src) => {
      const rel = relative(from, src)
      if (rel === '') return true
      const parts = rel.split('/')
      const name = parts[parts.length - 1]
      if (parts[0] === 'node_modules' || NOT_RUNTIME_DIRS.has(parts[0])) return false
      if (parts.length === 1 && name.startsWith('.')) return false
      if (parts[0] === 'build' && parts.some((p) => p === 'obj' || p === 'obj.target' || p === '.deps')) return false
      if (isSqlite && (parts[0] === 'deps' || parts[0] === 'src')) return false
      return !/\.(a|o|md|markdown|map)$|\.d\.[cm]?ts$/.test(name)
    },
  })
}

function newestMtime(...dirs) {
  let newest = 0
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) walk(path)
      else if (!entry.name.endsWith('.test.ts')) newest = Math.max(newest, statSync(path).mtimeMs)
    }
  }
  for (const dir of dirs) walk(dir)
  return newest
}

function git(argv) {
  try {
    return execFileSync('git', argv, { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
  } catch {
    return undefined
  }
}

function defaultVersion(pkgVersion) {
  const sha = git(['rev-parse', '--short', 'HEAD'])
  if (!sha) return pkgVersion
  const dirty = git(['status', '--porcelain', '--', 'gateway', 'protocol']) ? '.dirty' : ''
  return `${pkgVersion}-${sha}${dirty}`
}

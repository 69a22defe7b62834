/**
 * Structural checks of docker-compose.yml, which cannot run here (no Docker engine).
 * `checkCompose` returns every problem it finds as a sentence, so a test can feed it a
 * broken copy and see each check fail. The environment given to the cloud and the gateway
 * goes through their own config loaders, watched by a proxy that records which variables
 * they read: a variable they never read is a typo or a leftover.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { isAbsolute, join, resolve } from 'node:path'
import { parse } from 'yaml'
import { loadConfig as loadCloudConfig } from '../../cloud/src/config.js'
import { loadConfig as loadGatewayConfig } from '../../gateway/src/config.js'

export type Doc = Record<string, unknown>
interface Service {
  image?: string
  build?: string | { context?: string; dockerfile?: string }
  environment?: Record<string, unknown> | string[]
  volumes?: (string | { type?: string; source?: string; target?: string })[]
  ports?: (string | number | { target?: number; published?: string | number; host_ip?: string })[]
  depends_on?: string[] | Record<string, { condition?: string }>
  healthcheck?: { test?: string | string[]; interval?: string; disable?: boolean }
  command?: string | string[]
}

export const REQUIRED_SERVICES = ['cloud', 'postgres', 'redis', 'gateway', 'influxdb', 'grafana', 'prometheus', 'node-red']

/** What each service's healthcheck must run (a tool its image really has) and ask. */
const HEALTH: Record<string, { tools: string[]; url?: { port: (env: Record<string, string>) => number; path: string }; arg?: string }> = {
  cloud: { tools: ['node'], url: { port: (env) => Number(env.CLOUD_PORT ?? 8080), path: '/api/health' } },
  gateway: { tools: ['node'], url: { port: (env) => Number(env.GATEWAY_API_PORT ?? 8090), path: '/health' } },
  // The nodered/node-red image ships /healthcheck.js, which reads the port from its settings.
  'node-red': { tools: ['node'], arg: '/healthcheck.js' },
  postgres: { tools: ['pg_isready'] },
  redis: { tools: ['redis-cli'] },
  // influxdb:1.8 is Debian with curl; grafana (Alpine) and prom/prometheus (busybox) have wget.
  influxdb: { tools: ['curl', 'influx'], url: { port: () => 8086, path: '/ping' } },
  grafana: { tools: ['wget', 'curl'], url: { port: () => 3000, path: '/api/health' } },
  prometheus: { tools: ['wget'], url: { port: () => 9090, path: '/-/healthy' } },
}

/** Where each stateful service keeps its data inside the container. */
const DATA_PATHS: Record<string, (env: Record<string, string>) => string> = {
  postgres: () => '/var/lib/postgresql/data',
  redis: () => '/data',
  cloud: (env) => env.CLOUD_DATA_DIR ?? '/var/lib/tendero/cloud',
  gateway: (env) => env.GATEWAY_DATA_DIR ?? '/var/lib/tendero/gateway',
  influxdb: () => '/var/lib/influxdb',
  prometheus: () => '/prometheus',
  grafana: () => '/var/lib/grafana',
  'node-red': () => '/data',
}

/** ARCHITECTURE.md defaults, plus Grafana's and Prometheus' own. Published as host = container. */
export const PORTS: Record<string, number[]> = {
  cloud: [8080],
  gateway: [1883, 8883, 8090],
  'node-red': [1880],
  grafana: [3000],
  prometheus: [9090],
}

/** Read by Node, glibc or the base image rather than the app's config module. */
const RUNTIME_ENV = new Set(['NODE_ENV', 'NODE_OPTIONS', 'TZ', 'MALLOC_MMAP_THRESHOLD_'])

/**
 * Compose's variable substitution: ${VAR}, ${VAR:-default}, ${VAR-default},
 * ${VAR:?message}, ${VAR?message}, and $$ for a literal $. A missing required variable
 * is recorded in `missing` (compose would refuse to start with its message).
 */
export function interpolate(text: string, vars: Record<string, string | undefined>, missing: Map<string, string>): string {
  return text.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (all, name?: string, op?: string, arg?: string, bare?: string) => {
    if (all === '$$') return '$'
    const key = (name ?? bare)!
    const value = vars[key]
    const unset = value === undefined || (op?.startsWith(':') === true && value === '')
    if (op === ':-' || op === '-') return unset ? (arg ?? '') : value!
    if (op === ':?' || op === '?') {
      if (unset) missing.set(key, arg ?? '')
      return value ?? ''
    }
    return value ?? ''
  })
}

/** Parses compose YAML (anchors and merge keys resolved) and substitutes variables everywhere. */
export function loadCompose(text: string, vars: Record<string, string | undefined>): { doc: Doc; missing: Map<string, string> } {
  const missing = new Map<string, string>()
  const walk = (value: unknown): unknown => {
    if (typeof value === 'string') return interpolate(value, vars, missing)
    if (Array.isArray(value)) return value.map(walk)
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v)]))
    return value
  }
  const doc = walk(parse(text, { merge: true })) as Doc
  return { doc, missing }
}

function envOf(svc: Service): Record<string, string> {
  const env = svc.environment
  if (!env) return {}
  if (Array.isArray(env)) return Object.fromEntries(env.map((kv) => kv.split(/=(.*)/s).slice(0, 2) as [string, string]))
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null || v === undefined ? '' : String(v)]))
}

interface Mount {
  kind: 'volume' | 'bind'
  source: string
  target: string
}
function mountsOf(svc: Service): Mount[] {
  return (svc.volumes ?? []).map((v) => {
    if (typeof v === 'string') {
      const [source = '', target = ''] = v.split(':')
      return { kind: /^[./~]/.test(source) ? 'bind' : 'volume', source, target }
    }
    return { kind: v.type === 'bind' ? 'bind' : 'volume', source: v.source ?? '', target: v.target ?? '' }
  })
}

function publishedPorts(svc: Service): { host: number; container: number }[] {
  return (svc.ports ?? []).map((p) => {
    if (typeof p === 'object') return { host: Number(p.published), container: Number(p.target) }
    const parts = String(p).split('/')[0]!.split(':')
    const container = Number(parts[parts.length - 1])
    return { host: parts.length >= 2 ? Number(parts[parts.length - 2]) : container, container }
  })
}

function healthCommand(test: string | string[]): string[] {
  if (typeof test === 'string') return test.split(/\s+/)
  if (test[0] === 'CMD') return test.slice(1)
  if (test[0] === 'CMD-SHELL') return (test[1] ?? '').trim().split(/\s+/)
  return []
}

/** Runs a config loader on `env` and returns the variables it read, or its error. */
function readsOf(load: (env: Record<string, string | undefined>) => unknown, env: Record<string, string>): { reads: Set<string>; error?: string } {
  const reads = new Set<string>()
  const proxy = new Proxy(env, {
    get(target, key) {
      if (typeof key === 'string') reads.add(key)
      return target[key as string]
    },
  })
  try {
    load(proxy)
    return { reads }
  } catch (err) {
    return { reads, error: (err as Error).message }
  }
}

/** The image names and tags of every FROM in a Dockerfile, the source paths its COPY lines take from the context, and its USER. */
function readDockerfile(path: string): { froms: string[]; copies: string[]; users: string[]; stages: Set<string> } {
  const lines = readFileSync(path, 'utf8').replace(/\\\n/g, ' ').split('\n').map((l) => l.trim())
  const froms: string[] = []
  const copies: string[] = []
  const users: string[] = []
  const stages = new Set<string>()
  for (const line of lines) {
    const from = /^FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?/i.exec(line)
    if (from) {
      froms.push(from[1]!)
      if (from[2]) stages.add(from[2].toLowerCase())
      users.length = 0 // only the final stage's USER matters
    }
    const user = /^USER\s+(\S+)/i.exec(line)
    if (user) users.push(user[1]!)
    const copy = /^(?:COPY|ADD)\s+(.*)$/i.exec(line)
    if (copy && !/--from=/.test(copy[1]!)) {
      const args = copy[1]!.split(/\s+/).filter((a) => !a.startsWith('--'))
      copies.push(...args.slice(0, -1))
    }
  }
  return { froms, copies, users, stages }
}

function tagProblem(where: string, ref: string): string | undefined {
  const lastSegment = ref.split('/').pop()!
  const tag = lastSegment.includes('@') ? 'digest' : lastSegment.split(':')[1]
  if (!tag) return `${where}: image "${ref}" has no tag (means latest)`
  if (tag === 'latest') return `${where}: image "${ref}" uses the latest tag`
  return undefined
}

export interface CheckContext {
  /** The folder docker-compose.yml lives in: relative paths start there. */
  repo: string
}

export function checkCompose(doc: Doc, ctx: CheckContext): string[] {
  const problems: string[] = []
  const services = (doc.services ?? {}) as Record<string, Service>
  const declaredVolumes = new Set(Object.keys((doc.volumes ?? {}) as object))
  const hostPath = (p: string) => (isAbsolute(p) ? p : resolve(ctx.repo, p))

  for (const name of REQUIRED_SERVICES) if (!services[name]) problems.push(`service ${name} is missing`)

  for (const [name, svc] of Object.entries(services)) {
    const env = envOf(svc)
    // Healthchecks: present, timed, with a tool the image has, asking the right port and path.
    const hc = svc.healthcheck
    if (!hc?.test || hc.disable || (Array.isArray(hc.test) && hc.test[0] === 'NONE')) problems.push(`${name}: no healthcheck`)
    else {
      if (!hc.interval) problems.push(`${name}: healthcheck has no interval`)
      const argv = healthCommand(hc.test)
      const spec = HEALTH[name]
      if (spec) {
        if (!spec.tools.includes(argv[0] ?? '')) problems.push(`${name}: healthcheck runs "${argv[0]}", which its image lacks (use ${spec.tools.join(' or ')})`)
        const joined = argv.join(' ')
        if (spec.url) {
          const m = /https?:\/\/(?:127\.0\.0\.1|localhost|\[::1\]):(\d+)(\/[^'"\s)]*)/.exec(joined)
          const want = `:${spec.url.port(env)}${spec.url.path}`
          if (!m) problems.push(`${name}: healthcheck asks no local URL (expected ${want})`)
          else if (`:${m[1]}${m[2]}` !== want) problems.push(`${name}: healthcheck asks :${m[1]}${m[2]}, the service answers ${want}`)
        }
        if (spec.arg && !argv.includes(spec.arg)) problems.push(`${name}: healthcheck should run ${spec.arg}`)
      }
    }

    // Volumes: data on a declared named volume; bind mounts from paths that exist.
    const mounts = mountsOf(svc)
    for (const m of mounts) {
      if (m.kind === 'volume' && !declaredVolumes.has(m.source)) problems.push(`${name}: volume "${m.source}" is not declared under top-level volumes`)
      if (m.kind === 'bind' && !existsSync(hostPath(m.source))) problems.push(`${name}: bind mount source ${m.source} does not exist in the repo`)
    }
    const dataPath = DATA_PATHS[name]?.(env)
    if (dataPath && !mounts.some((m) => m.kind === 'volume' && m.target === dataPath)) problems.push(`${name}: ${dataPath} is not on a named volume`)

    // depends_on: targets exist; wait for health where the target has a healthcheck.
    const deps: Record<string, { condition?: string }> = Array.isArray(svc.depends_on)
      ? Object.fromEntries(svc.depends_on.map((d) => [d, {}]))
      : (svc.depends_on ?? {})
    for (const [dep, opts] of Object.entries(deps)) {
      const target = services[dep]
      if (!target) problems.push(`${name}: depends_on ${dep}, which is not a service`)
      else if (target.healthcheck?.test && opts.condition !== 'service_healthy')
        problems.push(`${name}: depends_on ${dep} should use condition: service_healthy (it has a healthcheck)`)
    }

    // Ports: the architecture's defaults, host port = container port.
    const allowed = PORTS[name] ?? []
    const published = publishedPorts(svc)
    for (const p of published) {
      if (!allowed.includes(p.container)) problems.push(`${name}: publishes container port ${p.container}, not one of its defaults (${allowed.join(', ') || 'none'})`)
      else if (p.host !== p.container) problems.push(`${name}: publishes ${p.container} as host port ${p.host}; the default is ${p.container}`)
    }
    if (['cloud', 'gateway', 'node-red'].includes(name))
      for (const port of allowed) if (!published.some((p) => p.container === port)) problems.push(`${name}: port ${port} is not published`)

    // Images: tagged, never latest. Builds: context, Dockerfile and what it copies exist.
    if (svc.image) {
      const problem = tagProblem(name, svc.image)
      if (problem) problems.push(problem)
    }
    if (svc.build) {
      const build = typeof svc.build === 'string' ? { context: svc.build } : svc.build
      const context = hostPath(build.context ?? '.')
      const dockerfile = join(context, build.dockerfile ?? 'Dockerfile')
      if (!existsSync(context)) problems.push(`${name}: build context ${build.context} does not exist`)
      else if (!existsSync(dockerfile)) problems.push(`${name}: Dockerfile ${build.dockerfile} does not exist`)
      else {
        const df = readDockerfile(dockerfile)
        for (const from of df.froms) {
          if (df.stages.has(from.toLowerCase())) continue
          const problem = tagProblem(`${name} (${build.dockerfile})`, from)
          if (problem) problems.push(problem)
        }
        for (const src of df.copies) if (!src.includes('*') && !existsSync(join(context, src))) problems.push(`${name}: ${build.dockerfile} copies ${src}, which does not exist`)
        const user = df.users[df.users.length - 1]
        if (!user || /^(root|0)(:|$)/.test(user)) problems.push(`${name}: ${build.dockerfile} runs as root (no USER in its final stage)`)
        if (!existsSync(join(context, '.dockerignore'))) problems.push(`${name}: no .dockerignore in the build context (node_modules would be sent)`)
      }
    }
  }
  problems.push(...checkAppEnvironment(services, ctx))
  problems.push(...checkMonitoring(services, ctx))
  return problems
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.(js|cjs|json|html)$/.test(e.name))
    .map((e) => join(e.parentPath, e.name))
}

function yamlFiles(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).map((f) => join(dir, f)) : []
}

/**
 * What Grafana and Prometheus read through their mounts must point at this compose
 * project: dashboard provider paths at a mounted folder, data sources and scrape targets
 * at the services' names and ports.
 */
function checkMonitoring(services: Record<string, Service>, ctx: CheckContext): string[] {
  const problems: string[] = []
  const grafana = services.grafana
  const prometheus = services.prometheus
  const hostOf = (svc: Service, target: string) => {
    const m = mountsOf(svc).find((mount) => mount.kind === 'bind' && mount.target === target)
    return m ? (isAbsolute(m.source) ? m.source : resolve(ctx.repo, m.source)) : undefined
  }
  const gatewayEnv = services.gateway ? envOf(services.gateway) : {}
  const cloudEnv = services.cloud ? envOf(services.cloud) : {}
  const influxDb = services.influxdb ? envOf(services.influxdb).INFLUXDB_DB : undefined
  if (grafana) {
    const mounts = mountsOf(grafana)
    const providers = hostOf(grafana, '/etc/grafana/provisioning/dashboards')
    const datasources = hostOf(grafana, '/etc/grafana/provisioning/datasources')
    if (!providers) problems.push('grafana: nothing mounted at /etc/grafana/provisioning/dashboards')
    if (!datasources) problems.push('grafana: nothing mounted at /etc/grafana/provisioning/datasources')
    const providerFiles = providers ? yamlFiles(providers) : []
    if (providers && providerFiles.length === 0) problems.push(`grafana: no dashboard provider YAML in ${providers}`)
    for (const file of providerFiles) {
      const doc = parse(readFileSync(file, 'utf8')) as { providers?: { options?: { path?: string } }[] }
      for (const provider of doc.providers ?? []) {
        const path = provider.options?.path ?? ''
        const mount = mounts.find((m) => m.kind === 'bind' && (path === m.target || path.startsWith(`${m.target}/`)))
        if (!mount) problems.push(`grafana: dashboard provider path ${path} (${file}) is not a mounted folder`)
        else if (existsSync(resolve(ctx.repo, mount.source)) && readdirSync(resolve(ctx.repo, mount.source)).every((f) => !f.endsWith('.json'))) problems.push(`grafana: no dashboard JSON in ${mount.source}`)
      }
    }
    const dsFiles = datasources ? yamlFiles(datasources) : []
    if (datasources && dsFiles.length === 0) problems.push(`grafana: no data source YAML in ${datasources}`)
    const urls = dsFiles.flatMap((file) => ((parse(readFileSync(file, 'utf8')) as { datasources?: { url?: string; jsonData?: { dbName?: string } }[] }).datasources ?? []))
    if (dsFiles.length > 0) {
      if (!urls.some((d) => d.url === 'http://prometheus:9090')) problems.push('grafana: no data source at http://prometheus:9090')
      const influx = urls.find((d) => d.url === 'http://influxdb:8086')
      if (!influx) problems.push('grafana: no data source at http://influxdb:8086')
      else if (influx.jsonData?.dbName !== influxDb) problems.push(`grafana: the InfluxDB data source reads ${influx.jsonData?.dbName}, the gateway writes ${influxDb}`)
    }
  }
  if (prometheus) {
    const config = hostOf(prometheus, '/etc/prometheus/prometheus.yml')
    if (!config) problems.push('prometheus: nothing mounted at /etc/prometheus/prometheus.yml')
    else if (existsSync(config)) {
      const doc = parse(readFileSync(config, 'utf8')) as { scrape_configs?: { static_configs?: { targets?: string[] }[] }[] }
      const targets = (doc.scrape_configs ?? []).flatMap((c) => (c.static_configs ?? []).flatMap((s) => s.targets ?? []))
      for (const want of [`cloud:${cloudEnv.CLOUD_PORT ?? '8080'}`, `gateway:${gatewayEnv.GATEWAY_API_PORT ?? '8090'}`])
        if (!targets.includes(want)) problems.push(`prometheus: does not scrape ${want}`)
    }
  }
  return problems
}

/** The cloud's and the gateway's environment, through their own config loaders, and how they point at each other. */
function checkAppEnvironment(services: Record<string, Service>, ctx: CheckContext): string[] {
  const problems: string[] = []
  const cloud = services.cloud ? envOf(services.cloud) : undefined
  const gateway = services.gateway ? envOf(services.gateway) : undefined
  const postgres = services.postgres ? envOf(services.postgres) : {}
  const influx = services.influxdb ? envOf(services.influxdb) : {}

  if (cloud) {
    for (const key of ['DATABASE_URL', 'REDIS_URL', 'PUBLIC_URL', 'JWT_SECRET']) if (!cloud[key]) problems.push(`cloud: ${key} is not set`)
    const { reads, error } = readsOf(loadCloudConfig, cloud)
    if (error) problems.push(`cloud: its config refuses the environment: ${error}`)
    for (const key of Object.keys(cloud)) if (!reads.has(key) && !RUNTIME_ENV.has(key)) problems.push(`cloud: ${key} is not read by cloud/src/config.ts`)
    if (cloud.DATABASE_URL && URL.canParse(cloud.DATABASE_URL)) {
      const db = new URL(cloud.DATABASE_URL)
      if (db.hostname !== 'postgres' || db.port !== '5432') problems.push(`cloud: DATABASE_URL should reach postgres:5432, not ${db.host}`)
      if (decodeURIComponent(db.username) !== postgres.POSTGRES_USER || decodeURIComponent(db.password) !== postgres.POSTGRES_PASSWORD || db.pathname !== `/${postgres.POSTGRES_DB}`)
        problems.push('cloud: DATABASE_URL user, password and database must be the postgres service\'s')
    }
    if (cloud.REDIS_URL && URL.canParse(cloud.REDIS_URL) && new URL(cloud.REDIS_URL).hostname !== 'redis') problems.push('cloud: REDIS_URL should reach the redis service')
  }

  if (gateway) {
    for (const key of ['CLOUD_URL', 'GATEWAY_DATA_DIR', 'GATEWAY_INFLUX_URL']) if (!gateway[key]) problems.push(`gateway: ${key} is not set`)
    if (!gateway.GATEWAY_KEY && !gateway.GATEWAY_CLAIM_CODE) problems.push('gateway: neither GATEWAY_KEY nor GATEWAY_CLAIM_CODE is set')
    // The loader reads the site config and the data directory: map them to the host.
    const scratch = mkdtempSync(join(tmpdir(), 'tendero-compose-check-'))
    try {
      const local: Record<string, string> = { ...gateway, GATEWAY_DATA_DIR: scratch }
      if (gateway.GATEWAY_CONFIG) {
        const mount = mountsOf(services.gateway!).find((m) => m.kind === 'bind' && m.target === gateway.GATEWAY_CONFIG)
        if (!mount) problems.push(`gateway: GATEWAY_CONFIG ${gateway.GATEWAY_CONFIG} is not a mounted file`)
        else local.GATEWAY_CONFIG = isAbsolute(mount.source) ? mount.source : resolve(ctx.repo, mount.source)
      }
      const { reads, error } = readsOf(loadGatewayConfig, local)
      if (error) problems.push(`gateway: its config refuses the environment: ${error}`)
      for (const key of Object.keys(gateway)) if (!reads.has(key) && !RUNTIME_ENV.has(key)) problems.push(`gateway: ${key} is not read by gateway/src/config.ts`)
    } finally {
      rmSync(scratch, { recursive: true, force: true })
    }
    const cloudPort = cloud?.CLOUD_PORT ?? '8080'
    if (gateway.CLOUD_URL && gateway.CLOUD_URL.replace(/\/+$/, '') !== `http://cloud:${cloudPort}`) problems.push(`gateway: CLOUD_URL should be http://cloud:${cloudPort}`)
    if (gateway.GATEWAY_INFLUX_URL && URL.canParse(gateway.GATEWAY_INFLUX_URL)) {
      const url = new URL(gateway.GATEWAY_INFLUX_URL)
      if (url.host !== 'influxdb:8086') problems.push('gateway: GATEWAY_INFLUX_URL should reach influxdb:8086')
      if (url.pathname !== `/${influx.INFLUXDB_DB}`) problems.push(`gateway: GATEWAY_INFLUX_URL database should be the one influxdb creates (INFLUXDB_DB=${influx.INFLUXDB_DB})`)
    }
    if (cloud && gateway.GATEWAY_KEY && cloud.DEMO_GATEWAY_KEY !== gateway.GATEWAY_KEY) problems.push('gateway: GATEWAY_KEY differs from the cloud\'s DEMO_GATEWAY_KEY, so the demo gateway cannot upload')
  }

  const nodeRed = services['node-red'] ? envOf(services['node-red']) : undefined
  if (nodeRed) {
    // Node-RED's nodes and flows read their settings as ${TENDERO_...} and process.env.
    const sources = ['nodes', 'lib', 'flows'].flatMap((dir) => filesUnder(join(ctx.repo, 'node-red-flows', dir))).map((f) => readFileSync(f, 'utf8'))
    for (const key of Object.keys(nodeRed))
      if (key.startsWith('TENDERO_') && !sources.some((text) => text.includes(key))) problems.push(`node-red: ${key} is not read by node-red-flows (nodes, lib, flows)`)
  }
  if (nodeRed && gateway) {
    if (nodeRed.TENDERO_GATEWAY_HOST !== 'gateway') problems.push('node-red: TENDERO_GATEWAY_HOST should be gateway')
    if ((nodeRed.TENDERO_GATEWAY_MQTT_PORT ?? '1883') !== (gateway.GATEWAY_MQTT_PORT ?? '1883')) problems.push('node-red: TENDERO_GATEWAY_MQTT_PORT differs from the gateway\'s MQTT port')
    if ((nodeRed.TENDERO_GATEWAY_API_PORT ?? '8090') !== (gateway.GATEWAY_API_PORT ?? '8090')) problems.push('node-red: TENDERO_GATEWAY_API_PORT differs from the gateway\'s API port')
    if (nodeRed.TENDERO_GATEWAY_TOKEN !== gateway.GATEWAY_API_TOKEN) problems.push('node-red: TENDERO_GATEWAY_TOKEN differs from the gateway\'s GATEWAY_API_TOKEN')
  }
  return problems
}

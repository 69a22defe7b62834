/**
 * docker-compose.yml cannot run here (no Docker engine), so its structure is checked as
 * data (compose-check.ts): services, healthchecks, volumes, dependencies, ports, images,
 * builds, and the cloud's and gateway's environment through their own config loaders.
 * Each check is also shown to fail on a broken copy. Node-RED's flow seeding script, which
 * runs in the image's entrypoint, is run here for real.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { checkCompose, loadCompose, REQUIRED_SERVICES, type Doc } from './compose-check.js'

const repo = join(import.meta.dirname, '../..')
const text = readFileSync(join(repo, 'docker-compose.yml'), 'utf8')
/** What an operator puts in .env (deploy/compose.env.example). */
const SECRETS = {
  POSTGRES_PASSWORD: 'pgSecret123',
  JWT_SECRET: 'j'.repeat(48),
  GATEWAY_KEY: 'gateway-key-1234',
  GATEWAY_API_TOKEN: 't'.repeat(32),
  GRAFANA_ADMIN_PASSWORD: 'grafana-admin',
}
const ctx = { repo }

function compose(): Doc {
  const { doc, missing } = loadCompose(text, SECRETS)
  expect([...missing.keys()]).toEqual([])
  return doc
}
type Svc = Record<string, unknown>
const services = (doc: Doc) => doc.services as Record<string, Svc>
/** A broken copy of the document: `edit` changes it, the checker must name the problem. */
function problemsAfter(edit: (services: Record<string, Svc>, doc: Doc) => void): string[] {
  const doc = structuredClone(compose())
  edit(services(doc), doc)
  return checkCompose(doc, ctx)
}

describe('docker-compose.yml', () => {
  it('passes every structural check', () => {
    expect(checkCompose(compose(), ctx)).toEqual([])
  })

  it('has every service the deployment needs', () => {
    expect(Object.keys(services(compose()))).toEqual(expect.arrayContaining(REQUIRED_SERVICES))
  })

  it('refuses to start without its secrets, naming each one', () => {
    const { missing } = loadCompose(text, {})
    expect([...missing.keys()].sort()).toEqual(Object.keys(SECRETS).sort())
    for (const message of missing.values()) expect(message).toMatch(/^set [A-Z_]+/)
    // Defaults apply where nothing is secret.
    const env = services(compose()).cloud!.environment as Record<string, string>
    expect(env.PUBLIC_URL).toBe('http://localhost:8080')
    expect(env.DATABASE_URL).toBe('postgres://tendero:pgSecret123@postgres:5432/tendero')
  })
})

describe('each check fails on a broken copy', () => {
  it('a missing service', () => {
    expect(problemsAfter((s) => delete s.grafana)).toContain('service grafana is missing')
  })

  it('healthchecks: missing, without interval, the wrong path or port, a tool the image lacks', () => {
    expect(problemsAfter((s) => delete s.redis!.healthcheck)).toContain('redis: no healthcheck')
    expect(problemsAfter((s) => delete (s.postgres!.healthcheck as Svc).interval)).toContain('postgres: healthcheck has no interval')
    const wrongPath = problemsAfter((s) => {
      const hc = s.cloud!.healthcheck as { test: string[] }
      hc.test = hc.test.map((a) => a.replace('/api/health', '/health'))
    })
    expect(wrongPath).toContain('cloud: healthcheck asks :8080/health, the service answers :8080/api/health')
    const movedPort = problemsAfter((s) => Object.assign(s.gateway!.environment as object, { GATEWAY_API_PORT: '9000' }))
    expect(movedPort).toContain('gateway: healthcheck asks :8090/health, the service answers :9000/health')
    const curl = problemsAfter((s) => ((s.cloud!.healthcheck as Svc).test = ['CMD', 'curl', '-f', 'http://127.0.0.1:8080/api/health']))
    expect(curl).toContain('cloud: healthcheck runs "curl", which its image lacks (use node)')
  })

  it('volumes: undeclared, data not on a named volume, a bind mount of a missing path', () => {
    expect(problemsAfter((_, doc) => delete (doc.volumes as Svc)['influxdb-data'])).toContain('influxdb: volume "influxdb-data" is not declared under top-level volumes')
    expect(problemsAfter((s) => (s.postgres!.volumes = []))).toContain('postgres: /var/lib/postgresql/data is not on a named volume')
    const missingBind = problemsAfter((s) => (s.prometheus!.volumes as string[]).push('./deploy/nope.yml:/etc/nope.yml:ro'))
    expect(missingBind).toContain('prometheus: bind mount source ./deploy/nope.yml does not exist in the repo')
  })

  it('depends_on: an unknown service, or not waiting for a healthy one', () => {
    expect(problemsAfter((s) => (s.cloud!.depends_on = { postgres: { condition: 'service_started' }, redis: { condition: 'service_healthy' } }))).toContain(
      'cloud: depends_on postgres should use condition: service_healthy (it has a healthcheck)',
    )
    expect(problemsAfter((s) => (s.grafana!.depends_on = ['mysql']))).toContain('grafana: depends_on mysql, which is not a service')
  })

  it('environment: a variable the app never reads, a value its config refuses, services not pointing at each other', () => {
    const typo = problemsAfter((s) => Object.assign(s.gateway!.environment as object, { GATEWAY_MQTT_PROT: '1883' }))
    expect(typo).toContain('gateway: GATEWAY_MQTT_PROT is not read by gateway/src/config.ts')
    const cloudTypo = problemsAfter((s) => Object.assign(s.cloud!.environment as object, { REDIS_HOST: 'redis' }))
    expect(cloudTypo).toContain('cloud: REDIS_HOST is not read by cloud/src/config.ts')
    const shortSecret = problemsAfter((s) => Object.assign(s.cloud!.environment as object, { JWT_SECRET: 'short' }))
    expect(shortSecret.some((p) => p.startsWith('cloud: its config refuses the environment:') && p.includes('JWT_SECRET'))).toBe(true)
    const badPort = problemsAfter((s) => Object.assign(s.gateway!.environment as object, { GATEWAY_MQTT_PORT: 'mqtt' }))
    expect(badPort.some((p) => p.startsWith('gateway: its config refuses the environment:') && p.includes('GATEWAY_MQTT_PORT'))).toBe(true)
    expect(problemsAfter((s) => delete (s.cloud!.environment as Svc).REDIS_URL)).toContain('cloud: REDIS_URL is not set')
    expect(problemsAfter((s) => Object.assign(s.gateway!.environment as object, { CLOUD_URL: 'http://cloud:9999' }))).toContain('gateway: CLOUD_URL should be http://cloud:8080')
    expect(problemsAfter((s) => Object.assign(s.influxdb!.environment as object, { INFLUXDB_DB: 'other' }))).toContain(
      'gateway: GATEWAY_INFLUX_URL database should be the one influxdb creates (INFLUXDB_DB=other)',
    )
    expect(problemsAfter((s) => Object.assign(s.postgres!.environment as object, { POSTGRES_DB: 'other' }))).toContain(
      "cloud: DATABASE_URL user, password and database must be the postgres service's",
    )
    expect(problemsAfter((s) => Object.assign(s['node-red']!.environment as object, { TENDERO_GATEWAY_TOKEN: 'x'.repeat(20) }))).toContain(
      "node-red: TENDERO_GATEWAY_TOKEN differs from the gateway's GATEWAY_API_TOKEN",
    )
    expect(problemsAfter((s) => Object.assign(s['node-red']!.environment as object, { TENDERO_GATEWAY_HOTS: 'gateway' }))).toContain(
      'node-red: TENDERO_GATEWAY_HOTS is not read by node-red-flows (nodes, lib, flows)',
    )
    expect(problemsAfter((s) => Object.assign(s.gateway!.environment as object, { GATEWAY_CONFIG: '/etc/elsewhere.json' }))).toContain(
      'gateway: GATEWAY_CONFIG /etc/elsewhere.json is not a mounted file',
    )
  })

  it('ports: not the default, or not published', () => {
    expect(problemsAfter((s) => (s.cloud!.ports = ['8081:8080']))).toContain('cloud: publishes 8080 as host port 8081; the default is 8080')
    expect(problemsAfter((s) => (s.gateway!.ports = ['1883:1883', '8883:8883']))).toContain('gateway: port 8090 is not published')
    expect(problemsAfter((s) => (s.postgres!.ports = ['5432:5432']))).toContain('postgres: publishes container port 5432, not one of its defaults (none)')
  })

  it('images and builds: latest or untagged, a missing Dockerfile or context', () => {
    expect(problemsAfter((s) => (s.redis!.image = 'redis:latest'))).toContain('redis: image "redis:latest" uses the latest tag')
    expect(problemsAfter((s) => (s.grafana!.image = 'grafana/grafana'))).toContain('grafana: image "grafana/grafana" has no tag (means latest)')
    expect(problemsAfter((s) => ((s.cloud!.build as Svc).dockerfile = 'deploy/docker/nope.Dockerfile'))).toContain('cloud: Dockerfile deploy/docker/nope.Dockerfile does not exist')
    expect(problemsAfter((s) => ((s.gateway!.build as Svc).context = './nowhere'))).toContain('gateway: build context ./nowhere does not exist')
  })

  it('monitoring: Prometheus and Grafana pointed at the services', () => {
    expect(problemsAfter((s) => Object.assign(s.gateway!.environment as object, { GATEWAY_API_PORT: '9000' }))).toContain('prometheus: does not scrape gateway:9000')
    expect(problemsAfter((s) => (s.grafana!.volumes = ['grafana-data:/var/lib/grafana']))).toContain('grafana: nothing mounted at /etc/grafana/provisioning/dashboards')
  })
})

describe('Node-RED image: seeding the ready flows', () => {
  const seed = join(repo, 'deploy/docker/node-red/seed-flows.cjs')
  const dir = mkdtempSync(join(tmpdir(), 'tendero-node-red-seed-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  const run = (env: Record<string, string>) => execFileSync('node', [seed], { env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8' })

  it('merges the flow files once, keeping shared config nodes once, and never overwrites the flow file', () => {
    const flows = join(dir, 'flows')
    const data = join(dir, 'data')
    mkdirSync(flows, { recursive: true })
    const gatewayNode = { id: 'gw', type: 'tendero-gateway', host: '${TENDERO_GATEWAY_HOST}' }
    writeFileSync(join(flows, 'a.json'), JSON.stringify([{ id: 'tab-a', type: 'tab' }, gatewayNode, { id: 'n1', type: 'tendero-telemetry-in', z: 'tab-a', gateway: 'gw' }]))
    writeFileSync(join(flows, 'b.json'), JSON.stringify([{ id: 'tab-b', type: 'tab' }, gatewayNode, { id: 'n2', type: 'tendero-alarm', z: 'tab-b', gateway: 'gw' }]))
    expect(run({ TENDERO_FLOWS_DIR: flows, NODE_RED_DATA: data })).toMatch(/wrote .*flows\.json from a\.json, b\.json \(5 nodes\)/)
    const merged = JSON.parse(readFileSync(join(data, 'flows.json'), 'utf8')) as { id: string }[]
    expect(merged.map((n) => n.id)).toEqual(['tab-a', 'gw', 'n1', 'tab-b', 'n2'])

    writeFileSync(join(data, 'flows.json'), '[]')
    expect(run({ TENDERO_FLOWS_DIR: flows, NODE_RED_DATA: data })).toMatch(/not seeded \(exists\)/)
    expect(readFileSync(join(data, 'flows.json'), 'utf8')).toBe('[]')
  })

  it('a broken bundled flow is reported and Node-RED still starts (exit 0, no flow file)', () => {
    const flows = join(dir, 'bad-flows')
    const data = join(dir, 'bad-data')
    mkdirSync(flows, { recursive: true })
    writeFileSync(join(flows, 'x.json'), '{"not": "an array"}')
    const out = execFileSync('node', [seed], { env: { PATH: process.env.PATH ?? '', TENDERO_FLOWS_DIR: flows, NODE_RED_DATA: data }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
    expect(out).toBe('')
    expect(() => readFileSync(join(data, 'flows.json'))).toThrow()
  })

  it('the repo ships flows to seed', () => {
    const r = JSON.parse(execFileSync('node', ['-e', `const { seedFlows } = require(${JSON.stringify(seed)}); console.log(JSON.stringify(seedFlows({ TENDERO_FLOWS_DIR: ${JSON.stringify(join(repo, 'node-red-flows/flows'))}, NODE_RED_DATA: ${JSON.stringify(join(dir, 'repo-data'))} })))`], { encoding: 'utf8' })) as { written: boolean; nodes?: number }
    expect(r.written).toBe(true)
    expect(r.nodes).toBeGreaterThan(0)
  })
})

/**
 * The Debian appliance install (deploy/appliance/): a real release built from this repo,
 * installed by the real install.sh into a temporary root with systemd calls and useradd
 * skipped, upgraded, rolled back, then started for real from the installed layout. The
 * systemd unit goes through `systemd-analyze verify`/`security` and the logrotate config
 * through logrotate itself, all as shipped except where noted.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, openSync, closeSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, writeFileSync, appendFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mqtt from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const repo = join(import.meta.dirname, '../..')
const appliance = join(repo, 'deploy/appliance')
const installSh = join(appliance, 'install.sh')

let tmp: string
let root: string
let releases: string
let gateway: ChildProcess | undefined
const V1 = '9.0.0-test1'
const V2 = '9.0.0-test2'
const V3 = '9.0.0-test3'

interface Run {
  status: number | null
  stdout: string
  stderr: string
}

function run(cmd: string, args: string[], env: Record<string, string> = {}): Run {
  const r = spawnSync(cmd, args, { cwd: repo, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 })
  if (r.error) throw r.error
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

/** install.sh into the temporary root, never touching the real system. */
function install(args: string[], env: Record<string, string> = {}): Run {
  return run('bash', [installSh, ...args], { TENDERO_ROOT: root, TENDERO_NO_SYSTEMD: '1', TENDERO_NO_USERADD: '1', ...env })
}

const at = (path: string) => join(root, path)
const mode = (path: string) => (statSync(at(path)).mode & 0o777).toString(8)
const link = (name: string) => readlinkSync(at(`opt/tendero/gateway/${name}`))

function newestMtime(dir: string): number {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && !entry.name.endsWith('.test.ts')) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs)
  }
  return newest
}

/** `KEY=VALUE` lines as systemd reads an EnvironmentFile (comments and blanks skipped). */
function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {}
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line)
    if (m) env[m[1]!] = m[2]!.replace(/^"(.*)"$/, '$1')
  }
  return env
}

function unitValues(unit: string, key: string): string[] {
  return [...unit.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => m[1]!)
}

async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'tendero-appliance-'))
  root = join(tmp, 'root')
  releases = join(tmp, 'releases')
  // Reuse the bundle when it is newer than every source; other suites may be reading it.
  const bundle = join(repo, 'gateway/dist/main.mjs')
  const stale = !existsSync(bundle) || statSync(bundle).mtimeMs < Math.max(newestMtime(join(repo, 'gateway/src')), newestMtime(join(repo, 'protocol/src')))
  if (stale) expect(run('npm', ['run', 'build', '-w', '@tendero/gateway']).status).toBe(0)
  const first = run('node', [join(appliance, 'build-release.mjs'), '--version', V1, '--out', releases])
  expect(first.stderr).toBe('')
  expect(first.status).toBe(0)
  const second = run('node', [join(appliance, 'build-release.mjs'), '--version', V2, '--out', releases, '--no-tar'])
  expect(second.status).toBe(0)
}, 120_000)

afterAll(() => {
  gateway?.kill('SIGKILL')
  if (tmp) rmSync(tmp, { recursive: true, force: true })
})

describe('release', () => {
  it('carries the bundle, production node_modules only, and what it was built for', () => {
    const dir = join(releases, `tendero-gateway-${V1}`)
    expect(existsSync(join(releases, `tendero-gateway-${V1}-${process.platform}-${process.arch}.tar.gz`))).toBe(true)
    for (const file of ['dist/main.mjs', 'dist/main.mjs.map', 'config/demo.json', 'package.json', 'appliance/install.sh', 'appliance/tendero-gateway.service'])
      expect(existsSync(join(dir, file)), file).toBe(true)
    const manifest = parseEnvFile(readFileSync(join(dir, 'RELEASE'), 'utf8'))
    expect(manifest).toMatchObject({ version: V1, node_abi: process.versions.modules, arch: process.arch })
    const modules = readdirSync(join(dir, 'node_modules'))
    expect(modules).toEqual(expect.arrayContaining(['better-sqlite3', 'aedes', 'fastify', 'pino', 'influx']))
    // Dev tools and the workspace's own packages (compiled into the bundle) stay out.
    for (const absent of ['esbuild', 'vitest', 'typescript', 'mqtt', '@tendero']) expect(modules, absent).not.toContain(absent)
    expect(existsSync(join(dir, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node'))).toBe(true)
    expect(existsSync(join(dir, 'node_modules/better-sqlite3/build/Release/obj'))).toBe(false)
  })

  it('loads every external dependency of the bundle from the release alone, native ones included', () => {
    const dir = join(releases, `tendero-gateway-${V1}`)
    const script = `
      import { readFileSync } from 'node:fs'
      const deps = Object.keys(JSON.parse(readFileSync('package.json', 'utf8')).dependencies)
      for (const dep of deps) await import(dep)
      const { default: Database } = await import('better-sqlite3')
      new Database(':memory:').prepare('select 1').get()
      const { SerialPort } = await import('serialport')
      await SerialPort.list()
      console.log(deps.join(' '))`
    // Run outside the repo (the release's own directory under tmp), so nothing resolves from the repo's node_modules.
    const r = spawnSync('node', ['--input-type=module', '-e', script], { cwd: dir, encoding: 'utf8' })
    expect(r.stderr).toBe('')
    expect(r.stdout.trim().split(' ')).toEqual(expect.arrayContaining(['aedes', 'better-sqlite3', 'modbus-serial', 'johnny-five']))
  })
})

describe('install.sh', () => {
  it('explains how to get Node.js when it is missing, and refuses a release for another ABI', () => {
    const noNode = install([join(releases, `tendero-gateway-${V1}`)], { TENDERO_NODE: join(tmp, 'no-such-node') })
    expect(noNode.status).toBe(1)
    expect(noNode.stderr).toMatch(/Node\.js >= 20\.19 is required/)
    expect(noNode.stderr).toMatch(/nodesource/i)

    const foreign = join(tmp, 'foreign')
    cpSync(join(appliance, 'site.example.json'), join(foreign, 'dist/main.mjs'))
    writeFileSync(join(foreign, 'RELEASE'), `version=1.0.0\nnode_abi=1\narch=${process.arch}\n`)
    const refused = install([foreign])
    expect(refused.status).toBe(1)
    expect(refused.stderr).toMatch(/built for Node ABI 1 .* this machine runs ABI/)
    expect(existsSync(at('opt/tendero/gateway/current'))).toBe(false)
  })

  it('installs a release tarball: releases/<version>, current, config, data and log dirs', () => {
    const r = install([join(releases, `tendero-gateway-${V1}-${process.platform}-${process.arch}.tar.gz`)])
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/skipped \(TENDERO_NO_SYSTEMD=1\): systemctl restart tendero-gateway.service/)
    expect(link('current')).toBe(`releases/${V1}`)
    expect(existsSync(at('opt/tendero/gateway/previous'))).toBe(false)
    expect(existsSync(at('opt/tendero/gateway/current/dist/main.mjs'))).toBe(true)
    expect(mode('etc/tendero')).toBe('750')
    expect(mode('etc/tendero/gateway.env')).toBe('640')
    expect(mode('etc/tendero/site.json')).toBe('640')
    expect(mode('var/lib/tendero/gateway')).toBe('750')
    expect(mode('var/log/tendero')).toBe('750')
    expect(mode('etc/systemd/system/tendero-gateway.service')).toBe('644')
    expect(mode('etc/logrotate.d/tendero-gateway')).toBe('644')
    expect(readFileSync(at('etc/tendero/gateway.env'), 'utf8')).toBe(readFileSync(join(appliance, 'gateway.env.example'), 'utf8'))
  })

  it('is idempotent: a second run changes nothing', () => {
    const before = statSync(at('etc/tendero/gateway.env')).mtimeMs
    const r = install([join(releases, `tendero-gateway-${V1}`)])
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/release 9\.0\.0-test1 already installed/)
    expect(r.stdout).toMatch(/current already is/)
    expect(statSync(at('etc/tendero/gateway.env')).mtimeMs).toBe(before)
    expect(existsSync(at('opt/tendero/gateway/previous'))).toBe(false)
  })

  it('upgrades without touching the config or the data, and keeps the previous release', () => {
    appendFileSync(at('etc/tendero/gateway.env'), 'GATEWAY_LOG_LEVEL=debug\n')
    writeFileSync(at('var/lib/tendero/gateway/marker.db'), 'durable log stand-in')
    const env = readFileSync(at('etc/tendero/gateway.env'), 'utf8')
    const site = readFileSync(at('etc/tendero/site.json'), 'utf8')

    const r = install([join(releases, `tendero-gateway-${V2}`)])
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/kept .*gateway\.env/)
    expect(link('current')).toBe(`releases/${V2}`)
    expect(link('previous')).toBe(`releases/${V1}`)
    expect(readFileSync(at('etc/tendero/gateway.env'), 'utf8')).toBe(env)
    expect(readFileSync(at('etc/tendero/site.json'), 'utf8')).toBe(site)
    expect(readFileSync(at('etc/tendero/gateway.env.dist'), 'utf8')).toBe(readFileSync(join(appliance, 'gateway.env.example'), 'utf8'))
    expect(readFileSync(at('var/lib/tendero/gateway/marker.db'), 'utf8')).toBe('durable log stand-in')
  })

  it('rolls back and forth, and prunes releases older than the previous one', () => {
    let r = install(['--rollback'])
    expect(r.status).toBe(0)
    expect(link('current')).toBe(`releases/${V1}`)
    expect(link('previous')).toBe(`releases/${V2}`)
    r = install(['--rollback'])
    expect(link('current')).toBe(`releases/${V2}`)

    // A third release. The layout only needs its manifest, bundle and appliance files;
    // rolling back to the second afterwards leaves a complete release running below.
    const second = join(releases, `tendero-gateway-${V2}`)
    const third = join(tmp, `tendero-gateway-${V3}`)
    for (const part of ['dist', 'appliance']) cpSync(join(second, part), join(third, part), { recursive: true })
    writeFileSync(join(third, 'RELEASE'), readFileSync(join(second, 'RELEASE'), 'utf8').replace(`version=${V2}`, `version=${V3}`))
    r = install([third])
    expect(r.status).toBe(0)
    expect(link('current')).toBe(`releases/${V3}`)
    expect(link('previous')).toBe(`releases/${V2}`)
    expect(readdirSync(at('opt/tendero/gateway/releases')).sort()).toEqual([V2, V3])
    expect(readFileSync(at('var/lib/tendero/gateway/marker.db'), 'utf8')).toBe('durable log stand-in')

    r = install(['--rollback'])
    expect(r.status).toBe(0)
    expect(link('current')).toBe(`releases/${V2}`)
    // Nothing half-made is left behind by the unpacking and copying.
    expect(readdirSync(at('opt/tendero/gateway')).sort()).toEqual(['current', 'previous', 'releases'])
    expect(readdirSync(at('opt/tendero/gateway/releases')).filter((f) => f.startsWith('.'))).toEqual([])
  })

  it('refuses to roll back when there is nothing to go back to', () => {
    const empty = install(['--rollback'], { TENDERO_ROOT: join(tmp, 'empty-root') })
    expect(empty.status).toBe(1)
    expect(empty.stderr).toMatch(/no previous release/)
  })
})

describe('systemd unit', () => {
  it('passes systemd-analyze verify with no warning, and a broken copy does not', () => {
    const unit = at('etc/systemd/system/tendero-gateway.service')
    const ok = run('systemd-analyze', ['verify', unit])
    expect(ok.stderr).toBe('')
    expect(ok.status).toBe(0)

    // verify exits 0 on unknown keys; only its warnings tell, so the check reads them.
    const brokenDir = join(tmp, 'broken-unit')
    const broken = join(brokenDir, 'tendero-gateway.service')
    cpSync(unit, broken)
    writeFileSync(broken, readFileSync(broken, 'utf8').replace(/^ProtectSystem=strict$/m, 'ProtectSystm=strict'))
    expect(run('systemd-analyze', ['verify', broken]).stderr).toMatch(/Unknown key 'ProtectSystm'/)
  })

  it('is sandboxed (systemd-analyze security exposure below 3) and sets what the gateway needs', () => {
    const unitPath = at('etc/systemd/system/tendero-gateway.service')
    const r = run('systemd-analyze', ['security', '--offline=true', unitPath])
    const exposure = Number(/Overall exposure level for tendero-gateway\.service: ([\d.]+)/.exec(r.stdout)?.[1])
    expect(exposure).toBeLessThan(3)
    const unit = readFileSync(unitPath, 'utf8')
    expect(unitValues(unit, 'User')).toEqual(['tendero'])
    expect(unitValues(unit, 'SupplementaryGroups')).toEqual(['dialout'])
    expect(unitValues(unit, 'EnvironmentFile')).toEqual(['/etc/tendero/gateway.env'])
    expect(unitValues(unit, 'Environment')).toContain('MALLOC_MMAP_THRESHOLD_=131072')
    expect(unitValues(unit, 'Restart')).toEqual(['on-failure'])
    expect(unitValues(unit, 'StateDirectory')).toEqual(['tendero/gateway'])
    expect(unitValues(unit, 'StandardOutput')).toEqual(['append:/var/log/tendero/gateway.log'])
    // V8's JIT writes executable pages; this setting would crash node at start.
    expect(unitValues(unit, 'MemoryDenyWriteExecute')).toEqual([])
  })
})

interface Running {
  apiPort: number
  mqttPort: number
  logFile: string
  stop: () => Promise<number | null>
}

/**
 * Starts the installed gateway the way the unit does: Environment= first, then the
 * EnvironmentFile overriding it, ExecStart's binary and script, WorkingDirectory, output
 * appended to StandardOutput's file. Paths move under the temporary root, and ports are
 * ephemeral instead of 1883/8090/8883.
 */
async function startInstalled(): Promise<Running> {
  const unit = readFileSync(at('etc/systemd/system/tendero-gateway.service'), 'utf8')
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    ...Object.fromEntries(unitValues(unit, 'Environment').map((kv) => kv.split(/=(.*)/s).slice(0, 2) as [string, string])),
    ...parseEnvFile(readFileSync(at('etc/tendero/gateway.env'), 'utf8')),
  }
  env.GATEWAY_DATA_DIR = at(env.GATEWAY_DATA_DIR!)
  env.GATEWAY_CONFIG = at(env.GATEWAY_CONFIG!)
  Object.assign(env, { GATEWAY_MQTT_PORT: '0', GATEWAY_API_PORT: '0', GATEWAY_API_HOST: '127.0.0.1', GATEWAY_MQTT_HOST: '127.0.0.1', GATEWAY_MQTT_WS_PORT: 'off', CLOUD_URL: 'http://127.0.0.1:9', GATEWAY_CLOCK: 'trusted' })
  const [node, script] = unitValues(unit, 'ExecStart')[0]!.split(' ')
  const logFile = at(unitValues(unit, 'StandardOutput')[0]!.replace('append:', ''))
  const from = existsSync(logFile) ? statSync(logFile).size : 0
  const out = openSync(logFile, 'a')
  const child = spawn(node!, [at(script!)], { cwd: at(unitValues(unit, 'WorkingDirectory')[0]!), env, stdio: ['ignore', out, out] })
  gateway = child
  closeSync(out)
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const newLines = () => readFileSync(logFile).subarray(from).toString('utf8').split('\n')
  const started = await waitFor('"gateway started" in the log', () => {
    const line = newLines().find((l) => l.includes('"gateway started"'))
    if (line) return JSON.parse(line) as { api: number; mqtt: number }
    if (child.exitCode !== null) throw new Error(`gateway exited ${child.exitCode}:\n${newLines().join('\n')}`)
    return undefined
  })
  return {
    apiPort: started.api,
    mqttPort: started.mqtt,
    logFile,
    stop: async () => {
      child.kill('SIGTERM')
      const code = await exited
      gateway = undefined
      return code
    },
  }
}

async function health(port: number): Promise<{ status: string; gatewayId: string; bootId: string; log: { lastSeq: number } }> {
  const res = await fetch(`http://127.0.0.1:${port}/health`)
  expect(res.status).toBe(200)
  return (await res.json()) as { status: string; gatewayId: string; bootId: string; log: { lastSeq: number } }
}

describe('the installed gateway', () => {
  it('starts from the installed layout with the unit environment and the example site, answers /health, stops cleanly on SIGTERM', async () => {
    const g = await startInstalled()
    expect(await health(g.apiPort)).toMatchObject({ status: 'ok', gatewayId: 'gw-nuevo' })
    expect(existsSync(at('var/lib/tendero/gateway/log.db'))).toBe(true)
    expect(await g.stop()).toBe(0)
    expect(readFileSync(g.logFile, 'utf8')).toMatch(/"msg":"gateway stopped"/)
  })

  it('keeps its durable log across an upgrade: the new release continues the same seq', async () => {
    // The technician adds a device to the site config (the demo cold room and its password).
    const demo = JSON.parse(readFileSync(join(repo, 'gateway/config/demo.json'), 'utf8')) as { devices: { id: string }[] }
    const site = JSON.parse(readFileSync(at('etc/tendero/site.json'), 'utf8')) as { devices: unknown[] }
    site.devices = demo.devices.filter((d) => d.id === 'camara-1').map((d) => ({ ...d, relays: [] }))
    writeFileSync(at('etc/tendero/site.json'), JSON.stringify(site, null, 2))

    const first = await startInstalled()
    const device = await mqtt.connectAsync(`mqtt://127.0.0.1:${first.mqttPort}`, { clientId: 'camara-1', username: 'camara-1', password: 'camara-1-demo', reconnectPeriod: 0 })
    // Its connect is logged as a state event; that is data the upgrade must keep.
    const before = await waitFor('an event in the durable log', async () => {
      const h = await health(first.apiPort)
      return h.log.lastSeq > 0 ? h : undefined
    })
    await device.endAsync()
    expect(await first.stop()).toBe(0)
    const logBefore = readFileSync(first.logFile, 'utf8')

    const r = install([join(releases, `tendero-gateway-${V1}-${process.platform}-${process.arch}.tar.gz`)])
    expect(r.status).toBe(0)
    expect(link('current')).toBe(`releases/${V1}`)
    expect(JSON.parse(readFileSync(at('etc/tendero/site.json'), 'utf8'))).toEqual(site)

    const second = await startInstalled()
    const after = await health(second.apiPort)
    expect(after.bootId).not.toBe(before.bootId)
    // The offline event of the disconnect came after `before`, so the seq only grew.
    expect(after.log.lastSeq).toBeGreaterThan(before.log.lastSeq)
    expect(await second.stop()).toBe(0)
    // The text log survives the upgrade too; the new release appends to it.
    expect(readFileSync(second.logFile, 'utf8').startsWith(logBefore)).toBe(true)
  })
})

describe('logrotate config', () => {
  // logrotate runs `su tendero tendero` as shipped; that user does not exist on a test
  // machine, so these runs swap in the current user and the temporary root's log path.
  function localConfig(): string {
    const user = run('id', ['-un']).stdout.trim()
    const group = run('id', ['-gn']).stdout.trim()
    const text = readFileSync(at('etc/logrotate.d/tendero-gateway'), 'utf8')
      .replace('/var/log/tendero/gateway.log', at('var/log/tendero/gateway.log'))
      .replace('su tendero tendero', `su ${user} ${group}`)
    const path = join(tmp, 'logrotate.conf')
    writeFileSync(path, text)
    return path
  }

  it('parses cleanly in debug mode and would copy and truncate', () => {
    const r = run('logrotate', ['-d', '-f', '-s', join(tmp, 'logrotate.state'), localConfig()])
    expect(r.status).toBe(0)
    const output = r.stdout + r.stderr
    expect(output).not.toMatch(/error:/)
    expect(output).toMatch(/copying .*gateway\.log to .*gateway\.log-\d{8}/)
    expect(output).toMatch(/truncating .*gateway\.log/)
  })

  it('rotates the gateway log for real, leaving an empty file in place', () => {
    const log = at('var/log/tendero/gateway.log')
    const before = readFileSync(log, 'utf8')
    expect(before).toMatch(/gateway started/)
    const r = run('logrotate', ['-f', '-s', join(tmp, 'logrotate.state'), localConfig()])
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    expect(readFileSync(log, 'utf8')).toBe('')
    const rotated = readdirSync(at('var/log/tendero')).filter((f) => f.startsWith('gateway.log-'))
    expect(rotated).toHaveLength(1)
    expect(readFileSync(at(`var/log/tendero/${rotated[0]}`), 'utf8')).toBe(before)
  })

  it('is refused by logrotate when broken', () => {
    const path = join(tmp, 'logrotate-broken.conf')
    writeFileSync(path, readFileSync(localConfig(), 'utf8').replace(/^(\s*)copytruncate$/m, '$1copytruncat'))
    const r = run('logrotate', ['-d', '-s', join(tmp, 'logrotate.state'), path])
    expect(r.stdout + r.stderr).toMatch(/error: .*unknown option 'copytruncat'/)
  })
})

import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * Builds the firmware's portable core, its cmocka suites and the tc_wire harness with the
 * system C compiler (firmware/test/run-host-tests.sh, ASan and UBSan on) into a fresh
 * temporary directory. Nothing is cached between runs: every test run compiles the C it tests.
 */
const here = dirname(fileURLToPath(import.meta.url))
const script = join(here, 'run-host-tests.sh')

/** The cmocka suites, one per portable module (firmware/test/test_<name>.c). */
export const SUITES = ['json', 'payload', 'command', 'ring', 'backoff', 'failsafe', 'config', 'debounce'] as const

export interface RunResult {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs a program, never rejecting: the caller puts the output in its failure message. */
export function run(file: string, args: readonly string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(
      file,
      [...args],
      { timeout: opts.timeoutMs ?? 60_000, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=0' } },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : null) : 0
        resolve({ code, stdout, stderr })
      },
    )
    if (opts.input !== undefined) child.stdin?.end(opts.input)
  })
}

export interface HostBuild {
  dir: string
  bin(name: string): string
  remove(): Promise<void>
}

/** Builds the core and the named programs (`test_<suite>` for each suite, or `tc_wire`). */
export async function buildHost(targets: readonly string[]): Promise<HostBuild> {
  const dir = await mkdtemp(join(tmpdir(), 'tendero-fw-'))
  const result = await run('sh', [script, '-b', dir, ...targets], { timeoutMs: 110_000 })
  if (result.code !== 0) {
    await rm(dir, { recursive: true, force: true })
    throw new Error(`firmware host build failed (exit ${result.code}):\n${result.stdout}\n${result.stderr}`)
  }
  return {
    dir,
    bin: (name) => join(dir, name),
    remove: () => rm(dir, { recursive: true, force: true }),
  }
}

/** The compiler flags the script uses, so a test can prove the sanitizers are really on. */
export async function hostFlags(): Promise<string[]> {
  const result = await run('sh', [script, '--print-flags'])
  if (result.code !== 0) throw new Error(`run-host-tests.sh --print-flags failed:\n${result.stderr}`)
  return result.stdout.trim().split(/\s+/)
}

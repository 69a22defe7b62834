import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SUITES, buildHost, hostFlags, run, type HostBuild } from './host-build.js'

/**
 * The firmware's portable C (components/tendero_core), compiled with the system compiler
 * under ASan and UBSan and run through its cmocka suites. ESP-IDF cannot be installed
 * here, so this is where the node's logic is actually executed.
 */
describe('firmware portable core on the host', () => {
  let build: HostBuild

  beforeAll(async () => {
    build = await buildHost(SUITES)
  }, 115_000)

  afterAll(async () => {
    await build?.remove()
  })

  for (const suite of SUITES) {
    it(`cmocka suite "${suite}" passes under ASan and UBSan`, async () => {
      const result = await run(build.bin(`test_${suite}`), [])
      const output = `${result.stdout}\n${result.stderr}`
      if (result.code !== 0) throw new Error(`test_${suite} failed (exit ${result.code}):\n${output}`)
      // A suite that silently ran nothing must not count as a pass.
      const ran = /\[==========\] (\d+) test\(s\) run/.exec(output)
      expect(Number(ran?.[1] ?? 0), output).toBeGreaterThan(0)
      expect(output).not.toMatch(/FAILED|runtime error|AddressSanitizer/)
    })
  }

  // Each canary is wrong in a way only one sanitizer sees, so both are proven to be on.
  const canaries = [
    { name: 'use_after_free', code: 'char *volatile p = malloc(4); free(p); return p[c];', finding: /AddressSanitizer: heap-use-after-free/ },
    { name: 'signed_overflow', code: 'int x = INT_MAX; x += c; return x;', finding: /runtime error: signed integer overflow/ },
  ]
  for (const canary of canaries) {
    it(`really builds with the sanitizers: a ${canary.name.replaceAll('_', '-')} canary fails`, async () => {
      const flags = await hostFlags()
      expect(flags).toContain('-fsanitize=address,undefined')
      const src = join(build.dir, `${canary.name}.c`)
      await writeFile(src, `#include <limits.h>\n#include <stdlib.h>\nint main(int c, char **v) { (void)v; ${canary.code} }\n`)
      const exe = join(build.dir, canary.name)
      const compiled = await run('cc', [...flags, src, '-o', exe])
      expect(compiled.code, compiled.stderr).toBe(0)
      const result = await run(exe, [])
      expect(result.code).not.toBe(0)
      expect(result.stderr).toMatch(canary.finding)
    })
  }

  it('refuses a warning: -Werror turns sloppy C into a build failure', async () => {
    const flags = await hostFlags()
    const src = join(build.dir, 'warning.c')
    await writeFile(src, 'int main(void) { int unused; return 0; }\n')
    const compiled = await run('cc', [...flags, src, '-o', join(build.dir, 'warning')])
    expect(compiled.code).not.toBe(0)
    expect(compiled.stderr).toMatch(/unused/)
  })
})
